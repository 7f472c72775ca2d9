//! The exponential family's references (elu, celu, selu, exponential,
//! softplus, log_sigmoid, silu, mish): each formula in f64 with expm1 / log1p
//! forms where f64 would cancel, rounded to f32 once. Special values are the
//! formula's limits.

/// selu's scale and scale * alpha (Klambauer et al.), as real numbers.
const SELU_SCALE: f64 = 1.050_700_987_355_480_5;
const SELU_SCALE_ALPHA: f64 = 1.758_099_340_847_376_8;

/// Keras elu: `x` for `x > 0`, else `alpha * (exp(x) - 1)`; `-inf` gives
/// `-alpha`.
pub fn elu(x: f32, alpha: f32) -> f32 {
    if x > 0.0 || x.is_nan() {
        return x;
    }
    (alpha as f64 * (x as f64).exp_m1()) as f32
}

/// Keras celu: `x` for `x >= 0`, else `alpha * (exp(x / alpha) - 1)`
/// (`alpha > 0`); `-inf` gives `-alpha`.
pub fn celu(x: f32, alpha: f32) -> f32 {
    if x >= 0.0 || x.is_nan() {
        return x;
    }
    let (x, a) = (x as f64, alpha as f64);
    // The f64 quotient's rounding costs |x / alpha| * 2^-53 relative in exp,
    // far below an f32 ULP over the range where the result is not -alpha.
    (a * (x / a).exp_m1()) as f32
}

/// Keras selu: `scale * x` for `x > 0`, else `scale * alpha * (exp(x) - 1)`.
pub fn selu(x: f32) -> f32 {
    if x.is_nan() {
        return x;
    }
    let x = x as f64;
    if x > 0.0 {
        (SELU_SCALE * x) as f32
    } else {
        (SELU_SCALE_ALPHA * x.exp_m1()) as f32
    }
}

/// Keras exponential: `exp(x)`.
pub fn exponential(x: f32) -> f32 {
    (x as f64).exp() as f32
}

/// `log(1 + exp(x))` in f64, for every x: `max(x, 0) + log1p(exp(-|x|))`.
fn softplus64(x: f64) -> f64 {
    if x.is_nan() || x == f64::INFINITY {
        return x;
    }
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// Keras softplus: `log(1 + exp(x))`.
pub fn softplus(x: f32) -> f32 {
    softplus64(x as f64) as f32
}

/// Keras log_sigmoid: `-softplus(-x)`; `+inf` gives `-0`.
pub fn log_sigmoid(x: f32) -> f32 {
    if x.is_nan() {
        return x;
    }
    -softplus64(-(x as f64)) as f32
}

/// silu / swish: `x * sigmoid(beta * x)` with the real product `beta * x`.
/// At `x = +-inf` the limit: `x` when `beta * x -> +inf` or `beta = 0`,
/// else 0 with the sign of `x`.
pub fn silu(x: f32, beta: f32) -> f32 {
    if x.is_nan() {
        return x;
    }
    if x.is_infinite() {
        let same = (x > 0.0) == (beta > 0.0);
        return if beta == 0.0 || same {
            x
        } else {
            0.0f32.copysign(x)
        };
    }
    let (x, z) = (x as f64, beta as f64 * x as f64);
    // exp of a non-positive argument only; below -745 it is 0, where
    // x * exp(z) is far below f32's range anyway.
    let e = (-z.abs()).exp();
    let s = if z >= 0.0 {
        1.0 / (1.0 + e)
    } else {
        e / (1.0 + e)
    };
    (x * s) as f32
}

/// Keras mish: `x * tanh(softplus(x))`; `-inf` gives `-0`.
pub fn mish(x: f32) -> f32 {
    if x.is_nan() || x == f32::INFINITY {
        return x;
    }
    if x == f32::NEG_INFINITY {
        return -0.0;
    }
    let x = x as f64;
    // Both factors are computed to f64 precision relatively (softplus near
    // exp(x) for very negative x, tanh near its argument), so nothing cancels.
    (x * softplus64(x).tanh()) as f32
}
