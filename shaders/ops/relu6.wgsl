// min(max(x, 0), 6); NaN stays NaN (found by bits: min/max may drop it).
fn activate(x: f32) -> f32 {
    if (is_nan_bits(bitcast<u32>(x))) {
        return x;
    }
    return clamp(x, 0.0, 6.0);
}

// Backward: 1 on (0, 6), else 0 (0 at both kinks, as TensorFlow).
fn grad(x: f32, dy: f32) -> f32 {
    if (is_nan_bits(bitcast<u32>(x))) {
        return qnan();
    }
    return vjp(select(0.0, 1.0, x > 0.0 && x < 6.0), dy);
}
