use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use wgact::stream::{self, StreamOptions};
use wgact::{Activation, Relu, npy};

#[derive(clap::Args)]
pub struct Args {
    /// sigmoid, relu, tanh or softmax
    activation: String,
    /// Input: float32 little-endian C-order .npy, any shape
    input: PathBuf,
    /// Output .npy (same shape; written atomically)
    #[arg(short, long)]
    output: PathBuf,
    /// relu: slope below the threshold
    #[arg(long, allow_negative_numbers = true)]
    negative_slope: Option<f32>,
    /// relu: Keras 2 / TensorFlow name of --negative-slope
    #[arg(long, allow_negative_numbers = true, conflicts_with = "negative_slope")]
    alpha: Option<f32>,
    /// relu: saturation value
    #[arg(long, allow_negative_numbers = true)]
    max_value: Option<f32>,
    /// relu: threshold
    #[arg(long, allow_negative_numbers = true)]
    threshold: Option<f32>,
    /// softmax: axis (negative counts from the end)
    #[arg(long, default_value_t = -1, allow_negative_numbers = true)]
    axis: isize,
    /// Bytes of input per GPU chunk (files of any size stream through in chunks)
    #[arg(long, default_value_t = 32 << 20)]
    chunk_bytes: u64,
}

/// The activation the arguments ask for; parameters of another op are refused
/// rather than silently ignored.
fn activation(a: &Args) -> Result<Activation, String> {
    let act: Activation = a
        .activation
        .parse()
        .map_err(|e: wgact::Error| e.to_string())?;
    let relu_flags = a.negative_slope.is_some()
        || a.alpha.is_some()
        || a.max_value.is_some()
        || a.threshold.is_some();
    Ok(match act {
        Activation::Relu(_) => {
            let mut p = Relu::new();
            if let Some(v) = a.negative_slope.or(a.alpha) {
                p = p.negative_slope(v);
            }
            if let Some(v) = a.max_value {
                p = p.max_value(v);
            }
            if let Some(v) = a.threshold {
                p = p.threshold(v);
            }
            Activation::Relu(p)
        }
        Activation::Softmax { .. } if relu_flags => {
            return Err(
                "--negative-slope/--alpha/--max-value/--threshold apply to relu only".into(),
            );
        }
        Activation::Softmax { .. } => Activation::Softmax { axis: a.axis },
        _ if relu_flags => {
            return Err(
                "--negative-slope/--alpha/--max-value/--threshold apply to relu only".into(),
            );
        }
        _ if a.axis != -1 => return Err("--axis applies to softmax only".into()),
        other => other,
    })
}

pub fn run(a: Args) -> wgact::Result<ExitCode> {
    let act = match activation(&a) {
        Ok(act) => act,
        Err(msg) => {
            eprintln!("wgact: error: {msg}");
            return Ok(ExitCode::from(2));
        }
    };
    act.validate()?;
    // Check the file (and the axis) before touching the GPU.
    let (_, info) = npy::open_f32(&a.input)?;
    if let Activation::Softmax { axis } = act {
        wgact::shape::resolve_axis(axis, info.shape.len())?;
    }
    let ctx = wgact::Context::new()?;
    let bar = std::io::stderr().is_terminal().then(|| {
        let b = indicatif::ProgressBar::new(info.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {percent}% {per_sec} eta {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let opts = StreamOptions {
        chunk_bytes: a.chunk_bytes,
    };
    let shape = stream::apply_file(&ctx, &act, &a.input, &a.output, &opts, &mut |done, _| {
        if let Some(b) = &bar {
            b.set_position(done);
        }
    })?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    eprintln!(
        "wgact: {act} on {:?} -> {} ({})",
        shape,
        a.output.display(),
        ctx.describe()
    );
    Ok(ExitCode::SUCCESS)
}
