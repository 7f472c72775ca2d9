//! The fast CPU path: the CPU side of every CPU-vs-GPU comparison.
//!
//! Multi-threaded (one chunk per core), and written so the compiler
//! vectorises the loops: the GPU kernels' methods (own exp, pair-carried
//! `1 + e`, corrected division, an exact x - max) as branch-free f32 code with
//! the polynomial degrees the reduced ranges need, compiled a second time for
//! AVX2 + FMA and picked at run time. Reductions keep 8 accumulators, and
//! softmax prefetches the next row. It meets the same ULP bounds as the GPU;
//! the f64 [`reference`](super::reference) stays the test oracle.

use crate::shape::{numel, split_at_axis};
use crate::{Activation, Error, Relu, Result};
use rayon::prelude::*;

const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
const LOG2E: f32 = std::f32::consts::LOG2_E;

/// `a * b + c`, fused in the AVX2+FMA build (`F`), plain elsewhere (where
/// `mul_add` would be a slow library call).
#[inline(always)]
fn fma<const F: bool>(a: f32, b: f32, c: f32) -> f32 {
    if F { a.mul_add(b, c) } else { a * b + c }
}

#[inline(always)]
fn pow2i(k: i32) -> f32 {
    f32::from_bits(((k + 127) as u32) << 23)
}

/// exp(r) - 1 for |r| <= ln(2) / 2, the range exp's reduction leaves: Taylor
/// to degree 7 (the first term dropped is below 0.05 ULP there).
#[inline(always)]
fn expm1_reduced<const F: bool>(r: f32) -> f32 {
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
fn exp_f32<const F: bool>(d: f32) -> f32 {
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
fn scale(p: f32, n: i32) -> f32 {
    let n1 = n >> 1;
    (p * pow2i(n1)) * pow2i(n - n1)
}

/// exp(x - m) for x <= m, -inf giving 0. Rounding x - m would cost up to
/// |x - m| ULP, so the difference is carried as an exact pair (2Sum) whose low
/// part joins the reduced argument.
#[inline(always)]
fn exp_diff<const F: bool>(x: f32, m: f32) -> f32 {
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
fn div2<const F: bool>(nh: f32, nl: f32, dh: f32, dl: f32) -> f32 {
    let inv = 1.0 / dh;
    let q = nh * inv;
    let r = fma::<F>(-q, dh, nh) + (nl - q * dl);
    fma::<F>(r, inv, q)
}

/// Sigmoid, as in `shaders/sigmoid.wgsl`.
#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    sigmoid_impl::<false>(x)
}

#[inline(always)]
fn sigmoid_impl<const F: bool>(x: f32) -> f32 {
    let e = exp_f32::<F>(-x.abs());
    let d = 1.0 + e;
    let dl = e - (d - 1.0);
    let num = if x < 0.0 { e } else { 1.0 };
    let s = div2::<F>(num, 0.0, d, dl);
    if x.is_nan() { x } else { s }
}

/// tanh: `shaders/tanh.wgsl`'s large-|x| branch; a polynomial below 0.35
/// (both branches computed, one selected).
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    tanh_impl::<false>(x)
}

#[inline(always)]
fn tanh_impl<const F: bool>(x: f32) -> f32 {
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

/// Keras relu, as in `shaders/relu.wgsl`.
#[inline(always)]
pub fn relu(x: f32, p: &Relu) -> f32 {
    let t = p.threshold;
    let above = x > t;
    let mut pos = if above { x } else { 0.0 };
    if let Some(m) = p.max_value {
        pos = pos.max(0.0).min(m);
    }
    if above || p.negative_slope == 0.0 || x.is_nan() {
        return if x.is_nan() { x } else { pos };
    }
    // Halve first when t - x could overflow; scaling by 2 is exact.
    let neg = if t.abs().max(x.abs()) >= 1.0e38 {
        (p.negative_slope * (0.5 * t - 0.5 * x)) * 2.0
    } else {
        p.negative_slope * (t - x)
    };
    pos - neg
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

/// Defines `$name(src, out, param)`: `$body` over the slices, in the
/// AVX2+FMA build (`F = true`) where the CPU has it.
macro_rules! map_fn {
    ($name:ident, $avx:ident, |$x:ident, $p:ident: $pt:ty, $f:ident| $body:expr) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        fn $avx(src: &[f32], out: &mut [f32], $p: $pt) {
            #[allow(dead_code)]
            const $f: bool = true;
            for (o, &$x) in out.iter_mut().zip(src) {
                *o = $body;
            }
        }

        fn $name(src: &[f32], out: &mut [f32], $p: $pt) {
            #[cfg(target_arch = "x86_64")]
            if avx2_fma() {
                // SAFETY: the CPU has the features the function was compiled for.
                return unsafe { $avx(src, out, $p) };
            }
            #[allow(dead_code)]
            const $f: bool = false;
            for (o, &$x) in out.iter_mut().zip(src) {
                *o = $body;
            }
        }
    };
}

map_fn!(
    map_sigmoid,
    map_sigmoid_avx2,
    |x, _p: (), F| sigmoid_impl::<F>(x)
);
map_fn!(map_tanh, map_tanh_avx2, |x, _p: (), F| tanh_impl::<F>(x));
map_fn!(map_relu, map_relu_avx2, |x, p: &Relu, F| relu(x, p));

/// `act(src)` into `out` (same length), on every core.
pub fn apply_into(act: &Activation, src: &[f32], shape: &[usize], out: &mut [f32]) -> Result<()> {
    act.validate()?;
    let n = numel(shape)?;
    if n != src.len() || n != out.len() {
        return Err(Error::ShapeMismatch {
            shape: shape.to_vec(),
            expected: n,
            got: if n != src.len() { src.len() } else { out.len() },
        });
    }
    const GRAIN: usize = 1 << 15;
    match act {
        Activation::Sigmoid => parallel(src, out, GRAIN, |x, o| map_sigmoid(x, o, ())),
        Activation::Tanh => parallel(src, out, GRAIN, |x, o| map_tanh(x, o, ())),
        Activation::Relu(p) => parallel(src, out, GRAIN, |x, o| map_relu(x, o, p)),
        Activation::Softmax { axis } => softmax_into(src, shape, *axis, out)?,
    }
    Ok(())
}

/// `act(src)` as a new vector, on every core.
pub fn apply(act: &Activation, src: &[f32], shape: &[usize]) -> Result<Vec<f32>> {
    let mut out = vec![0.0; src.len()];
    apply_into(act, src, shape, &mut out)?;
    Ok(out)
}

/// A hint to bring the cache line holding `v` into cache.
#[inline(always)]
fn prefetch(v: &f32) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetching never faults, whatever the address.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>((v as *const f32).cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = v;
}

/// How far ahead softmax prefetches, in elements (16 KiB, within L1).
const PREFETCH: usize = 4096;

/// Reductions keep this many independent accumulators, so that they
/// vectorise and do not wait on one add's latency per element.
const LANES: usize = 8;

/// The max of a row, and whether it holds NaN or +inf.
#[inline(always)]
fn row_max(x: &[f32]) -> (f32, bool) {
    let mut m = [f32::NEG_INFINITY; LANES];
    let mut bad = [0u32; LANES];
    let chunks = x.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for i in 0..LANES {
            // NaN never compares greater; it is caught by `bad`.
            m[i] = if c[i] > m[i] { c[i] } else { m[i] };
            bad[i] |= (c[i].is_nan() | (c[i] == f32::INFINITY)) as u32;
        }
    }
    let mut max = m.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
    let mut any_bad = bad.iter().any(|&b| b != 0);
    for &v in rest {
        max = max.max(v);
        any_bad |= v.is_nan() || v == f32::INFINITY;
    }
    (max, any_bad)
}

/// `o = exp(x - m)`, returning the sum of `o` (taken in f64). Two loops, so
/// that the exp runs 8 wide and the f64 sum at its own width.
#[inline(always)]
fn exp_sum<const F: bool>(x: &[f32], o: &mut [f32], m: f32) -> f64 {
    for (o, &x) in o.iter_mut().zip(x) {
        *o = exp_diff::<F>(x, m);
    }
    let mut acc = [0.0f64; LANES];
    let chunks = o.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for i in 0..LANES {
            acc[i] += c[i] as f64;
        }
    }
    acc.iter().sum::<f64>() + rest.iter().map(|&v| v as f64).sum::<f64>()
}

/// Softmax of contiguous rows of `len`: max, exp(x - max) into `out` with
/// its sum in f64, one scaling. Rows with NaN / +inf / only -inf give NaN.
#[inline(always)]
fn softmax_rows_impl<const F: bool>(src: &[f32], out: &mut [f32], len: usize) {
    for (r, (x, o)) in src.chunks(len).zip(out.chunks_mut(len)).enumerate() {
        let next = src.get((r + 1) * len..).unwrap_or(&[]);
        let (m, bad) = row_max(x);
        if bad || m == f32::NEG_INFINITY {
            o.fill(f32::NAN);
            continue;
        }
        // Ask for the next row now, so that its max pass (little compute,
        // all memory) finds it in cache.
        for v in next[..next.len().min(len).min(PREFETCH)].iter().step_by(16) {
            prefetch(v);
        }
        let inv = 1.0 / exp_sum::<F>(x, o, m);
        for v in o.iter_mut() {
            *v = (*v as f64 * inv) as f32;
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn softmax_rows_avx2(src: &[f32], out: &mut [f32], len: usize) {
    softmax_rows_impl::<true>(src, out, len)
}

fn softmax_rows(src: &[f32], out: &mut [f32], len: usize) {
    #[cfg(target_arch = "x86_64")]
    if avx2_fma() {
        // SAFETY: the CPU has the features the function was compiled for.
        return unsafe { softmax_rows_avx2(src, out, len) };
    }
    softmax_rows_impl::<false>(src, out, len)
}

fn softmax_into(src: &[f32], shape: &[usize], axis: isize, out: &mut [f32]) -> Result<()> {
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
            softmax_rows(src, out, len);
        } else {
            out.par_chunks_mut(chunk)
                .zip(src.par_chunks(chunk))
                .for_each(|(o, x)| softmax_rows(x, o, len));
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
            softmax_rows(&row, &mut res, len);
            for k in 0..len {
                out[base + k * inner] = res[k];
            }
        }
    }
    Ok(())
}
