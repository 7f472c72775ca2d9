// x if |x| > threshold else 0; NaN stays NaN (TensorFlow gives 0). +-inf
// pass (the threshold is finite).
fn activate(x: f32) -> f32 {
    let b = bitcast<u32>(x);
    if (!is_finite_bits(b)) {
        return x;
    }
    return select(0.0, x, abs(x) > p_threshold());
}
