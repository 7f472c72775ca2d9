//! wgact beside burn on the same adapter, in one process.
//!
//! Both libraries get their own device on the adapter `WGPU_BACKEND` picks
//! (wgact through `Context::new`, burn through a `WgpuSetup` made here on the
//! same backend, with the adapter's features and limits). The method, for both:
//! upload once; then per iteration run the op and wait for the device; the
//! median wall time over at least 5 iterations and about `BUDGET` each (`wgact_peers::medians`), the
//! libraries (and the copy) taking turns within each round; GB/s counts
//! 8 bytes per element (one read, one write). The device's own
//! `copy_buffer_to_buffer` of the same size, timed the same way, is the
//! bandwidth both are measured against. Each library's result is checked
//! against wgact's f64 reference (max ULP), so a faster wrong answer shows.
//!
//! `cargo run --release -- [--quick] [--json FILE]` (in `peers/`; builds burn
//! once into `peers/target`).

use burn::tensor::activation as bact;
use burn::tensor::{Device, Tensor, TensorData};
use wgact::{Activation, Context, Relu, verify};
use wgact_peers::{burn_device, device_copy, medians, wgact_call};

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Sigmoid,
    Relu,
    Tanh,
    Gelu,
    Silu,
    LeakyRelu,
    Softmax,
    LogSoftmax,
    /// The cheapest kernel each library has: wgact's `linear` (a load and a
    /// store), burn's `abs`. Not the same op: the floor both stand on.
    Floor,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Sigmoid => "sigmoid",
            Op::Relu => "relu",
            Op::Tanh => "tanh",
            Op::Gelu => "gelu",
            Op::Silu => "silu",
            Op::LeakyRelu => "leaky_relu",
            Op::Softmax => "softmax",
            Op::LogSoftmax => "log_softmax",
            Op::Floor => "floor",
        }
    }

    /// The same function in wgact (Keras defaults).
    fn wgact(self) -> Activation {
        match self {
            Op::Sigmoid => Activation::Sigmoid,
            Op::Relu => Relu::new().into(),
            Op::Tanh => Activation::Tanh,
            Op::Gelu => Activation::Gelu { approximate: false },
            Op::Silu => Activation::Silu { beta: 1.0 },
            Op::LeakyRelu => Activation::LeakyRelu {
                negative_slope: 0.2,
            },
            Op::Softmax => Activation::Softmax { axis: -1 },
            Op::LogSoftmax => Activation::LogSoftmax { axis: -1 },
            Op::Floor => Activation::Linear,
        }
    }

    fn burn(self, x: Tensor<2>) -> Tensor<2> {
        match self {
            Op::Sigmoid => bact::sigmoid(x),
            Op::Relu => bact::relu(x),
            Op::Tanh => bact::tanh(x),
            Op::Gelu => bact::gelu(x),
            Op::Silu => bact::silu(x),
            Op::LeakyRelu => bact::leaky_relu(x, 0.2),
            Op::Softmax => bact::softmax(x, 1),
            Op::LogSoftmax => bact::log_softmax(x, 1),
            Op::Floor => x.abs(),
        }
    }
}

struct Row {
    op: &'static str,
    shape: [usize; 2],
    /// wgact's op before burn's device exists (no burn thread running).
    wgact_alone_s: f64,
    /// The device's copy, in the same rounds as `wgact_alone_s`.
    copy_alone_s: f64,
    /// wgact's op in rounds with burn's (burn's device alive).
    wgact_s: f64,
    burn_s: f64,
    copy_s: f64,
    wgact_ulp: u64,
    burn_ulp: u64,
}

impl Row {
    fn gbps(&self, s: f64) -> f64 {
        8.0 * (self.shape[0] * self.shape[1]) as f64 / s / 1e9
    }
}

fn max_ulp(act: &Activation, x: &[f32], shape: &[usize], got: &[f32]) -> u64 {
    verify::compare(act, x, shape, got).map_or(u64::MAX, |s| s.max_ulp)
}

/// A case's input: N(0, 3), seeded by its size.
fn case_data(shape: [usize; 2]) -> Vec<f32> {
    let n = shape[0] * shape[1];
    let mut rng = verify::Rng::new(n as u64);
    (0..n).map(|_| rng.normal(3.0)).collect()
}

/// wgact's op and the device's copy of the same bytes, in interleaved rounds
/// (seconds), before burn's device exists: once it does, its runtime's
/// threads take CPU time from everything else in the process on these
/// CPU adapters (`src/bin/overhead.rs`: wgact's identity at 2^24 12.4 ms
/// before, 14.6-15.2 ms after, on both backends).
fn measure_alone(ctx: &Context, op: Op, shape: [usize; 2]) -> (f64, f64) {
    let data = case_data(shape);
    let act = op.wgact();
    let x = ctx.upload(&data, &shape).expect("upload");
    let y = ctx.empty(&shape).expect("output");
    let c = ctx.empty(&shape).expect("copy target");
    let [w, cp] = medians([&mut || wgact_call(ctx, &act, &x, &y), &mut || {
        device_copy(ctx, &x, &c)
    }]);
    (w, cp)
}

fn measure(ctx: &Context, dev: &Device, op: Op, shape: [usize; 2], alone: (f64, f64)) -> Row {
    let data = case_data(shape);
    let act = op.wgact();
    // Upload once; then per round: wgact's op + wait, the device's copy of
    // the same bytes + wait, burn's op + sync.
    let x = ctx.upload(&data, &shape).expect("upload");
    let y = ctx.empty(&shape).expect("output");
    let c = ctx.empty(&shape).expect("copy target");
    let bx = Tensor::<2>::from_data(TensorData::new(data.clone(), shape), dev);
    let [wgact_s, copy_s, burn_s] = medians([
        &mut || wgact_call(ctx, &act, &x, &y),
        &mut || device_copy(ctx, &x, &c),
        &mut || {
            let out = op.burn(bx.clone());
            dev.sync().expect("burn sync");
            drop(out);
        },
    ]);
    let wgact_ulp = max_ulp(&act, &data, &shape, &ctx.read(&y).expect("read"));
    let out = op.burn(bx.clone()).into_data();
    let got: Vec<f32> = out.try_to_vec::<f32>().expect("f32 data");
    let burn_ulp = if op == Op::Floor {
        // burn's abs against |x|, bit for bit.
        let abs: Vec<f32> = data.iter().map(|v| v.abs()).collect();
        max_ulp(&act, &abs, &shape, &got)
    } else {
        max_ulp(&act, &data, &shape, &got)
    };
    Row {
        op: op.name(),
        shape,
        wgact_alone_s: alone.0,
        copy_alone_s: alone.1,
        wgact_s,
        burn_s,
        copy_s,
        wgact_ulp,
        burn_ulp,
    }
}

/// Upload, op and readback of relu at `n` elements, each library.
/// End to end input: N(0, 3), 7 as the seed.
fn e2e_data(n: usize) -> Vec<f32> {
    let mut rng = verify::Rng::new(7);
    (0..n).map(|_| rng.normal(3.0)).collect()
}

/// wgact's relu end to end: upload, op, readback.
fn wgact_e2e(ctx: &Context, data: &[f32]) {
    let x = ctx.upload(data, &[1, data.len()]).expect("upload");
    let y = ctx.apply(&Relu::new().into(), &x).expect("op");
    std::hint::black_box(ctx.read(&y).expect("read"));
}

/// wgact's end to end alone (seconds), before burn's device exists.
fn end_to_end_alone(ctx: &Context, n: usize) -> f64 {
    let data = e2e_data(n);
    medians([&mut || wgact_e2e(ctx, &data)])[0]
}

/// wgact's and burn's end to end in turns (seconds).
fn end_to_end(ctx: &Context, dev: &Device, n: usize) -> (f64, f64) {
    let data = e2e_data(n);
    let [w, b] = medians([&mut || wgact_e2e(ctx, &data), &mut || {
        let x = Tensor::<2>::from_data(TensorData::new(data.clone(), [1, n]), dev);
        let v: Vec<f32> = bact::relu(x).into_data().try_to_vec::<f32>().expect("f32");
        std::hint::black_box(v);
    }]);
    (w, b)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    // --only sigmoid,softmax: just those ops (and no end-to-end run).
    let only: Option<Vec<String>> = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .map(|s| s.split(',').map(str::to_string).collect());
    let wanted = |op: Op| {
        only.as_ref()
            .is_none_or(|o| o.iter().any(|n| n == op.name()))
    };
    let json = args
        .iter()
        .position(|a| a == "--json")
        .and_then(|i| args.get(i + 1).cloned());
    let ctx = Context::new().expect("a wgact adapter");
    println!("wgact {} on {}", env!("CARGO_PKG_VERSION"), ctx.describe());
    let sizes: Vec<usize> = if quick {
        vec![1 << 10, 1 << 20]
    } else {
        vec![1 << 10, 1 << 16, 1 << 20, 1 << 24]
    };
    let mut cases: Vec<(Op, [usize; 2])> = Vec::new();
    for op in [
        Op::Sigmoid,
        Op::Relu,
        Op::Tanh,
        Op::Gelu,
        Op::Silu,
        Op::LeakyRelu,
    ] {
        for &n in &sizes {
            cases.push((op, [1, n]));
        }
    }
    for &n in &sizes[sizes.len() - 2..] {
        cases.push((Op::Floor, [1, n]));
    }
    let total = if quick { 1 << 20 } else { 1 << 24 };
    for op in [Op::Softmax, Op::LogSoftmax] {
        for len in [64usize, 1024, 1 << 20] {
            if len <= total {
                cases.push((op, [total / len, len]));
            }
        }
    }
    cases.retain(|c| wanted(c.0));
    // wgact (and the copy) first, alone in the process; then burn's device,
    // and every case again with wgact, the copy and burn taking turns.
    let alone: Vec<(f64, f64)> = cases
        .iter()
        .map(|&(op, shape)| measure_alone(&ctx, op, shape))
        .collect();
    let n = if quick { 1 << 20 } else { 1 << 24 };
    let e2e_alone = only.is_none().then(|| end_to_end_alone(&ctx, n));
    let (dev, burn_adapter) = burn_device();
    println!("burn 0.22.1 (wgpu, fusion, autotune) on {burn_adapter}");
    println!(
        "method: upload once; per iteration the op, then wait for the device; median wall time; GB/s = 8 bytes/element; copy = copy_buffer_to_buffer of the same bytes in the same rounds. wgact is timed alone (with the copy) before burn's device exists, then again in rounds with burn's op ('beside'): burn's runtime threads slow everything else in the process\n"
    );
    println!(
        "{:<12} {:>16} {:>10} {:>10} {:>7} {:>8} {:>10} {:>10} {:>8} {:>8} {:>8}",
        "op",
        "shape",
        "wgact GB/s",
        "burn GB/s",
        "ratio",
        "beside",
        "copy GB/s",
        "wgact/copy",
        "ULP wgact",
        "ULP burn",
        "ms wgact"
    );
    let mut rows = Vec::new();
    for ((op, shape), a) in cases.into_iter().zip(alone) {
        let r = measure(&ctx, &dev, op, shape, a);
        println!(
            "{:<12} {:>16} {:>10.2} {:>10.2} {:>6.2}x {:>7.2}x {:>10.2} {:>9.0}% {:>8} {:>8} {:>8.3}",
            r.op,
            format!("{:?}", r.shape),
            r.gbps(r.wgact_alone_s),
            r.gbps(r.burn_s),
            r.burn_s / r.wgact_alone_s,
            r.burn_s / r.wgact_s,
            r.gbps(r.copy_alone_s),
            100.0 * r.copy_alone_s / r.wgact_alone_s,
            ulp_text(r.wgact_ulp),
            ulp_text(r.burn_ulp),
            r.wgact_alone_s * 1e3
        );
        rows.push(r);
    }
    let Some(wa) = e2e_alone else {
        return;
    };
    let (w, b) = end_to_end(&ctx, &dev, n);
    let gb = |s: f64| 8.0 * n as f64 / s / 1e9;
    println!(
        "\nend to end, relu {n} (upload + op + readback): wgact {:.2} GB/s, burn {:.2} GB/s, ratio {:.2}x (beside burn: wgact {:.2} GB/s, {:.2}x)",
        gb(wa),
        gb(b),
        b / wa,
        gb(w),
        b / w
    );
    if let Some(path) = json {
        let items: Vec<String> = rows
            .iter()
            .map(|r| {
                format!(
                    "    {{\"op\": \"{}\", \"shape\": {:?}, \"wgact_alone_s\": {:e}, \"copy_alone_s\": {:e}, \"wgact_s\": {:e}, \"burn_s\": {:e}, \"copy_s\": {:e}, \"wgact_max_ulp\": {}, \"burn_max_ulp\": {}}}",
                    r.op, r.shape, r.wgact_alone_s, r.copy_alone_s, r.wgact_s, r.burn_s, r.copy_s, r.wgact_ulp, r.burn_ulp
                )
            })
            .collect();
        let text = format!(
            "{{\n  \"wgact_adapter\": {:?},\n  \"burn_adapter\": {:?},\n  \"end_to_end\": {{\"elements\": {n}, \"wgact_alone_s\": {wa:e}, \"wgact_s\": {w:e}, \"burn_s\": {b:e}}},\n  \"rows\": [\n{}\n  ]\n}}\n",
            ctx.describe(),
            burn_adapter,
            items.join(",\n")
        );
        std::fs::write(&path, text).expect("write JSON");
        println!("wrote {path}");
    }
}

fn ulp_text(u: u64) -> String {
    if u == u64::MAX {
        "NaN!".into()
    } else {
        u.to_string()
    }
}
