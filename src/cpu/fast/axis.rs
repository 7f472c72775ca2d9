//! Axis ops over contiguous rows (the driver gathers strided ones), and glu
//! over its halves. Reductions keep 8 accumulators; softmax prefetches the
//! next row.

use super::{avx2_fma, math::*};

/// Defines `$name(src, out, len)` from `$imp::<F>`, built a second time for
/// AVX2 + FMA and picked at run time.
macro_rules! rows_fn {
    ($name:ident, $avx:ident, $imp:ident) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        fn $avx(src: &[f32], out: &mut [f32], len: usize) {
            $imp::<true>(src, out, len)
        }

        pub(crate) fn $name(src: &[f32], out: &mut [f32], len: usize) {
            #[cfg(target_arch = "x86_64")]
            if avx2_fma() {
                // SAFETY: the CPU has the features the function was compiled for.
                return unsafe { $avx(src, out, len) };
            }
            $imp::<false>(src, out, len)
        }
    };
}

rows_fn!(softmax, softmax_avx2, softmax_impl);
rows_fn!(log_softmax, log_softmax_avx2, log_softmax_impl);
rows_fn!(sparsemax, sparsemax_avx2, sparsemax_impl);

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
fn softmax_impl<const F: bool>(src: &[f32], out: &mut [f32], len: usize) {
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

/// `t = sum(exp(x - m)) - 1` for a row with max `m`, in f64: the entries
/// equal to `m` contribute exactly 1 each and are counted, so a row whose
/// other terms are tiny keeps them (log_softmax needs log1p(t)).
#[inline(always)]
fn sum_minus_one<const F: bool>(x: &[f32], m: f32) -> f64 {
    let mut acc = [0.0f64; LANES];
    let mut at_max = [0u32; LANES];
    let chunks = x.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for i in 0..LANES {
            let top = c[i] == m;
            at_max[i] += top as u32;
            acc[i] += if top {
                0.0
            } else {
                exp_diff::<F>(c[i], m) as f64
            };
        }
    }
    let mut count = at_max.iter().map(|&c| c as f64).sum::<f64>();
    let mut sum = acc.iter().sum::<f64>();
    for &v in rest {
        if v == m {
            count += 1.0;
        } else {
            sum += exp_diff::<F>(v, m) as f64;
        }
    }
    // (count - 1) is an exact integer; adding the small rest to it last
    // keeps the rest's bits when the count is 1.
    (count - 1.0) + sum
}

/// log_softmax of contiguous rows: `(x - m) - log1p(t)` in f64, rounded once.
#[inline(always)]
fn log_softmax_impl<const F: bool>(src: &[f32], out: &mut [f32], len: usize) {
    for (x, o) in src.chunks(len).zip(out.chunks_mut(len)) {
        let (m, bad) = row_max(x);
        if bad || m == f32::NEG_INFINITY {
            o.fill(f32::NAN);
            continue;
        }
        let l = sum_minus_one::<F>(x, m).ln_1p();
        let m = m as f64;
        for (o, &v) in o.iter_mut().zip(x) {
            *o = ((v as f64 - m) - l) as f32;
        }
    }
}

/// sparsemax of contiguous rows: the threshold tau by Michelot's iteration
/// from below (tau_0 = max - 1; each step averages the entries above the
/// current tau; it rises monotonically and stops once the support stays the
/// same), in f64 on x - max, then `max(x - tau, 0)`.
#[inline(always)]
fn sparsemax_impl<const F: bool>(src: &[f32], out: &mut [f32], len: usize) {
    for (x, o) in src.chunks(len).zip(out.chunks_mut(len)) {
        let (m, bad) = row_max(x);
        if bad || m == f32::NEG_INFINITY {
            o.fill(f32::NAN);
            continue;
        }
        let m = m as f64;
        let mut tau = -1.0f64;
        let mut support = usize::MAX;
        loop {
            let (mut sum, mut k) = (0.0f64, 0usize);
            for &v in x {
                let z = v as f64 - m;
                if z > tau {
                    sum += z;
                    k += 1;
                }
            }
            let next = (sum - 1.0) / k as f64;
            if k == support || next <= tau {
                break;
            }
            (tau, support) = (next, k);
        }
        for (o, &v) in o.iter_mut().zip(x) {
            *o = ((v as f64 - m) - tau).max(0.0) as f32;
        }
    }
}

/// glu: `a * sigmoid(b)`. Below b = -64 sigmoid(b) is exp(b) to f32
/// precision and may be subnormal, so that tail takes `a * exp(b)` in f64.
#[inline(always)]
fn glu_impl<const F: bool>(a: &[f32], b: &[f32], out: &mut [f32]) {
    for ((o, &a), &b) in out.iter_mut().zip(a).zip(b) {
        *o = if b < -64.0 {
            // sigmoid(b) > 0 above -inf, even where exp underflows.
            let e = (b as f64).exp();
            let e = if e == 0.0 && b > f32::NEG_INFINITY {
                f64::MIN_POSITIVE
            } else {
                e
            };
            (a as f64 * e) as f32
        } else {
            // a * num / (1 + e) with the product and 1 + e as exact pairs.
            let e = exp_f32::<F>(-b.abs());
            let num = if b < 0.0 { e } else { 1.0 };
            let p = a * num;
            let d = 1.0 + e;
            let v = div2::<F>(p, fma::<F>(a, num, -p), d, e - (d - 1.0));
            if b.is_nan() {
                b
            } else if a.is_infinite() {
                a
            } else {
                v
            }
        };
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn glu_avx2(a: &[f32], b: &[f32], out: &mut [f32]) {
    glu_impl::<true>(a, b, out)
}

/// glu over the halves `a`, `b` into `out`.
pub(crate) fn glu(a: &[f32], b: &[f32], out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if avx2_fma() {
        // SAFETY: the CPU has the features the function was compiled for.
        return unsafe { glu_avx2(a, b, out) };
    }
    glu_impl::<false>(a, b, out)
}
