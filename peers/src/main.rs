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
use wgact::{Activation, Context, Relu, verify, wgpu};
use wgact_peers::medians;

/// A burn device on the adapter wgact would choose (`WGPU_BACKEND`).
fn burn_device() -> (Device, String) {
    let backends = wgpu::Backends::from_env().unwrap_or(wgpu::Backends::all());
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
    desc.backends = backends;
    let instance = wgpu::Instance::new(desc);
    let mut adapters = pollster::block_on(instance.enumerate_adapters(backends));
    // Vulkan before GL, as wgact ranks them.
    adapters.sort_by_key(|a| (a.get_info().backend != wgpu::Backend::Vulkan) as u8);
    let adapter = adapters.into_iter().next().expect("an adapter for burn");
    let info = adapter.get_info();
    let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
        label: Some("burn"),
        required_features: adapter.features(),
        required_limits: adapter.limits(),
        ..Default::default()
    }))
    .expect("a burn device");
    let setup = burn::tensor::wgpu::WgpuSetup {
        instance,
        adapter,
        device,
        queue,
        backend: info.backend,
    };
    let dev = Device::wgpu_options()
        .setup(setup)
        .init()
        .expect("burn on the setup");
    (dev, format!("{} ({:?})", info.name, info.backend))
}

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

fn measure(ctx: &Context, dev: &Device, op: Op, shape: [usize; 2]) -> Row {
    let n = shape[0] * shape[1];
    let mut rng = verify::Rng::new(n as u64);
    let data: Vec<f32> = (0..n).map(|_| rng.normal(3.0)).collect();
    let act = op.wgact();
    let wait = || {
        let _ = ctx.device().poll(wgpu::PollType::wait_indefinitely());
    };
    // Upload once; then per round: wgact's op + wait, the device's copy of
    // the same bytes + wait, burn's op + sync.
    let x = ctx.upload(&data, &shape).expect("upload");
    let y = ctx.empty(&shape).expect("output");
    let c = ctx.empty(&shape).expect("copy target");
    let bx = Tensor::<2>::from_data(TensorData::new(data.clone(), shape), dev);
    let [wgact_s, copy_s, burn_s] = medians([
        &mut || {
            ctx.apply_into(&act, &x, &y).expect("wgact op");
            wait();
        },
        &mut || {
            let mut enc = ctx.device().create_command_encoder(&Default::default());
            enc.copy_buffer_to_buffer(x.buffer(), x.offset(), c.buffer(), c.offset(), x.byte_len());
            ctx.queue().submit([enc.finish()]);
            wait();
        },
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
        wgact_s,
        burn_s,
        copy_s,
        wgact_ulp,
        burn_ulp,
    }
}

/// Upload, op and readback of relu at `n` elements, each library.
fn end_to_end(ctx: &Context, dev: &Device, n: usize) -> (f64, f64) {
    let mut rng = verify::Rng::new(7);
    let data: Vec<f32> = (0..n).map(|_| rng.normal(3.0)).collect();
    let act: Activation = Relu::new().into();
    let [w, b] = medians([
        &mut || {
            let x = ctx.upload(&data, &[1, n]).expect("upload");
            let y = ctx.apply(&act, &x).expect("op");
            std::hint::black_box(ctx.read(&y).expect("read"));
        },
        &mut || {
            let x = Tensor::<2>::from_data(TensorData::new(data.clone(), [1, n]), dev);
            let v: Vec<f32> = bact::relu(x).into_data().try_to_vec::<f32>().expect("f32");
            std::hint::black_box(v);
        },
    ]);
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
    let (dev, burn_adapter) = burn_device();
    println!("wgact {} on {}", env!("CARGO_PKG_VERSION"), ctx.describe());
    println!("burn 0.22.1 (wgpu, fusion, autotune) on {burn_adapter}");
    println!(
        "method: upload once; per iteration the op, then wait for the device; median wall time; GB/s = 8 bytes/element; copy = copy_buffer_to_buffer of the same bytes, same run\n"
    );
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
    println!(
        "{:<12} {:>16} {:>10} {:>10} {:>7} {:>10} {:>10} {:>8} {:>8} {:>8}",
        "op",
        "shape",
        "wgact GB/s",
        "burn GB/s",
        "ratio",
        "copy GB/s",
        "wgact/copy",
        "ULP wgact",
        "ULP burn",
        "ms wgact"
    );
    let mut rows = Vec::new();
    cases.retain(|c| wanted(c.0));
    for (op, shape) in cases {
        let r = measure(&ctx, &dev, op, shape);
        println!(
            "{:<12} {:>16} {:>10.2} {:>10.2} {:>6.2}x {:>10.2} {:>9.0}% {:>8} {:>8} {:>8.3}",
            r.op,
            format!("{:?}", r.shape),
            r.gbps(r.wgact_s),
            r.gbps(r.burn_s),
            r.burn_s / r.wgact_s,
            r.gbps(r.copy_s),
            100.0 * r.copy_s / r.wgact_s,
            ulp_text(r.wgact_ulp),
            ulp_text(r.burn_ulp),
            r.wgact_s * 1e3
        );
        rows.push(r);
    }
    let n = if quick { 1 << 20 } else { 1 << 24 };
    if only.is_some() {
        return;
    }
    let (w, b) = end_to_end(&ctx, &dev, n);
    let gb = |s: f64| 8.0 * n as f64 / s / 1e9;
    println!(
        "\nend to end, relu {n} (upload + op + readback): wgact {:.2} GB/s, burn {:.2} GB/s, ratio {:.2}x",
        gb(w),
        gb(b),
        b / w
    );
    if let Some(path) = json {
        let items: Vec<String> = rows
            .iter()
            .map(|r| {
                format!(
                    "    {{\"op\": \"{}\", \"shape\": {:?}, \"wgact_s\": {:e}, \"burn_s\": {:e}, \"copy_s\": {:e}, \"wgact_max_ulp\": {}, \"burn_max_ulp\": {}}}",
                    r.op, r.shape, r.wgact_s, r.burn_s, r.copy_s, r.wgact_ulp, r.burn_ulp
                )
            })
            .collect();
        let text = format!(
            "{{\n  \"wgact_adapter\": {:?},\n  \"burn_adapter\": {:?},\n  \"end_to_end\": {{\"elements\": {n}, \"wgact_s\": {w:e}, \"burn_s\": {b:e}}},\n  \"rows\": [\n{}\n  ]\n}}\n",
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
