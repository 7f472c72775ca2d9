use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Random inputs per distribution
    #[arg(long, default_value_t = 100_000)]
    samples: usize,
    /// Skip the softmax rows longer than 1024 (up to 10^6)
    #[arg(long)]
    short: bool,
}

pub fn run(a: Args) -> wgact::Result<ExitCode> {
    let ctx = wgact::Context::new()?;
    println!("adapter: {}", ctx.describe());
    let reports = wgact::verify::run(&ctx, a.samples, !a.short)?;
    println!(
        "{:<24} {:>10} {:>8} {:>9} {:>8}  worst (input -> reference / gpu)",
        "op", "values", "max ULP", "bound", "flushed"
    );
    let mut ok = true;
    for r in &reports {
        let s = &r.stats;
        let worst = s
            .worst
            .map(|(x, want, got)| format!("{x:e} -> {want:e} / {got:e}"))
            .unwrap_or_default();
        let max = if s.max_ulp == u64::MAX {
            "NaN-mismatch".to_string()
        } else {
            s.max_ulp.to_string()
        };
        println!(
            "{:<24} {:>10} {:>8} {:>9} {:>8}  {}{}",
            r.name,
            s.count,
            max,
            r.bound,
            s.flushed,
            worst,
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
