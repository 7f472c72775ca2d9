use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Instant;
use wgact::verify::Stats;
use wgact::{Op, verify};

#[derive(clap::Args)]
pub struct Args {
    /// Random inputs per distribution
    #[arg(long, default_value_t = 100_000)]
    samples: usize,
    /// Skip the rows of axis ops longer than 1024 (up to 10^6)
    #[arg(long)]
    short: bool,
    /// Ops to check (comma-separated; default: the whole table)
    #[arg(long, value_delimiter = ',')]
    ops: Vec<String>,
    /// Check one elementwise op (default parameters) on all 2^32 f32 inputs,
    /// on the GPU and the fast CPU path
    #[arg(long, value_name = "OP")]
    exhaustive: Option<String>,
    /// Check the backward (gradient) kernels instead of the forward ones
    #[arg(long)]
    grad: bool,
    /// Tensors of this dtype: inputs rounded to it, results against the f64
    /// reference rounded to it, errors in its ULPs (f16, bf16; bound 1).
    #[arg(long, value_parser = ["f32", "f16", "bf16"], default_value = "f32")]
    dtype: String,
    /// f16 storage: WGSL's f16 (native, where the adapter has shader-f16),
    /// pairs packed in u32 words, or auto (native except on CPU adapters)
    #[arg(long = "f16", value_parser = ["auto", "native", "packed"], default_value = "auto")]
    f16_path: String,
}

fn max_text(s: &Stats) -> String {
    if s.max_ulp == u64::MAX {
        "NaN-mismatch".to_string()
    } else {
        s.max_ulp.to_string()
    }
}

fn worst_text(s: &Stats) -> String {
    s.worst
        .map(|(x, want, got)| format!("{x:e} -> {want:e} / {got:e}"))
        .unwrap_or_default()
}

fn op_named(name: &str) -> Result<Op, String> {
    Op::from_name(name).ok_or_else(|| wgact::Error::UnknownActivation(name.to_string()).to_string())
}

pub fn run(a: Args) -> wgact::Result<ExitCode> {
    let ops = match a
        .ops
        .iter()
        .map(|n| op_named(n))
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(o) if o.is_empty() => Op::ALL.to_vec(),
        Ok(o) => o,
        Err(msg) => {
            eprintln!("wgact: error: {msg}");
            return Ok(ExitCode::from(2));
        }
    };
    let dtype = wgact::DType::parse(&a.dtype).unwrap_or_default();
    let ctx = wgact::Context::with_options(wgact::ContextOptions {
        packed_f16: match a.f16_path.as_str() {
            "native" => Some(false),
            "packed" => Some(true),
            _ => None,
        },
        ..Default::default()
    })?;
    println!("adapter: {}", ctx.describe());
    if dtype != wgact::DType::F32 {
        println!(
            "dtype: {dtype}{}",
            match (dtype, ctx.native_f16()) {
                (wgact::DType::F16, true) => " (WGSL f16)",
                (wgact::DType::F16, false) => " (packed in u32 words)",
                _ => " (packed in u32 words)",
            }
        );
    }
    if let Some(name) = &a.exhaustive {
        let op = match op_named(name) {
            Ok(op) => op,
            Err(msg) => {
                eprintln!("wgact: error: {msg}");
                return Ok(ExitCode::from(2));
            }
        };
        return exhaustive(&ctx, op);
    }
    let reports = if a.grad && dtype != wgact::DType::F32 {
        eprintln!("wgact: error: --grad checks f32 (16-bit backward goes through f32)");
        return Ok(ExitCode::from(2));
    } else if a.grad {
        println!("backward (vector-Jacobian products, random and special dy)");
        verify::run_grad(&ctx, &ops, a.samples, !a.short)?
    } else {
        verify::run_ops_in(&ctx, &ops, a.samples, !a.short, dtype)?
    };
    println!(
        "{:<28} {:>10} {:>8} {:>9} {:>8}  worst (input -> reference / gpu)",
        "op", "values", "max ULP", "bound", "flushed"
    );
    let mut ok = true;
    for r in &reports {
        let s = &r.stats;
        println!(
            "{:<28} {:>10} {:>8} {:>9} {:>8}  {}{}",
            r.name,
            s.count,
            max_text(s),
            r.bound,
            s.flushed,
            worst_text(s),
            if r.passed() { "" } else { "  FAIL" }
        );
        ok &= r.passed();
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn exhaustive(ctx: &wgact::Context, op: Op) -> wgact::Result<ExitCode> {
    let act = verify::sample(op);
    let bound = verify::bound(&act, 1);
    let bar = std::io::stderr().is_terminal().then(|| {
        let b = indicatif::ProgressBar::new(1 << 32);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {percent}% eta {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let t = Instant::now();
    let (gpu, fast) = verify::exhaustive(ctx, &act, 24, &mut |done, _| {
        if let Some(b) = &bar {
            b.set_position(done);
        }
    })?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    println!(
        "{act}: all 2^32 inputs in {:.0} s (bound {bound} ULP)",
        t.elapsed().as_secs_f64()
    );
    let mut ok = true;
    for (what, s) in [("gpu", &gpu), ("fast cpu", &fast)] {
        println!(
            "  {what:<9} max {} ULP, {} flushed subnormals; worst {}",
            max_text(s),
            s.flushed,
            worst_text(s)
        );
        ok &= s.max_ulp <= bound;
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
