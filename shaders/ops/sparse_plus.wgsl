// 0 for x <= -1, (x + 1)^2 / 4 between (x + 1 carried as a pair, so the
// square rounds once), x for x >= 1; infinities by bits.
fn activate(x: f32) -> f32 {
    let b = bitcast<u32>(x);
    if (!is_finite_bits(b)) {
        if (is_nan_bits(b)) {
            return x;
        }
        return select(x, 0.0, b == F32_NEG_INF_BITS);
    }
    if (x <= -1.0) {
        return 0.0;
    }
    if (x >= 1.0) {
        return x;
    }
    let xs = two_sum(x, 1.0);
    let s = xs.x;
    let err = xs.y;
    return fma(s, s, 2.0 * s * err) * 0.25;
}

// Backward: (x + 1) / 2 on (-1, 1) (an exact pair), 1 from 1 on, 0 up to -1.
fn grad(x: f32, dy: f32) -> f32 {
    if (is_nan_bits(bitcast<u32>(x))) {
        return qnan();
    }
    if (x >= 1.0) {
        return vjp(1.0, dy);
    }
    if (!(x > -1.0)) {
        return vjp(0.0, dy);
    }
    let s = two_sum(x, 1.0);
    return vjp2(0.5 * s.x, 0.5 * s.y, dy);
}
