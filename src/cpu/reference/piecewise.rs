//! Piecewise ops: linear pieces (exact, or one rounding) and the two
//! quadratic ones (hard_silu, sparse_plus), in f64.

/// Keras relu: `pos = x if x > threshold else 0`, clipped to `[0, max_value]`
/// when set, minus `negative_slope * max(threshold - x, 0)` (that term is
/// skipped when the slope is 0, as Keras does, so `relu(-inf) = 0`).
pub fn relu(x: f32, negative_slope: f32, max_value: Option<f32>, threshold: f32) -> f32 {
    if x.is_nan() {
        return f32::NAN;
    }
    let (x, t) = (x as f64, threshold as f64);
    let mut pos = if x > t { x } else { 0.0 };
    if let Some(m) = max_value {
        pos = pos.max(0.0).min(m as f64);
    }
    if negative_slope == 0.0 || x >= t {
        return pos as f32;
    }
    (pos - negative_slope as f64 * (t - x)) as f32
}

/// `min(max(x, 0), 6)`.
pub fn relu6(x: f32) -> f32 {
    if x.is_nan() { x } else { x.clamp(0.0, 6.0) }
}

/// `x if x > 0 else negative_slope * x`; a slope of 0 gives -0 at -inf too
/// (the limit, as relu), where IEEE's 0 * -inf would be NaN.
pub fn leaky_relu(x: f32, negative_slope: f32) -> f32 {
    if x > 0.0 || x.is_nan() {
        x
    } else if negative_slope == 0.0 {
        -0.0
    } else {
        (negative_slope as f64 * x as f64) as f32
    }
}

/// `x`.
pub fn linear(x: f32) -> f32 {
    x
}

/// `clip(x, -1, 1)`.
pub fn hard_tanh(x: f32) -> f32 {
    if x.is_nan() { x } else { x.clamp(-1.0, 1.0) }
}

/// `relu6(x + 3) / 6`.
pub fn hard_sigmoid(x: f32) -> f32 {
    if x.is_nan() {
        return x;
    }
    (((x as f64) + 3.0).clamp(0.0, 6.0) / 6.0) as f32
}

/// `x * relu6(x + 3) / 6`: 0 for x <= -3 (the limit at -inf too), x for x >= 3.
pub fn hard_silu(x: f32) -> f32 {
    if x.is_nan() {
        return x;
    }
    let x = x as f64;
    if x <= -3.0 {
        return 0.0;
    }
    if x >= 3.0 {
        return x as f32;
    }
    (x * (x + 3.0) / 6.0) as f32
}

/// `x if |x| > threshold else 0`.
pub fn hard_shrink(x: f32, threshold: f32) -> f32 {
    if x.is_nan() || x.abs() > threshold {
        x
    } else {
        0.0
    }
}

/// `sign(x) * max(|x| - threshold, 0)`.
pub fn soft_shrink(x: f32, threshold: f32) -> f32 {
    if x.is_nan() {
        return x;
    }
    let m = (x.abs() as f64 - threshold as f64).max(0.0);
    if m == 0.0 {
        return 0.0;
    }
    (m as f32).copysign(x)
}

/// `0` for x <= -1, `(x + 1) / 2` between, `1` for x >= 1.
pub fn sparse_sigmoid(x: f32) -> f32 {
    if x.is_nan() {
        return x;
    }
    let x = x as f64;
    (if x <= -1.0 {
        0.0
    } else if x >= 1.0 {
        1.0
    } else {
        (x + 1.0) / 2.0
    }) as f32
}

/// `0` for x <= -1, `(x + 1)^2 / 4` between, `x` for x >= 1.
pub fn sparse_plus(x: f32) -> f32 {
    if x.is_nan() {
        return x;
    }
    let x = x as f64;
    (if x <= -1.0 {
        0.0
    } else if x >= 1.0 {
        x
    } else {
        (x + 1.0) * (x + 1.0) / 4.0
    }) as f32
}

/// `x if x > threshold else default_value`.
pub fn threshold(x: f32, threshold: f32, default_value: f32) -> f32 {
    if x.is_nan() || x > threshold {
        x
    } else {
        default_value
    }
}
