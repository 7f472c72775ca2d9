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

// SILU: root -1.27846454276, |delta| <= 0.5, degree 16, max rel err 9.69e-9
const SILU_ROOT_X0 = vec2<f32>(-1.2784645557403564, 1.2979282537628478e-08);
const SILU_ROOT_C0: f32 = -2.4520080156323672e-17;
const SILU_ROOT_C1 = vec2<f32>(0.2178117036819458, 2.0378543297283613e-09);
const SILU_ROOT_C: array<f32, 15> = array<f32, 15>(0.14664879441261292, 0.018874814733862877, -0.015222655609250069, -0.006606589071452618, 0.0001266274048248306, 0.0007985218544490635, 0.0001857072493294254, -4.090534275746904e-05, -2.9733542760368437e-05, -2.942631908808835e-06, 2.3460297597921453e-06, 8.599694751865172e-07, -3.0512445903241314e-08, -9.266646117112032e-08, -1.8877623020330248e-08);

// Backward: sigmoid(z) (1 + z sigmoid(-z)), z = beta x as an exact pair; the
// limits at z = +-inf (1 and 0), 1/2 for beta = 0. Near the root
// (z ~ -1.278) a Taylor polynomial; for other z < 0, exp(z) from the pair
// and kept scaled (sig_lin_grad).
fn grad(x: f32, dy: f32) -> f32 {
    if (is_nan_bits(bitcast<u32>(x))) {
        return qnan();
    }
    let beta = p_beta();
    if (beta == 0.0) {
        return vjp(0.5, dy);
    }
    // z = +-inf from a finite x (an overflowing product) is far past both
    // saturations, and takes the branches below clamped.
    let z = beta * x;
    if (!is_finite_bits(bitcast<u32>(x))) {
        return vjp(select(0.0, 1.0, z > 0.0), dy);
    }
    if (z > 0x1p100f) {
        return vjp(1.0, dy);
    }
    if (abs(z) < 0x1p-20f) {
        return vjp(fma(0.5, z, 0.5), dy);
    }
    // z as an exact pair where the product is well inside the range.
    var zp = vec2<f32>(z, 0.0);
    if (abs(z) > 0x1p-100f && abs(z) < 0x1p100f) {
        zp = two_prod(beta, x);
    }
    if (abs(z - SILU_ROOT_X0.x) <= 0.5) {
        let p = root_poly(zp.x, zp.y, SILU_ROOT_X0, SILU_ROOT_C0, SILU_ROOT_C1, SILU_ROOT_C);
        return vjp2(p.x, p.y, dy);
    }
    if (z < 0.0) {
        // Left of the root region: z as a pair into exp; below -300 the
        // result is a signed zero whatever dy (clamped, so nothing overflows).
        let zc = select(zp, vec2<f32>(-300.0, 0.0), !(z >= -300.0));
        return sig_lin_grad(zc.x, zc.y, zc.x, zc.y, dy);
    }
    let s = sigmoid_parts(z);
    let sn = sigmoid_parts(-z);
    let w = two_prod(z, ef_scale(sn.x, sn.y));
    let g = two_sum(1.0, w.x);
    let gh = g.x;
    let gl = g.y + w.y;
    let p = ef_two_prod(s.x, gh);
    return vjp_scaled(p.x, p.y + s.x * gl, s.y, dy);
}
