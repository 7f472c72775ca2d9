// x * relu6(x + 3) / 6: 0 at and below -3 (and at -inf), x at and above 3.
// Between, x * (x + 3) is carried as a pair into a corrected division by 6.
fn activate(x: f32) -> f32 {
    let b = bitcast<u32>(x);
    if (!is_finite_bits(b)) {
        if (is_nan_bits(b)) {
            return x;
        }
        return select(x, 0.0, b == F32_NEG_INF_BITS);
    }
    if (x <= -3.0) {
        return 0.0;
    }
    if (x >= 3.0) {
        return x;
    }
    let xs = two_sum(x, 3.0);
    let s = xs.x;
    let err = xs.y;
    let p = x * s;
    let pl = fma(x, s, -p) + x * err;
    return div2(p, pl, 6.0, 0.0);
}

// Backward: (2x + 3) / 6 on (-3, 3), 1 from 3 on, 0 up to -3.
fn grad(x: f32, dy: f32) -> f32 {
    if (is_nan_bits(bitcast<u32>(x))) {
        return qnan();
    }
    if (x >= 3.0) {
        return vjp(1.0, dy);
    }
    if (!(x > -3.0)) {
        return vjp(0.0, dy);
    }
    // (2x + 3) as an exact pair; the quotient by 6 corrected.
    let s = two_sum(2.0 * x, 3.0);
    if (s.x == 0.0) {
        return vjp(s.y / 6.0, dy);
    }
    let q = div2(s.x, s.y, 6.0, 0.0);
    let r = two_prod(q, 6.0);
    return vjp2(q, (((s.x - r.x) - r.y) + s.y) / 6.0, dy);
}
