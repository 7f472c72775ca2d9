//! Arithmetic probe: wgact's own wide kernel module of an op (the second
//! argument, default sigmoid; default parameters built in) with `activate`
//! swapped for variants (each the real module, one function changed), at
//! 2^24 f32 elements; wall time per dispatch + wait (median). Finds where an
//! op's time goes on a CPU adapter.
use wgact::{Context, Op};
use wgact_peers::{median_ms, module_groups, module_probe, wide_module};

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
    let base = wide_module(op);
    let vecs = (n / 4) as u32;
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
        let probe = module_probe(&ctx, &src, x.buffer(), y.buffer(), vecs);
        let t = median_ms(|| probe.run(&ctx, module_groups(&ctx, vecs)));
        println!("{:<40} {t:7.2} ms", name.trim());
    }
}
