// Elementary functions shared by several ops (each op module includes them).

// sigmoid(x) = 1 / (1 + exp(-x)), for every f32 x.
// Only exp(-|x|) <= 1 is formed, so nothing overflows:
// x >= 0 gives 1 / (1 + e), x < 0 gives e / (1 + e).
fn sigmoid_f32(x: f32) -> f32 {
    let b = bitcast<u32>(x);
    if (!is_finite_bits(b)) {
        if (is_nan_bits(b)) {
            return x;
        }
        return select(1.0, 0.0, b == F32_NEG_INF_BITS);
    }
    let e = exp_hl(-abs(x), 0.0);
    let neg = (b & F32_SIGN_MASK) != 0u;
    // 1 + e carried exactly as a pair: rounding it would cost up to 1 ULP.
    let d = 1.0 + e;
    return div2(select(1.0, e, neg), 0.0, d, add_err(1.0, e, d));
}

// tanh(x) for every f32 x, without the driver's tanh (NaN past |x| ~ 88.7 on
// several backends) and without cancellation near 0.
fn tanh_f32(x: f32) -> f32 {
    let b = bitcast<u32>(x);
    let ab = b & F32_ABS_MASK;
    if (ab > F32_INF_BITS) {
        return x;
    }
    let sign = bitcast<f32>((b & F32_SIGN_MASK) | 0x3f800000u); // +-1
    // |x| > 9.1: tanh rounds to +-1 (also covers +-inf).
    if (ab > 0x41119999u) {
        return sign;
    }
    // |x| < 2^-12: tanh(x) = x to within half an ULP; returning x keeps -0
    // and subnormals bit-exact.
    if (ab < 0x39800000u) {
        return x;
    }
    let a = bitcast<f32>(ab);
    if (a < 0.35) {
        // tanh(a) = m / (m + 2) with m = expm1(2a); 2a is exact.
        let m = expm1_poly(2.0 * a);
        let d = m + 2.0;
        return sign * div2(m, 0.0, d, add_err(2.0, m, d));
    }
    // a >= 0.35: e = exp(-2a) < 0.5, so 1 - e does not cancel.
    let e = exp_hl(-2.0 * a, 0.0);
    // Numerator and denominator carried exactly as pairs.
    let n = 1.0 - e;
    let d = 1.0 + e;
    return sign * div2(n, add_err(1.0, -e, n), d, add_err(1.0, e, d));
}
