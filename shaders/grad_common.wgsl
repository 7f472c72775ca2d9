// Shared by every backward kernel: the vector-Jacobian product d * dy with
// IEEE's special cases spelled out (a driver may fold 0 * dy to 0, and may
// assume no infinities), and derivatives kept as scaled mantissas so that a
// tiny derivative times a large dy keeps its precision.

// d * dy for a derivative d that is not NaN (finite or infinite): NaN for a
// NaN dy or an infinity times 0, else the IEEE product.
fn vjp(d: f32, dy: f32) -> f32 {
    let bd = bitcast<u32>(d);
    let by = bitcast<u32>(dy);
    if (!is_finite_bits(by) || !is_finite_bits(bd)) {
        if (is_nan_bits(by) || is_nan_bits(bd)) {
            return qnan();
        }
        if ((by & F32_ABS_MASK) == 0u || (bd & F32_ABS_MASK) == 0u) {
            return qnan();
        }
        return bitcast<f32>(F32_INF_BITS | ((bd ^ by) & F32_SIGN_MASK));
    }
    return fence(d) * dy;
}

// (mh + ml) 2^n dy rounded once, for a derivative known to be non-zero
// given as a mantissa pair (|mh| in [2^-4, 16], |ml| <= ulp(mh)) and an
// integer-valued exponent n: the mantissas multiply exactly and one scaling
// rounds, so a derivative far below the normal range (exp(-100)) times a
// large dy comes out right. An infinite dy gives an infinity (d != 0).
fn vjp_scaled(mh: f32, ml: f32, n: f32, dy: f32) -> f32 {
    let by = bitcast<u32>(dy);
    if (!is_finite_bits(by) || (by & F32_ABS_MASK) == 0u) {
        // dy = 0, +-inf or NaN: the sign of the product is all that is left.
        return vjp(select(-1.0, 1.0, mh >= 0.0), dy);
    }
    let f = ef_frexp(dy);
    let p = two_prod(mh, f.x);
    return ef_scale(p.x + (p.y + ml * f.x), n + f.y);
}

// sigmoid(z) as (q, n): sigmoid(z) = q 2^n to about half an ULP, q in
// [0.35, 1.42]. z >= 0: 1 / (1 + e); z < 0: e / (1 + e); e = exp(-|z|) kept
// as a scaled pair, so that it never underflows. Finite z.
fn sigmoid_parts(z: f32) -> vec2<f32> {
    let p = ef_exp_parts(max(-abs(z), -300.0), 0.0);
    // 1 + e: e = (p.x + p.y) 2^p.z, exact as a pair once scaled (or 1 alone
    // when e < 2^-60).
    let eh = ef_scale(p.x, p.z);
    let el = ef_scale(p.y, p.z);
    let d = ef_two_sum(1.0, eh);
    if (z >= 0.0) {
        return vec2<f32>(ef_div2(1.0, 0.0, d.x, d.y + el), 0.0);
    }
    return vec2<f32>(ef_div2(p.x, p.y, d.x, d.y + el), p.z);
}

// sigmoid(z) sigmoid(-z) = e / (1 + e)^2, e = exp(-|z|), as (q, n) with
// q 2^n the value; finite z.
fn dsigmoid_parts(z: f32) -> vec2<f32> {
    let p = ef_exp_parts(max(-abs(z), -300.0), 0.0);
    let eh = ef_scale(p.x, p.z);
    let el = ef_scale(p.y, p.z);
    let d = ef_two_sum(1.0, eh);
    let dl = d.y + el;
    // (1 + e)^2 as a pair.
    let sq = ef_two_prod(d.x, d.x);
    return vec2<f32>(ef_div2(p.x, p.y, sq.x, sq.y + 2.0 * d.x * dl), p.z);
}

// (dh + dl) * dy rounded once, for a derivative given as a pair (dl within
// an ULP of dh, dh not NaN).
fn vjp2(dh: f32, dl: f32, dy: f32) -> f32 {
    if ((bitcast<u32>(dh) & F32_ABS_MASK) == 0u || !is_finite_bits(bitcast<u32>(dh))) {
        return vjp(dh, dy);
    }
    // dh's own mantissa, so that the product stays in range (vjp_scaled's
    // precondition) whatever dh's size.
    let f = ef_frexp(dh);
    return vjp_scaled(f.x, ef_scale(dl, -f.y), f.y, dy);
}

// d * dy for a derivative that is not 0 at this x although d may have
// underflowed: an infinite dy gives an infinity with the sign of the true
// derivative (`neg`: negative); a finite one a zero.
fn vjp_nz(d: f32, neg: bool, dy: f32) -> f32 {
    if ((bitcast<u32>(d) & F32_ABS_MASK) == 0u) {
        return vjp(select(1.0, -1.0, neg), dy) * select(0.0, 1.0, !is_finite_bits(bitcast<u32>(dy)));
    }
    return vjp(d, dy);
}

// A derivative near its root x0 = (x0h, x0l) (tools/grad_roots.py), where
// every direct formula cancels: p(delta) = c0 + delta (c1 + delta R(delta)),
// R of degree 14 with coefficients c, delta = xh + xl - x0 as an exact pair.
// Returns the value as a pair (hi, lo).
fn root_poly(xh: f32, xl: f32, x0: vec2<f32>, c0: f32, c1: vec2<f32>, c: array<f32, 15>) -> vec2<f32> {
    let s = two_sum(xh, -x0.x);
    let dh = s.x;
    let dl = s.y + (xl - x0.y);
    var r = c[14];
    for (var k = 13; k >= 0; k--) {
        r = fma(r, dh, c[k]);
    }
    let q = two_sum(c1.x, dh * r);
    let ql = q.y + c1.y;
    let p = two_prod(dh, q.x);
    let h = p.x + c0;
    return vec2<f32>(h, add_err(p.x, c0, h) + (p.y + (dh * ql + dl * q.x)));
}

// E (1 + E + w) / (1 + E)^2 times dy, E = exp(uh + ul) for u < 0 kept
// scaled, w a pair: sigmoid(u) (1 + w sigmoid(-u)), the derivative of
// x sigmoid(u)-type ops (silu: u = w = z; gelu's tanh form: u(x),
// w = x u'(x)) left of their root, where rounding u would cost |u| ULP.
fn sig_lin_grad(uh: f32, ul: f32, wh: f32, wl: f32, dy: f32) -> f32 {
    let low = !(uh >= -300.0);
    let e = ef_exp_parts(select(uh, -300.0, low), select(ul, 0.0, low));
    let eh = ef_scale(e.x, e.z);
    let el = ef_scale(e.y, e.z);
    let u = two_sum(1.0, eh);
    let ul2 = u.y + el;
    let n = two_sum(u.x, wh);
    let nl = n.y + (ul2 + wl);
    let den = two_prod(u.x, u.x);
    let denl = den.y + 2.0 * u.x * ul2;
    let m = two_prod(e.x, n.x);
    let ml = m.y + (e.x * nl + e.y * n.x);
    let q = div2(m.x, ml, den.x, denl);
    return vjp_scaled(q, 0.0, e.z, dy);
}
