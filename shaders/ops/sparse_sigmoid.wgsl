// 0 for x <= -1, (x + 1) / 2 between (x + 1 rounds once, halving is exact),
// 1 for x >= 1; infinities by bits.
fn activate(x: f32) -> f32 {
    let b = bitcast<u32>(x);
    if (!is_finite_bits(b)) {
        if (is_nan_bits(b)) {
            return x;
        }
        return select(1.0, 0.0, b == F32_NEG_INF_BITS);
    }
    return clamp((x + 1.0) * 0.5, 0.0, 1.0);
}

// Backward: 1/2 on (-1, 1), else 0.
fn grad(x: f32, dy: f32) -> f32 {
    if (is_nan_bits(bitcast<u32>(x))) {
        return qnan();
    }
    return vjp(select(0.0, 0.5, x > -1.0 && x < 1.0), dy);
}
