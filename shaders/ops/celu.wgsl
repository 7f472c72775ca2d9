// Keras celu(x, alpha): x for x >= 0, else alpha * (exp(x / alpha) - 1),
// alpha > 0 (checked on the host). z = x / alpha is carried as the pair
// (q, ql): rounding it would cost |z| ULP in exp. With alpha = m 2^k, z is
// (x 2^-k) / m, so neither the division nor the exact residual sees an
// extreme exponent (x 2^-k is exact unless |z| < 2^-126, where z's low bits
// no longer matter).
fn activate(x: f32) -> f32 {
    let b = bitcast<u32>(x);
    // NaN, x >= 0 (+inf included) and -0 pass through.
    if (is_nan_bits(b) || (b & F32_SIGN_MASK) == 0u || b == F32_SIGN_MASK) {
        return x;
    }
    let alpha = p_alpha();
    // z below about -128 (scaling by 2^-7 is exact and cannot overflow):
    // exp(z) < 2^-184, so the result rounds to -alpha. Also -inf.
    if (b == F32_NEG_INF_BITS || x * 0.0078125 < -alpha) {
        return -alpha;
    }
    let fa = ef_frexp(alpha);
    let xs = ef_scale(x, -fa.y);
    let q = xs / fa.x;
    // The residual xs - q m is exact (q m as a pair; xs - p.x by Sterbenz),
    // so q + ql is z whatever the division's error.
    let p = ef_two_prod(q, fa.x);
    let ql = ((xs - p.x) - p.y) / fa.x;
    if (q > -0.34) {
        // alpha * expm1(z) = x + x * w with w = expm1(z) / z - 1: no
        // division of x by alpha survives, so tiny or subnormal z (large
        // alpha) costs nothing. w = z/2 + z^2/6 + ..., Taylor to z^8.
        var w = 2.7557319e-6;
        w = fma(w, q, 2.4801588e-5);
        w = fma(w, q, 1.984127e-4);
        w = fma(w, q, 1.3888889e-3);
        w = fma(w, q, 8.333334e-3);
        w = fma(w, q, 4.1666668e-2);
        w = fma(w, q, 0.16666667);
        w = fma(w, q, 0.5);
        // d(z w)/dz = 1/2 + z/3 + ...: ql's share.
        let zw = fma(w, q, ql * fma(q, 0.33333334, 0.5));
        return fma(x, zw, x);
    }
    let m = ef_expm1_hl(q, ql);
    return ef_mul(alpha, 0.0, m.x, m.y);
}

// Backward: 1 for x >= 0, exp(x / alpha) below (1 at 0 from both sides), with
// x / alpha carried as the exact pair of activate and exp kept scaled.
fn grad(x: f32, dy: f32) -> f32 {
    let b = bitcast<u32>(x);
    if (is_nan_bits(b)) {
        return qnan();
    }
    if ((b & F32_SIGN_MASK) == 0u || b == F32_SIGN_MASK) {
        return vjp(1.0, dy);
    }
    if (b == F32_NEG_INF_BITS) {
        return vjp(0.0, dy);
    }
    let fa = ef_frexp(p_alpha());
    let xs = ef_scale(x, -fa.y);
    // Fenced: the compiler would otherwise fold q * m below back to xs.
    let q = fence(xs / fa.x);
    // The fenced product: NIR regroups ef_two_prod's error term here.
    let p = two_prod(q, fa.x);
    let ql = ((xs - p.x) - p.y) / fa.x;
    // Below -300 the product is below every subnormal, whatever dy.
    let low = !(q >= -300.0);
    let e = ef_exp_parts(select(q, -300.0, low), select(ql, 0.0, low));
    return vjp_scaled(e.x, e.y, e.z, dy);
}
