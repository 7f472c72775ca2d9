use super::math::*;

// The exponential family (elu, celu, selu, exponential, softplus,
// log_sigmoid, silu, mish) as in `shaders/ops/*.wgsl` and
// `shaders/shared_exp.wgsl`: the same pairs (hi + lo carrying rounding
// errors) and the same reduction, as branch-free code (every side computed,
// one selected) so that the loops vectorise.

/// ln(2) below `LN2_HI + LN2_LO`: the reduction stays exact to 2^-40 up to
/// |x| = 1000.
const LN2_LO2: f32 = 1.646_595e-12;
/// ln(2) as an f32 pair.
const LN2_H: f32 = std::f32::consts::LN_2;
const LN2_L: f32 = -1.904_654_2e-9;
/// selu's scale and scale * alpha as f32 pairs.
const SELU_SCALE_H: f32 = 1.050_701;
const SELU_SCALE_L: f32 = -3.479_265_2e-8;
const SELU_SA_H: f32 = 1.758_099_3;
const SELU_SA_L: f32 = 2.329_671_7e-8;
/// The largest x whose selu (`scale * x`) is finite.
const SELU_MAX: f32 = f32::from_bits(0x7f73_a598);
/// The largest x whose exp is finite.
const EXP_MAX: f32 = f32::from_bits(0x42b1_7217);
/// An integer-valued `n` (|n| < 2^22) as an i32, without a saturating
/// conversion.
#[inline(always)]
fn to_int(n: f32) -> i32 {
    (n + ROUND_MAGIC).to_bits() as i32 - 0x4b40_0000
}

/// `v * 2^n` for an integer-valued `n`, clamped to [-252, 254] (beyond, the
/// result is 0 or past the range anyway); a subnormal result is rounded once.
#[inline(always)]
pub(crate) fn scale_wide(v: f32, n: f32) -> f32 {
    scale(v, to_int(n.clamp(-252.0, 254.0)))
}

/// `exp(dh + dl) = 2^n (1 + mh + ml)`, returned as `(mh, ml, n)`, for
/// |dh| <= 1000 and |dl| <= 2^-8 (relative error near 2^-30).
#[inline(always)]
pub(crate) fn exp_red<const F: bool>(dh: f32, dl: f32) -> (f32, f32, f32) {
    let n = (dh * LOG2E + ROUND_MAGIC) - ROUND_MAGIC;
    // Exact: n * LN2_HI has at most 24 bits and lies within a factor two of dh.
    let r0 = dh - n * LN2_HI;
    let (c, ce) = two_prod::<F>(n, LN2_LO);
    let (rh, se) = two_sum(r0, -c);
    let rl = (se - (ce + n * LN2_LO2)) + dl;
    let (mh, ml) = expm1_pair::<F>(rh);
    (mh, ml + rl * (1.0 + mh), n)
}

/// `exp(dh + dl) = (ph + pl) 2^n`, returned as `(ph, pl, n)`, ph in
/// [0.7, 1.42]; the caller scales (see [`scale_wide`]).
#[inline(always)]
pub(crate) fn exp_parts<const F: bool>(dh: f32, dl: f32) -> (f32, f32, f32) {
    let (mh, ml, n) = exp_red::<F>(dh, dl);
    let ph = 1.0 + mh;
    (ph, add_err(1.0, mh, ph) + ml, n)
}

/// `exp(xh + xl) - 1` as a pair, for xh <= 0.34 (also -inf) and
/// |xl| <= ulp(xh): `(2^n - 1) + 2^n m` with both sums carried exactly.
#[inline(always)]
pub(crate) fn expm1_hl<const F: bool>(xh: f32, xl: f32) -> (f32, f32) {
    // Below -80 the pair is -1 to within 2^-115.
    let low = xh < -80.0;
    let (mh, ml, n) = exp_red::<F>(if low { -80.0 } else { xh }, if low { 0.0 } else { xl });
    let t = pow2i(to_int(n));
    let c = t - 1.0;
    let cl = add_err(-1.0, t, c);
    let a = t * mh;
    let h = c + a;
    (h, add_err(c, a, h) + (cl + t * ml))
}

/// `log(1 + xh + xl)` as a pair, for xh in [0, 1] and |xl| <= ulp(xh):
/// `k ln2 + 2 atanh(u / (2 + u))` with `1 + x = 2^k (1 + u)`, |s| <= 0.2.
#[inline(always)]
pub(crate) fn log1p_hl<const F: bool>(xh: f32, xl: f32) -> (f32, f32) {
    let big = xh > 0.5;
    let k = if big { 1.0 } else { 0.0 };
    let u = if big { (xh - 1.0) * 0.5 } else { xh };
    let ul = if big { xl * 0.5 } else { xl };
    let d = 2.0 + u;
    let dl = add_err(2.0, u, d) + ul;
    let s = u / d;
    let (p, pe) = two_prod::<F>(s, d);
    let sl = (((u - p) - pe) + (ul - s * dl)) / d;
    let s2 = s * s;
    let mut q = 9.090_909e-2;
    for c in [0.111_111_11, 0.142_857_15, 0.2, 0.333_333_34] {
        q = fma::<F>(q, s2, c);
    }
    let t = 2.0 * s;
    let h = k * LN2_H + t;
    let l = add_err(k * LN2_H, t, h) + (k * LN2_L + (2.0 * sl + t * (s2 * q)));
    (h, l)
}

/// Keras elu: `x` for `x > 0`, else `alpha * (exp(x) - 1)`.
#[inline(always)]
pub(crate) fn elu<const F: bool>(x: f32, alpha: f32) -> f32 {
    let (mh, ml) = expm1_hl::<F>(x.min(0.0), 0.0);
    let (p, pe) = two_prod::<F>(alpha, mh);
    let neg = p + (pe + alpha * ml);
    if x > 0.0 || x.is_nan() {
        x
    } else if x == 0.0 {
        alpha * x
    } else {
        neg
    }
}

/// Keras celu: `x` for `x >= 0`, else `alpha * (exp(x / alpha) - 1)`,
/// alpha > 0; `x / alpha` carried as an exact pair.
#[inline(always)]
pub(crate) fn celu<const F: bool>(x: f32, alpha: f32) -> f32 {
    // z below about -128 (-inf included): the result rounds to -alpha.
    let sat = x * 0.007_812_5 < -alpha;
    let xs = if sat { 0.0 } else { x };
    let q = xs / alpha;
    let (p, pe) = two_prod::<F>(q, alpha);
    let ql = ((xs - p) - pe) / alpha;
    // Near 0: x + x w, w = expm1(z) / z - 1 (no division of x survives).
    let mut w = 2.755_731_9e-6;
    for c in [
        2.480_158_8e-5,
        1.984_127e-4,
        1.388_888_9e-3,
        8.333_334e-3,
        4.166_666_8e-2,
        0.166_666_67,
        0.5,
    ] {
        w = fma::<F>(w, q, c);
    }
    let zw = fma::<F>(w, q, ql * fma::<F>(q, 0.333_333_34, 0.5));
    let small = fma::<F>(xs, zw, xs);
    let (mh, ml) = expm1_hl::<F>(q.min(0.0), ql);
    let (p, pe) = two_prod::<F>(alpha, mh);
    let large = p + (pe + alpha * ml);
    if x >= 0.0 || x.is_nan() {
        x
    } else if sat {
        -alpha
    } else if q > -0.34 {
        small
    } else {
        large
    }
}

/// Keras selu: `scale * x` for `x > 0`, else `scale * alpha * (exp(x) - 1)`.
#[inline(always)]
pub(crate) fn selu<const F: bool>(x: f32) -> f32 {
    let (ph, pe) = two_prod::<F>(SELU_SCALE_H, x);
    let pos = ph + (pe + SELU_SCALE_L * x);
    let (mh, ml) = expm1_hl::<F>(x.min(0.0), 0.0);
    let (p, q) = two_prod::<F>(SELU_SA_H, mh);
    let neg = p + (q + (SELU_SA_H * ml + SELU_SA_L * mh));
    if x.is_nan() || x == 0.0 {
        x
    } else if x > SELU_MAX {
        f32::INFINITY
    } else if x > 0.0 {
        pos
    } else {
        neg
    }
}

/// Keras exponential: `exp(x)`, one rounding (subnormal results too).
#[inline(always)]
pub(crate) fn exponential<const F: bool>(x: f32) -> f32 {
    let (ph, pl, n) = exp_parts::<F>(x.clamp(-104.5, EXP_MAX), 0.0);
    let v = scale_wide(ph + pl, n);
    if x.is_nan() {
        x
    } else if x > EXP_MAX {
        f32::INFINITY
    } else {
        v
    }
}

/// Keras softplus: `max(x, 0) + log1p(exp(-|x|))`, exp(x) below -20.
#[inline(always)]
pub(crate) fn softplus<const F: bool>(x: f32) -> f32 {
    let (ph, pl, n) = exp_parts::<F>(-x.abs().min(104.5), 0.0);
    let tiny = scale_wide(ph + pl, n);
    let (lh, ll) = log1p_hl::<F>(scale_wide(ph, n), scale_wide(pl, n));
    let (s, se) = two_sum(x, lh);
    let v = if x > 0.0 {
        s + (se + ll)
    } else if x < -20.0 {
        tiny
    } else {
        lh + ll
    };
    if x.is_nan() || x == f32::INFINITY {
        x
    } else {
        v
    }
}

/// Keras log_sigmoid: `-softplus(-x)`.
#[inline(always)]
pub(crate) fn log_sigmoid<const F: bool>(x: f32) -> f32 {
    let v = -softplus::<F>(-x);
    if x.is_nan() { x } else { v }
}

/// silu / swish: `x * sigmoid(beta * x)`, `beta * x` an exact pair whose
/// overflow is decided from the exponents.
#[inline(always)]
pub(crate) fn silu<const F: bool>(x: f32, beta: f32) -> f32 {
    let (b, bb) = (x.to_bits(), beta.to_bits());
    let zero = f32::from_bits(b & 0x8000_0000);
    let same = ((b ^ bb) & 0x8000_0000) == 0;
    let ex = (b >> 23) & 0xff;
    let eb = (bb >> 23) & 0xff;
    // |beta x| >= 2^8 from here: sigmoid has saturated even against |x|.
    let sat = ex + eb >= 262;
    let (zh, zl) = two_prod::<F>(beta, x);
    let pos = zh >= 0.0;
    // exp(-|z|), up to 600 (any further is 0 anyway).
    let a = zh.abs().min(600.0);
    let (ph, pl, n) = exp_parts::<F>(-a, if pos { -zl } else { zl });
    let (eh, el) = (scale_wide(ph, n), scale_wide(pl, n));
    let d = 1.0 + eh;
    let dl = add_err(1.0, eh, d) + el;
    // z >= 0: x / (1 + e); z in [-30, 0): x e / (1 + e).
    let up = div2_exact::<F>(x, 0.0, d, dl);
    let (nh, ne) = two_prod::<F>(x, eh);
    let mid = div2_exact::<F>(nh, ne + x * el, d, dl);
    // z < -30: x exp(z), x = m 2^k with m in [1, 2) (x is normal there).
    let m = f32::from_bits((b & 0x807f_ffff) | 0x3f80_0000);
    let k = ex as f32 - 127.0;
    let (vh, ve) = two_prod::<F>(m, ph);
    let far = scale_wide(vh + (ve + m * pl), n + k);
    let v = if pos {
        if zh > 30.0 { x } else { up }
    } else if zh >= -30.0 {
        mid
    } else {
        far
    };
    let lim = if same || (beta == 0.0 && !x.is_finite()) {
        x
    } else {
        zero
    };
    if x.is_nan() || x == 0.0 {
        x
    } else if sat || !x.is_finite() {
        lim
    } else {
        v
    }
}

/// Keras mish: `x * tanh(softplus(x))` as `x e(e + 2) / (e(e + 2) + 2)`
/// (e = exp(x), x <= 0) or `x (1 + 2e) / (1 + 2e + 2e^2)` (e = exp(-x)).
#[inline(always)]
pub(crate) fn mish<const F: bool>(x: f32) -> f32 {
    let a = x.abs().min(120.0);
    let (ph, pl, n) = exp_parts::<F>(-a, 0.0);
    let (eh, el) = (scale_wide(ph, n), scale_wide(pl, n));
    // 0 < x <= 20.
    let (n1, n1e) = two_sum(1.0, 2.0 * eh);
    let n1l = n1e + 2.0 * el;
    let (sq, sqe) = two_prod::<F>(eh, eh);
    let (d1, d1e) = two_sum(n1, 2.0 * sq);
    let d1l = d1e + (n1l + 2.0 * (sqe + 2.0 * eh * el));
    let (u1, u1e) = two_prod::<F>(x, n1);
    let pos = div2_exact::<F>(u1, u1e + x * n1l, d1, d1l);
    // -20 <= x < 0.
    let t = 2.0 + eh;
    let tl = add_err(2.0, eh, t) + el;
    let (n2, n2e) = two_prod::<F>(eh, t);
    let n2l = n2e + (eh * tl + el * t);
    let (d2, d2e) = two_sum(n2, 2.0);
    let (u2, u2e) = two_prod::<F>(x, n2);
    let mid = div2_exact::<F>(u2, u2e + x * n2l, d2, d2e + n2l);
    // x < -20: x exp(x) (0 below -120).
    let xc = x.max(-120.0);
    let (vh, ve) = two_prod::<F>(xc, ph);
    let far = scale_wide(vh + (ve + xc * pl), n);
    let v = if x > 20.0 {
        x
    } else if x > 0.0 {
        pos
    } else if x >= -20.0 {
        mid
    } else {
        far
    };
    if x.is_nan() || x == 0.0 { x } else { v }
}
