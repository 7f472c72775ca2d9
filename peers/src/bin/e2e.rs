//! End-to-end parts of relu at 2^24 on the adapter `WGPU_BACKEND` picks:
//! upload, op, readback, each timed alone (median, `wgact_peers::medians`).
use wgact::{Activation, Context, Relu, wgpu};
use wgact_peers::median_ms as med;

fn main() {
    let ctx = Context::new().unwrap();
    let n = 1usize << 24;
    let data: Vec<f32> = (0..n).map(|i| (i as f32).sin()).collect();
    let act: Activation = Relu::new().into();
    let up = med(|| {
        let x = ctx.upload(&data, &[n]).unwrap();
        let _ = ctx.device().poll(wgpu::PollType::wait_indefinitely());
        drop(x);
    });
    let wb = med(|| {
        let x = ctx.empty(&[n]).unwrap();
        ctx.queue()
            .write_buffer(x.buffer(), x.offset(), bytemuck::cast_slice(&data));
        ctx.queue().submit([]);
        let _ = ctx.device().poll(wgpu::PollType::wait_indefinitely());
        drop(x);
    });
    println!("empty + write_buffer {wb:.1} ms");
    let x = ctx.upload(&data, &[n]).unwrap();
    let op = med(|| {
        let y = ctx.apply(&act, &x).unwrap();
        let _ = ctx.device().poll(wgpu::PollType::wait_indefinitely());
        drop(y);
    });
    let y = ctx.apply(&act, &x).unwrap();
    let rd = med(|| {
        std::hint::black_box(ctx.read(&y).unwrap());
    });
    let all = med(|| {
        let x = ctx.upload(&data, &[n]).unwrap();
        let y = ctx.apply(&act, &x).unwrap();
        std::hint::black_box(ctx.read(&y).unwrap());
    });
    println!(
        "{}: upload {up:.1} ms, apply {op:.1} ms, read {rd:.1} ms, all {all:.1} ms",
        ctx.describe()
    );
}
