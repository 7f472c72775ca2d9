use std::process::ExitCode;
use wgact::{Activation, Op, Relu, cpu};

fn show(ctx: &wgact::Context, label: &str, act: Activation, data: &[f32]) -> wgact::Result<()> {
    let x = ctx.upload(data, &[data.len()])?;
    let gpu = ctx.read(&ctx.apply(&act, &x)?)?;
    let reference = cpu::apply(&act, data, &[data.len()])?;
    println!("{label}");
    println!("  gpu: {gpu:?}");
    println!("  cpu: {reference:?}");
    Ok(())
}

pub fn run() -> wgact::Result<ExitCode> {
    let ctx = wgact::Context::new()?;
    println!("adapter: {}", ctx.describe());
    // The examples of TensorFlow's activations tutorial: x = linspace(-5, 5, 6).
    let x = [-5.0f32, -3.0, -1.0, 1.0, 3.0, 5.0];
    println!("x = linspace(-5, 5, 6) = {x:?}\n");
    show(&ctx, "sigmoid(x)", Activation::Sigmoid, &x)?;
    for (label, p) in [
        ("relu(x)", Relu::new()),
        (
            "relu(x, negative_slope=0.5)",
            Relu::new().negative_slope(0.5),
        ),
        ("relu(x, max_value=4)", Relu::new().max_value(4.0)),
        ("relu(x, threshold=2)", Relu::new().threshold(2.0)),
        (
            "relu(x, negative_slope=2, threshold=3.5)",
            Relu::new().negative_slope(2.0).threshold(3.5),
        ),
    ] {
        show(&ctx, label, p.into(), &x)?;
    }
    show(&ctx, "tanh(x)", Activation::Tanh, &x)?;
    show(
        &ctx,
        "softmax([1.5, 4.4, 2.0])",
        Activation::Softmax { axis: -1 },
        &[1.5, 4.4, 2.0],
    )?;
    // The rest of the family, each with its default parameters (threshold
    // with the first values the sweep tries), on the same x.
    println!("\nThe rest of keras.activations on x:");
    for &op in Op::ALL {
        let act = wgact::verify::sample(op);
        if matches!(
            act,
            Activation::Sigmoid
                | Activation::Tanh
                | Activation::Relu { .. }
                | Activation::Softmax { .. }
        ) {
            continue;
        }
        show(&ctx, &act.to_string(), act, &x)?;
    }
    Ok(ExitCode::SUCCESS)
}
