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
