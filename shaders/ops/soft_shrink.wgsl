// sign(x) * max(|x| - threshold, 0), one rounding; NaN stays NaN
// (TensorFlow gives 0), +-inf pass (the threshold is finite).
fn activate(x: f32) -> f32 {
    let b = bitcast<u32>(x);
    if (!is_finite_bits(b)) {
        return x;
    }
    let m = abs(x) - p_threshold();
    if (m > 0.0) {
        return bitcast<f32>(bitcast<u32>(m) | (b & F32_SIGN_MASK));
    }
    return 0.0;
}
