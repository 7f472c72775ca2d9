//! Shared f32 numerics of the fast CPU path: the GPU kernels' methods (own
//! exp, pair-carried sums, corrected division) in branch-free code. `F`
//! selects fused multiply-adds (the AVX2+FMA build).

pub(crate) const LN2_HI: f32 = 0.693_359_4;
pub(crate) const LN2_LO: f32 = -2.121_944_4e-4;
pub(crate) const LOG2E: f32 = std::f32::consts::LOG2_E;

/// `a * b + c`, fused in the AVX2+FMA build (`F`), plain elsewhere (where
/// `mul_add` would be a slow library call).
#[inline(always)]
pub(crate) fn fma<const F: bool>(a: f32, b: f32, c: f32) -> f32 {
    if F { a.mul_add(b, c) } else { a * b + c }
}

#[inline(always)]
pub(crate) fn pow2i(k: i32) -> f32 {
    f32::from_bits(((k + 127) as u32) << 23)
}

/// exp(r) - 1 for |r| <= ln(2) / 2, the range exp's reduction leaves: Taylor
/// to degree 7 (the first term dropped is below 0.05 ULP there).
#[inline(always)]
pub(crate) fn expm1_reduced<const F: bool>(r: f32) -> f32 {
    let mut q = 1.984_127e-4;
    for c in [
        1.388_888_9e-3,
        8.333_333e-3,
        4.166_666_8e-2,
        0.166_666_67,
        0.5,
    ] {
        q = fma::<F>(q, r, c);
    }
    fma::<F>(q * r, r, r)
}

/// exp(d) for d <= 88 (about 1 ULP); 0 below -104. Branch-free.
#[inline(always)]
pub(crate) fn exp_f32<const F: bool>(d: f32) -> f32 {
    let d = d.max(-104.5);
    // Round to nearest by adding 1.5 * 2^23; the integer is then in the low
    // bits (cheaper than a saturating float-to-int conversion).
    let t = d * LOG2E + 12_582_912.0;
    let n = t - 12_582_912.0;
    let ni = t.to_bits() as i32 - 0x4b40_0000;
    let r = (d - n * LN2_HI) - n * LN2_LO;
    scale(1.0 + expm1_reduced::<F>(r), ni)
}

/// p * 2^n in two exact steps (2^n alone may leave the normal range).
#[inline(always)]
pub(crate) fn scale(p: f32, n: i32) -> f32 {
    let n1 = n >> 1;
    (p * pow2i(n1)) * pow2i(n - n1)
}

/// exp(x - m) for x <= m, -inf giving 0. Rounding x - m would cost up to
/// |x - m| ULP, so the difference is carried as an exact pair (2Sum) whose low
/// part joins the reduced argument.
#[inline(always)]
pub(crate) fn exp_diff<const F: bool>(x: f32, m: f32) -> f32 {
    let dh = x - m;
    let b = dh - x;
    let dl = (x - (dh - b)) - (m + b);
    // Past -104.5 the result is 0 (dh may be -inf there, dl NaN).
    let keep = dh > -104.5;
    let dh = if keep { dh } else { -104.5 };
    let dl = if keep { dl } else { 0.0 };
    let t = dh * LOG2E + 12_582_912.0;
    let n = t - 12_582_912.0;
    let ni = t.to_bits() as i32 - 0x4b40_0000;
    let r = ((dh - n * LN2_HI) - n * LN2_LO) + dl;
    scale(1.0 + expm1_reduced::<F>(r), ni)
}

/// (nh + nl) / (dh + dl), where nl and dl carry the rounding errors of nh and
/// dh: one division, then one correction with the residual.
#[inline(always)]
pub(crate) fn div2<const F: bool>(nh: f32, nl: f32, dh: f32, dl: f32) -> f32 {
    let inv = 1.0 / dh;
    let q = nh * inv;
    let r = fma::<F>(-q, dh, nh) + (nl - q * dl);
    fma::<F>(r, inv, q)
}

/// Sigmoid, as in `shaders/elementary.wgsl`.
#[inline(always)]
pub(crate) fn sigmoid_impl<const F: bool>(x: f32) -> f32 {
    let e = exp_f32::<F>(-x.abs());
    let d = 1.0 + e;
    let dl = e - (d - 1.0);
    let num = if x < 0.0 { e } else { 1.0 };
    let s = div2::<F>(num, 0.0, d, dl);
    if x.is_nan() { x } else { s }
}

/// tanh: `shaders/elementary.wgsl`'s large-|x| branch; a polynomial below 0.35
/// (both branches computed, one selected).
#[inline(always)]
pub(crate) fn tanh_impl<const F: bool>(x: f32) -> f32 {
    let a = x.abs();
    let sign = f32::from_bits((x.to_bits() & 0x8000_0000) | 0x3f80_0000);
    // |x| < 0.35: the odd Taylor polynomial to degree 13 (the next term is
    // below 0.02 ULP there; x enters exactly, the rest is a < 4% correction).
    // Else (1 - e) / (1 + e) with e = exp(-2a), both pairs carried exactly.
    let s = a.min(0.35);
    let s2 = s * s;
    let mut q = 3.592_128e-3;
    for c in [
        -8.863_236e-3,
        2.186_949e-2,
        -5.396_825_5e-2,
        0.133_333_33,
        -0.333_333_34,
    ] {
        q = fma::<F>(q, s2, c);
    }
    let small = fma::<F>(s * s2, q, s);
    let e = exp_f32::<F>(-2.0 * a.min(9.5));
    let (n, d) = (1.0 - e, 1.0 + e);
    let large = div2::<F>(n, (1.0 - n) - e, d, e - (d - 1.0));
    let v = if a < 0.35 { small } else { large };
    let v = if a > 9.1 { 1.0 } else { v };
    if x.is_nan() || a < 2.441_406_3e-4 {
        x
    } else {
        sign * v
    }
}

/// Adding it rounds an f32 below 2^22 to an integer, left in the low bits.
pub(crate) const ROUND_MAGIC: f32 = 12_582_912.0;

/// `a * b + c` rounded once: fused with FMA (`F`), else through f64, where
/// the product is exact. Residuals such as `a * b - fl(a * b)` come out
/// exact either way.
#[inline(always)]
pub(crate) fn fma1<const F: bool>(a: f32, b: f32, c: f32) -> f32 {
    if F {
        a.mul_add(b, c)
    } else {
        (a as f64 * b as f64 + c as f64) as f32
    }
}

/// `a + b = s + e` exactly, whichever is larger (2Sum).
#[inline(always)]
pub(crate) fn two_sum(a: f32, b: f32) -> (f32, f32) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// The rounding error of `s = c + e` for `|e| <= |c|` (Fast2Sum).
#[inline(always)]
pub(crate) fn add_err(c: f32, e: f32, s: f32) -> f32 {
    e - (s - c)
}

/// `a * b = p + e` exactly (unless `e` underflows).
#[inline(always)]
pub(crate) fn two_prod<const F: bool>(a: f32, b: f32) -> (f32, f32) {
    let p = a * b;
    (p, fma1::<F>(a, b, -p))
}

/// `(nh + nl) / (dh + dl)` with one correction whose residual `nh - q dh`
/// is exact in both builds ([`div2`] rounds it twice without FMA).
#[inline(always)]
pub(crate) fn div2_exact<const F: bool>(nh: f32, nl: f32, dh: f32, dl: f32) -> f32 {
    let q = nh / dh;
    q + (fma1::<F>(-q, dh, nh) + (nl - q * dl)) / dh
}

/// `exp(r) - 1` for |r| <= 0.37 as a pair: Taylor to degree 9, the r^2 term
/// an exact product.
#[inline(always)]
pub(crate) fn expm1_pair<const F: bool>(r: f32) -> (f32, f32) {
    let mut q = 2.755_731_9e-6;
    for c in [
        2.480_158_8e-5,
        1.984_127e-4,
        1.388_888_9e-3,
        8.333_334e-3,
        4.166_666_8e-2,
        0.166_666_67,
        0.5,
    ] {
        q = fma::<F>(q, r, c);
    }
    let (t, te) = two_prod::<F>(q * r, r);
    let h = r + t;
    (h, add_err(r, t, h) + te)
}
