//! The reference for every op: computed in f64, rounded to f32 once. Every
//! GPU result, and the fast CPU path, is tested against it. One function per
//! op, named as in the op table: elementwise ops `fn(x, params..) -> f32`,
//! axis ops `fn(row, out)` over one row, glu `fn(a, b) -> f32`.

mod axis;
mod exp_family;
mod gelu_family;
pub mod grad;
mod piecewise;

// Every op's function, by the name the op table gives it: adding an op adds
// a function to one of these files and nothing here.
pub use axis::*;
pub use exp_family::*;
pub use gelu_family::*;
pub use piecewise::*;

use crate::activation::{RefFn, RefGrad};
use crate::shape::{numel, split_at_axis};
use crate::{Activation, Error, Result};

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

/// Applies `act` to a C-order tensor of `shape`; the result has
/// [`Activation::output_shape`].
pub fn apply(act: &Activation, data: &[f32], shape: &[usize]) -> Result<Vec<f32>> {
    act.validate()?;
    check_len(data, shape)?;
    act.output_shape(shape)?;
    Ok(match act.reference_fn() {
        RefFn::Map(f) => data.iter().map(|&x| f(x)).collect(),
        RefFn::Row(f) => {
            let (outer, len, inner) = split_at_axis(shape, act.axis().unwrap_or(-1))?;
            let mut out = vec![0.0f32; data.len()];
            let (mut row, mut res) = (vec![0.0f32; len], vec![0.0f32; len]);
            for o in 0..outer {
                for i in 0..inner {
                    let base = o * len * inner + i;
                    for (k, r) in row.iter_mut().enumerate() {
                        *r = data[base + k * inner];
                    }
                    f(&row, &mut res);
                    for (k, r) in res.iter().enumerate() {
                        out[base + k * inner] = *r;
                    }
                }
            }
            out
        }
        RefFn::Pair(f) => {
            let (outer, len, inner) = split_at_axis(shape, act.axis().unwrap_or(-1))?;
            let half = len / 2 * inner;
            let mut out = Vec::with_capacity(data.len() / 2);
            for o in 0..outer {
                let plane = &data[o * 2 * half..(o + 1) * 2 * half];
                let (a, b) = plane.split_at(half);
                out.extend(a.iter().zip(b).map(|(&a, &b)| f(a, b)));
            }
            out
        }
    })
}

/// The backward of `act` (its vector-Jacobian product) for a C-order tensor
/// of `shape`: `v` is the forward input or output as the op table's `grad`
/// says ([`OpInfo::grad_from`](crate::activation::OpInfo::grad_from)), `dy`
/// has the forward output's shape, and the result the input's.
pub fn backward(act: &Activation, v: &[f32], dy: &[f32], shape: &[usize]) -> Result<Vec<f32>> {
    act.validate()?;
    let out_shape = act.output_shape(shape)?;
    let v_shape = match act.info().grad_from {
        crate::activation::GradFrom::X => shape.to_vec(),
        crate::activation::GradFrom::Y => out_shape.clone(),
    };
    check_len(v, &v_shape)?;
    check_len(dy, &out_shape)?;
    Ok(match act.reference_grad_fn() {
        RefGrad::Map(f) => v.iter().zip(dy).map(|(&v, &d)| f(v, d)).collect(),
        RefGrad::Row(f) => {
            let (outer, len, inner) = split_at_axis(shape, act.axis().unwrap_or(-1))?;
            let mut out = vec![0.0f32; v.len()];
            let mut rows = [vec![0.0f32; len], vec![0.0f32; len], vec![0.0f32; len]];
            for o in 0..outer {
                for i in 0..inner {
                    let base = o * len * inner + i;
                    for k in 0..len {
                        rows[0][k] = v[base + k * inner];
                        rows[1][k] = dy[base + k * inner];
                    }
                    let [y, d, r] = &mut rows;
                    f(y, d, r);
                    for (k, r) in r.iter().enumerate() {
                        out[base + k * inner] = *r;
                    }
                }
            }
            out
        }
        RefGrad::Pair(f) => {
            let (outer, len, inner) = split_at_axis(shape, act.axis().unwrap_or(-1))?;
            let half = len / 2 * inner;
            let mut out = vec![0.0f32; v.len()];
            for o in 0..outer {
                for j in 0..half {
                    let (ia, ib) = (o * 2 * half + j, o * 2 * half + half + j);
                    let (da, db) = f(v[ia], v[ib], dy[o * half + j]);
                    out[ia] = da;
                    out[ib] = db;
                }
            }
            out
        }
    })
}

pub(crate) fn check_len(data: &[f32], shape: &[usize]) -> Result<()> {
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
