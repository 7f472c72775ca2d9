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
    // 1 + e rounded and one division, no correction: every f32 input is
    // within 3 ULP either way (`wgact verify --exhaustive sigmoid`), and the
    // correction (an exact 1 + e, a second division) took a fifth of the
    // op's time on CPU adapters (peers/probes/sigmoid.txt).
    let s = select(1.0, e, neg) / (1.0 + e);
    return select(s, x, is_nan_bits(b));
}

// tanh(x) for every f32 x, without the driver's tanh (NaN past |x| ~ 88.7 on
// several backends) and without cancellation near 0: with a = |x| and
// m = expm1(-2a), tanh(a) = -m / (2 + m). m = 2^n (1 + q) - 1, q = expm1 of
// the reduced argument, is carried as the exact pair (2^n - 1) + 2^n q
// (2Sum), so it keeps its precision near 0 (n = 0: m = q) and near -1.
// `corrected` divides the pair with a correction step (div2); without it
// the rounded m is divided once. Every f32 input is within 2 ULP either way
// (`wgact verify --exhaustive tanh`, both kernels), and the correction (a
// second division and a fenced error term) takes a third of the tanh op's
// time on CPU adapters (peers/probes/tanh.txt); where tanh is an
// intermediate (mish's backward) the corrected quotient keeps its error
// from adding up.
fn tanh_with(x: f32, corrected: bool) -> f32 {
    let b = bitcast<u32>(x);
    let ab = b & F32_ABS_MASK;
    let sign = bitcast<f32>((b & F32_SIGN_MASK) | 0x3f800000u); // +-1
    // |x| clamped to 9.5 by its bits; past 9.1 tanh rounds to +-1.
    let a = bitcast<f32>(min(ab, 0x41180000u));
    let e = exp_reduce(-2.0 * a, 0.0);
    let t = pow2i(i32(e.y));
    let m = two_sum(t - 1.0, t * e.x);
    let den = 2.0 + m.x;
    var v: f32;
    if (corrected) {
        v = div2(-m.x, -m.y, den, add_err(2.0, m.x, den) + m.y);
    } else {
        v = -m.x / den;
    }
    let r = select(sign * v, sign, ab > 0x41119999u);
    // |x| < 2^-12: tanh(x) = x to within half an ULP; returning x keeps -0
    // and subnormals bit-exact (and NaN).
    return select(r, x, ab < 0x39800000u || ab > F32_INF_BITS);
}

// tanh(x) within 2 ULP (the tanh op).
fn tanh_f32(x: f32) -> f32 {
    return tanh_with(x, false);
}

// tanh(x) with its quotient corrected, for ops that build on it.
fn tanh_corrected(x: f32) -> f32 {
    return tanh_with(x, true);
}
