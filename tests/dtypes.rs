//! f16 and bf16 tensors: every op of the table on 16-bit inputs and outputs,
//! through WGSL's `f16` where the adapter has it and through pairs packed in
//! `u32` words (both chosen by `ContextOptions::packed_f16`), against the f64
//! reference rounded to the dtype; casts; odd lengths and the tail half-word;
//! mixed-precision outputs; every path (in place, chains, encode, async
//! readback, several bindings and buffers).

mod common;

use std::sync::OnceLock;
use wgact::half::{bf16, f16};
use wgact::{Activation, Context, ContextOptions, DType, Op, Relu, verify};

fn with_f16(packed: bool) -> Context {
    Context::with_options(ContextOptions {
        packed_f16: Some(packed),
        ..Default::default()
    })
    .expect("NO GPU ADAPTER (tests never skip)")
}

/// Both f16 paths where the adapter has WGSL's f16 (lavapipe does); the
/// packed one twice where it does not (llvmpipe GL).
fn contexts() -> Vec<(&'static str, &'static Context)> {
    static NATIVE: OnceLock<Context> = OnceLock::new();
    static PACKED: OnceLock<Context> = OnceLock::new();
    let native = NATIVE.get_or_init(|| with_f16(false));
    let packed = PACKED.get_or_init(|| with_f16(true));
    eprintln!("WGSL f16 on this adapter: {}", native.native_f16());
    assert!(!packed.native_f16());
    vec![("native", native), ("packed", packed)]
}

fn sweep(dtype: DType, ctx: &Context, ops: &[Op]) {
    for r in verify::run_ops_in(ctx, ops, 3000, false, dtype).unwrap() {
        assert!(
            r.passed(),
            "{dtype} {}: {} ULP > {} at (input, reference, got) {:?}",
            r.name,
            r.stats.max_ulp,
            r.bound,
            r.stats.worst
        );
        assert_eq!(
            r.stats.flushed * (dtype == DType::F16) as usize,
            0,
            "{}: f16 subnormal flushed",
            r.name
        );
    }
}

#[test]
fn every_op_in_f16_within_one_ulp() {
    for (_, ctx) in contexts() {
        sweep(DType::F16, ctx, Op::ALL);
    }
}

#[test]
fn every_op_in_bf16_within_one_ulp() {
    // bf16 is packed in u32 words on every adapter; the packed context
    // differs only for f16.
    sweep(DType::Bf16, common::ctx(), Op::ALL);
}

/// Every f16 bit pattern through `linear` (a cast in place) and into f32,
/// and every f32 result class back: decoding and rounding are exact.
#[test]
fn f16_codec_exact_for_every_bit_pattern() {
    let all: Vec<f16> = (0..=u16::MAX).map(f16::from_bits).collect();
    for (name, ctx) in contexts() {
        let x = ctx.upload(&all, &[all.len()]).unwrap();
        let wide = ctx.cast(&x, DType::F32).unwrap();
        let got = ctx.read(&wide).unwrap();
        for (h, g) in all.iter().zip(&got) {
            let want = h.to_f32();
            assert!(
                want.to_bits() == g.to_bits() || (want.is_nan() && g.is_nan()),
                "{name}: f16 {:#06x} widened to {g:e} ({:#010x})",
                h.to_bits(),
                g.to_bits()
            );
        }
        let back: Vec<f16> = ctx.read_as(&ctx.cast(&wide, DType::F16).unwrap()).unwrap();
        for (h, b) in all.iter().zip(&back) {
            assert!(
                h.to_bits() == b.to_bits() || (h.is_nan() && b.is_nan()),
                "{name}: f16 {:#06x} came back as {:#06x}",
                h.to_bits(),
                b.to_bits()
            );
        }
    }
}

/// f32 → f16 and bf16 rounding, ties to even, at every boundary: random bit
/// patterns, the half-way points between neighbours, overflow, underflow.
#[test]
fn rounding_to_16_bits_is_to_nearest_even() {
    let mut rng = verify::Rng::new(7);
    let mut xs: Vec<f32> = (0..200_000)
        .map(|_| f32::from_bits(rng.next_u64() as u32))
        .collect();
    for b in 0..=u16::MAX {
        for v in [f16::from_bits(b).to_f32(), bf16::from_bits(b).to_f32()] {
            if v.is_finite() {
                // The value, its neighbours in f32, and the half-way points.
                let up = f32::from_bits(v.to_bits() + 1);
                xs.extend([v, up, f32::from_bits(v.to_bits().wrapping_sub(1))]);
            }
        }
        let (h, n) = (f16::from_bits(b), f16::from_bits(b.wrapping_add(1)));
        if h.is_finite() && n.is_finite() && (b & 0x7fff) != 0x7fff {
            xs.push(((h.to_f64() + n.to_f64()) / 2.0) as f32);
        }
        let (h, n) = (bf16::from_bits(b), bf16::from_bits(b.wrapping_add(1)));
        if h.is_finite() && n.is_finite() {
            xs.push(((h.to_f64() + n.to_f64()) / 2.0) as f32);
        }
    }
    xs.extend([
        65519.996,
        65520.0,
        65504.0,
        1e-8,
        2.9802322e-8,
        2.9802326e-8,
        f32::MAX,
    ]);
    let xs: Vec<f32> = xs
        .into_iter()
        .filter(|v| v.is_finite() || v.is_nan() || v.is_infinite())
        .collect();
    for (name, ctx) in contexts() {
        let x = ctx.upload(&xs, &[xs.len()]).unwrap();
        let h: Vec<f16> = ctx.read_as(&ctx.cast(&x, DType::F16).unwrap()).unwrap();
        let b: Vec<bf16> = ctx.read_as(&ctx.cast(&x, DType::Bf16).unwrap()).unwrap();
        for ((&v, h), b) in xs.iter().zip(&h).zip(&b) {
            let (wh, wb) = (f16::from_f32(v), bf16::from_f32(v));
            assert!(
                wh.to_bits() == h.to_bits() || (wh.is_nan() && h.is_nan()),
                "{name}: {v:e} ({:#010x}) to f16: {:#06x}, want {:#06x}",
                v.to_bits(),
                h.to_bits(),
                wh.to_bits()
            );
            assert!(
                wb.to_bits() == b.to_bits() || (wb.is_nan() && b.is_nan()),
                "{name}: {v:e} to bf16: {:#06x}, want {:#06x}",
                b.to_bits(),
                wb.to_bits()
            );
        }
    }
}

fn reference(act: &Activation, x: &[f32], shape: &[usize], dtype: DType) -> Vec<f32> {
    wgact::cpu::apply(act, x, shape)
        .unwrap()
        .into_iter()
        .map(|v| dtype.round(v))
        .collect()
}

fn assert_within(dtype: DType, what: &str, want: &[f32], got: &[f32]) {
    assert_eq!(want.len(), got.len(), "{what}");
    for (i, (w, g)) in want.iter().zip(got).enumerate() {
        let e = dtype.ulp_error(*w, *g);
        assert!(
            e <= verify::HALF_BOUND,
            "{what}: element {i}: {g:e}, want {w:e} ({e} ULP)"
        );
    }
}

/// Odd lengths (a tail half-word), every length around the vec4 groups, in
/// place and not; the 2 bytes after an odd-length wrapped tensor are left as
/// they were.
#[test]
fn odd_lengths_and_the_tail_half_word() {
    let act = Activation::Sigmoid;
    for (name, ctx) in contexts() {
        for dtype in [DType::F16, DType::Bf16] {
            for n in [1usize, 2, 3, 5, 6, 7, 9, 13, 1023, 1025] {
                let data: Vec<f32> = common::random(n, n as u64)
                    .iter()
                    .map(|&v| dtype.round(v))
                    .collect();
                let want = reference(&act, &data, &[n], dtype);
                let x = ctx.upload_as(&data, &[n], dtype).unwrap();
                let y = ctx.apply(&act, &x).unwrap();
                assert_eq!(y.dtype(), dtype);
                assert_within(
                    dtype,
                    &format!("{name} {dtype} n={n}"),
                    &want,
                    &ctx.read(&y).unwrap(),
                );
                let mut x = x;
                ctx.apply_inplace(&act, &mut x).unwrap();
                assert_within(
                    dtype,
                    &format!("{name} {dtype} in place n={n}"),
                    &want,
                    &ctx.read(&x).unwrap(),
                );
            }
            // A caller's buffer: an odd-length tensor, then a sentinel in the
            // other half of its last word.
            let n = 7;
            let mut words = vec![0u16; 8];
            for (i, w) in words.iter_mut().take(n).enumerate() {
                *w = match dtype {
                    DType::F16 => f16::from_f32(i as f32 - 3.0).to_bits(),
                    _ => bf16::from_f32(i as f32 - 3.0).to_bits(),
                };
            }
            words[7] = 0xbeef;
            let buf = wgact::wgpu::util::DeviceExt::create_buffer_init(
                ctx.device(),
                &wgact::wgpu::util::BufferInitDescriptor {
                    label: None,
                    contents: bytemuck_bytes(&words),
                    usage: wgact::wgpu::BufferUsages::STORAGE | wgact::wgpu::BufferUsages::COPY_SRC,
                },
            );
            let mut t = ctx.wrap_as(&buf, 0, &[n], dtype).unwrap();
            ctx.apply_inplace(&act, &mut t).unwrap();
            let whole = ctx.wrap_as(&buf, 0, &[8], dtype).unwrap();
            let got = ctx.read(&whole).unwrap();
            let data: Vec<f32> = (0..n).map(|i| i as f32 - 3.0).collect();
            assert_within(dtype, name, &reference(&act, &data, &[n], dtype), &got[..n]);
            let sentinel = match dtype {
                DType::F16 => f16::from_bits(0xbeef).to_f32(),
                _ => bf16::from_bits(0xbeef).to_f32(),
            };
            assert_eq!(
                got[7].to_bits(),
                sentinel.to_bits(),
                "{name} {dtype}: the next half-word was written"
            );
        }
    }
}

fn bytemuck_bytes(words: &[u16]) -> &[u8] {
    // SAFETY: u16 has no padding; the slice covers exactly the words.
    unsafe { std::slice::from_raw_parts(words.as_ptr().cast(), words.len() * 2) }
}

/// f32 results from 16-bit inputs and 16-bit results from f32 inputs, for an
/// elementwise op, an axis op and glu.
#[test]
fn mixed_precision_outputs() {
    let ctx = common::ctx();
    let cases = [
        (Activation::Gelu { approximate: false }, vec![1000usize]),
        (Activation::Softmax { axis: -1 }, vec![10, 37]),
        (Activation::LogSoftmax { axis: 0 }, vec![37, 10]),
        (Activation::Glu { axis: -1 }, vec![9, 14]),
    ];
    for (act, shape) in cases {
        let n: usize = shape.iter().product();
        for dtype in [DType::F16, DType::Bf16] {
            let data: Vec<f32> = common::random(n, 3)
                .iter()
                .map(|&v| dtype.round(v))
                .collect();
            let out_shape = act.output_shape(&shape).unwrap();
            // 16-bit in, f32 out: within the f32 bound of the op.
            let x = ctx.upload_as(&data, &shape, dtype).unwrap();
            let y = ctx.zeros_as(&out_shape, DType::F32).unwrap();
            ctx.apply_into(&act, &x, &y).unwrap();
            let want = wgact::cpu::apply(&act, &data, &shape).unwrap();
            let bound = verify::bound(&act, shape[shape.len() - 1]);
            for (w, g) in want.iter().zip(ctx.read(&y).unwrap()) {
                assert!(
                    wgact::ulp::ulp_error(*w, g) <= bound,
                    "{act} {dtype}→f32: {g} vs {w}"
                );
            }
            // f32 in, 16-bit out.
            let x = ctx.upload(&data, &shape).unwrap();
            let y = ctx.zeros_as(&out_shape, dtype).unwrap();
            ctx.apply_into(&act, &x, &y).unwrap();
            assert_within(
                dtype,
                &format!("{act} f32→{dtype}"),
                &reference(&act, &data, &shape, dtype),
                &ctx.read(&y).unwrap(),
            );
        }
    }
}

/// Chains, encode into a caller's encoder, async readback, and a tensor
/// split across bindings and buffers, in f16 and bf16.
#[test]
fn every_path_in_16_bits() {
    let capped = Context::with_options(ContextOptions {
        max_binding_size: Some(4096),
        max_buffer_size: Some(8192),
        ..Default::default()
    })
    .unwrap();
    for dtype in [DType::F16, DType::Bf16] {
        // Several buffers (8192 bytes hold 2048 f32 elements) and bindings.
        let n = 5001;
        let data: Vec<f32> = common::random(n, 11)
            .iter()
            .map(|&v| dtype.round(v))
            .collect();
        for act in [Activation::Tanh, Activation::Softmax { axis: -1 }] {
            let shape = [n / 3, 3];
            let x = capped.upload_as(&data[..n / 3 * 3], &shape, dtype).unwrap();
            assert!(x.parts().count() > 1);
            let y = capped.apply(&act, &x).unwrap();
            assert_within(
                dtype,
                &format!("capped {act} {dtype}"),
                &reference(&act, &data[..n / 3 * 3], &shape, dtype),
                &capped.read(&y).unwrap(),
            );
        }
        let ctx = common::ctx();
        let x = ctx.upload_as(&data, &[n], dtype).unwrap();
        // A chain: relu then sigmoid, each result rounded to the dtype.
        let relu = Activation::from(Relu::default());
        let mut chain = ctx.chain();
        let a = chain.apply(&relu, &x).unwrap();
        let b = chain.apply(&Activation::Sigmoid, &a).unwrap();
        let got = chain.read(&[&b]).unwrap().pop().unwrap();
        let mid = reference(&relu, &data, &[n], dtype);
        assert_within(
            dtype,
            "chain",
            &reference(&Activation::Sigmoid, &mid, &[n], dtype),
            &got,
        );
        // encode into the caller's encoder, read back asynchronously.
        let y = ctx.empty_as(&[n], dtype).unwrap();
        let mut enc = ctx.device().create_command_encoder(&Default::default());
        ctx.encode(&mut enc, &Activation::Silu { beta: 1.0 }, &x, Some(&y))
            .unwrap();
        ctx.queue().submit([enc.finish()]);
        let got = pollster_block(ctx.read_async(&y)).unwrap();
        assert_within(
            dtype,
            "encode",
            &reference(&Activation::Silu { beta: 1.0 }, &data, &[n], dtype),
            &got,
        );
    }
}

fn pollster_block<F: std::future::Future>(f: F) -> F::Output {
    // A minimal executor: poll until ready (read_async's polls drive wgpu).
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    let mut f = std::pin::pin!(f);
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

/// Special values exact: overflow past 65504 is ±inf in f16, NaN stays NaN,
/// -0 stays -0, f16 subnormal results are kept on both paths.
#[test]
fn special_values_in_16_bits() {
    for (name, ctx) in contexts() {
        let x = ctx
            .upload_as(
                &[
                    -0.0,
                    0.0,
                    f32::NAN,
                    f32::INFINITY,
                    f32::NEG_INFINITY,
                    12.0,
                    5.9604645e-8,
                    -6.097_555e-5,
                ],
                &[8],
                DType::F16,
            )
            .unwrap();
        let e = ctx
            .read(&ctx.apply(&Activation::Exponential, &x).unwrap())
            .unwrap();
        assert_eq!(
            e[5],
            f32::INFINITY,
            "{name}: exp(12) = 162755 overflows f16"
        );
        assert!(
            e[2].is_nan() && e[0] == 1.0 && e[4] == 0.0 && e[3] == f32::INFINITY,
            "{name}: {e:?}"
        );
        let l = ctx
            .read(&ctx.apply(&Activation::Linear, &x).unwrap())
            .unwrap();
        assert!(
            l[0] == 0.0 && l[0].is_sign_negative(),
            "{name}: -0 lost: {l:?}"
        );
        assert_eq!(l[6], 5.9604645e-8, "{name}: least f16 subnormal");
        assert_eq!(l[7], -6.097_555e-5, "{name}: largest f16 subnormal");
        // tanh keeps -0 and subnormals (tanh x = x there).
        let t = ctx
            .read(&ctx.apply(&Activation::Tanh, &x).unwrap())
            .unwrap();
        assert!(
            t[0] == 0.0 && t[0].is_sign_negative(),
            "{name}: tanh(-0): {t:?}"
        );
        assert_eq!(t[6], 5.9604645e-8, "{name}: tanh of the least subnormal");
    }
}

/// The backward on 16-bit tensors (through f32): dx rounded once to the
/// dtype, within 1 ULP of the reference rounded to it, for an elementwise
/// op, an axis op and glu, out of place and over dy.
#[test]
fn backward_in_16_bits() {
    let ctx = common::ctx();
    let cases = [
        (Activation::Tanh, vec![1001usize]),
        (Activation::Softmax { axis: -1 }, vec![11, 13]),
        (Activation::Glu { axis: -1 }, vec![7, 10]),
    ];
    for (act, shape) in cases {
        let n: usize = shape.iter().product();
        let m: usize = act.output_shape(&shape).unwrap().iter().product();
        for dtype in [DType::F16, DType::Bf16] {
            let x: Vec<f32> = common::random(n, 5)
                .iter()
                .map(|&v| dtype.round(v))
                .collect();
            let dy: Vec<f32> = common::random(m, 6)
                .iter()
                .map(|&v| dtype.round(v / 3.0))
                .collect();
            let out_shape = act.output_shape(&shape).unwrap();
            // The reference reads y for ops whose backward does.
            let v = match act.info().grad_from {
                wgact::activation::GradFrom::Y => wgact::cpu::apply(&act, &x, &shape).unwrap(),
                wgact::activation::GradFrom::X => x.clone(),
            };
            let want: Vec<f32> = wgact::cpu::backward(&act, &v, &dy, &shape)
                .unwrap()
                .into_iter()
                .map(|v| dtype.round(v))
                .collect();
            let xt = ctx.upload_as(&x, &shape, dtype).unwrap();
            let dyt = ctx.upload_as(&dy, &out_shape, dtype).unwrap();
            let dx = ctx.backward(&act, &xt, &dyt).unwrap();
            assert_eq!(dx.dtype(), dtype);
            assert_within(
                dtype,
                &format!("{act}' {dtype}"),
                &want,
                &ctx.read(&dx).unwrap(),
            );
            if act.is_elementwise() || matches!(act, Activation::Softmax { .. }) {
                let mut d = ctx.upload_as(&dy, &out_shape, dtype).unwrap();
                ctx.backward_inplace(&act, &xt, &mut d).unwrap();
                assert_within(
                    dtype,
                    &format!("{act}' {dtype} over dy"),
                    &want,
                    &ctx.read(&d).unwrap(),
                );
            }
        }
    }
}

/// Softmax rows in 16 bits sum to 1 within what rounding each element once
/// allows (accumulation is f32): every element within 1 ULP of the
/// correctly rounded value, so |Σ y - 1| <= 1.5 ULP(1) / 2 times Σ 2p for the
/// normal results, plus 1.5 × 2^-24 for each f16 subnormal one. Prints the
/// largest error measured.
#[test]
fn softmax_rows_in_16_bits_sum_to_one() {
    for (name, ctx) in contexts() {
        for dtype in [DType::F16, DType::Bf16] {
            let eps = match dtype {
                DType::F16 => 2f64.powi(-10),
                _ => 2f64.powi(-7),
            };
            let mut worst = 0f64;
            for len in [64usize, 1024, 100_000] {
                let rows = (1 << 18) / len;
                let data: Vec<f32> = common::random(rows * len, len as u64)
                    .iter()
                    .map(|&v| dtype.round(v))
                    .collect();
                let x = ctx.upload_as(&data, &[rows, len], dtype).unwrap();
                let y = ctx.read(&ctx.softmax(&x, -1).unwrap()).unwrap();
                for r in y.chunks(len) {
                    let sum: f64 = r.iter().map(|&v| v as f64).sum();
                    let tiny = r.iter().filter(|v| v.abs() < 6.1035156e-5).count() as f64;
                    let bound = 1.5 * eps + 1.5 * 2f64.powi(-24) * tiny;
                    assert!(
                        (sum - 1.0).abs() <= bound,
                        "{name} {dtype} rows of {len}: sum {sum}"
                    );
                    worst = worst.max((sum - 1.0).abs());
                }
            }
            eprintln!(
                "{name} {dtype}: largest |row sum - 1| = {worst:.3e} ({:.2} ULP(1))",
                worst / eps
            );
        }
    }
}
