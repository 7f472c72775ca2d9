//! Arithmetic probe: wgact's own wide kernel module of an op (the second
//! argument, default sigmoid; default parameters built in) with `activate`
//! swapped for variants (each the real module, one function changed), at
//! 2^24 f32 elements; wall time per dispatch + wait (median). Finds where an
//! op's time goes on a CPU adapter.
use wgact::kernels::{Io, Kernel, WIDE_ITEMS, Width};
use wgact::{Context, Op};
use wgact_peers::{Probe, median_ms, uniform};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let file = args
        .get(1)
        .expect("a file of variants: blocks separated by lines '=== name'");
    let text = std::fs::read_to_string(file).unwrap();
    let name = args.get(2).map_or("sigmoid", String::as_str);
    let op = *Op::ALL
        .iter()
        .find(|o| o.name() == name)
        .unwrap_or_else(|| panic!("no op {name}"));
    let ctx = Context::new().unwrap();
    let n = 1usize << 24;
    let mut rng = wgact::verify::Rng::new(1);
    let data: Vec<f32> = (0..n).map(|_| rng.normal(3.0)).collect();
    let x = ctx.upload(&data, &[n]).unwrap();
    let y = ctx.empty(&[n]).unwrap();
    let base = Kernel::Map {
        op,
        width: Width::Vec4,
        inplace: false,
        io: Io::F32,
        defaults: true,
    }
    .source();
    let vecs = (n / 4) as u32;
    let mut u = [0u8; 32];
    u[..4].copy_from_slice(&vecs.to_le_bytes());
    let ubuf = uniform(&ctx, &u);
    // The context's own pipeline constants (common.wgsl's overrides).
    let wg = ctx.workgroup_size();
    let constants = [
        ("WG_SIZE", wg as f64),
        ("DIV_EXACT", ctx.exact_division() as u8 as f64),
        ("WIDE_ITEMS", WIDE_ITEMS as f64),
        ("DEFAULT_PARAMS", 1.0),
    ];
    for block in text.split("=== ").filter(|b| !b.trim().is_empty()) {
        let (name, body) = block.split_once('\n').unwrap();
        let src = if body.trim().is_empty() {
            base.clone()
        } else {
            base.replace(
                "fn activate(x: f32) -> f32 {",
                "fn activate_orig(x: f32) -> f32 {",
            ) + "\n"
                + body
        };
        let probe = Probe::new(&ctx, &src, &constants, &[x.buffer(), y.buffer(), &ubuf]);
        let t = median_ms(|| probe.run(&ctx, vecs.div_ceil(wg * WIDE_ITEMS)));
        println!("{:<40} {t:7.2} ms", name.trim());
    }
}
