//! The fast CPU path: the CPU side of every CPU-vs-GPU comparison.
//!
//! Multi-threaded (one chunk per core), and written so the compiler
//! vectorises the loops: the GPU kernels' methods (own exp, pair-carried
//! `1 + e`, corrected division, an exact x - max) as branch-free f32 code with
//! the polynomial degrees the reduced ranges need, compiled a second time for
//! AVX2 + FMA and picked at run time. One function per op, named as in the op
//! table; it meets the same ULP bounds as the GPU; the f64
//! [`reference`](super::reference) stays the test oracle.

mod axis;
mod backward;
mod exp_family;
mod gelu_family;
mod math;
mod piecewise;

// Every op's function, by the name the op table gives it: adding an op adds
// a function to one of these files and nothing here.
pub(crate) use axis::*;
pub use backward::backward;
pub(crate) use exp_family::*;
pub(crate) use gelu_family::*;
pub(crate) use math::*;
pub(crate) use piecewise::*;

use crate::activation::FastFn;
use crate::shape::{numel, split_at_axis};
use crate::{Activation, Error, Result};
use rayon::prelude::*;

/// Sigmoid, as in `shaders/elementary.wgsl`.
#[inline(always)]
pub(crate) fn sigmoid<const F: bool>(x: f32) -> f32 {
    sigmoid_impl::<F>(x)
}

/// tanh, as in `shaders/elementary.wgsl` (a polynomial below 0.35).
#[inline(always)]
pub(crate) fn tanh<const F: bool>(x: f32) -> f32 {
    tanh_impl::<F>(x)
}

fn threads() -> usize {
    rayon::current_num_threads()
}

/// Splits `out` (and the matching `src`) into one chunk per core of at least
/// `grain` elements and runs `f` on each, in parallel.
fn parallel(src: &[f32], out: &mut [f32], grain: usize, f: impl Fn(&[f32], &mut [f32]) + Sync) {
    let n = out.len();
    let chunk = n.div_ceil(threads()).max(grain);
    if chunk >= n {
        f(src, out);
        return;
    }
    // rayon's pool: no thread is spawned per call.
    out.par_chunks_mut(chunk)
        .zip(src.par_chunks(chunk))
        .for_each(|(o, x)| f(x, o));
}

/// `dst.copy_from_slice(src)` on every core: the host's copy bandwidth, the
/// yardstick `wgact bench` holds the CPU path to.
pub fn memcpy(src: &[f32], dst: &mut [f32]) {
    parallel(src, dst, 1 << 15, |x, o| o.copy_from_slice(x));
}

#[cfg(target_arch = "x86_64")]
fn avx2_fma() -> bool {
    std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn map_avx2(act: &Activation, src: &[f32], out: &mut [f32]) {
    act.fast_map::<true>(src, out);
}

/// An elementwise op over a slice, in the AVX2+FMA build where the CPU has it.
fn map(act: &Activation, src: &[f32], out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if avx2_fma() {
        // SAFETY: the CPU has the features the function was compiled for.
        return unsafe { map_avx2(act, src, out) };
    }
    act.fast_map::<false>(src, out);
}

/// `act(src)` into `out` (`out` has [`Activation::output_shape`]), on every core.
pub fn apply_into(act: &Activation, src: &[f32], shape: &[usize], out: &mut [f32]) -> Result<()> {
    act.validate()?;
    let n = numel(shape)?;
    let n_out = numel(&act.output_shape(shape)?)?;
    if n != src.len() || n_out != out.len() {
        return Err(Error::ShapeMismatch {
            shape: shape.to_vec(),
            expected: if n != src.len() { n } else { n_out },
            got: if n != src.len() { src.len() } else { out.len() },
        });
    }
    if src.is_empty() {
        return Ok(());
    }
    const GRAIN: usize = 1 << 15;
    match act.op().fast_fn() {
        FastFn::Map => parallel(src, out, GRAIN, |x, o| map(act, x, o)),
        FastFn::Row(f) => rows_into(src, shape, act.axis().unwrap_or(-1), out, f)?,
        FastFn::Pair(f) => {
            let (_, len, inner) = split_at_axis(shape, act.axis().unwrap_or(-1))?;
            let half = len / 2 * inner;
            if half > 0 {
                out.par_chunks_mut(half)
                    .zip(src.par_chunks(2 * half))
                    .for_each(|(o, plane)| {
                        let (a, b) = plane.split_at(half);
                        f(a, b, o)
                    });
            }
        }
    }
    Ok(())
}

/// `act(src)` as a new vector, on every core.
pub fn apply(act: &Activation, src: &[f32], shape: &[usize]) -> Result<Vec<f32>> {
    let mut out = vec![0.0; numel(&act.output_shape(shape)?)?];
    apply_into(act, src, shape, &mut out)?;
    Ok(out)
}

/// A row op along `axis`: contiguous rows in parallel chunks; strided rows
/// gathered, run through the contiguous path, and scattered back.
fn rows_into(
    src: &[f32],
    shape: &[usize],
    axis: isize,
    out: &mut [f32],
    f: fn(&[f32], &mut [f32], usize),
) -> Result<()> {
    let (outer, len, inner) = split_at_axis(shape, axis)?;
    if src.is_empty() {
        return Ok(());
    }
    if inner == 1 {
        let rows_per = (outer.div_ceil(threads()))
            .max((1 << 14) / len.max(1))
            .max(1);
        let chunk = rows_per * len;
        if chunk >= src.len() {
            f(src, out, len);
        } else {
            out.par_chunks_mut(chunk)
                .zip(src.par_chunks(chunk))
                .for_each(|(o, x)| f(x, o, len));
        }
        return Ok(());
    }
    // Strided rows: gather each row, reuse the contiguous path, scatter back.
    let mut row = vec![0.0f32; len];
    let mut res = vec![0.0f32; len];
    for o in 0..outer {
        for i in 0..inner {
            let base = o * len * inner + i;
            for k in 0..len {
                row[k] = src[base + k * inner];
            }
            f(&row, &mut res, len);
            for k in 0..len {
                out[base + k * inner] = res[k];
            }
        }
    }
    Ok(())
}
