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

// MISH: root -1.19243121452, |delta| <= 0.5, degree 16, max rel err 1.89e-8
const MISH_ROOT_X0 = vec2<f32>(-1.1924312114715576, -3.0439375464652585e-09);
const MISH_ROOT_C0: f32 = 1.2942923995938663e-17;
const MISH_ROOT_C1 = vec2<f32>(0.2669479250907898, -1.1041255021382312e-08);
const MISH_ROOT_C: array<f32, 15> = array<f32, 15>(0.2047312706708908, 0.04190782085061073, -0.020271822810173035, -0.015821127220988274, -0.003360684961080551, 0.0010924055241048336, 0.000989818130619824, 0.0002541293506510556, -4.196149529889226e-05, -5.5828913900768384e-05, -1.7299271348747425e-05, 9.427361078451213e-07, 2.908819851654698e-06, 1.0716767064877786e-06, 2.687941780266101e-08);

// Backward: tanh(sp) + x sech(sp)^2 sigmoid(x), sp = softplus(x); 1 at +inf,
// 0 at -inf. Near the root (x ~ -1.192) a Taylor polynomial; below -25,
// exp(x) (1 + x) to within exp(x) relative, the exponential kept scaled.
fn grad(x: f32, dy: f32) -> f32 {
    let b = bitcast<u32>(x);
    if (is_nan_bits(b)) {
        return qnan();
    }
    if (!is_finite_bits(b)) {
        return vjp(select(0.0, 1.0, x > 0.0), dy);
    }
    if (abs(x - MISH_ROOT_X0.x) <= 0.5) {
        let p = root_poly(x, 0.0, MISH_ROOT_X0, MISH_ROOT_C0, MISH_ROOT_C1, MISH_ROOT_C);
        return vjp2(p.x, p.y, dy);
    }
    if (x < -25.0) {
        let e = ef_exp_parts(max(x, -300.0), 0.0);
        let c = 1.0 + max(x, -300.0);
        let p = ef_two_prod(c, e.x);
        return vjp_scaled(p.x, p.y + c * e.y, e.z, dy);
    }
    if (x < 0.0) {
        return mish_grad_negative(x, dy);
    }
    let sp = ef_softplus(x);
    let t = tanh_corrected(sp);
    let d2 = dsigmoid_parts(2.0 * min(sp, 200.0));
    let sech2 = ef_scale(d2.x, d2.y + 2.0);
    let s = sigmoid_parts(x);
    return vjp_nz(t + x * sech2 * ef_scale(s.x, s.y), x < 0.0, dy);
}

// For -25 <= x < 0 away from the root, with e = exp(x), u = 1 + e and
// D = 1 + u^2: tanh(sp) = e (2 + e) / D, sech(sp)^2 = 4 u^2 / D^2 and
// sigmoid(x) = e / u, so the derivative is e ((2 + e) D + 4 x u) / D^2.
// Every factor is carried as a pair, so the cancellation in the bracket
// (up to 2.2x here) costs nothing.
fn mish_grad_negative(x: f32, dy: f32) -> f32 {
    let p = ef_exp_parts(x, 0.0);
    let eh = ef_scale(p.x, p.z);
    let el = ef_scale(p.y, p.z);
    let u = two_sum(1.0, eh);
    let ul = u.y + el;
    let sq = two_prod(u.x, u.x);
    let d = two_sum(1.0, sq.x);
    let dl = d.y + (sq.y + 2.0 * u.x * ul);
    let t = two_sum(2.0, eh);
    let tl = t.y + el;
    let a = two_prod(t.x, d.x);
    let al = a.y + (t.x * dl + tl * d.x);
    let b = two_prod(4.0 * x, u.x);
    let bl = b.y + 4.0 * x * ul;
    let n = two_sum(a.x, b.x);
    let nl = n.y + (al + bl);
    let num = two_prod(eh, n.x);
    let numl = num.y + (eh * nl + el * n.x);
    let d2 = two_prod(d.x, d.x);
    let d2l = d2.y + 2.0 * d.x * dl;
    return vjp(div2(num.x, numl, d2.x, d2l), dy);
}
