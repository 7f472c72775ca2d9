// clip(x, -1, 1); NaN stays NaN.
fn activate(x: f32) -> f32 {
    if (is_nan_bits(bitcast<u32>(x))) {
        return x;
    }
    return clamp(x, -1.0, 1.0);
}
