// Keras mish(x) = x * tanh(softplus(x)). With e = exp(x),
// tanh(log(1 + e)) = e (e + 2) / (e (e + 2) + 2), and with e' = exp(-x),
// (1 + 2e') / (1 + 2e' + 2e'^2): neither form cancels, and each is evaluated
// with pairs, then one corrected division. x enters as mx 2^kx (mx in
// [1, 2)), so that x times the numerator is exact even for tiny x; scaling
// the quotient by 2^kx rounds only when the result is subnormal.
fn activate(x: f32) -> f32 {
    let b = bitcast<u32>(x);
    if (is_nan_bits(b) || (b & F32_ABS_MASK) == 0u || b == F32_INF_BITS) {
        return x;
    }
    if (b == F32_NEG_INF_BITS) {
        return -0.0;
    }
    // Past 20, 2e'^2 < 2^-56: the result is x.
    if (x > 20.0) {
        return x;
    }
    let fx = ef_frexp(x);
    let mx = fx.x;
    if (x > 0.0) {
        let p = ef_exp_parts(-x, 0.0);
        let eh = ef_scale(p.x, p.z);
        let el = ef_scale(p.y, p.z);
        // n = 1 + 2e', d = n + 2e'^2 (2e' may exceed 1: 2Sum).
        let n = ef_two_sum(1.0, 2.0 * eh);
        let nl = n.y + 2.0 * el;
        let sq = ef_two_prod(eh, eh);
        let d = ef_two_sum(n.x, 2.0 * sq.x);
        let dl = d.y + (nl + 2.0 * (sq.y + 2.0 * eh * el));
        let num = ef_two_prod(mx, n.x);
        return ef_scale(ef_div2(num.x, num.y + mx * nl, d.x, dl), fx.y);
    }
    if (x >= -20.0) {
        let p = ef_exp_parts(x, 0.0);
        let eh = ef_scale(p.x, p.z);
        let el = ef_scale(p.y, p.z);
        // n = e (e + 2), d = n + 2.
        let tp = ef_two_sum(2.0, eh);
        let t = tp.x;
        let tl = tp.y + el;
        let n = ef_two_prod(eh, t);
        let nl = n.y + (eh * tl + el * t);
        let d = ef_two_sum(n.x, 2.0);
        let num = ef_two_prod(mx, n.x);
        return ef_scale(ef_div2(num.x, num.y + mx * nl, d.x, d.y + nl), fx.y);
    }
    // x < -20: x exp(x) to within 2^-29 relative (the ratio is
    // e (1 - e/2 + ...)); x * p stays near |x|, so the one scaling by 2^n
    // rounds once even for subnormal results. Below -120 the result is 0:
    // clamping x keeps x * p finite.
    let xc = max(x, -120.0);
    let p = ef_exp_parts(xc, 0.0);
    let v = ef_two_prod(xc, p.x);
    return ef_scale(v.x + (v.y + xc * p.y), p.z);
}
