//! The backward on the CPU, on every core: each op's derivative as the
//! reference evaluates it (`cpu::reference::grad`, f64, rounded once), run in
//! parallel chunks (elementwise ops) or outer slices (axis ops, glu). Its
//! accuracy is the reference's; its speed is what `wgact bench --grad`
//! compares the GPU with.

use crate::activation::{GradFrom, RefGrad};
use crate::shape::{numel, split_at_axis};
use crate::{Activation, Result};
use rayon::prelude::*;

/// The backward of `act` (see [`crate::cpu::reference::backward`]) into a
/// new vector of the input's shape, on every core.
pub fn backward(act: &Activation, v: &[f32], dy: &[f32], shape: &[usize]) -> Result<Vec<f32>> {
    act.validate()?;
    let out_shape = act.output_shape(shape)?;
    let v_shape = match act.info().grad_from {
        GradFrom::X => shape.to_vec(),
        GradFrom::Y => out_shape.clone(),
    };
    crate::cpu::reference::check_len(v, &v_shape)?;
    crate::cpu::reference::check_len(dy, &out_shape)?;
    let n = numel(shape)?;
    let mut out = vec![0.0f32; n];
    if n == 0 {
        return Ok(out);
    }
    let threads = rayon::current_num_threads();
    match act.reference_grad_fn() {
        RefGrad::Map(f) => {
            let chunk = n.div_ceil(threads).max(1 << 12);
            out.par_chunks_mut(chunk)
                .zip(v.par_chunks(chunk))
                .zip(dy.par_chunks(chunk))
                .for_each(|((o, v), d)| {
                    for ((o, &v), &d) in o.iter_mut().zip(v).zip(d) {
                        *o = f(v, d);
                    }
                });
        }
        RefGrad::Row(_) | RefGrad::Pair(_) => {
            // Outer slices are independent: each through the reference.
            let (outer, len, inner) = split_at_axis(shape, act.axis().unwrap_or(-1))?;
            let per = outer.div_ceil(threads).max(1);
            let plane = len * inner;
            let one = act.with_axis(1);
            let out_plane = numel(&one.output_shape(&[1, len, inner])?)?;
            let v_plane = if act.info().grad_from == GradFrom::X {
                plane
            } else {
                out_plane
            };
            out.par_chunks_mut(per * plane)
                .zip(v.par_chunks(per * v_plane))
                .zip(dy.par_chunks(per * out_plane))
                .try_for_each(|((o, v), d)| -> Result<()> {
                    let slices = o.len() / plane;
                    let r = crate::cpu::reference::backward(&one, v, d, &[slices, len, inner])?;
                    o.copy_from_slice(&r);
                    Ok(())
                })?;
        }
    }
    Ok(out)
}
