//! `wgact`: apply activations to `.npy` files on the GPU, check accuracy,
//! report adapters.

mod apply;
mod bench;
mod demo;
mod info;
mod plot;
mod verify;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "wgact",
    version,
    about = "Neural-network activations on any GPU through wgpu"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List every adapter, the one wgact chooses, and its limits.
    Info,
    /// Apply an activation to a float32 .npy file.
    Apply(apply::Args),
    /// The backward of an activation: DX from X and the upstream gradient DY (.npy files).
    Grad(apply::GradArgs),
    /// Run the TensorFlow activations tutorial examples on the GPU beside the CPU reference.
    Demo,
    /// Measure the max ULP error of every op on this adapter against the CPU reference.
    Verify(verify::Args),
    /// Benchmark CPU (fast path) vs GPU against copy and memcpy bandwidth.
    Bench(bench::Args),
}

/// Mesa's window-system probing prints "error: XDG_RUNTIME_DIR is invalid or
/// not set in the environment." when a headless machine has none, which reads
/// as wgact failing. Point it at a private directory of our own instead
/// (created 0700, as the XDG spec asks), before any thread starts.
#[cfg(unix)]
fn quiet_headless_mesa() {
    let valid = std::env::var_os("XDG_RUNTIME_DIR")
        .map(std::path::PathBuf::from)
        .is_some_and(|d| d.is_absolute() && d.is_dir());
    if valid {
        return;
    }
    // SAFETY: getuid has no preconditions.
    let uid = unsafe { getuid() };
    let dir = std::env::temp_dir().join(format!("wgact-runtime-{uid}"));
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
    let _ = std::fs::DirBuilder::new().mode(0o700).create(&dir);
    // Only a directory that is ours and private will do.
    let ours = std::fs::symlink_metadata(&dir)
        .is_ok_and(|m| m.is_dir() && m.uid() == uid && m.permissions().mode() & 0o077 == 0);
    if ours {
        // SAFETY: called first thing in main, before any other thread exists.
        unsafe { std::env::set_var("XDG_RUNTIME_DIR", &dir) };
    }
}

#[cfg(unix)]
unsafe extern "C" {
    fn getuid() -> u32;
}

fn main() -> ExitCode {
    #[cfg(unix)]
    quiet_headless_mesa();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Info => info::run(),
        Command::Apply(a) => apply::run(a),
        Command::Grad(a) => apply::run_grad(a),
        Command::Demo => demo::run(),
        Command::Verify(a) => verify::run(a),
        Command::Bench(a) => bench::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("wgact: error: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// clap's own consistency checks over every argument, the ones generated
    /// from the op table included (a parameter named like a fixed argument
    /// would fail here).
    #[test]
    fn arguments_are_consistent() {
        super::Cli::command().debug_assert();
    }

    /// One flag serves every op with a parameter of that name, so their
    /// kinds must agree (floats and optional floats take the same value).
    #[test]
    fn parameter_flags_agree_on_their_kind() {
        use wgact::activation::ParamKind::{Float, OptionalFloat};
        for op in wgact::Op::ALL {
            for p in op.info().params {
                for other in wgact::Op::ALL {
                    for q in other.info().params {
                        let same_name = q.name == p.name || q.aliases.contains(&p.name);
                        let compatible = p.kind == q.kind
                            || matches!(
                                (p.kind, q.kind),
                                (Float, OptionalFloat) | (OptionalFloat, Float)
                            );
                        assert!(
                            !same_name || compatible,
                            "--{}: {} and {} disagree",
                            p.name,
                            op.name(),
                            other.name()
                        );
                    }
                }
            }
        }
    }
}
