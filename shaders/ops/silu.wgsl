// silu(x, beta) = x * sigmoid(beta * x) (Keras swish; tf.nn.silu's beta).
// z = beta * x is formed as an exact pair (exp(-|z|) would amplify its
// rounding by |z|); where that product leaves the normal range, sigmoid has
// saturated (or z is too small to matter). With x = mx 2^kx (mx in [1, 2))
// and e = exp(-|z|) = p 2^n, z >= 0 gives mx / (1 + e) and z < 0 gives
// mx p / (1 + e), scaled last by 2^kx or 2^(kx + n): one rounding even for
// subnormal results, and no separate far range (1 + e is then 1).
// Branch-free; |z| is clamped to 200, past every saturation.
fn activate(x: f32) -> f32 {
    let b = bitcast<u32>(x);
    let beta = p_beta();
    let bb = bitcast<u32>(beta);
    // +-0, +-inf and NaN are selected last; 1 stands in for them.
    let special = !is_finite_bits(b) || (b & F32_ABS_MASK) == 0u;
    let xs = select(x, 1.0, special);
    let fx = ef_frexp(xs);
    let mx = fx.x;
    let zp = two_prod(beta, xs);
    // |z| clamped to 200 by its bits (an overflowing product included).
    let za = bitcast<u32>(zp.x) & F32_ABS_MASK;
    let sat = za >= 0x43480000u;
    let a = bitcast<f32>(min(za, 0x43480000u));
    let neg = zp.x < 0.0;
    let zl = select(zp.y, 0.0, sat);
    let p = exp_pair(-a, select(-zl, zl, neg));
    // 1 + e as a pair; below 2^-126 e no longer changes 1 + e.
    let s = pow2i(i32(max(p.z, -126.0)));
    let eh = p.x * s;
    let d = 1.0 + eh;
    let dl = add_err(1.0, eh, d) + p.y * s;
    let nm = two_prod(mx, p.x);
    let v = div2(select(mx, nm.x, neg), select(0.0, nm.y + mx * p.y, neg), d, dl);
    let r = ef_scale(v, fx.y + select(0.0, p.z, neg));
    // +-inf: sigmoid(z) -> 1 when beta and x share a sign, 0 when they do
    // not (zero with the sign of x); beta = 0 gives x / 2 = x.
    let same = ((b ^ bb) & F32_SIGN_MASK) == 0u;
    let at_inf = select(bitcast<f32>(b & F32_SIGN_MASK), x, same || (bb & F32_ABS_MASK) == 0u);
    let nan_or_zero = is_nan_bits(b) || (b & F32_ABS_MASK) == 0u;
    return select(select(r, at_inf, !is_finite_bits(b)), x, nan_or_zero);
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
