// clip(x, -1, 1); NaN stays NaN.
fn activate(x: f32) -> f32 {
    if (is_nan_bits(bitcast<u32>(x))) {
        return x;
    }
    return clamp(x, -1.0, 1.0);
}

// Backward: 1 on [-1, 1], else 0.
fn grad(x: f32, dy: f32) -> f32 {
    if (is_nan_bits(bitcast<u32>(x))) {
        return qnan();
    }
    return vjp(select(0.0, 1.0, x >= -1.0 && x <= 1.0), dy);
}
