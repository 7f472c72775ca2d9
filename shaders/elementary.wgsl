// Elementary functions shared by several ops (each op module includes them).
// Branch-free: a CPU adapter runs both sides of every divergent branch, and
// a GPU's threads diverge on them; special values are selected last.

// sigmoid(x) = 1 / (1 + exp(-x)), for every f32 x.
// Only exp(-|x|) <= 1 is formed, so nothing overflows:
// x >= 0 gives 1 / (1 + e), x < 0 gives e / (1 + e).
fn sigmoid_f32(x: f32) -> f32 {
    let b = bitcast<u32>(x);
    // |x| clamped to 150 by its bits (+-inf included; exp gives 0 there).
    let a = bitcast<f32>(min(b & F32_ABS_MASK, 0x43160000u));
    let e = exp_hl(-a, 0.0);
    let neg = (b & F32_SIGN_MASK) != 0u;
    // 1 + e carried exactly as a pair: rounding it would cost up to 1 ULP.
    let d = 1.0 + e;
    let s = div2(select(1.0, e, neg), 0.0, d, add_err(1.0, e, d));
    return select(s, x, is_nan_bits(b));
}

// tanh(x) for every f32 x, without the driver's tanh (NaN past |x| ~ 88.7 on
// several backends) and without cancellation near 0.
fn tanh_f32(x: f32) -> f32 {
    let b = bitcast<u32>(x);
    let ab = b & F32_ABS_MASK;
    let sign = bitcast<f32>((b & F32_SIGN_MASK) | 0x3f800000u); // +-1
    // |x| clamped to 9.5 by its bits; past 9.1 tanh rounds to +-1.
    let a = bitcast<f32>(min(ab, 0x41180000u));
    // a < 0.35: the odd Taylor polynomial to degree 13 (the next term is
    // below 0.02 ULP there; x enters exactly, the rest is a < 4% correction).
    let s = min(a, 0.35);
    let s2 = s * s;
    var q = 3.592128e-3;
    q = fma(q, s2, -8.863236e-3);
    q = fma(q, s2, 2.186949e-2);
    q = fma(q, s2, -5.3968255e-2);
    q = fma(q, s2, 0.13333333);
    q = fma(q, s2, -0.33333334);
    let small = fma(s * s2, q, s);
    // a >= 0.35: e = exp(-2a) < 0.5, so 1 - e does not cancel; numerator
    // and denominator carried exactly as pairs.
    let e = exp_hl(-2.0 * a, 0.0);
    let n = 1.0 - e;
    let d = 1.0 + e;
    let large = div2(n, add_err(1.0, -e, n), d, add_err(1.0, e, d));
    let v = select(select(large, small, a < 0.35), 1.0, ab > 0x41119999u);
    // |x| < 2^-12: tanh(x) = x to within half an ULP; returning x keeps -0
    // and subnormals bit-exact (and NaN).
    return select(sign * v, x, ab < 0x39800000u || ab > F32_INF_BITS);
}
