use clap::{Arg, ArgAction, ArgMatches, Command, FromArgMatches};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use wgact::activation::{ParamKind, Value};
use wgact::stream::{self, StreamOptions};
use wgact::{Activation, Op, npy};

/// `wgact apply`'s arguments. The parameter flags come from the op table:
/// one per Keras parameter name (and alias) of any op, `--alpha`,
/// `--negative-slope`, `--axis`, `--approximate`...
pub struct Args {
    list: bool,
    markdown: bool,
    activation: Option<String>,
    input: Option<PathBuf>,
    /// `wgact grad`'s upstream gradient.
    dy: Option<PathBuf>,
    output: Option<PathBuf>,
    chunk_bytes: u64,
    /// `--dtype`: the output file's (default: the input's).
    dtype: Option<wgact::DType>,
    /// (flag name as in the table, value) for each parameter flag given.
    params: Vec<(&'static str, Value)>,
}

/// Every parameter name (and alias) of the table with its kind and the ops
/// that take it, in table order.
fn param_flags() -> Vec<(&'static str, ParamKind, Vec<&'static str>)> {
    let mut flags: Vec<(&'static str, ParamKind, Vec<&'static str>)> = Vec::new();
    for op in Op::ALL {
        for p in op.info().params {
            for &name in std::iter::once(&p.name).chain(p.aliases) {
                match flags.iter_mut().find(|f| f.0 == name) {
                    Some(f) => f.2.push(op.name()),
                    None => flags.push((name, p.kind, vec![op.name()])),
                }
            }
        }
    }
    flags
}

fn flag_id(name: &str) -> String {
    name.replace('_', "-")
}

/// `wgact grad`'s arguments: `apply`'s plus the upstream gradient.
pub struct GradArgs(Args);

impl clap::Args for GradArgs {
    fn augment_args(cmd: Command) -> Command {
        augment(cmd, true)
    }
    fn augment_args_for_update(cmd: Command) -> Command {
        augment(cmd, true)
    }
}

impl FromArgMatches for GradArgs {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        Args::from_arg_matches(m).map(GradArgs)
    }
    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(m)
    }
}

impl clap::Args for Args {
    fn augment_args(cmd: Command) -> Command {
        augment(cmd, false)
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

/// `apply`'s arguments, with `grad`'s DY after the input when `grad`.
fn augment(cmd: Command, grad: bool) -> Command {
    {
        let mut cmd = cmd
            .arg(
                Arg::new("list")
                    .long("list")
                    .action(ArgAction::SetTrue)
                    .help("Print the op table (names, aliases, parameters with defaults, bounds) and exit"),
            )
            .arg(
                Arg::new("markdown")
                    .long("markdown")
                    .requires("list")
                    .action(ArgAction::SetTrue)
                    .help("With --list: the README's semantics table, in Markdown"),
            )
            .arg(
                Arg::new("activation")
                    .required_unless_present("list")
                    .help("The op: a Keras name or alias (see --list)"),
            )
            .arg(
                Arg::new("input")
                    .required_unless_present("list")
                    .value_parser(clap::value_parser!(PathBuf))
                    .help(if grad {
                        "X: the forward input, float32 little-endian C-order .npy, any shape"
                    } else {
                        "Input: float32 or float16 little-endian C-order .npy ('<f4', '<f2'), any shape"
                    }),
            );
        if grad {
            cmd = cmd.arg(
                Arg::new("dy")
                    .required_unless_present("list")
                    .value_parser(clap::value_parser!(PathBuf))
                    .help("DY: the upstream gradient, .npy of the forward output's shape"),
            );
        }
        cmd = cmd
            .arg(
                Arg::new("output")
                    .short('o')
                    .long("output")
                    .required_unless_present("list")
                    .value_parser(clap::value_parser!(PathBuf))
                    .help(if grad {
                        "Output DX .npy, of X's shape (written atomically)"
                    } else {
                        "Output .npy (written atomically; glu halves its axis)"
                    }),
            )
            .arg(
                Arg::new("chunk-bytes")
                    .long("chunk-bytes")
                    .default_value("33554432")
                    .value_parser(clap::value_parser!(u64))
                    .help(
                        "Bytes of input per GPU chunk (files of any size stream through in chunks)",
                    ),
            );
        if !grad {
            cmd = cmd.arg(
                Arg::new("dtype")
                    .long("dtype")
                    .value_parser(["f32", "f16"])
                    .help("Output dtype (default: the input's); the op runs on the input as stored and rounds each result once to it"),
            );
        }
        for (name, kind, ops) in param_flags() {
            let id = flag_id(name);
            let help = format!("{}: {name}", ops.join(", "));
            let arg = Arg::new(id.clone()).long(id).help(help);
            cmd = cmd.arg(match kind {
                ParamKind::Flag => arg.action(ArgAction::SetTrue),
                ParamKind::Float | ParamKind::OptionalFloat => arg
                    .allow_negative_numbers(true)
                    .value_name("F")
                    .value_parser(clap::value_parser!(f32)),
                ParamKind::Axis => arg
                    .allow_negative_numbers(true)
                    .value_name("N")
                    .value_parser(clap::value_parser!(isize)),
            });
        }
        cmd
    }
}

impl FromArgMatches for Args {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        let mut params = Vec::new();
        for (name, kind, _) in param_flags() {
            let id = flag_id(name);
            let v = match kind {
                ParamKind::Flag => m.get_flag(&id).then_some(Value::Flag(true)),
                ParamKind::Float | ParamKind::OptionalFloat => {
                    m.get_one::<f32>(&id).map(|&v| Value::Float(v))
                }
                ParamKind::Axis => m.get_one::<isize>(&id).map(|&v| Value::Axis(v)),
            };
            if let Some(v) = v {
                params.push((name, v));
            }
        }
        Ok(Args {
            list: m.get_flag("list"),
            markdown: m.get_flag("markdown"),
            activation: m.get_one::<String>("activation").cloned(),
            input: m.get_one::<PathBuf>("input").cloned(),
            dy: m.try_get_one::<PathBuf>("dy").ok().flatten().cloned(),
            output: m.get_one::<PathBuf>("output").cloned(),
            chunk_bytes: *m.get_one::<u64>("chunk-bytes").unwrap_or(&(32 << 20)),
            dtype: m
                .try_get_one::<String>("dtype")
                .ok()
                .flatten()
                .and_then(|s| wgact::DType::parse(s)),
            params,
        })
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

/// The activation the arguments ask for: parameters of another op, a
/// missing required one, or two names for one parameter are refused.
fn activation(name: &str, given: &[(&'static str, Value)]) -> Result<Activation, String> {
    let op = Op::from_name(name)
        .ok_or_else(|| wgact::Error::UnknownActivation(name.to_string()).to_string())?;
    let info = op.info();
    let mut values: Vec<Option<Value>> = vec![None; info.params.len()];
    for &(flag, v) in given {
        let Some((i, spec)) = info.param(flag) else {
            let takes: Vec<String> = info
                .params
                .iter()
                .map(|p| format!("--{}", flag_id(p.name)))
                .collect();
            return Err(format!(
                "--{} does not apply to {} (it takes {})",
                flag_id(flag),
                info.name,
                if takes.is_empty() {
                    "no parameters".to_string()
                } else {
                    takes.join(", ")
                }
            ));
        };
        if values[i].is_some() {
            return Err(format!(
                "{} given twice (--{} and an alias)",
                spec.name,
                flag_id(flag)
            ));
        }
        values[i] = Some(match (spec.kind, v) {
            (ParamKind::OptionalFloat, Value::Float(f)) => Value::OptionalFloat(Some(f)),
            (_, v) => v,
        });
    }
    let all = info
        .params
        .iter()
        .zip(&values)
        .map(|(p, v)| {
            v.or(p.default).ok_or_else(|| {
                wgact::Error::MissingParameter {
                    op: info.name,
                    name: p.name,
                }
                .to_string()
                    + &format!(" (--{})", flag_id(p.name))
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let act = op.with_values(&all).map_err(|e| e.to_string())?;
    act.validate().map_err(|e| e.to_string())?;
    Ok(act)
}

/// `--list`: the op table.
fn print_list() {
    println!(
        "{:<15} {:<12} {:<62} bound (ULP)",
        "op", "aliases", "parameters (default)"
    );
    for op in Op::ALL {
        let info = op.info();
        let params: Vec<String> = info
            .params
            .iter()
            .map(|p| match p.default {
                Some(d) => format!("{}={d}", p.name),
                None => format!("{} (required)", p.name),
            })
            .collect();
        let bound = if info.bound.short == info.bound.long {
            info.bound.short.to_string()
        } else {
            format!("{} (rows <= 1024), {}", info.bound.short, info.bound.long)
        };
        println!(
            "{:<15} {:<12} {:<62} {bound}",
            info.name,
            info.aliases.join(","),
            params.join(", ")
        );
    }
}

/// A one-line error for arguments that do not make a call; exit status 2.
fn usage_error(msg: &str) -> ExitCode {
    eprintln!("wgact: error: {msg}");
    ExitCode::from(2)
}

/// `wgact grad`: the backward of an op over .npy files.
pub fn run_grad(GradArgs(a): GradArgs) -> wgact::Result<ExitCode> {
    if a.list {
        return run(a);
    }
    let (Some(name), Some(input), Some(dy), Some(output)) =
        (&a.activation, &a.input, &a.dy, &a.output)
    else {
        return Ok(usage_error("grad needs an op, X, DY and -o DX"));
    };
    let act = match activation(name, &a.params) {
        Ok(act) => act,
        Err(msg) => return Ok(usage_error(&msg)),
    };
    // Check both files and their shapes before touching the GPU.
    let (_, xi) = npy::open_f32(input)?;
    let (_, di) = npy::open_f32(dy)?;
    stream::check_grad_shapes(&act, &xi.shape, &di.shape)?;
    let ctx = wgact::Context::new()?;
    let opts = StreamOptions {
        chunk_bytes: a.chunk_bytes,
        ..Default::default()
    };
    let shape = stream::grad_file(&ctx, &act, input, dy, output, &opts, &mut |_, _| {})?;
    eprintln!(
        "wgact: backward of {act} on {:?} -> {} ({})",
        shape,
        output.display(),
        ctx.describe()
    );
    Ok(ExitCode::SUCCESS)
}

pub fn run(a: Args) -> wgact::Result<ExitCode> {
    if a.list && a.markdown {
        print!("{}", wgact::table::markdown());
        return Ok(ExitCode::SUCCESS);
    }
    if a.list {
        print_list();
        return Ok(ExitCode::SUCCESS);
    }
    let (Some(name), Some(input), Some(output)) = (&a.activation, &a.input, &a.output) else {
        return Ok(usage_error("apply needs an op, an input and -o OUTPUT"));
    };
    let act = match activation(name, &a.params) {
        Ok(act) => act,
        Err(msg) => return Ok(usage_error(&msg)),
    };
    // Check the file (and the shape the op needs) before touching the GPU.
    let (_, info) = npy::open(input)?;
    act.output_shape(&info.shape)?;
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
        dtype: a.dtype,
    };
    let shape = stream::apply_file(&ctx, &act, input, output, &opts, &mut |done, _| {
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
        output.display(),
        ctx.describe()
    );
    Ok(ExitCode::SUCCESS)
}
