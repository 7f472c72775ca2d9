// sigmoid(x) = 1 / (1 + exp(-x)), for every f32 x.
// Only exp(-|x|) <= 1 is formed, so nothing overflows:
// x >= 0 gives 1 / (1 + e), x < 0 gives e / (1 + e).
fn activate(x: f32) -> f32 {
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
