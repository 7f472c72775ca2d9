//! The four activations on the GPU, chained without readback, checked
//! against the CPU reference. Run: `cargo run --release --example basic`
use wgact::{Activation, Context, Relu, cpu};

pub fn main() -> wgact::Result<()> {
    let ctx = Context::new()?; // honours WGPU_BACKEND and WGPU_ADAPTER_NAME
    println!("adapter: {}", ctx.describe());

    let data: Vec<f32> = (0..12).map(|i| i as f32 - 6.0).collect();
    let x = ctx.upload(&data, &[3, 4])?;

    // relu -> softmax over the last axis, both on the GPU.
    let relu = Relu::new().negative_slope(0.1).max_value(4.0);
    let probs = ctx.softmax(&ctx.relu(&x, &relu)?, -1)?;
    let gpu = ctx.read(&probs)?;

    let mid = cpu::apply(&Activation::from(relu), &data, &[3, 4])?;
    let reference = cpu::apply(&wgact::Activation::Softmax { axis: -1 }, &mid, &[3, 4])?;
    for (row_gpu, row_cpu) in gpu.chunks(4).zip(reference.chunks(4)) {
        println!("gpu {row_gpu:?}\ncpu {row_cpu:?}");
    }

    // In place: the buffer is overwritten, no new allocation.
    let mut t = ctx.upload(&data, &[12])?;
    ctx.tanh_inplace(&mut t)?;
    println!("tanh {:?}", ctx.read(&t)?);
    Ok(())
}
