//! Checks at real scale, too heavy for `cargo test`, and the fixed cost of a
//! call: `cargo run --release --example scale [row|tensor|call]` (all three
//! without an argument). `row`: one softmax row of 2^28 elements (1 GiB),
//! every element against the f64 reference. `tensor`: a 2.02 GiB tensor (past
//! lavapipe's 2 GiB buffers) through sigmoid, softmax(-1) and softmax(0),
//! spot-checked. `call`: median time to record, and to apply and wait, at
//! 1024 elements. Needs about 11 GB of host memory for `tensor`.

use std::time::Instant;
use wgact::{Activation, Context, cpu, ulp::ulp_error};

fn max_ulp(want: &[f32], got: impl Iterator<Item = f32>) -> u64 {
    want.iter()
        .zip(got)
        .map(|(w, g)| ulp_error(*w, g))
        .max()
        .unwrap_or(0)
}

fn row(ctx: &Context) -> wgact::Result<()> {
    let n = 1usize << 28;
    let data: Vec<f32> = (0..n)
        .map(|i| ((i as u64 * 2654435761) % 100_003) as f32 * 1e-4 - 5.0)
        .collect();
    let x = ctx.upload(&data, &[n])?;
    let t = Instant::now();
    let got = ctx.read(&ctx.softmax(&x, 0)?)?;
    let secs = t.elapsed().as_secs_f64();
    let sum: f64 = got.iter().map(|&v| v as f64).sum();
    let want = cpu::apply(&Activation::Softmax { axis: 0 }, &data, &[n])?;
    let e = max_ulp(&want, got.iter().copied());
    println!(
        "row 2^28: softmax + read {secs:.1} s, max {e} ULP over every element, |sum - 1| = {:.2e}",
        (sum - 1.0).abs()
    );
    Ok(())
}

fn tensor(ctx: &Context) -> wgact::Result<()> {
    let rows = (1usize << 19) + 4096;
    let shape = [rows, 1024];
    let n = rows * 1024;
    let data: Vec<f32> = (0..n)
        .map(|i| ((i * 2654435761) % 20011) as f32 * 1e-3 - 10.005)
        .collect();
    let x = ctx.upload(&data, &shape)?;
    println!(
        "tensor {shape:?}: {:.2} GiB in {} buffers",
        n as f64 * 4.0 / (1u64 << 30) as f64,
        x.parts().count()
    );
    for act in [
        Activation::Sigmoid,
        Activation::Softmax { axis: -1 },
        Activation::Softmax { axis: 0 },
    ] {
        let t = Instant::now();
        let got = ctx.read(&ctx.apply(&act, &x)?)?;
        let secs = t.elapsed().as_secs_f64();
        let mut e = 0;
        if let Activation::Softmax { axis: 0 } = act {
            // Whole columns: rows that cross the buffer boundary.
            for c in [0usize, 511, 1023] {
                let col: Vec<f32> = (0..rows).map(|r| data[r * 1024 + c]).collect();
                let want = cpu::apply(&act, &col, &[rows])?;
                e = e.max(max_ulp(&want, (0..rows).map(|r| got[r * 1024 + c])));
            }
        } else {
            // First and last rows, and the rows on either side of the boundary.
            for r in [0usize, (1 << 19) - 1, 1 << 19, rows - 1] {
                let s = &data[r * 1024..(r + 1) * 1024];
                let want = cpu::apply(&act, s, &[1, 1024])?;
                e = e.max(max_ulp(
                    &want,
                    got[r * 1024..(r + 1) * 1024].iter().copied(),
                ));
            }
        }
        println!("  {act}: apply + read {secs:.1} s, spot-checked max {e} ULP");
    }
    Ok(())
}

fn median_us(mut f: impl FnMut() -> wgact::Result<()>) -> wgact::Result<f64> {
    f()?;
    let mut v = Vec::new();
    for _ in 0..400 {
        let t = Instant::now();
        f()?;
        v.push(t.elapsed().as_secs_f64() * 1e6);
    }
    v.sort_by(|a, b| a.total_cmp(b));
    Ok(v[v.len() / 2])
}

fn call(ctx: &Context) -> wgact::Result<()> {
    let dev = ctx.device();
    for (act, shape) in [
        (Activation::Sigmoid, [1024usize, 1]),
        (Activation::Softmax { axis: 0 }, [1024, 1]),
    ] {
        let x = ctx.upload(&[0.5; 1024], &shape)?;
        let y = ctx.zeros(&shape)?;
        let record = median_us(|| {
            let mut e = dev.create_command_encoder(&Default::default());
            ctx.encode(&mut e, &act, &x, Some(&y))?;
            std::hint::black_box(e.finish());
            Ok(())
        })?;
        let apply = median_us(|| {
            ctx.apply_into(&act, &x, &y)?;
            dev.poll(wgact::wgpu::PollType::wait_indefinitely())
                .map(|_| ())
                .map_err(|e| wgact::Error::Gpu(e.to_string()))
        })?;
        println!(
            "{act} of 1024: record {record:.1} us, apply and wait {apply:.1} us (median of 400)"
        );
    }
    Ok(())
}

fn main() -> wgact::Result<()> {
    let ctx = Context::new()?;
    println!("adapter: {}", ctx.describe());
    let what = std::env::args().nth(1).unwrap_or_default();
    if what.is_empty() || what == "call" {
        call(&ctx)?;
    }
    if what.is_empty() || what == "row" {
        row(&ctx)?;
    }
    if what.is_empty() || what == "tensor" {
        tensor(&ctx)?;
    }
    Ok(())
}
