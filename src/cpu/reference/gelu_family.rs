//! The gelu family (gelu, tanh_shrink, softsign, squareplus) in f64, with
//! the formula's constants taken as exact reals. Where f64 itself would
//! cancel (tanh_shrink near 0) a series replaces the formula, and where the
//! exact result lies on an f32 rounding tie the next term decides it.

use std::f64::consts::{FRAC_1_SQRT_2, PI};

/// Gaussian error linear unit: `x * Phi(x) = x/2 * erfc(-x / sqrt(2))`, or
/// with `approximate`, `x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))`,
/// evaluated as the equal `x * sigmoid(2 sqrt(2/pi) (x + 0.044715 x^3))`.
/// The limits: `+inf -> inf`, `-inf -> -0` (TensorFlow gives NaN there).
pub fn gelu(x: f32, approximate: bool) -> f32 {
    if x.is_nan() || x == f32::INFINITY {
        return x;
    }
    if x == f32::NEG_INFINITY {
        return -0.0;
    }
    if x.abs() < 2f32.powi(-60) {
        if x == 0.0 {
            return x;
        }
        // Both modes are x/2 + x^2 / sqrt(2 pi) + O(x^4) here. x/2 is exact
        // in f64, and the positive x^2 term only matters where x/2 is a tie
        // between two subnormals; adding 2^-160 breaks those ties the same
        // way and changes nothing else.
        return (0.5 * x as f64 + 2f64.powi(-160)) as f32;
    }
    let x = x as f64;
    let r = if approximate {
        let u = 2.0 * (2.0 / PI).sqrt() * (x + 0.044715 * x * x * x);
        // exp(-u) may overflow to inf for very negative x: x / inf = -0.
        x / (1.0 + (-u).exp())
    } else {
        // erfc of a positive argument keeps its relative accuracy down to
        // the subnormal tail, where 1 + erf(x / sqrt(2)) would cancel.
        0.5 * x * libm::erfc(-x * FRAC_1_SQRT_2)
    };
    r as f32
}

/// `x - tanh(x)`.
pub fn tanh_shrink(x: f32) -> f32 {
    if x.is_nan() {
        return x;
    }
    // Beyond 2^24, x - sign(x) lies on or past a tie between f32 neighbours,
    // and the exact result (further from 0 by 2 exp(-2|x|)) rounds to x
    // (infinities included).
    if x.abs() > 2f32.powi(24) {
        return x;
    }
    let a = x.abs();
    let x = x as f64;
    if a < 0.1 {
        // x - tanh(x) cancels to x^3 / 3: the Taylor series of tanh minus
        // its first term (the next term is below 2^-55 relative).
        const C: [f64; 7] = [
            1.0 / 3.0,
            -2.0 / 15.0,
            17.0 / 315.0,
            -62.0 / 2835.0,
            1382.0 / 155_925.0,
            -21_844.0 / 6_081_075.0,
            929_569.0 / 638_512_875.0,
        ];
        let s = x * x;
        let p = C.iter().rev().fold(0.0, |acc, &c| acc * s + c);
        return (x * s * p) as f32;
    }
    (x - x.tanh()) as f32
}

/// `x / (1 + |x|)`; `±inf -> ±1`.
pub fn softsign(x: f32) -> f32 {
    if x.is_infinite() {
        return x.signum();
    }
    let x = x as f64;
    (x / (1.0 + x.abs())) as f32
}

/// `(x + sqrt(x^2 + b)) / 2` for `b >= 0`; `-inf -> 0`, `+inf -> inf`.
pub fn squareplus(x: f32, b: f32) -> f32 {
    if x.is_nan() {
        return x;
    }
    let (x, b) = (x as f64, b as f64);
    if b == 0.0 {
        // (x + |x|) / 2, +0 for x <= 0.
        return if x > 0.0 { x as f32 } else { 0.0 };
    }
    let s = (x * x + b).sqrt();
    let r = if x >= 0.0 {
        0.5 * (x + s)
    } else {
        // The same value without the cancellation of x + s.
        b / (2.0 * (s - x))
    };
    r as f32
}
