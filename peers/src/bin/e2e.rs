//! End-to-end parts of relu at 2^24 on the adapter `WGPU_BACKEND` picks:
//! upload, op, readback, each timed alone (median of 9).
use std::time::Instant;
use wgact::{Activation, Context, Relu, wgpu};

fn med(mut f: impl FnMut()) -> f64 {
    f();
    let mut t: Vec<f64> = (0..9)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

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
            .write_buffer(x.buffer(), x.offset(), bytemuck_f32(&data));
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

fn bytemuck_f32(v: &[f32]) -> &[u8] {
    unsafe { std::slice::from_raw_parts(v.as_ptr() as *const u8, v.len() * 4) }
}
