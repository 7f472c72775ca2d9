//! Where wgact's time goes around a kernel at 2^24 on the adapter
//! `WGPU_BACKEND` picks: `apply_into` (linear: the identity) back to back;
//! the same interleaved with the device's copy of the same bytes (as the
//! side-by-side run times it); and the same kernel module dispatched by hand
//! (`Probe`: no wgact host code), each a median of dispatch + wait; then
//! `apply_into` and the copy interleaved with burn's relu on its own device
//! on the same adapter (as the side-by-side run does).
use burn::tensor::{Tensor, TensorData, activation};
use wgact::{Activation, Context, Op, wgpu};
use wgact_peers::{
    burn_device, device_copy, median_ms, medians, module_groups, module_probe, wgact_call,
    wide_module,
};

fn main() {
    let ctx = Context::new().unwrap();
    let n = 1usize << 24;
    let data: Vec<f32> = (0..n).map(|i| (i as f32).sin()).collect();
    let x = ctx.upload(&data, &[n]).unwrap();
    let y = ctx.empty(&[n]).unwrap();
    let c = ctx.empty(&[n]).unwrap();
    let act = Activation::Linear;
    let alone = median_ms(|| wgact_call(&ctx, &act, &x, &y));
    // The same, waiting by polling without blocking and sleeping between
    // polls (does the blocking wait spin a core?).
    let napping = median_ms(|| {
        ctx.apply_into(&act, &x, &y).unwrap();
        while !matches!(
            ctx.device().poll(wgpu::PollType::Poll),
            Ok(wgpu::PollStatus::QueueEmpty)
        ) {
            std::thread::sleep(std::time::Duration::from_micros(100));
        }
    });
    println!("apply_into linear, waiting in 0.1 ms naps: {napping:.2} ms");
    let [with_copy, copy] = medians([&mut || wgact_call(&ctx, &act, &x, &y), &mut || {
        device_copy(&ctx, &x, &c)
    }]);
    let src = wide_module(Op::Linear);
    let vecs = (n / 4) as u32;
    let probe = module_probe(&ctx, &src, x.buffer(), y.buffer(), vecs);
    let by_hand = median_ms(|| probe.run(&ctx, module_groups(&ctx, vecs)));
    let (dev, _) = burn_device();
    let bx = Tensor::<2>::from_data(TensorData::new(data.clone(), [1, n]), &dev);
    let [w_burn, c_burn, burn] = medians([
        &mut || wgact_call(&ctx, &act, &x, &y),
        &mut || device_copy(&ctx, &x, &c),
        &mut || {
            let out = activation::relu(bx.clone());
            dev.sync().expect("burn sync");
            drop(out);
        },
    ]);
    let burn_alone = median_ms(|| {
        let out = activation::relu(bx.clone());
        dev.sync().expect("burn sync");
        drop(out);
    });
    let after = median_ms(|| wgact_call(&ctx, &act, &x, &y));
    std::thread::sleep(std::time::Duration::from_secs(2));
    let later = median_ms(|| wgact_call(&ctx, &act, &x, &y));
    println!("apply_into linear alone after burn ran: {after:.2} ms, 2 s later {later:.2} ms");
    println!(
        "burn's relu alone {burn_alone:.2} ms; beside wgact ({:.2} ms): apply_into linear {:.2} ms, copy {:.2} ms",
        burn * 1e3,
        w_burn * 1e3,
        c_burn * 1e3
    );
    println!(
        "{}: apply_into linear {alone:.2} ms alone, {:.2} ms beside a copy ({:.2} ms); its module by hand {by_hand:.2} ms",
        ctx.describe(),
        with_copy * 1e3,
        copy * 1e3
    );
}
