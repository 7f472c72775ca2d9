// Keras gelu(x, approximate):
//   exact:       x * Phi(x) = x/2 * (1 + erf(x / sqrt(2)))
//   approximate: x/2 * (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
//              = x * sigmoid(u), u = 2 sqrt(2/pi) (x + 0.044715 x^3)
// For x < 0 both decay like exp(-(large)) down to the subnormals: the
// exponents are carried as exact pairs (exp amplifies their rounding by
// their size, up to 120) and the exponentials as mantissa and power of two,
// applied last. gelu(-inf) = -0 (the limit; TensorFlow gives NaN),
// gelu(+inf) = inf, gelu(-0) = -0.

// The Mills-type ratio M(a) = exp(a^2 / 2) Phi(-a) for 0 <= a <= 14.5 is
// (v / 4) H(v) with v = 4 / (a + 4) in [0.216, 1]: H falls smoothly from 2
// to 0.51, and is a degree-8 polynomial in y = v - c on each of two pieces,
// v < 0.5 (c = 0.375) and v >= 0.5 (c = 0.75), within 0.04 ULP; the
// constant terms are pairs. Each constant holds (lower piece, upper piece).
const GELU_C0_HI = vec2<f32>(0.6248205, 1.1832772);
const GELU_C0_LO = vec2<f32>(-5.5538916e-9, 4.441194e-8);
const GELU_C1 = vec2<f32>(0.8913817, 2.3333306);
const GELU_C2 = vec2<f32>(1.0741861, 3.0509095);
const GELU_C3 = vec2<f32>(1.0535986, 2.5152924);
const GELU_C4 = vec2<f32>(0.77776724, 0.96746314);
const GELU_C5 = vec2<f32>(0.3395044, -0.28586587);
const GELU_C6 = vec2<f32>(-0.04466718, -0.40114322);
const GELU_C7 = vec2<f32>(-0.17677075, 0.040904958);
const GELU_C8 = vec2<f32>(-0.054304533, 0.14469275);

// 2 sqrt(2/pi) and 2 sqrt(2/pi) * 0.044715 as pairs.
const GELU_K1_HI: f32 = 1.5957692;
const GELU_K1_LO: f32 = -4.534068e-8;
const GELU_K3_HI: f32 = 0.071354814;
const GELU_K3_LO: f32 = 2.3988325e-9;

// One Horner step for a polynomial (rd.x) and its derivative (rd.y).
fn gelu_horner(rd: vec2<f32>, y: f32, c: vec2<f32>, up: bool) -> vec2<f32> {
    return vec2<f32>(fma(rd.x, y, select(c.x, c.y, up)), fma(rd.y, y, rd.x));
}

// r with its sign bit set: the result for x < 0, -0 where it rounds to 0
// (the low parts of the pairs would otherwise turn -0 into +0).
fn gelu_negative(r: f32) -> f32 {
    return bitcast<f32>(bitcast<u32>(r) | F32_SIGN_MASK);
}

// M(a) as a pair, for 0 <= a <= 14.5.
fn gelu_mills(a: f32) -> vec2<f32> {
    // v = 4 / (a + 4) as a pair: a + 4 exactly (Fast2Sum), the quotient
    // rounded once, and the exact residual's quotient for the low part (M
    // grows about as v^2, so a rounding of v would count twice). One
    // division: 4 r with r = 1 / d is the rounded 4 / d (a power of two
    // commutes with rounding), and the residual, near 2^-24 of 4, needs r to
    // a few bits only.
    let d = a + 4.0;
    let dl = gf_add_err(max(a, 4.0), min(a, 4.0), d);
    let r = 1.0 / d;
    let vh = 4.0 * r;
    let p = gf_two_prod(vh, d);
    let vl = (((4.0 - p.x) - p.y) - vh * dl) * r;
    // y = v - c is exact (v within a factor 2 of c).
    let up = vh >= 0.5;
    let y = vh - select(0.375, 0.75, up);
    var rd = vec2<f32>(select(GELU_C8.x, GELU_C8.y, up), 0.0);
    rd = gelu_horner(rd, y, GELU_C7, up);
    rd = gelu_horner(rd, y, GELU_C6, up);
    rd = gelu_horner(rd, y, GELU_C5, up);
    rd = gelu_horner(rd, y, GELU_C4, up);
    rd = gelu_horner(rd, y, GELU_C3, up);
    rd = gelu_horner(rd, y, GELU_C2, up);
    rd = gelu_horner(rd, y, GELU_C1, up);
    // H = c0 + y R as a pair, plus H'(y) vl for the low part of v.
    let yr = gf_two_prod(y, rd.x);
    let h = gf_two_sum(select(GELU_C0_HI.x, GELU_C0_HI.y, up), yr.x);
    let hl = h.y + ((yr.y + select(GELU_C0_LO.x, GELU_C0_LO.y, up))
        + fma(y, rd.y, rd.x) * vl);
    // M = H v / 4.
    let m = gf_two_prod(h.x, vh);
    return 0.25 * vec2<f32>(m.x, m.y + (h.x * vl + hl * vh));
}

// x * Phi(x) for finite x.
fn gelu_erf(x: f32) -> f32 {
    // Phi(-a) = exp(-a^2 / 2) M(a); beyond a = 14.5, x Phi(x) is below half
    // the smallest subnormal for x < 0, and Phi(x) rounds to 1 for x > 0.
    let a = min(abs(x), 14.5);
    let sq = gf_two_prod(a, a);
    let e = gf_exp_parts(-0.5 * sq.x, -0.5 * sq.y);
    let m = gelu_mills(a);
    // Phi(-a) = (q.x + ql) * 2^e.z.
    let q = gf_two_prod(m.x, e.x);
    let ql = q.y + (m.x * e.y + m.y * e.x);
    if ((bitcast<u32>(x) & F32_SIGN_MASK) != 0u) {
        if (abs(x) >= 14.5) {
            return bitcast<f32>(F32_SIGN_MASK);
        }
        // x Phi(-a), scaled last; negative, also where it rounds to 0.
        let y = gf_two_prod(x, q.x);
        return gelu_negative(gf_scale(y.x + (y.y + x * ql), e.z));
    }
    // x (1 - Phi(-a)), with 1 - Phi(-a) as a pair (Fast2Sum: Phi(-a) <= 0.5;
    // h fenced, or 1 - (1 - sh) folds to sh).
    let sh = gf_scale(q.x, e.z);
    let sl = gf_scale(ql, e.z);
    let h = fence(1.0 - sh);
    let l = ((1.0 - h) - sh) - sl;
    let y = gf_two_prod(x, h);
    return y.x + (y.y + x * l);
}

// x * sigmoid(u) for finite x.
fn gelu_tanh(x: f32) -> f32 {
    // Beyond a = 11.25, u > 119: x sigmoid(u) rounds to x for x > 0 and to
    // -0 for x < 0.
    let a = min(abs(x), 11.25);
    // u(a) = a (K1 + K3 a^2) as a pair, good to 2^-40 relative: exp(-u)
    // amplifies an error in u by u.
    let s = gf_two_prod(a, a);
    let k = gf_two_prod(GELU_K3_HI, s.x);
    let kl = k.y + (GELU_K3_HI * s.y + GELU_K3_LO * s.x);
    let v = gf_two_sum(GELU_K1_HI, k.x);
    let vl = v.y + (GELU_K1_LO + kl);
    let u = gf_two_prod(a, v.x);
    let e = gf_exp_parts(-u.x, -(u.y + a * vl));
    // 1 + exp(-u) as a pair.
    let eh = gf_scale(e.x, e.z);
    let dh = 1.0 + eh;
    let dl = gf_add_err(1.0, eh, dh) + gf_scale(e.y, e.z);
    if ((bitcast<u32>(x) & F32_SIGN_MASK) == 0u) {
        return div2(x, 0.0, dh, dl);
    }
    if (abs(x) >= 11.25) {
        return bitcast<f32>(F32_SIGN_MASK);
    }
    // x exp(-u) / (1 + exp(-u)), the numerator's power of two applied last.
    let n = gf_two_prod(x, e.x);
    return gelu_negative(gf_scale(div2(n.x, n.y + x * e.y, dh, dl), e.z));
}

fn activate(x: f32) -> f32 {
    let b = bitcast<u32>(x);
    if (!is_finite_bits(b)) {
        if (is_nan_bits(b)) {
            return x;
        }
        // +inf -> inf, -inf -> -0.
        return select(x, bitcast<f32>(F32_SIGN_MASK), b == F32_NEG_INF_BITS);
    }
    // |x| < 2^-125: in both modes gelu(x) = x/2 + x^2 / sqrt(2 pi) + ..., and
    // x/2 is a multiple of 2^-150, its bits those of x halved; at a tie the
    // positive x^2 term rounds up (toward +inf). Also keeps -0.
    let ab = b & F32_ABS_MASK;
    if (ab < 0x01000000u) {
        let neg = ab != b;
        return bitcast<f32>((b & F32_SIGN_MASK) | ((ab + select(1u, 0u, neg)) >> 1u));
    }
    if (p_approximate() != 0.0) {
        return gelu_tanh(x);
    }
    return gelu_erf(x);
}

// GELU: root -0.751791524694, |delta| <= 0.5, degree 16, max rel err 3.12e-9
const GELU_ROOT_X0 = vec2<f32>(-0.7517915368080139, 1.211444988769017e-08);
const GELU_ROOT_C0: f32 = 1.8516807265424968e-16;
const GELU_ROOT_C1 = vec2<f32>(0.43149399757385254, -5.259805480051227e-09);
const GELU_ROOT_C: array<f32, 15> = array<f32, 15>(0.38828498125076294, -0.018199676647782326, -0.11400823295116425, -0.014771522022783756, 0.01942167989909649, 0.00453922851011157, -0.002239538123831153, -0.0007448268588632345, 0.00018633974832482636, 8.615948172518983e-05, -1.121437981055351e-05, -7.748461030132603e-06, 4.3284507000862504e-07, 5.702764838133589e-07, -1.604426591583774e-09);

// GELUA: root -0.752461422071, |delta| <= 0.5, degree 16, max rel err 2.25e-8
const GELUA_ROOT_X0 = vec2<f32>(-0.7524614334106445, 1.1339627903339533e-08);
const GELUA_ROOT_C0: f32 = -1.589994794397507e-16;
const GELUA_ROOT_C1 = vec2<f32>(0.4304001033306122, -1.2305753749330961e-08);
const GELUA_ROOT_C: array<f32, 15> = array<f32, 15>(0.38751843571662903, -0.015782853588461876, -0.11394448578357697, -0.016619328409433365, 0.01968230865895748, 0.005261059384793043, -0.0024227318353950977, -0.0009274420444853604, 0.00026392764993943274, 0.00012425228487700224, -3.495617056614719e-05, -1.5950896340655163e-05, 5.918611805100227e-06, 2.4335515718121314e-06, -9.898648158923606e-07);

// Backward: Phi(x) + x phi(x), or with approximate the derivative of
// x sigmoid(u), u = 2 sqrt(2/pi) (x + 0.044715 x^3); 1 at +inf, 0 at -inf.
// Near the root (x ~ -0.752) a Taylor polynomial in x - x0; far below it
// the Gaussian (or exp(u)) is kept scaled, so a tiny derivative times a
// large dy keeps its precision; around 0, 1/2 + 2 phi(0) x.
fn grad(x: f32, dy: f32) -> f32 {
    let b = bitcast<u32>(x);
    if (is_nan_bits(b)) {
        return qnan();
    }
    if (!is_finite_bits(b)) {
        return vjp(select(0.0, 1.0, x > 0.0), dy);
    }
    let approx = p_approximate() != 0.0;
    if (abs(x) < 0x1p-20f) {
        return vjp(fma(0.797884561, x, 0.5), dy);
    }
    if (approx) {
        if (abs(x - GELUA_ROOT_X0.x) <= 0.5) {
            let p = root_poly(x, 0.0, GELUA_ROOT_X0, GELUA_ROOT_C0, GELUA_ROOT_C1, GELUA_ROOT_C);
            return vjp2(p.x, p.y, dy);
        }
        return gelu_tanh_grad(x, dy);
    }
    if (abs(x - GELU_ROOT_X0.x) <= 0.5) {
        let p = root_poly(x, 0.0, GELU_ROOT_X0, GELU_ROOT_C0, GELU_ROOT_C1, GELU_ROOT_C);
        return vjp2(p.x, p.y, dy);
    }
    return gelu_erf_grad(x, dy);
}

// Phi(x) + x phi(x) away from the root, finite x. For x < 0 with
// a = -x: exp(-a^2/2) (M(a) - a / sqrt(2 pi)), M the Mills-type ratio
// (gelu_mills; past 14.5 its asymptotic series), the exponential kept
// scaled. For x > 0: 1 - Phi(-x) + x phi(x).
fn gelu_erf_grad(x: f32, dy: f32) -> f32 {
    let a = min(abs(x), 40.0);
    let sq = gf_two_prod(a, a);
    let e = gf_exp_parts(-0.5 * sq.x, -0.5 * sq.y);
    var m = vec2<f32>(0.0, 0.0);
    if (a <= 14.5) {
        m = gelu_mills(a);
    } else {
        // M(a) = (1/a)(1 - 1/a^2 + 3/a^4 - 15/a^6 + 105/a^8) / sqrt(2 pi).
        let i2 = 1.0 / (a * a);
        let s = fma(fma(fma(fma(105.0, i2, -15.0), i2, 3.0), i2, -1.0), i2, 1.0);
        m = vec2<f32>(0.398942280 * s / a, 0.0);
    }
    // a phi(a) exp(a^2/2) = a / sqrt(2 pi) as a pair.
    let ap = gf_two_prod(a, 0.398942280);
    let apl = ap.y + a * 5.3317718e-9;
    if (x < 0.0) {
        // M(a) - a / sqrt(2 pi) < 0 here (a > 1.25).
        let c = gf_two_sum(m.x, -ap.x);
        let cl = c.y + (m.y - apl);
        let p = gf_two_prod(c.x, e.x);
        return vjp_scaled(p.x, p.y + (c.x * e.y + cl * e.x), e.z, dy);
    }
    // 1 - Phi(-a) + a phi(a) = 1 + exp(-a^2/2) (a / sqrt(2 pi) - M(a)).
    let c = gf_two_sum(ap.x, -m.x);
    let cl = c.y + (apl - m.y);
    let t = gf_two_prod(c.x, e.x);
    let th = ef_scale(t.x, e.z);
    let tl = ef_scale(t.y + (c.x * e.y + cl * e.x), e.z);
    let h = 1.0 + th;
    return vjp2(h, gf_add_err(1.0, th, h) + tl, dy);
}

// The derivative of x sigmoid(u) away from the root, finite x:
// sigmoid(u) + x sigmoid(u) sigmoid(-u) u'. For x < 0, u and x u' as pairs
// into sig_lin_grad (rounding u would cost |u| ULP).
fn gelu_tanh_grad(x: f32, dy: f32) -> f32 {
    // Past 10, u > 170: the derivative rounds to 1.
    if (x > 10.0) {
        return vjp(1.0, dy);
    }
    let a = min(abs(x), 20.0);
    let du = 1.59576912 * fma(0.134145, x * x, 1.0);
    if (x < 0.0) {
        // Past -20, u < -600: the derivative is -0 to f32 whatever dy.
        if (x < -20.0) {
            return vjp_nz(0.0, true, dy);
        }
        // u = -a (K1 + K3 a^2) and w = x u'(x) = -a (K1 + 3 K3 a^2) as pairs.
        let s = gf_two_prod(a, a);
        let k = gf_two_prod(GELU_K3_HI, s.x);
        let kl = k.y + (GELU_K3_HI * s.y + GELU_K3_LO * s.x);
        let v = gf_two_sum(GELU_K1_HI, k.x);
        let vl = v.y + (GELU_K1_LO + kl);
        let u = two_prod(a, v.x);
        let v3 = gf_two_sum(GELU_K1_HI, 3.0 * k.x);
        let v3l = v3.y + (GELU_K1_LO + 3.0 * kl);
        let w = two_prod(a, v3.x);
        return sig_lin_grad(-u.x, -(u.y + a * vl), -w.x, -(w.y + a * v3l), dy);
    }
    let u = 1.59576912 * (x + 0.044715 * x * x * x);
    let s = sigmoid_f32(u);
    let ds = dsigmoid_parts(u);
    return vjp_nz(s + x * ef_scale(ds.x, ds.y) * du, x < 0.0, dy);
}
