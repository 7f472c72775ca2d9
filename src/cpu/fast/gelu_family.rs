use super::math::*;

// The gelu family (gelu, tanh_shrink, softsign, squareplus) as in
// `shaders/ops/*.wgsl` and `shaders/shared_gelu.wgsl`: the same pairs
// (hi + lo carrying rounding errors), the same polynomials and the same
// exponentials split into mantissa and power of two, as branch-free code
// (every side computed, one selected) so that the loops vectorise.

/// `exp(dh + dl) = (ph + pl) * 2^n` with ph in [0.7, 1.42], for
/// -120 <= dh <= 0 and |dl| <= 2^-6. The caller multiplies first and scales
/// last, so nothing underflows before the final result.
#[inline(always)]
fn exp_parts<const F: bool>(dh: f32, dl: f32) -> (f32, f32, i32) {
    let t = dh * LOG2E + ROUND_MAGIC;
    let n = t - ROUND_MAGIC;
    let ni = t.to_bits() as i32 - 0x4b40_0000;
    // dh - n * LN2_HI is exact; the reduced argument is kept as a pair.
    let (rh, rl) = two_sum(dh - n * LN2_HI, dl - n * LN2_LO);
    let (mh, ml) = expm1_pair::<F>(rh);
    let ph = 1.0 + mh;
    (ph, add_err(1.0, mh, ph) + ml + ph * rl, ni)
}

/// `M(a) = exp(a^2 / 2) Phi(-a) = (v / 4) H(v)`, `v = 4 / (a + 4)`: H on two
/// pieces of degree 8 in `y = v - c` (lower, upper), constant terms as pairs.
const GELU_C0_HI: [f32; 2] = [0.624_820_5, 1.183_277_2];
const GELU_C0_LO: [f32; 2] = [-5.553_891_6e-9, 4.441_194e-8];
/// c8 down to c1.
const GELU_C: [[f32; 2]; 8] = [
    [-0.054_304_533, 0.144_692_75],
    [-0.176_770_75, 0.040_904_958],
    [-0.044_667_18, -0.401_143_22],
    [0.339_504_4, -0.285_865_87],
    [0.777_767_24, 0.967_463_14],
    [1.053_598_6, 2.515_292_4],
    [1.074_186_1, 3.050_909_5],
    [0.891_381_7, 2.333_330_6],
];
/// `2 sqrt(2/pi)` and `2 sqrt(2/pi) * 0.044715` as pairs.
const GELU_K1_HI: f32 = 1.595_769_2;
const GELU_K1_LO: f32 = -4.534_068e-8;
const GELU_K3_HI: f32 = 0.071_354_814;
const GELU_K3_LO: f32 = 2.398_832_5e-9;

/// `M(a)` as a pair, for 0 <= a <= 14.5.
#[inline(always)]
fn gelu_mills<const F: bool>(a: f32) -> (f32, f32) {
    let d = a + 4.0;
    let dl = add_err(a.max(4.0), a.min(4.0), d);
    let vh = div2_exact::<F>(4.0, 0.0, d, dl);
    let (p, pe) = two_prod::<F>(vh, d);
    let vl = (((4.0 - p) - pe) - vh * dl) / d;
    let up = vh >= 0.5;
    let pick = |c: [f32; 2]| if up { c[1] } else { c[0] };
    // y is exact (v within a factor 2 of c); R(y) and R'(y) by Horner.
    let y = vh - if up { 0.75 } else { 0.375 };
    let mut r = pick(GELU_C[0]);
    let mut dr = 0.0;
    for c in &GELU_C[1..] {
        dr = fma::<F>(dr, y, r);
        r = fma::<F>(r, y, pick(*c));
    }
    // H = c0 + y R as a pair, plus H'(y) vl for the low part of v.
    let yr = y * r;
    let (hh, he) = two_sum(pick(GELU_C0_HI), yr);
    let hl = he + ((fma1::<F>(y, r, -yr) + pick(GELU_C0_LO)) + fma::<F>(y, dr, r) * vl);
    let (mh, me) = two_prod::<F>(hh, vh);
    let ml = me + (hh * vl + hl * vh);
    (0.25 * mh, 0.25 * ml)
}

/// `x * Phi(x)`: `Phi(-|x|) = exp(-x^2 / 2) M(|x|)`, the exponent an exact
/// pair and its power of two applied last.
#[inline(always)]
fn gelu_erf<const F: bool>(x: f32) -> f32 {
    let a = x.abs().min(14.5);
    let (sh, sl) = two_prod::<F>(a, a);
    let (ph, pl, n) = exp_parts::<F>(-0.5 * sh, -0.5 * sl);
    let (mh, ml) = gelu_mills::<F>(a);
    let (qh, qe) = two_prod::<F>(mh, ph);
    let ql = qe + (mh * pl + ml * ph);
    // x < 0: x Phi(-|x|), -0 where it rounds to 0 (also past 14.5, where it
    // is below half the smallest subnormal).
    let (yh, ye) = two_prod::<F>(x, qh);
    let neg = -scale(yh + (ye + x * ql), n).abs();
    let neg = if x <= -14.5 { -0.0 } else { neg };
    // x >= 0: x (1 - Phi(-x)), which rounds to x past 14.5.
    let (sh, sl) = (scale(qh, n), scale(ql, n));
    let h = 1.0 - sh;
    let l = ((1.0 - h) - sh) - sl;
    let (yh, ye) = two_prod::<F>(x, h);
    let pos = yh + (ye + x * l);
    let pos = if x >= 14.5 { x } else { pos };
    if x.is_nan() {
        x
    } else if x.is_sign_negative() {
        neg
    } else {
        pos
    }
}

/// `x * sigmoid(u)`, `u = a (K1 + K3 a^2)` as an exact-enough pair (exp(-u)
/// amplifies its error by u, up to 120).
#[inline(always)]
fn gelu_tanh<const F: bool>(x: f32) -> f32 {
    let a = x.abs().min(11.25);
    let (sh, sl) = two_prod::<F>(a, a);
    let (kh, ke) = two_prod::<F>(GELU_K3_HI, sh);
    let kl = ke + (GELU_K3_HI * sl + GELU_K3_LO * sh);
    let (vh, ve) = two_sum(GELU_K1_HI, kh);
    let vl = ve + (GELU_K1_LO + kl);
    let (uh, ue) = two_prod::<F>(a, vh);
    let (ph, pl, n) = exp_parts::<F>(-uh, -(ue + a * vl));
    // 1 + exp(-u) as a pair.
    let eh = scale(ph, n);
    let dh = 1.0 + eh;
    let dl = add_err(1.0, eh, dh) + scale(pl, n);
    // x >= 0: x / (1 + exp(-u)), which is x past 11.25.
    let pos = div2_exact::<F>(x, 0.0, dh, dl);
    let pos = if x >= 11.25 { x } else { pos };
    // x < 0: x exp(-u) / (1 + exp(-u)), the power of two applied last; -0
    // where it rounds to 0 (also past 11.25, where it is below half the
    // smallest subnormal).
    let (nh, ne) = two_prod::<F>(x, ph);
    let neg = -scale(div2_exact::<F>(nh, ne + x * pl, dh, dl), n).abs();
    let neg = if x <= -11.25 { -0.0 } else { neg };
    if x.is_nan() {
        x
    } else if x.is_sign_negative() {
        neg
    } else {
        pos
    }
}

/// Keras gelu, as in `shaders/ops/gelu.wgsl`: `x * Phi(x)`, or with
/// `approximate` `x * sigmoid(2 sqrt(2/pi) (x + 0.044715 x^3))`.
#[inline(always)]
pub(crate) fn gelu<const F: bool>(x: f32, approximate: bool) -> f32 {
    let r = if approximate {
        gelu_tanh::<F>(x)
    } else {
        gelu_erf::<F>(x)
    };
    // |x| < 2^-125: x/2 + x^2 / sqrt(2 pi) in both modes, x/2 a multiple of
    // 2^-150: the bits of x halved, a tie rounding up (toward +inf).
    let b = x.to_bits();
    let ab = b & 0x7fff_ffff;
    let tiny = f32::from_bits((b & 0x8000_0000) | ((ab + (ab == b) as u32) >> 1));
    if ab < 0x0100_0000 { tiny } else { r }
}

/// `(x - tanh(x)) / x^3` for `s = x^2` in [0, 1]: c0 (1/3) as a pair, then
/// c7 down to c1.
const TANH_SHRINK_C0_HI: f32 = 0.333_333_34;
const TANH_SHRINK_C0_LO: f32 = -9.934_108e-9;
const TANH_SHRINK_C: [f32; 7] = [
    -1.448_938_1e-4,
    9.313_831_7e-4,
    -3.218_629e-3,
    8.706_874e-3,
    -2.183_323_2e-2,
    5.396_418_3e-2,
    -0.133_333_18,
];

/// `x - tanh(x)`, as in `shaders/ops/tanh_shrink.wgsl`: `x^3 P(x^2)` below
/// |x| = 1, `(|x| - 1) + 2e / (1 + e)` with `e = exp(-2|x|)` from there.
#[inline(always)]
pub(crate) fn tanh_shrink<const F: bool>(x: f32) -> f32 {
    let a = x.abs();
    // |x| < 1: x^2, P and x^3 as pairs, one rounding at the end.
    let xs = x.clamp(-1.0, 1.0);
    let (sh, sl) = two_prod::<F>(xs, xs);
    let mut r = TANH_SHRINK_C[0];
    for c in &TANH_SHRINK_C[1..] {
        r = fma::<F>(r, sh, *c);
    }
    let ph = sh * r;
    let qh = TANH_SHRINK_C0_HI + ph;
    let ql =
        add_err(TANH_SHRINK_C0_HI, ph, qh) + ((fma1::<F>(sh, r, -ph) + TANH_SHRINK_C0_LO) + sl * r);
    // x^3 P scaled by 2^40 below |x| = 2^-20, so that the low parts of the
    // products stay normal while the result is.
    let tiny = a < pow2i(-20);
    let xt = if tiny { xs * pow2i(40) } else { xs };
    let (th, te) = two_prod::<F>(xt, sh);
    let tl = te + xt * sl;
    let (rh, re) = two_prod::<F>(th, qh);
    let small = (rh + (re + (th * ql + tl * qh))) * if tiny { pow2i(-40) } else { 1.0 };
    let small = small.copysign(x);
    // |x| >= 1: a - 1 is exact; g = 2e / (1 + e) as a pair.
    let (ph, pl, n) = exp_parts::<F>(-2.0 * a.clamp(1.0, 16.0), 0.0);
    let (eh, el) = (scale(ph, n), scale(pl, n));
    let dh = 1.0 + eh;
    let dl = add_err(1.0, eh, dh) + el;
    let gh = div2_exact::<F>(2.0 * eh, 2.0 * el, dh, dl);
    let gl = (fma1::<F>(-gh, dh, 2.0 * eh) + (2.0 * el - gh * dl)) / dh;
    let (s, se) = two_sum(a - 1.0, gh);
    let large = (s + (se + gl)).copysign(x);
    // Past 2^24 (and for NaN, inf) the result is x.
    if a < 1.0 {
        small
    } else if a <= 16_777_216.0 {
        large
    } else {
        x
    }
}

/// `x / (1 + |x|)`, as in `shaders/ops/softsign.wgsl`: `1 + |x|` as an exact
/// pair, one corrected division; `±1` from `|x| = 2^25` on.
#[inline(always)]
pub(crate) fn softsign<const F: bool>(x: f32) -> f32 {
    let a = x.abs();
    let d = 1.0 + a;
    // The sign restored: the correction turns -0 into +0.
    let r = div2_exact::<F>(x, 0.0, d, add_err(a.max(1.0), a.min(1.0), d)).copysign(x);
    if a >= 33_554_432.0 {
        1f32.copysign(x)
    } else {
        r
    }
}

/// `(x + sqrt(x^2 + b)) / 2` for `b >= 0`, as in `shaders/ops/squareplus.wgsl`:
/// `b / (2 (sqrt(x^2 + b) - x))` for x < 0, with x and b scaled where
/// `x^2 + b` could overflow or lose bits to the subnormals.
#[inline(always)]
pub(crate) fn squareplus<const F: bool>(x: f32, b: f32) -> f32 {
    let ax = x.abs();
    let big = ax >= pow2i(50) || b >= pow2i(100);
    let small = ax < pow2i(-50) && b < pow2i(-100);
    let (xs, up, bn, bd) = if big {
        (pow2i(-64), pow2i(64), pow2i(-32), pow2i(-32))
    } else if small {
        (pow2i(64), pow2i(-64), pow2i(64), 1.0)
    } else if b < pow2i(-100) {
        // A tiny (even subnormal) b over a larger x: the quotient b / (2 (s +
        // |x|)) is formed from b * 2^64, so its residual keeps every bit.
        (1.0, 1.0, pow2i(64), pow2i(-64))
    } else {
        (1.0, 1.0, 1.0, 1.0)
    };
    let xp = x * xs;
    let bp = (b * xs) * xs;
    // a = x'^2 + b' and s = sqrt(a) as pairs.
    let (sh, sl) = two_prod::<F>(xp, xp);
    let ah = sh + bp;
    let al = add_err(sh.max(bp), sh.min(bp), ah) + sl;
    let s0 = ah.sqrt();
    let s1 = (fma1::<F>(-s0, s0, ah) + al) / (2.0 * s0);
    // s + |x'| as a pair.
    let axp = xp.abs();
    let hi = s0 + axp;
    let lo = add_err(s0.max(axp), s0.min(axp), hi) + s1;
    let pos = (0.5 * (hi + lo)) * up;
    let neg = div2_exact::<F>(b * bn, 0.0, 2.0 * hi, 2.0 * lo) * bd;
    let r = if x >= 0.0 { pos } else { neg };
    if b == 0.0 {
        // (x + |x|) / 2: +0 for x <= 0 and x = -inf.
        if x > 0.0 || x.is_nan() { x } else { 0.0 }
    } else if ax == f32::INFINITY {
        if x > 0.0 { x } else { 0.0 }
    } else if x.is_nan() {
        x
    } else {
        r
    }
}
