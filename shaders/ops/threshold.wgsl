// x if x > threshold else default_value; NaN stays NaN (TensorFlow gives
// default_value); +inf passes, -inf is replaced (the threshold is finite).
fn activate(x: f32) -> f32 {
    let b = bitcast<u32>(x);
    if (is_nan_bits(b) || b == F32_INF_BITS) {
        return x;
    }
    if (b != F32_NEG_INF_BITS && x > p_threshold()) {
        return x;
    }
    return p_default_value();
}

// Backward: 1 for x > threshold, else 0.
fn grad(x: f32, dy: f32) -> f32 {
    if (is_nan_bits(bitcast<u32>(x))) {
        return qnan();
    }
    return vjp(select(0.0, 1.0, x > p_threshold()), dy);
}
