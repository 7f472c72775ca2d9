// min(max(x, 0), 6); NaN stays NaN (found by bits: min/max may drop it).
fn activate(x: f32) -> f32 {
    if (is_nan_bits(bitcast<u32>(x))) {
        return x;
    }
    return clamp(x, 0.0, 6.0);
}
