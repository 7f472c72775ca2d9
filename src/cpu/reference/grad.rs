//! The reference of every op's backward: the vector-Jacobian product in
//! f64, rounded to f32 once. One function per op, named as in the op table
//! (`fns`): elementwise `fn(v, dy, params..) -> dx` where `v` is `x` or `y`
//! as the table's `grad` says; axis ops `fn(y_row, dy_row, dx_row)`; glu
//! `fn(a, b, dy) -> (da, db)`.
//!
//! Semantics: the derivative of the Keras 3 formula with the parameters
//! rounded to f32. NaN in `x` gives NaN; at `±inf` the limit of `f'(x)`
//! (where it exists) times `dy`; `dy = ±inf` gives IEEE's product (NaN where
//! `f'(x)` is exactly 0). At a kink, the value TensorFlow's `GradientTape`
//! gives for the same Keras call (README, "Gradients"), except where the
//! derivative exists and TensorFlow's differs (celu at 0; the shrinks with
//! threshold 0 at 0), where it is the derivative.

use std::f64::consts::{FRAC_1_SQRT_2, PI};

/// `d * dy` rounded once; NaN for a NaN input (`x` or `dy`).
fn vjp(d: f64, dy: f32) -> f32 {
    (d * dy as f64) as f32
}

/// `d * dy` for a derivative that is not 0 at this `x` although `d` may
/// have underflowed (exp(-1000)): an infinite `dy` gives an infinity with
/// the sign of the true derivative (`neg`: negative).
fn vjp_nz(d: f64, neg: bool, dy: f32) -> f32 {
    if dy.is_infinite() && d == 0.0 {
        return if neg { -dy } else { dy };
    }
    vjp(d, dy)
}

/// `1 / (1 + exp(-z))` without overflow.
fn sigmoid64(z: f64) -> f64 {
    let e = (-z.abs()).exp();
    if z >= 0.0 {
        1.0 / (1.0 + e)
    } else {
        e / (1.0 + e)
    }
}

/// `sigmoid(z) * sigmoid(-z) = e / (1 + e)^2`, `e = exp(-|z|)`.
fn dsigmoid64(z: f64) -> f64 {
    let e = (-z.abs()).exp();
    e / ((1.0 + e) * (1.0 + e))
}

/// `1 - tanh(z)^2 = 4 e / (1 + e)^2`, `e = exp(-2|z|)`.
fn sech2(z: f64) -> f64 {
    let e = (-2.0 * z.abs()).exp();
    4.0 * e / ((1.0 + e) * (1.0 + e))
}

// Piecewise ops. At a kink the value TensorFlow gives (README).

/// relu, as Keras 3 composes it (so that each kink takes TensorFlow's
/// value): with a slope, no max_value and threshold 0 it is leaky_relu
/// (the slope at 0); otherwise `x * (x > threshold)` when threshold != 0,
/// else relu6 when max_value == 6, else relu (0 at their kinks), then
/// clipped to `[0, max_value]` (the gradient passes at both ends), minus
/// `slope * relu(threshold - x)` (0 at x = threshold).
pub fn relu(x: f32, dy: f32, negative_slope: f32, max_value: Option<f32>, threshold: f32) -> f32 {
    if x.is_nan() {
        return f32::NAN;
    }
    let (s, t) = (negative_slope, threshold);
    if s != 0.0 && max_value.is_none() && t == 0.0 {
        return leaky_relu(x, dy, s);
    }
    let relu6_path = t == 0.0 && max_value == Some(6.0);
    let (p, dp) = if t != 0.0 {
        if x > t { (x, 1.0) } else { (0.0, 0.0) }
    } else if relu6_path {
        (
            x.clamp(0.0, 6.0),
            if x > 0.0 && x < 6.0 { 1.0 } else { 0.0 },
        )
    } else if x > 0.0 {
        (x, 1.0)
    } else {
        (0.0, 0.0)
    };
    let dp = match max_value {
        Some(m) if !relu6_path && !(0.0..=m).contains(&p) => 0.0,
        _ => dp,
    };
    let dn = if s != 0.0 && x < t { s as f64 } else { 0.0 };
    vjp(dp + dn, dy)
}

/// relu6: 1 on `(0, 6)`, else 0.
pub fn relu6(x: f32, dy: f32) -> f32 {
    if x.is_nan() {
        return f32::NAN;
    }
    vjp(if x > 0.0 && x < 6.0 { 1.0 } else { 0.0 }, dy)
}

/// leaky_relu: 1 for `x > 0`, the slope for `x <= 0`.
pub fn leaky_relu(x: f32, dy: f32, negative_slope: f32) -> f32 {
    if x.is_nan() {
        return f32::NAN;
    }
    vjp(if x > 0.0 { 1.0 } else { negative_slope as f64 }, dy)
}

/// linear: `dy` (NaN for a NaN `x`).
pub fn linear(x: f32, dy: f32) -> f32 {
    if x.is_nan() {
        return f32::NAN;
    }
    dy
}

/// hard_tanh: 1 on `[-1, 1]`, else 0.
pub fn hard_tanh(x: f32, dy: f32) -> f32 {
    if x.is_nan() {
        return f32::NAN;
    }
    vjp(if (-1.0..=1.0).contains(&x) { 1.0 } else { 0.0 }, dy)
}

/// hard_sigmoid: 1/6 on `(-3, 3)`, else 0.
pub fn hard_sigmoid(x: f32, dy: f32) -> f32 {
    if x.is_nan() {
        return f32::NAN;
    }
    vjp(if x > -3.0 && x < 3.0 { 1.0 / 6.0 } else { 0.0 }, dy)
}

/// hard_silu: `(2x + 3) / 6` on `(-3, 3)`, 1 from 3 on, 0 up to -3.
pub fn hard_silu(x: f32, dy: f32) -> f32 {
    if x.is_nan() {
        return f32::NAN;
    }
    let d = if x >= 3.0 {
        1.0
    } else if x > -3.0 {
        (2.0 * x as f64 + 3.0) / 6.0
    } else {
        0.0
    };
    vjp(d, dy)
}

/// hard_shrink: 1 for `|x| > threshold`, else 0 (with threshold 0, 1 at 0
/// too: the op is the identity there).
pub fn hard_shrink(x: f32, dy: f32, threshold: f32) -> f32 {
    if x.is_nan() {
        return f32::NAN;
    }
    vjp(
        if x.abs() > threshold || threshold == 0.0 {
            1.0
        } else {
            0.0
        },
        dy,
    )
}

/// soft_shrink: 1 for `|x| > threshold`, else 0 (with threshold 0, 1 at 0).
pub fn soft_shrink(x: f32, dy: f32, threshold: f32) -> f32 {
    hard_shrink(x, dy, threshold)
}

/// sparse_sigmoid: 1/2 on `(-1, 1)`, else 0.
pub fn sparse_sigmoid(x: f32, dy: f32) -> f32 {
    if x.is_nan() {
        return f32::NAN;
    }
    vjp(if x > -1.0 && x < 1.0 { 0.5 } else { 0.0 }, dy)
}

/// sparse_plus: `(x + 1) / 2` on `(-1, 1)`, 1 from 1 on, 0 up to -1.
pub fn sparse_plus(x: f32, dy: f32) -> f32 {
    if x.is_nan() {
        return f32::NAN;
    }
    let d = if x >= 1.0 {
        1.0
    } else if x > -1.0 {
        (x as f64 + 1.0) / 2.0
    } else {
        0.0
    };
    vjp(d, dy)
}

/// threshold: 1 for `x > threshold`, else 0.
pub fn threshold(x: f32, dy: f32, threshold: f32, _default_value: f32) -> f32 {
    if x.is_nan() {
        return f32::NAN;
    }
    vjp(if x > threshold { 1.0 } else { 0.0 }, dy)
}

// The exponential family.

/// elu: 1 for `x > 0`, `alpha exp(x)` for `x <= 0`.
pub fn elu(x: f32, dy: f32, alpha: f32) -> f32 {
    if x.is_nan() {
        return f32::NAN;
    }
    if x > 0.0 {
        return vjp(1.0, dy);
    }
    if x == f32::NEG_INFINITY || alpha == 0.0 {
        return vjp(0.0, dy);
    }
    vjp_nz(alpha as f64 * (x as f64).exp(), alpha < 0.0, dy)
}

/// celu: 1 for `x >= 0`, `exp(x / alpha)` below (1 at 0 from both sides).
pub fn celu(x: f32, dy: f32, alpha: f32) -> f32 {
    if x.is_nan() {
        return f32::NAN;
    }
    if x >= 0.0 {
        return vjp(1.0, dy);
    }
    if x == f32::NEG_INFINITY {
        return vjp(0.0, dy);
    }
    vjp_nz((x as f64 / alpha as f64).exp(), false, dy)
}

/// selu: `scale` for `x >= 0` (at 0 TensorFlow's eager value), `scale alpha
/// exp(x)` for `x < 0`.
pub fn selu(x: f32, dy: f32) -> f32 {
    const SCALE: f64 = 1.050_700_987_355_480_5;
    const SCALE_ALPHA: f64 = 1.758_099_340_847_376_8;
    if x.is_nan() {
        return f32::NAN;
    }
    if x >= 0.0 {
        return vjp(SCALE, dy);
    }
    if x == f32::NEG_INFINITY {
        return vjp(0.0, dy);
    }
    vjp_nz(SCALE_ALPHA * (x as f64).exp(), false, dy)
}

/// exponential, from `y = exp(x)`: `y dy`.
pub fn exponential(y: f32, dy: f32) -> f32 {
    vjp(y as f64, dy)
}

/// softplus: `sigmoid(x)`.
pub fn softplus(x: f32, dy: f32) -> f32 {
    if x.is_nan() {
        return f32::NAN;
    }
    if x.is_infinite() {
        return vjp(if x > 0.0 { 1.0 } else { 0.0 }, dy);
    }
    vjp_nz(sigmoid64(x as f64), false, dy)
}

/// log_sigmoid: `sigmoid(-x)`.
pub fn log_sigmoid(x: f32, dy: f32) -> f32 {
    if x.is_nan() {
        return f32::NAN;
    }
    if x.is_infinite() {
        return vjp(if x < 0.0 { 1.0 } else { 0.0 }, dy);
    }
    vjp_nz(sigmoid64(-(x as f64)), false, dy)
}

/// silu: `sigmoid(z) (1 + z sigmoid(-z))`, `z = beta x`; at `z = ±inf` its
/// limit (1 or 0), and 1/2 for `beta = 0`.
pub fn silu(x: f32, dy: f32, beta: f32) -> f32 {
    if x.is_nan() {
        return f32::NAN;
    }
    let z = beta as f64 * x as f64;
    let d = if z.is_infinite() {
        if z > 0.0 { 1.0 } else { 0.0 }
    } else if z.is_nan() {
        // beta = 0 and x = ±inf: x sigmoid(0) = x / 2.
        0.5
    } else {
        // The derivative with respect to x: sigmoid(z) + x beta
        // sigmoid'(z) = sigmoid(z) + z sigmoid'(z).
        sigmoid64(z) + z * dsigmoid64(z)
    };
    if z.is_finite() && beta != 0.0 {
        return vjp_nz(d, z < 0.0, dy);
    }
    vjp(d, dy)
}

/// mish: `tanh(sp) + x sech(sp)^2 sigmoid(x)`, `sp = softplus(x)`; 1 at
/// `+inf`, 0 at `-inf`.
pub fn mish(x: f32, dy: f32) -> f32 {
    if x.is_nan() {
        return f32::NAN;
    }
    let d = if x == f32::INFINITY {
        1.0
    } else if x == f32::NEG_INFINITY {
        0.0
    } else {
        let x = x as f64;
        let sp = x.max(0.0) + (-x.abs()).exp().ln_1p();
        sp.tanh() + x * sech2(sp) * sigmoid64(x)
    };
    if x.is_finite() {
        return vjp_nz(d, x < 0.0, dy);
    }
    vjp(d, dy)
}

// The gelu family and the sigmoid-like ops.

/// sigmoid: `sigmoid(x) sigmoid(-x)`.
pub fn sigmoid(x: f32, dy: f32) -> f32 {
    if x.is_nan() {
        return f32::NAN;
    }
    if x.is_infinite() {
        return vjp(0.0, dy);
    }
    vjp_nz(dsigmoid64(x as f64), false, dy)
}

/// tanh: `1 - tanh(x)^2`.
pub fn tanh(x: f32, dy: f32) -> f32 {
    if x.is_nan() {
        return f32::NAN;
    }
    if x.is_infinite() {
        return vjp(0.0, dy);
    }
    vjp_nz(sech2(x as f64), false, dy)
}

/// tanh_shrink: `tanh(x)^2`.
pub fn tanh_shrink(x: f32, dy: f32) -> f32 {
    if x.is_nan() {
        return f32::NAN;
    }
    let t = (x as f64).tanh();
    if x == 0.0 {
        return vjp(0.0, dy);
    }
    vjp_nz(t * t, false, dy)
}

/// softsign: `1 / (1 + |x|)^2`.
pub fn softsign(x: f32, dy: f32) -> f32 {
    if x.is_nan() {
        return f32::NAN;
    }
    if x.is_infinite() {
        return vjp(0.0, dy);
    }
    let a = 1.0 + (x as f64).abs();
    vjp_nz(1.0 / (a * a), false, dy)
}

/// squareplus: `(1 + x / sqrt(x^2 + b)) / 2`; with `b = 0`, 1 for `x > 0`,
/// 0 for `x < 0` and NaN at 0 (no derivative; TensorFlow's 0/0).
pub fn squareplus(x: f32, dy: f32, b: f32) -> f32 {
    if x.is_nan() {
        return f32::NAN;
    }
    let (x, b) = (x as f64, b as f64);
    if b == 0.0 && x == 0.0 {
        // No derivative: TensorFlow's 0/0.
        return f32::NAN;
    }
    let d = if x == f64::INFINITY {
        1.0
    } else if x == f64::NEG_INFINITY || (b == 0.0 && x < 0.0) {
        0.0
    } else if b == 0.0 {
        1.0
    } else {
        let s = (x * x + b).sqrt();
        if x >= 0.0 {
            0.5 * (1.0 + x / s)
        } else {
            // 1 + x / s without its cancellation: b / (s (s - x)).
            0.5 * b / (s * (s - x))
        }
    };
    if x.is_finite() && b > 0.0 {
        return vjp_nz(d, false, dy);
    }
    vjp(d, dy)
}

/// gelu: `Phi(x) + x phi(x)`, or the derivative of the tanh form with
/// `approximate`; 1 at `+inf`, 0 at `-inf`.
pub fn gelu(x: f32, dy: f32, approximate: bool) -> f32 {
    if x.is_nan() {
        return f32::NAN;
    }
    let d = if x == f32::INFINITY {
        1.0
    } else if x == f32::NEG_INFINITY {
        0.0
    } else {
        let x = x as f64;
        if approximate {
            // x sigmoid(u), u = 2c (x + k x^3): sigmoid(u) + x sigmoid'(u) u'.
            let c = 2.0 * (2.0 / PI).sqrt();
            let u = c * (x + 0.044715 * x * x * x);
            let du = c * (1.0 + 3.0 * 0.044715 * x * x);
            sigmoid64(u) + x * dsigmoid64(u) * du
        } else {
            let phi = (-0.5 * x * x).exp() / (2.0 * PI).sqrt();
            0.5 * libm::erfc(-x * FRAC_1_SQRT_2) + x * phi
        }
    };
    if x.is_finite() {
        return vjp_nz(d, x < 0.0, dy);
    }
    vjp(d, dy)
}

// Axis ops (from y) and glu (from x). A row with NaN in y, or NaN or ±inf
// in dy, is all NaN (its terms would be NaN or ±inf anyway).

/// A sum in f64 with Neumaier's compensation: exact to about 2^-106 of the
/// terms' magnitudes, so rows whose dy cancel across f64's 53 bits (2^64 and
/// -2^64 beside 19.5) still sum right.
fn sum(terms: impl Iterator<Item = f64>) -> f64 {
    let (mut s, mut c) = (0.0f64, 0.0f64);
    for t in terms {
        let u = s + t;
        c += if s.abs() >= t.abs() {
            (s - u) + t
        } else {
            (t - u) + s
        };
        s = u;
    }
    s + c
}

fn poisoned(y: &[f32], dy: &[f32], dx: &mut [f32]) -> bool {
    let bad = y.iter().any(|v| v.is_nan()) || dy.iter().any(|v| !v.is_finite());
    if bad {
        dx.fill(f32::NAN);
    }
    bad
}

/// softmax: `y (dy - sum(dy y))`.
pub fn softmax(y: &[f32], dy: &[f32], dx: &mut [f32]) {
    if poisoned(y, dy, dx) {
        return;
    }
    // Each product y dy is exact in f64 (24 x 24 bits).
    let r = sum(y.iter().zip(dy).map(|(&y, &d)| y as f64 * d as f64));
    for ((o, &y), &d) in dx.iter_mut().zip(y).zip(dy) {
        *o = (y as f64 * (d as f64 - r)) as f32;
    }
}

/// log_softmax, from x: `dy - softmax(x) sum(dy)` (from the rounded y,
/// exp would amplify y's rounding by |y|). A row with NaN or +inf in x, or
/// only -inf, is all NaN, as forward.
pub fn log_softmax(x: &[f32], dy: &[f32], dx: &mut [f32]) {
    let m = x.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    let dead = x.iter().any(|v| v.is_nan() || *v == f32::INFINITY) || m == f64::NEG_INFINITY;
    if poisoned(x, dy, dx) || dead {
        dx.fill(f32::NAN);
        return;
    }
    let total: f64 = x.iter().map(|&v| (v as f64 - m).exp()).sum();
    let s = sum(dy.iter().map(|&d| d as f64));
    for ((o, &v), &d) in dx.iter_mut().zip(x).zip(dy) {
        *o = (d as f64 - (v as f64 - m).exp() / total * s) as f32;
    }
}

/// sparsemax: `dy - mean(dy over S)` on the support `S = {y > 0}`, 0 off it;
/// a row with NaN in `y` is all NaN.
pub fn sparsemax(y: &[f32], dy: &[f32], dx: &mut [f32]) {
    if poisoned(y, dy, dx) {
        return;
    }
    let support = || y.iter().zip(dy).filter(|(y, _)| **y > 0.0);
    let n = support().count();
    let total = sum(support().map(|(_, &d)| d as f64));
    let mean = if n > 0 { total / n as f64 } else { 0.0 };
    for ((o, &y), &d) in dx.iter_mut().zip(y).zip(dy) {
        *o = if y > 0.0 {
            (d as f64 - mean) as f32
        } else {
            0.0
        };
    }
}

/// glu: `da = dy sigmoid(b)`, `db = dy a sigmoid(b) sigmoid(-b)`.
pub fn glu(a: f32, b: f32, dy: f32) -> (f32, f32) {
    if a.is_nan() || b.is_nan() {
        return (f32::NAN, f32::NAN);
    }
    let bd = b as f64;
    let (s, ds) = if b.is_infinite() {
        (if b > 0.0 { 1.0 } else { 0.0 }, 0.0)
    } else {
        (sigmoid64(bd), dsigmoid64(bd))
    };
    // IEEE products: an infinite `a` at b = ±inf (sigmoid' = 0) gives NaN.
    if b.is_infinite() {
        return (vjp(s, dy), vjp(a as f64 * ds, dy));
    }
    let da = vjp_nz(s, false, dy);
    let db = if a == 0.0 || a.is_infinite() {
        vjp(a as f64, dy)
    } else {
        vjp_nz(a as f64 * ds, a < 0.0, dy)
    };
    (da, db)
}
