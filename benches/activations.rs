//! Criterion benchmarks: each op on the GPU (compute only, submit and wait,
//! data already resident) and the CPU reference, with bytes moved as the
//! throughput, beside a device buffer copy of the same size as the ceiling.
//! Run: `cargo bench` (pick an adapter with WGPU_BACKEND).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use wgact::{Activation, Context, Relu, cpu, verify::Rng};

/// Waits for all earlier submissions: reading back a one-element tensor does.
fn wait(ctx: &Context, probe: &wgact::Tensor) {
    ctx.read(probe).expect("read");
}

fn bench(c: &mut Criterion) {
    let ctx = Context::new().expect("no GPU adapter: set WGPU_BACKEND or install Mesa");
    eprintln!("adapter: {}", ctx.describe());
    let probe = ctx.upload(&[0.0], &[1]).expect("upload");
    let acts = [
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::from(Relu::new().negative_slope(0.1)),
        Activation::Softmax { axis: -1 },
    ];
    for n in [1usize << 10, 1 << 16, 1 << 20, 1 << 22] {
        let mut rng = Rng::new(n as u64);
        let data: Vec<f32> = (0..n).map(|_| rng.normal(3.0)).collect();
        let shape = [n / 1024, 1024];
        let x = ctx.upload(&data, &shape).expect("upload");
        let y = ctx.zeros(&shape).expect("alloc");
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
            g.bench_with_input(BenchmarkId::new("gpu", act.name()), act, |b, act| {
                b.iter(|| {
                    ctx.apply_into(act, &x, &y).expect("apply");
                    wait(&ctx, &probe);
                })
            });
            if n <= 1 << 20 {
                g.bench_with_input(
                    BenchmarkId::new("cpu reference", act.name()),
                    act,
                    |b, act| b.iter(|| cpu::apply(act, &data, &shape).expect("cpu")),
                );
            }
        }
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
