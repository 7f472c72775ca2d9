//! The examples a user can run, exercised here on the test adapter.

#[allow(dead_code)]
#[path = "../examples/shared_device.rs"]
mod shared_device;

#[allow(dead_code)]
#[path = "../examples/render.rs"]
mod render;

#[allow(dead_code)]
#[path = "../examples/mlp.rs"]
mod mlp;

#[allow(dead_code)]
#[path = "../examples/basic.rs"]
mod basic;

#[allow(dead_code)]
#[path = "../examples/train.rs"]
mod train;

/// Training with wgact's backward kernels: the loss falls, and follows the
/// same training done on the CPU in f64 step by step.
#[test]
fn train_example_loss_falls_and_matches_the_cpu() {
    let ctx = wgact::Context::new().expect("adapter");
    let steps = 150;
    let o = train::run(&ctx, steps).expect("example runs");
    let (first, last) = (o.gpu_losses[0], o.gpu_losses[steps]);
    eprintln!("loss {first:.4} -> {last:.4}, accuracy {:.3}", o.accuracy);
    assert!(last < 0.5 * first, "loss {first} -> {last}");
    assert!(o.accuracy > 0.8, "accuracy {}", o.accuracy);
    for (s, (g, c)) in o.gpu_losses.iter().zip(&o.cpu_losses).enumerate() {
        assert!(
            (g - c).abs() <= 1e-3 * c.abs().max(1e-3),
            "step {s}: gpu {g} cpu {c}"
        );
    }
}

#[test]
fn shared_device_example() {
    let o = shared_device::run().expect("example runs");
    assert!(o.max_ulp <= 8, "softmax off by {} ULP", o.max_ulp);
    assert_eq!(
        o.submissions_by_wgact, 0,
        "wgact recorded into the caller's encoder only"
    );
}

#[test]
fn render_example_writes_a_tonemapped_png() {
    let out = std::env::temp_dir().join(format!("wgact-render-test-{}.png", std::process::id()));
    let o = render::run(&out).expect("example runs");
    assert!(o.max_hdr > 4.0, "the frame is HDR");
    assert!(
        o.max_f16_steps <= 1,
        "tone-map off by {} f16 steps",
        o.max_f16_steps
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&out).unwrap()));
    let reader = decoder.read_info().unwrap();
    assert_eq!(
        (reader.info().width, reader.info().height),
        (render::WIDTH, render::HEIGHT)
    );
    std::fs::remove_file(&out).unwrap();
}

#[test]
fn mlp_example_is_one_submission() {
    let ctx = wgact::Context::new().expect("adapter");
    let o = mlp::run(&ctx).expect("example runs");
    assert_eq!(o.submissions, 1);
    // f32 matmuls against f64 ones: probabilities agree to a few f32 ulps of 1.
    assert!(o.max_abs_error < 1e-5, "max error {}", o.max_abs_error);
    for row in o.probabilities.chunks(mlp::CLASSES) {
        let s: f32 = row.iter().sum();
        assert!((s - 1.0).abs() < 1e-5);
    }
}

#[test]
fn basic_example() {
    basic::main().expect("example runs");
}

#[allow(dead_code)]
#[path = "../examples/soak.rs"]
mod soak;

/// The soak, short: 2000 mixed calls (every op, sizes to 2^14, chains, wrap,
/// textures, async readback, in place); after warm-up the live buffers, their
/// bytes and the host's memory stay flat.
#[test]
fn soak_stays_flat() {
    let ctx = wgact::Context::new().expect("adapter");
    let s = soak::run(&ctx, 2000, 14, 250, &mut |_| {}).expect("soak runs");
    let (warm, last) = (&s[1], &s[s.len() - 1]);
    for x in &s {
        eprintln!("{} calls: {:.0} MiB RSS, {:?}", x.calls, x.rss_mib, x.live);
    }
    assert!(last.live.buffers <= warm.live.buffers + 8, "buffers grow");
    assert!(
        last.live.buffer_bytes <= 2 * warm.live.buffer_bytes + (4 << 20),
        "buffer bytes grow"
    );
    assert!(last.rss_mib <= warm.rss_mib + 64.0, "host memory grows");
}
