//! Piecewise ops in branch-free f32, as in their WGSL files.

/// Keras relu, as in `shaders/ops/relu.wgsl`.
#[inline(always)]
pub(crate) fn relu<const F: bool>(
    x: f32,
    negative_slope: f32,
    max_value: Option<f32>,
    threshold: f32,
) -> f32 {
    let t = threshold;
    let above = x > t;
    let mut pos = if above { x } else { 0.0 };
    if let Some(m) = max_value {
        pos = pos.max(0.0).min(m);
    }
    if above || negative_slope == 0.0 || x.is_nan() {
        return if x.is_nan() { x } else { pos };
    }
    // Halve first when t - x could overflow; scaling by 2 is exact.
    let neg = if t.abs().max(x.abs()) >= 1.0e38 {
        (negative_slope * (0.5 * t - 0.5 * x)) * 2.0
    } else {
        negative_slope * (t - x)
    };
    pos - neg
}

#[inline(always)]
pub(crate) fn relu6<const F: bool>(x: f32) -> f32 {
    if x.is_nan() { x } else { x.clamp(0.0, 6.0) }
}

#[inline(always)]
pub(crate) fn leaky_relu<const F: bool>(x: f32, negative_slope: f32) -> f32 {
    if x > 0.0 || x.is_nan() {
        x
    } else if negative_slope == 0.0 {
        -0.0
    } else {
        negative_slope * x
    }
}

#[inline(always)]
pub(crate) fn linear<const F: bool>(x: f32) -> f32 {
    x
}

#[inline(always)]
pub(crate) fn hard_tanh<const F: bool>(x: f32) -> f32 {
    if x.is_nan() { x } else { x.clamp(-1.0, 1.0) }
}

/// `relu6(x + 3) / 6`: x + 3 rounds at most once where the clamp does not
/// apply, and the division is corrected, so the result is within 1 ULP.
#[inline(always)]
pub(crate) fn hard_sigmoid<const F: bool>(x: f32) -> f32 {
    let s = x + 3.0;
    // The rounding error of x + 3 (2Sum), carried into the division.
    let b = s - x;
    let err = (x - (s - b)) + (3.0 - b);
    let c = s.clamp(0.0, 6.0);
    let err = if c == s { err } else { 0.0 };
    let q = c / 6.0;
    let r = super::fma::<F>(-q, 6.0, c) + err;
    let v = q + r / 6.0;
    if x.is_nan() { x } else { v }
}

/// `x * relu6(x + 3) / 6`: 0 at and below -3, x at and above 3.
#[inline(always)]
pub(crate) fn hard_silu<const F: bool>(x: f32) -> f32 {
    let s = x + 3.0;
    let b = s - x;
    let err = (x - (s - b)) + (3.0 - b);
    // x * (s + err) / 6 with the product carried as a pair.
    let p = x * s;
    let pl = super::fma::<F>(x, s, -p) + x * err;
    let q = p / 6.0;
    let r = super::fma::<F>(-q, 6.0, p) + pl;
    let mid = q + r / 6.0;
    let v = if x <= -3.0 {
        0.0
    } else if x >= 3.0 {
        x
    } else {
        mid
    };
    if x.is_nan() { x } else { v }
}

#[inline(always)]
pub(crate) fn hard_shrink<const F: bool>(x: f32, threshold: f32) -> f32 {
    if x.is_nan() || x.abs() > threshold {
        x
    } else {
        0.0
    }
}

/// `sign(x) * max(|x| - threshold, 0)`: one rounding.
#[inline(always)]
pub(crate) fn soft_shrink<const F: bool>(x: f32, threshold: f32) -> f32 {
    let m = x.abs() - threshold;
    let v = if m > 0.0 { m.copysign(x) } else { 0.0 };
    if x.is_nan() { x } else { v }
}

/// `(x + 1) / 2` between the saturations: x + 1 rounds once, halving is exact
/// (but for subnormal results, which this range cannot produce).
#[inline(always)]
pub(crate) fn sparse_sigmoid<const F: bool>(x: f32) -> f32 {
    let v = ((x + 1.0) * 0.5).clamp(0.0, 1.0);
    if x.is_nan() { x } else { v }
}

/// `(x + 1)^2 / 4` between the pieces, with x + 1 carried as a pair so the
/// square rounds once more at most.
#[inline(always)]
pub(crate) fn sparse_plus<const F: bool>(x: f32) -> f32 {
    let s = x + 1.0;
    let b = s - x;
    let err = (x - (s - b)) + (1.0 - b);
    let sq = super::fma::<F>(s, s, 2.0 * s * err) * 0.25;
    let v = if x <= -1.0 {
        0.0
    } else if x >= 1.0 {
        x
    } else {
        sq
    };
    if x.is_nan() { x } else { v }
}

#[inline(always)]
pub(crate) fn threshold<const F: bool>(x: f32, threshold: f32, default_value: f32) -> f32 {
    if x.is_nan() || x > threshold {
        x
    } else {
        default_value
    }
}
