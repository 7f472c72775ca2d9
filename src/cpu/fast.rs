//! The fast CPU path: the CPU side of every CPU-vs-GPU comparison.
//!
//! Multi-threaded (one chunk per core), and written so the compiler
//! vectorises the loops: the GPU kernels' algorithms (own exp, pair-carried
//! `1 + e`, corrected division) as branch-free f32 code, compiled a second time
//! for AVX2 + FMA and picked at run time. It meets the same ULP bounds as the
//! GPU; the f64 [`reference`](super::reference) stays the test oracle.

use crate::shape::{numel, split_at_axis};
use crate::{Activation, Error, Relu, Result};

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

/// exp(r) - 1 for |r| <= 0.7: Taylor to degree 11 (1/k!, k = 11..2), as in
/// `shaders/common.wgsl`.
#[inline(always)]
fn expm1_poly<const F: bool>(r: f32) -> f32 {
    let mut q = 2.505_210_8e-8;
    for c in [
        2.755_732e-7,
        2.755_732e-6,
        2.480_158_7e-5,
        1.984_127e-4,
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
    scale(1.0 + expm1_poly::<F>(r), ni)
}

/// p * 2^n in two exact steps (2^n alone may leave the normal range).
#[inline(always)]
fn scale(p: f32, n: i32) -> f32 {
    let n1 = n >> 1;
    (p * pow2i(n1)) * pow2i(n - n1)
}

/// exp(x - m) for x <= m, -inf giving 0. The difference is taken in f64,
/// where it is exact (rounding it in f32 would cost up to |x - m| ULP), and
/// reduced there; only the polynomial runs in f32.
#[inline(always)]
fn exp_diff<const F: bool>(x: f32, m: f32) -> f32 {
    let d = (x as f64 - m as f64).max(-104.5);
    // Round to nearest by adding 1.5 * 2^52, as in exp_f32.
    let t = d * std::f64::consts::LOG2_E + 6_755_399_441_055_744.0;
    let n = t - 6_755_399_441_055_744.0;
    let ni = (t.to_bits() as i64 - 0x4338_0000_0000_0000) as i32;
    let r = (d - n * std::f64::consts::LN_2) as f32;
    scale(1.0 + expm1_poly::<F>(r), ni)
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

/// tanh, as in `shaders/tanh.wgsl` (both branches computed, one selected).
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    tanh_impl::<false>(x)
}

#[inline(always)]
fn tanh_impl<const F: bool>(x: f32) -> f32 {
    let a = x.abs();
    let sign = f32::from_bits((x.to_bits() & 0x8000_0000) | 0x3f80_0000);
    // |x| < 0.35: m / (m + 2) with m = expm1(2a); else (1 - e) / (1 + e)
    // with e = exp(-2a); both pairs carried exactly.
    let t = 2.0 * a.min(0.35);
    let m = expm1_poly::<F>(t);
    let dm = m + 2.0;
    let small = div2::<F>(m, 0.0, dm, m - (dm - 2.0));
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
    // available_parallelism reads cgroup files on every call (~40 us): once.
    static N: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *N.get_or_init(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    })
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
    std::thread::scope(|s| {
        for (i, o) in out.chunks_mut(chunk).enumerate() {
            let x = &src[i * chunk..i * chunk + o.len()];
            let f = &f;
            s.spawn(move || f(x, o));
        }
    });
}

/// `dst.copy_from_slice(src)` on every core: the host's copy bandwidth, the
/// yardstick `wgact bench` holds the CPU path to.
pub fn memcpy(src: &[f32], dst: &mut [f32]) {
    parallel(src, dst, 1 << 15, |x, o| o.copy_from_slice(x));
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
            if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
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
map_fn!(
    map_exp_diff,
    map_exp_diff_avx2,
    |x, m: f32, F| exp_diff::<F>(x, m)
);

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

/// Softmax of contiguous rows of `len`: max, exp(x - max) into `out`, the sum
/// in f64, one scaling. Rows with NaN / +inf / only -inf give NaN.
fn softmax_rows(src: &[f32], out: &mut [f32], len: usize) {
    for (x, o) in src.chunks(len).zip(out.chunks_mut(len)) {
        let mut m = f32::NEG_INFINITY;
        let mut bad = false;
        for &v in x {
            bad |= v.is_nan() || v == f32::INFINITY;
            m = m.max(v);
        }
        if bad || m == f32::NEG_INFINITY {
            o.fill(f32::NAN);
            continue;
        }
        map_exp_diff(x, o, m);
        let s: f64 = o.iter().map(|&v| v as f64).sum();
        let inv = 1.0 / s;
        for v in o.iter_mut() {
            *v = (*v as f64 * inv) as f32;
        }
    }
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
            std::thread::scope(|s| {
                for (x, o) in src.chunks(chunk).zip(out.chunks_mut(chunk)) {
                    s.spawn(move || softmax_rows(x, o, len));
                }
            });
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
