//! wgact inside someone else's pipeline: caller's buffers (no copy, offsets,
//! usage and alignment checks), caller's encoder, chains with one submission,
//! pooled intermediates, async readback, 8 threads on one context.

mod common;
use common::{ctx, encode_kernel, random};
use std::sync::Arc;
use wgact::wgpu;
use wgact::{Activation, Context, Error, Relu, cpu, ulp::ulp_error, verify};

fn caller_buffer(c: &Context, bytes: u64, usage: wgpu::BufferUsages) -> wgpu::Buffer {
    c.device().create_buffer(&wgpu::BufferDescriptor {
        label: Some("caller"),
        size: bytes,
        usage,
        mapped_at_creation: false,
    })
}

const RW: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE
    .union(wgpu::BufferUsages::COPY_SRC)
    .union(wgpu::BufferUsages::COPY_DST);

fn assert_within(act: &Activation, input: &[f32], shape: &[usize], got: &[f32]) {
    let len = match act.axis() {
        Some(axis) => shape[axis.rem_euclid(shape.len() as isize) as usize],
        None => 1,
    };
    let stats = verify::compare(act, input, shape, got).unwrap();
    assert!(
        stats.max_ulp <= verify::bound(act, len),
        "{act}: {} ULP at (input, reference, gpu) {:?}",
        stats.max_ulp,
        stats.worst
    );
}

#[test]
fn wrapped_buffer_is_used_in_place_at_an_offset() {
    let c = ctx();
    let align = c.limits().min_storage_buffer_offset_alignment as u64;
    let offset = align * 3;
    let data = random(1000, 1);
    let buf = caller_buffer(c, offset + 4000 + 64, RW);
    c.queue()
        .write_buffer(&buf, offset, bytemuck::cast_slice(&data));
    let mut t = c.wrap(&buf, offset, &[10, 100]).unwrap();
    assert!(t.buffer() == &buf, "wrap must not copy: same wgpu::Buffer");
    assert_eq!(t.offset(), offset);
    c.softmax_inplace(&mut t, -1).unwrap();
    let via_wgact = c.read(&t).unwrap();
    assert_within(
        &Activation::Softmax { axis: -1 },
        &data,
        &[10, 100],
        &via_wgact,
    );
    // The caller sees the result through its own buffer, and nothing outside
    // the tensor's bytes was touched.
    let whole = c
        .read(
            &c.wrap(&buf, 0, &[((offset + 4000 + 64) / 4) as usize])
                .unwrap(),
        )
        .unwrap();
    let at = (offset / 4) as usize;
    assert_eq!(&whole[at..at + 1000], &via_wgact[..]);
    assert!(
        whole[..at]
            .iter()
            .chain(&whole[at + 1000..])
            .all(|&v| v == 0.0)
    );
}

#[test]
fn wrapped_input_and_output_buffers() {
    let c = ctx();
    let align = c.limits().min_storage_buffer_offset_alignment as u64;
    let data = random(777, 2);
    let src = caller_buffer(c, align + 777 * 4, RW);
    let dst = caller_buffer(c, 2 * align + 777 * 4, RW);
    c.queue()
        .write_buffer(&src, align, bytemuck::cast_slice(&data));
    let x = c.wrap(&src, align, &[777]).unwrap();
    let y = c.wrap(&dst, 2 * align, &[777]).unwrap();
    for act in [
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::from(Relu::new().alpha(0.3)),
    ] {
        c.apply_into(&act, &x, &y).unwrap();
        assert_within(&act, &data, &[777], &c.read(&y).unwrap());
    }
    // The input is untouched.
    assert_eq!(c.read(&x).unwrap(), data);
}

#[test]
fn wrap_checks_usage_alignment_and_size() {
    let c = ctx();
    let align = c.limits().min_storage_buffer_offset_alignment as u64;
    let buf = caller_buffer(c, 4096, RW);
    let e = c.wrap(&buf, 4, &[8]).unwrap_err();
    assert!(matches!(e, Error::Misaligned { offset: 4, .. }), "{e}");
    let e = c.wrap(&buf, align, &[1024]).unwrap_err();
    assert!(matches!(e, Error::BufferTooSmall { .. }), "{e}");
    let e = c.wrap(&buf, 0, &[usize::MAX / 2]).unwrap_err();
    assert!(
        matches!(e, Error::TooLarge { .. } | Error::BufferTooSmall { .. }),
        "{e}"
    );
    let no_storage = caller_buffer(
        c,
        4096,
        wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
    );
    let e = c.wrap(&no_storage, 0, &[8]).unwrap_err();
    assert!(matches!(e, Error::MissingUsage { .. }), "{e}");
    assert!(e.to_string().contains("STORAGE"));
    let no_copy = caller_buffer(c, 4096, wgpu::BufferUsages::STORAGE);
    let t = c.wrap(&no_copy, 0, &[8]).unwrap();
    c.sigmoid(&t).unwrap(); // usable as an input...
    let e = c.read(&t).unwrap_err(); // ...but wgact cannot copy it out
    assert!(matches!(e, Error::MissingUsage { .. }), "{e}");
}

/// A caller's compute shader: `data[i] = data[i] * scale + shift`.
fn caller_affine(
    c: &Context,
    enc: &mut wgpu::CommandEncoder,
    buf: &wgpu::Buffer,
    n: u32,
    scale: f32,
    shift: f32,
) {
    let wgsl = format!(
        "@group(0) @binding(0) var<storage, read_write> d: array<f32>;
         @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) {{
             if (g.x < {n}u) {{ d[g.x] = d[g.x] * {scale:?} + {shift:?}; }}
         }}"
    );
    encode_kernel(c, enc, &wgsl, &[buf.as_entire_binding()], n.div_ceil(64));
}

#[test]
fn interleaves_with_the_callers_passes_in_one_encoder() {
    let c = ctx();
    let data = random(500, 3);
    let buf = caller_buffer(c, 2000, RW);
    c.queue().write_buffer(&buf, 0, bytemuck::cast_slice(&data));
    let t = c.wrap(&buf, 0, &[500]).unwrap();
    let mut enc = c.device().create_command_encoder(&Default::default());
    caller_affine(c, &mut enc, &buf, 500, 2.0, 0.0); // caller: x * 2
    c.encode(&mut enc, &Activation::Tanh, &t, None).unwrap(); // wgact: tanh in place
    caller_affine(c, &mut enc, &buf, 500, 1.0, 1.0); // caller: + 1
    let before = c.submissions();
    c.queue().submit([enc.finish()]);
    assert_eq!(c.submissions(), before, "encode never submits");
    let got = c.read(&t).unwrap();
    for (g, x) in got.iter().zip(&data) {
        let w = cpu::tanh(x * 2.0) + 1.0;
        assert!((g - w).abs() <= 4.0 * f32::EPSILON * 2.0, "{g} vs {w}");
    }
}

#[test]
fn a_chain_is_one_submission_and_reuses_pooled_buffers() {
    let c = Context::new().expect("adapter");
    let a = random(4 * 300, 4);
    let b = random(4 * 300, 5);
    let xa = c.upload(&a, &[4, 300]).unwrap();
    let xb = c.upload(&b, &[4, 300]).unwrap();
    let relu = Activation::from(Relu::new().alpha(0.1));
    let soft = Activation::Softmax { axis: -1 };
    let run = || {
        let mut chain = c.chain();
        let ha = chain.apply(&relu, &xa).unwrap();
        let hb = chain.apply(&relu, &xb).unwrap();
        let pa = chain.apply(&soft, &ha).unwrap();
        let pb = chain.apply(&soft, &hb).unwrap();
        drop((ha, hb)); // intermediates go back to the pool, after the chain
        let mut sa = chain.apply(&Activation::Sigmoid, &pa).unwrap();
        chain.apply_inplace(&Activation::Tanh, &mut sa).unwrap();
        let sb = chain.apply(&Activation::Sigmoid, &pb).unwrap();
        chain.read(&[&sa, &sb]).unwrap()
    };
    let s0 = c.submissions();
    let out = run();
    assert_eq!(c.submissions() - s0, 1, "ops + readback in one submission");
    for (x, got) in [(&a, &out[0]), (&b, &out[1])] {
        let h = cpu::apply(&relu, x, &[4, 300]).unwrap();
        let p = cpu::apply(&soft, &h, &[4, 300]).unwrap();
        let s = cpu::apply(&Activation::Sigmoid, &p, &[4, 300]).unwrap();
        let want = cpu::apply(&Activation::Tanh, &s, &[4, 300]).unwrap();
        if std::ptr::eq(x, &b) {
            for (g, w) in got.iter().zip(&s) {
                assert!(ulp_error(*w, *g) <= 8);
            }
        } else {
            for (g, w) in got.iter().zip(&want) {
                assert!(ulp_error(*w, *g) <= 16);
            }
        }
    }
    let allocated = c.pool_allocations();
    let again = run();
    assert_eq!(again, out);
    assert_eq!(
        c.pool_allocations(),
        allocated,
        "the second chain allocates nothing new"
    );
}

#[test]
fn async_readback_maps_several_tensors_together() {
    let c = ctx();
    let a = c.upload(&[1.0, 2.0, 3.0], &[3]).unwrap();
    let b = c.upload(&[-1.0; 5], &[5]).unwrap();
    let e = c.upload::<f32>(&[], &[0]).unwrap();
    let ya = c.sigmoid(&a).unwrap();
    let s0 = c.submissions();
    let both = pollster::block_on(c.read_many_async(&[&ya, &e, &b])).unwrap();
    assert_eq!(
        c.submissions() - s0,
        1,
        "one copy submission for three tensors"
    );
    assert_eq!(both[0], c.read(&ya).unwrap());
    assert!(both[1].is_empty());
    assert_eq!(both[2], vec![-1.0; 5]);
    let one = pollster::block_on(c.read_async(&b)).unwrap();
    assert_eq!(one, vec![-1.0; 5]);
}

#[test]
fn eight_threads_share_one_context() {
    threads_share_one_context(8, std::time::Duration::ZERO);
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Context>();
    assert_send_sync::<wgact::Tensor>();
}

/// The long version: 8 threads for `WGACT_THREADS_SECS` seconds (default
/// 600), every result checked. `cargo test --release --test embedding --
/// --ignored threads_for_minutes`.
#[test]
#[ignore]
fn threads_for_minutes() {
    let secs = std::env::var("WGACT_THREADS_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(600);
    let calls = threads_share_one_context(8, std::time::Duration::from_secs(secs));
    eprintln!("8 threads, {secs} s: {calls} calls, every result checked");
}

/// `n` threads on one context, each running every op of the table (and
/// relu, softmax with per-thread parameters) on its own shapes, in place and
/// not, with readbacks, each result checked; for at least 12 calls each and
/// until `at_least` has passed. Returns the calls made.
fn threads_share_one_context(n: usize, at_least: std::time::Duration) -> usize {
    let c: Arc<Context> = Arc::new(Context::new().expect("adapter"));
    let start = std::time::Instant::now();
    let handles: Vec<_> = (0..n)
        .map(|t| {
            let c = c.clone();
            std::thread::spawn(move || {
                let mut acts: Vec<Activation> = wgact::Op::ALL
                    .iter()
                    .map(|&op| verify::sample(op).with_axis((t % 2) as isize))
                    .collect();
                acts.push(Activation::from(
                    Relu::new().alpha(0.05 * t as f32).max_value(3.0),
                ));
                let mut i = 0;
                while i < 12 || start.elapsed() < at_least {
                    let shape = [2 * (3 + t), 50 + 18 * (i % 12)];
                    let data = random(shape[0] * shape[1], (t * 100 + i) as u64);
                    let act = acts[(t + i) % acts.len()];
                    let x = c.upload(&data, &shape).unwrap();
                    let got = if i % 3 == 0 && act.kind() != wgact::Kind::Halves {
                        let mut y = c.upload(&data, &shape).unwrap();
                        c.apply_inplace(&act, &mut y).unwrap();
                        c.read(&y).unwrap()
                    } else {
                        c.read(&c.apply(&act, &x).unwrap()).unwrap()
                    };
                    assert_within(&act, &data, &shape, &got);
                    i += 1;
                }
                i
            })
        })
        .collect();
    handles
        .into_iter()
        .map(|h| h.join().expect("a thread failed"))
        .sum()
}

#[test]
fn context_on_a_callers_device_shares_it() {
    let c = ctx();
    let shared = Context::from_device(c.device().clone(), c.queue().clone()).unwrap();
    assert!(shared.device() == c.device());
    // A tensor made by one context works with the other: same device.
    let x = c.upload(&[0.5, -0.5], &[2]).unwrap();
    let y = shared.tanh(&x).unwrap();
    assert_eq!(c.read(&y).unwrap(), shared.read(&y).unwrap());
}

#[test]
fn time_runs_the_work_and_reads_device_timestamps() {
    let c = ctx();
    let n = 1 << 16;
    let data: Vec<f32> = (0..n).map(|i| (i as f32 - 3e4) * 1e-3).collect();
    let x = c.upload(&data, &[n]).unwrap();
    let y = c.zeros(&[n]).unwrap();
    let t = c
        .time(|enc| c.encode(enc, &Activation::Sigmoid, &x, Some(&y)))
        .unwrap();
    // The work ran: results match the reference.
    let want = wgact::cpu::apply(&Activation::Sigmoid, &data, &[n]).unwrap();
    let got = c.read(&y).unwrap();
    assert!(got.iter().zip(&want).all(|(g, w)| ulp_error(*w, *g) <= 4));
    assert!(t.wall > std::time::Duration::ZERO);
    // Where the device has timestamps, the device time is positive and lies
    // within the host's submit-to-completion window.
    assert_eq!(t.device.is_some(), c.has_timestamps());
    if let Some(d) = t.device {
        eprintln!("timing: device {d:?}, wall {:?}", t.wall);
        assert!(d > std::time::Duration::ZERO && d <= t.wall, "{t:?}");
        assert_eq!(t.best(), d);
    }
    // Errors from the recorded work come back typed.
    let bad = c.time(|_| Err(Error::Gpu("recorded work failed".into())));
    assert!(bad.is_err());
}

#[test]
fn repeated_ops_reuse_bind_groups() {
    // A private context: the count is not disturbed by other tests.
    let c = Context::new().unwrap();
    let data = random(4099, 77);
    let x = c.upload(&data, &[4099]).unwrap();
    let y = c.zeros(&[4099]).unwrap();
    let act = Activation::from(Relu::new().alpha(0.25));
    let want = cpu::apply(&act, &data, &[4099]).unwrap();
    c.apply_into(&act, &x, &y).unwrap();
    let made = c.bind_groups_made();
    assert_eq!(made, 2, "vec4 body and scalar tail");
    for _ in 0..3 {
        c.apply_into(&act, &x, &y).unwrap();
    }
    assert_eq!(c.bind_groups_made(), made, "same tensors, same parameters");
    assert_eq!(c.read(&y).unwrap(), want);
    // Other parameters, or other tensors, make new ones.
    let other = Activation::from(Relu::new().alpha(0.5));
    c.apply_into(&other, &x, &y).unwrap();
    assert_eq!(c.bind_groups_made(), made + 2);
    assert_eq!(
        c.read(&y).unwrap(),
        cpu::apply(&other, &data, &[4099]).unwrap()
    );
    // A dropped tensor's bind groups go with it: a new tensor (even one that
    // reuses the buffer from the pool) gets fresh ones and the right result.
    drop(y);
    let y2 = c.apply(&act, &x).unwrap();
    assert_eq!(c.read(&y2).unwrap(), want);
    assert_eq!(c.bind_groups_made(), made + 4);
    // Softmax too (its scratch buffers are the context's own), on every
    // path: short rows, strided rows, in place.
    for (shape, axis) in [([33, 300], -1isize), ([300, 33], 0)] {
        let data = random(9900, 78);
        let s = c.upload(&data, &shape).unwrap();
        let o = c.zeros(&shape).unwrap();
        let sm = Activation::Softmax { axis };
        let want = cpu::apply(&sm, &data, &shape).unwrap();
        c.apply_into(&sm, &s, &o).unwrap();
        let made = c.bind_groups_made();
        c.apply_into(&sm, &s, &o).unwrap();
        assert_eq!(c.bind_groups_made(), made, "softmax {shape:?} repeated");
        let got = c.read(&o).unwrap();
        assert!(got.iter().zip(&want).all(|(g, w)| ulp_error(*w, *g) <= 8));
    }
}

/// Every op of the table in one chain (one submission, one readback of all
/// results), then again recorded into a caller's encoder and read back
/// asynchronously, each result within its bound.
#[test]
fn every_op_in_a_chain_an_encoder_and_async_readback() {
    let c = ctx();
    let shape = [6, 40];
    let data = random(240, 41);
    let x = c.upload(&data, &shape).unwrap();
    let acts: Vec<Activation> = wgact::Op::ALL
        .iter()
        .map(|&op| verify::sample(op))
        .collect();
    let mut chain = c.chain();
    let outs: Vec<wgact::Tensor> = acts.iter().map(|a| chain.apply(a, &x).unwrap()).collect();
    let got = chain.read(&outs.iter().collect::<Vec<_>>()).unwrap();
    for (act, g) in acts.iter().zip(&got) {
        assert_within(act, &data, &shape, g);
    }
    let outs: Vec<wgact::Tensor> = acts
        .iter()
        .map(|a| c.zeros(&a.output_shape(&shape).unwrap()).unwrap())
        .collect();
    let mut enc = c.device().create_command_encoder(&Default::default());
    for (a, y) in acts.iter().zip(&outs) {
        c.encode(&mut enc, a, &x, Some(y)).unwrap();
    }
    c.queue().submit([enc.finish()]);
    let got = pollster::block_on(c.read_many_async(&outs.iter().collect::<Vec<_>>())).unwrap();
    for (act, g) in acts.iter().zip(&got) {
        assert_within(act, &data, &shape, g);
    }
}
