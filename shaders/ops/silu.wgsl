// silu(x, beta) = x * sigmoid(beta * x) (Keras swish; tf.nn.silu's beta).
// z = beta * x is carried as an exact pair; saturation is decided from the
// exponents, so the product is never left to overflow.
fn activate(x: f32) -> f32 {
    let b = bitcast<u32>(x);
    if (is_nan_bits(b) || (b & F32_ABS_MASK) == 0u) {
        return x;
    }
    let beta = p_beta();
    let bb = bitcast<u32>(beta);
    // Zero with the sign of x: the limit of x * exp(z) as z -> -inf.
    let zero = bitcast<f32>(b & F32_SIGN_MASK);
    // sigmoid(z) -> 1 when beta and x share a sign, 0 when they do not;
    // beta = 0 gives x / 2, which is x for +-inf.
    let same = ((b ^ bb) & F32_SIGN_MASK) == 0u;
    if (!is_finite_bits(b)) {
        return select(zero, x, same || (bb & F32_ABS_MASK) == 0u);
    }
    // |z| >= 2^(eb + ex - 254): from 2^8 on, sigmoid has saturated even
    // against |x| <= 2^128. Below that |z| < 2^9: the product is safe.
    let ex = (b >> 23u) & 0xffu;
    let eb = (bb >> 23u) & 0xffu;
    if (ex + eb >= 262u) {
        return select(zero, x, same);
    }
    let z = ef_two_prod(beta, x);
    if (z.x >= 0.0) {
        // x / (1 + e), e = exp(-z); past 30, e < 2^-43 and the result is x.
        let sat = z.x > 30.0;
        let p = ef_exp_parts(-min(z.x, 30.0), select(-z.y, 0.0, sat));
        let eh = ef_scale(p.x, p.z);
        let d = 1.0 + eh;
        return div2(x, 0.0, d, add_err(1.0, eh, d) + ef_scale(p.y, p.z));
    }
    let p = ef_exp_parts(z.x, z.y);
    if (z.x >= -30.0) {
        // x e / (1 + e), e = exp(z), with e, x e and 1 + e as pairs.
        let eh = ef_scale(p.x, p.z);
        let el = ef_scale(p.y, p.z);
        let n = ef_two_prod(x, eh);
        let d = 1.0 + eh;
        return div2(n.x, n.y + x * el, d, add_err(1.0, eh, d) + el);
    }
    // z < -30: x exp(z) to within 2^-43, possibly far below the normal range.
    // x (normal here: |x| >= 30 / |beta|) splits into m 2^k, m in [1, 2),
    // so that m p is near 1 and one scaling by 2^(k + n) rounds once.
    let m = bitcast<f32>((b & 0x807fffffu) | 0x3f800000u);
    let k = f32(i32(ex) - 127);
    let v = ef_two_prod(m, p.x);
    return ef_scale(v.x + (v.y + m * p.y), p.z + k);
}
