//! The scalar reference for every op: computed in f64, rounded to f32 once.
//! Every GPU result is tested against these.

use crate::shape::{numel, split_at_axis};
use crate::{Activation, Error, Relu, Result};

/// `1 / (1 + exp(-x))`.
pub fn sigmoid(x: f32) -> f32 {
    let x = x as f64;
    if x.is_nan() {
        return f32::NAN;
    }
    // exp of a non-positive argument only: no overflow anywhere.
    let e = (-x.abs()).exp();
    let r = if x >= 0.0 {
        1.0 / (1.0 + e)
    } else {
        e / (1.0 + e)
    };
    r as f32
}

/// Hyperbolic tangent.
pub fn tanh(x: f32) -> f32 {
    (x as f64).tanh() as f32
}

/// Keras relu: `pos = x if x > threshold else 0`, clipped to `[0, max_value]`
/// when set, minus `negative_slope * max(threshold - x, 0)` (that term is
/// skipped when the slope is 0, as Keras does, so `relu(-inf) = 0`).
pub fn relu(x: f32, p: &Relu) -> f32 {
    if x.is_nan() {
        return f32::NAN;
    }
    let (x, t) = (x as f64, p.threshold as f64);
    let mut pos = if x > t { x } else { 0.0 };
    if let Some(m) = p.max_value {
        pos = pos.max(0.0).min(m as f64);
    }
    if p.negative_slope == 0.0 || x >= t {
        return pos as f32;
    }
    (pos - p.negative_slope as f64 * (t - x)) as f32
}

/// Softmax along `axis` of a C-order tensor of `shape`.
///
/// `-inf` entries give 0; a row holding a NaN or `+inf`, or only `-inf`,
/// gives all NaN.
pub fn softmax(data: &[f32], shape: &[usize], axis: isize) -> Result<Vec<f32>> {
    check_len(data, shape)?;
    let (outer, len, inner) = split_at_axis(shape, axis)?;
    let mut out = vec![0.0f32; data.len()];
    let mut row = Vec::with_capacity(len);
    for o in 0..outer {
        for i in 0..inner {
            let base = o * len * inner + i;
            row.clear();
            row.extend((0..len).map(|k| data[base + k * inner] as f64));
            let poisoned = row.iter().any(|v| v.is_nan() || *v == f64::INFINITY);
            let m = row
                .iter()
                .copied()
                .filter(|v| v.is_finite())
                .fold(f64::NEG_INFINITY, f64::max);
            let dead = poisoned || m == f64::NEG_INFINITY;
            let s: f64 = row
                .iter()
                .filter(|v| v.is_finite())
                .map(|v| (v - m).exp())
                .sum();
            for (k, &v) in row.iter().enumerate() {
                out[base + k * inner] = if dead {
                    f32::NAN
                } else if v == f64::NEG_INFINITY {
                    0.0
                } else {
                    ((v - m).exp() / s) as f32
                };
            }
        }
    }
    Ok(out)
}

/// Applies `act` to a C-order tensor of `shape`.
pub fn apply(act: &Activation, data: &[f32], shape: &[usize]) -> Result<Vec<f32>> {
    act.validate()?;
    check_len(data, shape)?;
    Ok(match act {
        Activation::Sigmoid => data.iter().map(|&x| sigmoid(x)).collect(),
        Activation::Tanh => data.iter().map(|&x| tanh(x)).collect(),
        Activation::Relu(p) => data.iter().map(|&x| relu(x, p)).collect(),
        Activation::Softmax { axis } => softmax(data, shape, *axis)?,
    })
}

fn check_len(data: &[f32], shape: &[usize]) -> Result<()> {
    let expected = numel(shape)?;
    if expected != data.len() {
        return Err(Error::ShapeMismatch {
            shape: shape.to_vec(),
            expected,
            got: data.len(),
        });
    }
    Ok(())
}
