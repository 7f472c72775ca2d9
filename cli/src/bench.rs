//! `wgact bench`: CPU fast path vs GPU (compute only, and end to end), each
//! beside the device's own buffer-copy bandwidth and the host's memcpy,
//! measured in the same run.

use crate::plot;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use wgact::{Activation, Context, Op, cpu, verify::Rng};

#[derive(clap::Args)]
pub struct Args {
    /// Ops to run (comma-separated): any name of `wgact apply --list`, with
    /// default parameters. Default: every op of the table
    #[arg(long, value_delimiter = ',')]
    ops: Vec<String>,
    /// Element counts (comma-separated; "2^20" or plain numbers). Default 2^10 ... 2^26
    #[arg(long, value_delimiter = ',')]
    sizes: Vec<String>,
    /// Softmax row lengths at a fixed total of 2^22 elements. Default 64 ... 2^20
    #[arg(long, value_delimiter = ',')]
    rows: Vec<String>,
    /// Write the results as JSON
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write the results as CSV
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Write an SVG plot of throughput against size
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Time budget per measurement, in milliseconds (at least 3 runs each)
    #[arg(long, default_value_t = 300)]
    budget_ms: u64,
    /// Measure the backward kernels (dx from x, or y, and dy) instead
    #[arg(long)]
    grad: bool,
    /// Tensor dtypes to measure, each in the same run (comma-separated: f32,
    /// f16, bf16). GB/s counts the dtype's bytes; compare elements per second
    /// (the ms columns) across dtypes
    #[arg(long, value_delimiter = ',', value_parser = ["f32", "f16", "bf16"], default_value = "f32")]
    dtype: Vec<String>,
    /// f16 storage: WGSL's f16 (native, where the adapter has shader-f16),
    /// pairs packed in u32 words, or auto (native except on CPU adapters)
    #[arg(long = "f16", value_parser = ["auto", "native", "packed"], default_value = "auto")]
    f16_path: String,
}

/// One row of results.
#[derive(Clone, Debug)]
pub struct Row {
    pub op: String,
    pub shape: Vec<usize>,
    pub elements: usize,
    pub cpu_s: f64,
    pub gpu_compute_s: f64,
    pub gpu_e2e_s: f64,
    pub device_copy_s: f64,
    pub memcpy_s: f64,
    /// Bytes per element the op moves: 8 forward (x in, y out), 12 backward
    /// (x or y and dy in, dx out).
    pub bytes_per_elem: f64,
    /// The tensors' dtype (`f32`, `f16`, `bf16`).
    pub dtype: wgact::DType,
}

impl Row {
    /// Bytes an op moves: every element read and written once.
    fn bytes(&self) -> f64 {
        self.bytes_per_elem * self.elements as f64
    }
    pub fn gbps(&self, s: f64) -> f64 {
        self.bytes() / s / 1e9
    }
}

fn parse_size(s: &str) -> Result<usize, String> {
    let s = s.trim();
    let v = if let Some(e) = s.strip_prefix("2^") {
        e.parse::<u32>().ok().and_then(|e| 1usize.checked_shl(e))
    } else {
        s.parse::<usize>().ok()
    };
    // Up to 2^31 elements (8 GiB of input): the host holds the data, the
    // result and the CPU path's output.
    v.filter(|&v| v > 0 && v <= 1 << 31)
        .ok_or_else(|| format!("bad size {s:?}: use a positive number or 2^K, at most 2^31"))
}

/// Median seconds of `f` over at least 3 runs and about `budget`; the first
/// error ends the measurement.
fn median(budget: Duration, mut f: impl FnMut() -> wgact::Result<()>) -> wgact::Result<f64> {
    median_of(budget, || {
        let t = Instant::now();
        f()?;
        Ok(t.elapsed().as_secs_f64())
    })
}

/// Median of the seconds `f` reports, over at least 3 runs and about `budget`.
fn median_of(budget: Duration, mut f: impl FnMut() -> wgact::Result<f64>) -> wgact::Result<f64> {
    f()?; // warm-up: pipelines, caches, page faults
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < 3 || (start.elapsed() < budget && times.len() < 100) {
        times.push(f()?);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    Ok(times[times.len() / 2])
}

/// Median seconds of the device's own copy of `x` into a tensor of its
/// shape, buffer by buffer (a tensor past max_buffer_size spans several):
/// device timestamps where the adapter has them, else submit-and-wait.
fn device_copy(ctx: &Context, x: &wgact::Tensor, budget: Duration) -> wgact::Result<f64> {
    let y = ctx.zeros_as(x.shape(), x.dtype())?;
    let size = x.dtype().size() as u64;
    median_of(budget, || {
        let t = ctx.time(|enc| {
            for ((xb, xo, len), (yb, yo, _)) in x.parts().zip(y.parts()) {
                enc.copy_buffer_to_buffer(xb, xo, yb, yo, (size * len as u64).next_multiple_of(4));
            }
            Ok(())
        })?;
        Ok(t.best().as_secs_f64())
    })
}

/// Median seconds of an all-core memcpy of `data`.
fn host_memcpy(data: &[f32], budget: Duration) -> wgact::Result<f64> {
    let mut copied = vec![0.0f32; data.len()];
    median(budget, || {
        cpu::fast::memcpy(std::hint::black_box(data), &mut copied);
        Ok(())
    })
}

/// The backward of `act` at `shape`: CPU (all cores) and GPU, beside copy
/// and memcpy of the same size.
fn measure_grad(
    ctx: &Context,
    act: &Activation,
    shape: &[usize],
    budget: Duration,
) -> wgact::Result<Row> {
    use wgact::activation::GradFrom;
    let n: usize = shape.iter().product();
    let mut rng = Rng::new(n as u64);
    let data: Vec<f32> = (0..n).map(|_| rng.normal(3.0)).collect();
    let out_shape = act.output_shape(shape)?;
    let y = cpu::fast::apply(act, &data, shape)?;
    let dyv: Vec<f32> = (0..y.len()).map(|_| rng.normal(1.0)).collect();
    let v = match act.info().grad_from {
        GradFrom::X => &data,
        GradFrom::Y => &y,
    };
    let cpu_s = median(budget, || {
        std::hint::black_box(cpu::fast::backward(act, v, &dyv, shape)?);
        Ok(())
    })?;
    let memcpy_s = host_memcpy(&data, budget)?;
    let x = ctx.upload(&data, shape)?;
    let yt = ctx.upload(&y, &out_shape)?;
    let dy = ctx.upload(&dyv, &out_shape)?;
    let dx = ctx.zeros(shape)?;
    let gpu_compute_s = median_of(budget, || {
        let t = ctx.time(|enc| {
            ctx.encode_backward(enc, act, &x, Some(&yt), &dy, Some(&dx))
                .map(|_| ())
        })?;
        Ok(t.best().as_secs_f64())
    })?;
    let device_copy_s = device_copy(ctx, &x, budget)?;
    let gpu_e2e_s = median(budget, || {
        let xt = ctx.upload(&data, shape)?;
        let d = ctx.upload(&dyv, &out_shape)?;
        let r = ctx.backward(act, &xt, &d)?;
        std::hint::black_box(ctx.read(&r)?);
        Ok(())
    })?;
    Ok(Row {
        op: format!("{}'", act.name()),
        shape: shape.to_vec(),
        elements: n,
        cpu_s,
        gpu_compute_s,
        gpu_e2e_s,
        // copy moves 8 bytes per element, the backward 12: scaled to match.
        device_copy_s: device_copy_s * 1.5,
        memcpy_s: memcpy_s * 1.5,
        bytes_per_elem: 12.0,
        dtype: wgact::DType::F32,
    })
}

/// Median seconds of upload, op and readback of `data` (host values of the
/// tensor's dtype).
fn e2e<T: wgact::Element>(
    ctx: &Context,
    act: &Activation,
    data: &[T],
    shape: &[usize],
    budget: Duration,
) -> wgact::Result<f64> {
    median(budget, || {
        let t = ctx.upload(data, shape)?;
        let r = ctx.apply(act, &t)?;
        std::hint::black_box(ctx.read_as::<T>(&r)?);
        Ok(())
    })
}

fn measure(
    ctx: &Context,
    act: &Activation,
    shape: &[usize],
    dtype: wgact::DType,
    budget: Duration,
) -> wgact::Result<Row> {
    let n: usize = shape.iter().product();
    let mut rng = Rng::new(n as u64);
    let data: Vec<f32> = (0..n).map(|_| dtype.round(rng.normal(3.0))).collect();
    let out_shape = act.output_shape(shape)?;
    let mut out = vec![0.0f32; out_shape.iter().product()];
    // 16-bit on the CPU: the values widened, the f32 fast path, rounded back.
    let stored = wgact::dtype::narrow(dtype, &data);
    let mut wide = data.clone();
    let cpu_s = median(budget, || {
        if dtype == wgact::DType::F32 {
            cpu::fast::apply_into(act, &data, shape, &mut out)
        } else {
            wgact::dtype::widen(dtype, &stored, &mut wide);
            cpu::fast::apply_into(act, &wide, shape, &mut out)?;
            std::hint::black_box(wgact::dtype::narrow(dtype, &out));
            Ok(())
        }
    })?;
    let memcpy_s = host_memcpy(&data[..n * dtype.size() / 4], budget)?;
    let x = ctx.upload_as(&data, shape, dtype)?;
    let y = ctx.zeros_as(&out_shape, dtype)?;
    // Device timestamps where the adapter has them, else submit-and-wait.
    let gpu_compute_s = median_of(budget, || {
        let t = ctx.time(|enc| ctx.encode(enc, act, &x, Some(&y)))?;
        Ok(t.best().as_secs_f64())
    })?;
    let device_copy_s = device_copy(ctx, &x, budget)?;
    // End to end from and to host arrays of the dtype (16-bit users hold
    // 16-bit data: no conversion on the host).
    let gpu_e2e_s = match dtype {
        wgact::DType::F32 => e2e(ctx, act, &data, shape, budget)?,
        wgact::DType::F16 => {
            let h: Vec<wgact::half::f16> = data
                .iter()
                .map(|&v| wgact::half::f16::from_f32(v))
                .collect();
            e2e(ctx, act, &h, shape, budget)?
        }
        wgact::DType::Bf16 => {
            let h: Vec<wgact::half::bf16> = data
                .iter()
                .map(|&v| wgact::half::bf16::from_f32(v))
                .collect();
            e2e(ctx, act, &h, shape, budget)?
        }
    };
    Ok(Row {
        op: match dtype {
            wgact::DType::F32 => act.name().to_string(),
            d => format!("{}:{d}", act.name()),
        },
        shape: shape.to_vec(),
        elements: n,
        cpu_s,
        gpu_compute_s,
        gpu_e2e_s,
        device_copy_s,
        memcpy_s,
        bytes_per_elem: 2.0 * dtype.size() as f64,
        dtype,
    })
}

fn print_header() {
    println!(
        "{:<13} {:>16} {:>10} {:>10} {:>8} {:>8} {:>10} {:>10} {:>8} {:>8} {:>10} {:>8}",
        "op",
        "shape",
        "cpu ms",
        "cpu GB/s",
        "/memcpy",
        "",
        "gpu ms",
        "gpu GB/s",
        "/copy",
        "",
        "e2e ms",
        "e2e GB/s"
    );
}

fn print_row(r: &Row) {
    println!(
        "{:<13} {:>16} {:>10.3} {:>10.2} {:>7.0}% {:>8} {:>10.3} {:>10.2} {:>7.0}% {:>8} {:>10.3} {:>8.2}",
        r.op,
        format!("{:?}", r.shape),
        r.cpu_s * 1e3,
        r.gbps(r.cpu_s),
        100.0 * r.memcpy_s / r.cpu_s,
        "",
        r.gpu_compute_s * 1e3,
        r.gbps(r.gpu_compute_s),
        100.0 * r.device_copy_s / r.gpu_compute_s,
        "",
        r.gpu_e2e_s * 1e3,
        r.gbps(r.gpu_e2e_s),
    );
}

pub fn run(a: Args) -> wgact::Result<ExitCode> {
    let bad = |msg: String| {
        eprintln!("wgact: error: {msg}");
        Ok(ExitCode::from(2))
    };
    let mut acts = Vec::new();
    if a.ops.is_empty() {
        acts.extend(Op::ALL.iter().map(|&op| wgact::verify::sample(op)));
    }
    for name in &a.ops {
        match Op::from_name(name) {
            Some(op) => acts.push(wgact::verify::sample(op)),
            None => return bad(wgact::Error::UnknownActivation(name.clone()).to_string()),
        }
    }
    let parse_all = |v: &[String], default: Vec<usize>| -> Result<Vec<usize>, String> {
        if v.is_empty() {
            Ok(default)
        } else {
            v.iter().map(|s| parse_size(s)).collect()
        }
    };
    let sizes = match parse_all(&a.sizes, (10..=26).map(|k| 1usize << k).collect()) {
        Ok(s) => s,
        Err(e) => return bad(e),
    };
    let row_lens = match parse_all(&a.rows, [6, 10, 14, 17, 20].map(|k| 1usize << k).to_vec()) {
        Ok(s) => s,
        Err(e) => return bad(e),
    };
    let dtypes: Vec<wgact::DType> = a
        .dtype
        .iter()
        .filter_map(|d| wgact::DType::parse(d))
        .collect();
    if a.grad && dtypes != [wgact::DType::F32] {
        return bad("--grad measures f32 (16-bit backward goes through f32)".into());
    }
    let ctx = Context::with_options(wgact::ContextOptions {
        packed_f16: match a.f16_path.as_str() {
            "native" => Some(false),
            "packed" => Some(true),
            _ => None,
        },
        ..Default::default()
    })?;
    let budget = Duration::from_millis(a.budget_ms);
    println!("adapter: {}", ctx.describe());
    if a.dtype.iter().any(|d| d == "f16") {
        println!(
            "f16: {}",
            if ctx.native_f16() {
                "WGSL f16 (shader-f16)"
            } else {
                "pairs packed in u32 words"
            }
        );
    }
    println!(
        "host: {} threads; GB/s counts 4 bytes read + 4 written per element (backward: 8 read + 4 written);",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    println!(
        "/memcpy and /copy: the CPU op's speed as a share of memcpy (all cores), the GPU op's (compute only) as a share of copy_buffer_to_buffer, same size, same run"
    );
    println!(
        "gpu ms and copy: {}\n",
        if ctx.has_timestamps() {
            "device timestamp queries around the work"
        } else {
            "submit and wait (this adapter has no timestamp queries)"
        }
    );
    print_header();
    let mut rows = Vec::new();
    let total = acts.len() * sizes.len()
        + row_lens.len() * acts.iter().filter(|a| !a.is_elementwise()).count();
    let bar = if std::io::stderr().is_terminal() {
        let b = indicatif::ProgressBar::new(total as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(b)
    } else {
        None
    };
    for act in &acts {
        let mut shapes: Vec<Vec<usize>> = Vec::new();
        for &n in &sizes {
            shapes.push(if act.is_elementwise() {
                vec![n]
            } else {
                vec![n.div_ceil(1024).max(1), n.min(1024)]
            });
        }
        if !act.is_elementwise() {
            let total = 1usize << 22;
            shapes.extend(row_lens.iter().map(|&l| vec![(total / l).max(1), l]));
        }
        for shape in shapes {
            if let Some(b) = &bar {
                b.set_message(format!("{} {:?}", act.name(), shape));
            }
            for dtype in &dtypes {
                let r = if a.grad {
                    measure_grad(&ctx, act, &shape, budget)
                } else {
                    measure(&ctx, act, &shape, *dtype, budget)
                };
                match r {
                    Ok(r) => {
                        if let Some(b) = &bar {
                            b.suspend(|| print_row(&r));
                        } else {
                            print_row(&r);
                        }
                        rows.push(r);
                    }
                    Err(e) => eprintln!("wgact: {} {:?} skipped: {e}", act.name(), shape),
                }
            }
            if let Some(b) = &bar {
                b.inc(1);
            }
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let adapter = ctx.describe();
    if let Some(p) = &a.json {
        write(p, &to_json(&adapter, &rows))?;
    }
    if let Some(p) = &a.csv {
        write(p, &to_csv(&rows))?;
    }
    if let Some(p) = &a.plot {
        write(p, &plot::svg(&adapter, &rows))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn write(path: &std::path::Path, text: &str) -> wgact::Result<()> {
    std::fs::write(path, text).map_err(|source| wgact::Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn to_csv(rows: &[Row]) -> String {
    let mut s = String::from(
        "op,shape,elements,cpu_s,gpu_compute_s,gpu_e2e_s,device_copy_s,memcpy_s,cpu_gbps,gpu_compute_gbps,gpu_e2e_gbps,gpu_share_of_copy,cpu_share_of_memcpy\n",
    );
    for r in rows {
        s += &format!(
            "{},{},{},{:e},{:e},{:e},{:e},{:e},{:.4},{:.4},{:.4},{:.4},{:.4}\n",
            r.op,
            r.shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("x"),
            r.elements,
            r.cpu_s,
            r.gpu_compute_s,
            r.gpu_e2e_s,
            r.device_copy_s,
            r.memcpy_s,
            r.gbps(r.cpu_s),
            r.gbps(r.gpu_compute_s),
            r.gbps(r.gpu_e2e_s),
            r.device_copy_s / r.gpu_compute_s,
            r.memcpy_s / r.cpu_s
        );
    }
    s
}

fn to_json(adapter: &str, rows: &[Row]) -> String {
    let items: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "    {{\"op\": \"{}\", \"dtype\": \"{}\", \"shape\": {:?}, \"elements\": {}, \"cpu_s\": {:e}, \"gpu_compute_s\": {:e}, \"gpu_e2e_s\": {:e}, \"device_copy_s\": {:e}, \"memcpy_s\": {:e}, \"gpu_share_of_copy\": {:.4}, \"cpu_share_of_memcpy\": {:.4}}}",
                r.op, r.dtype, r.shape, r.elements, r.cpu_s, r.gpu_compute_s, r.gpu_e2e_s, r.device_copy_s, r.memcpy_s,
                r.device_copy_s / r.gpu_compute_s, r.memcpy_s / r.cpu_s
            )
        })
        .collect();
    format!(
        "{{\n  \"adapter\": {:?},\n  \"rows\": [\n{}\n  ]\n}}\n",
        adapter,
        items.join(",\n")
    )
}
