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
    /// Run the TensorFlow activations tutorial examples on the GPU beside the CPU reference.
    Demo,
    /// Measure the max ULP error of every op on this adapter against the CPU reference.
    Verify(verify::Args),
    /// Benchmark CPU (fast path) vs GPU against copy and memcpy bandwidth.
    Bench(bench::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Info => info::run(),
        Command::Apply(a) => apply::run(a),
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
