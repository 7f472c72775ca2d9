// silu(x, beta) = x * sigmoid(beta * x) (Keras swish; tf.nn.silu's beta).
// With x = mx 2^kx and beta = mb 2^kb (mantissas in [1, 2)), z = beta * x is
// the exact pair mx mb 2^(kx + kb), and the result is mx sigmoid(z) 2^kx:
// every exact product then works on mantissas, whatever the exponents, and
// the final scaling rounds only when the result is subnormal. Saturation is
// decided from the exponents, so the product is never left to overflow.
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
    // against |x| <= 2^128. Below that |z| < 2^9.
    let ex = (b >> 23u) & 0xffu;
    let eb = (bb >> 23u) & 0xffu;
    if (ex + eb >= 262u) {
        return select(zero, x, same);
    }
    let fx = ef_frexp(x);
    let fb = ef_frexp(beta);
    let mx = fx.x;
    // beta = +-0 gives z = 0. Below 2^-100 the low part of z may be lost to
    // underflow, where it no longer matters.
    let zp = ef_two_prod(mx, fb.x);
    let z = vec2<f32>(ef_scale(zp.x, fx.y + fb.y), ef_scale(zp.y, fx.y + fb.y));
    if (z.x >= 0.0) {
        // mx / (1 + e), e = exp(-z); past 30, e < 2^-43 and the result is x.
        if (z.x > 30.0) {
            return x;
        }
        let p = ef_exp_parts(-z.x, -z.y);
        let eh = ef_scale(p.x, p.z);
        let d = ef_two_sum(1.0, eh);
        let v = ef_div2(mx, 0.0, d.x, d.y + ef_scale(p.y, p.z));
        return ef_scale(v, fx.y);
    }
    let p = ef_exp_parts(z.x, z.y);
    if (z.x >= -30.0) {
        // mx e / (1 + e), e = exp(z), with e, mx e and 1 + e as pairs.
        let eh = ef_scale(p.x, p.z);
        let el = ef_scale(p.y, p.z);
        let n = ef_two_prod(mx, eh);
        let d = ef_two_sum(1.0, eh);
        let v = ef_div2(n.x, n.y + mx * el, d.x, d.y + el);
        return ef_scale(v, fx.y);
    }
    // z < -30: x exp(z) to within 2^-43, possibly far below the normal range:
    // mx p is near 1, so one scaling by 2^(kx + n) rounds once.
    let v = ef_two_prod(mx, p.x);
    return ef_scale(v.x + (v.y + mx * p.y), p.z + fx.y);
}
