// x if |x| > threshold else 0; NaN stays NaN (TensorFlow gives 0). +-inf
// pass (the threshold is finite).
fn activate(x: f32) -> f32 {
    let b = bitcast<u32>(x);
    if (!is_finite_bits(b)) {
        return x;
    }
    return select(0.0, x, abs(x) > p_threshold());
}

// Backward: 1 for |x| > threshold, else 0; with threshold 0 the op is the
// identity, so 1 at 0 too.
fn grad(x: f32, dy: f32) -> f32 {
    if (is_nan_bits(bitcast<u32>(x))) {
        return qnan();
    }
    let t = p_threshold();
    return vjp(select(0.0, 1.0, abs(x) > t || t == 0.0), dy);
}
