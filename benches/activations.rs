//! Criterion benchmarks: every op of the table (sample parameters) on the GPU
//! (compute only, submit and wait, data already resident) and on the fast
//! CPU path, with bytes moved as the throughput, beside a device buffer copy
//! of the same size as the ceiling. Run: `cargo bench` (pick an adapter with
//! WGPU_BACKEND; `WGACT_BENCH_OPS=gelu,silu` picks ops).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use wgact::{Activation, Context, Op, cpu, verify::Rng};

/// Waits for all earlier submissions: reading back a one-element tensor does.
fn wait(ctx: &Context, probe: &wgact::Tensor) {
    ctx.read(probe).expect("read");
}

fn bench(c: &mut Criterion) {
    let ctx = Context::new().expect("no GPU adapter: set WGPU_BACKEND or install Mesa");
    eprintln!("adapter: {}", ctx.describe());
    let probe = ctx.upload(&[0.0], &[1]).expect("upload");
    let wanted = std::env::var("WGACT_BENCH_OPS").ok();
    let acts: Vec<Activation> = Op::ALL
        .iter()
        .filter(|op| {
            wanted
                .as_deref()
                .is_none_or(|w| w.split(',').any(|n| Op::from_name(n) == Some(**op)))
        })
        .map(|&op| wgact::verify::sample(op))
        .collect();
    for n in [1usize << 10, 1 << 16, 1 << 20, 1 << 22] {
        let mut rng = Rng::new(n as u64);
        let data: Vec<f32> = (0..n).map(|_| rng.normal(3.0)).collect();
        let shape = [n / 1024, 1024];
        let x = ctx.upload(&data, &shape).expect("upload");
        let y = ctx.zeros(&shape).expect("alloc");
        let mut out = vec![0.0f32; n];
        let mut g = c.benchmark_group(format!("n={n}"));
        // Read + write of every element.
        g.throughput(Throughput::Bytes(8 * n as u64));
        g.sample_size(10);
        g.bench_function("gpu copy_buffer_to_buffer (ceiling)", |b| {
            b.iter(|| {
                let mut enc = ctx.device().create_command_encoder(&Default::default());
                enc.copy_buffer_to_buffer(x.buffer(), 0, y.buffer(), 0, 4 * n as u64);
                ctx.queue().submit([enc.finish()]);
                wait(&ctx, &probe);
            })
        });
        for act in &acts {
            // glu writes half as many elements: its own output tensor.
            let y = ctx
                .zeros(&act.output_shape(&shape).expect("shape"))
                .expect("alloc");
            let out = &mut out[..act.output_shape(&shape).expect("shape").iter().product()];
            g.bench_with_input(BenchmarkId::new("gpu", act.name()), act, |b, act| {
                b.iter(|| {
                    ctx.apply_into(act, &x, &y).expect("apply");
                    wait(&ctx, &probe);
                })
            });
            g.bench_with_input(BenchmarkId::new("cpu fast", act.name()), act, |b, act| {
                b.iter(|| cpu::fast::apply_into(act, &data, &shape, out).expect("cpu"))
            });
        }
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
