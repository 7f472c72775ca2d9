//! A two-layer perceptron forward pass on the GPU: the example's own
//! matmul + bias WGSL kernel, wgact's relu between the layers and softmax at
//! the end, all in one submission, compared with a CPU reference.
//!
//! Run: `cargo run --release --example mlp`

use wgact::{Activation, Context, Relu, Tensor, cpu, verify::Rng, wgpu};

pub const BATCH: usize = 64;
pub const INPUT: usize = 32;
pub const HIDDEN: usize = 128;
pub const CLASSES: usize = 10;

/// What the run measured.
pub struct Outcome {
    pub submissions: u64,
    pub max_abs_error: f32,
    pub probabilities: Vec<f32>,
}

const MATMUL: &str = "
struct Dims { rows: u32, inner: u32, cols: u32, _pad: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> d: Dims;
// y[r, c] = bias[c] + sum_k x[r, k] * w[k, c]
@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
    let r = g.y;
    let c = g.x;
    if (r >= d.rows || c >= d.cols) { return; }
    var acc = bias[c];
    for (var k = 0u; k < d.inner; k++) {
        acc = fma(x[r * d.inner + k], w[k * d.cols + c], acc);
    }
    y[r * d.cols + c] = acc;
}";

struct Matmul {
    pipeline: wgpu::ComputePipeline,
}

fn bind(t: &Tensor) -> wgpu::BindingResource<'_> {
    wgpu::BindingResource::Buffer(wgpu::BufferBinding {
        buffer: t.buffer(),
        offset: t.offset(),
        size: wgpu::BufferSize::new(t.byte_len()),
    })
}

impl Matmul {
    fn new(device: &wgpu::Device) -> Self {
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("matmul"),
            source: wgpu::ShaderSource::Wgsl(MATMUL.into()),
        });
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some("matmul"),
            layout: None,
            module: &module,
            entry_point: Some("main"),
            compilation_options: Default::default(),
            cache: None,
        });
        Matmul { pipeline }
    }

    /// Records y = x @ w + bias into `enc`.
    fn record(
        &self,
        ctx: &Context,
        enc: &mut wgpu::CommandEncoder,
        x: &Tensor,
        w: &Tensor,
        bias: &Tensor,
        y: &Tensor,
    ) {
        use wgpu::util::DeviceExt;
        let (rows, inner, cols) = (
            x.shape()[0] as u32,
            x.shape()[1] as u32,
            w.shape()[1] as u32,
        );
        let dims = ctx
            .device()
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("dims"),
                contents: bytemuck::cast_slice(&[rows, inner, cols, 0]),
                usage: wgpu::BufferUsages::UNIFORM,
            });
        let bg = ctx.device().create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("matmul"),
            layout: &self.pipeline.get_bind_group_layout(0),
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: bind(x),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: bind(w),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: bind(bias),
                },
                wgpu::BindGroupEntry {
                    binding: 3,
                    resource: bind(y),
                },
                wgpu::BindGroupEntry {
                    binding: 4,
                    resource: dims.as_entire_binding(),
                },
            ],
        });
        let mut pass = enc.begin_compute_pass(&Default::default());
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &bg, &[]);
        pass.dispatch_workgroups(cols.div_ceil(8), rows.div_ceil(8), 1);
    }
}

/// y = x @ w + bias in f64, rounded to f32.
fn matmul_ref(
    x: &[f32],
    w: &[f32],
    bias: &[f32],
    rows: usize,
    inner: usize,
    cols: usize,
) -> Vec<f32> {
    let mut y = vec![0.0f32; rows * cols];
    for r in 0..rows {
        for c in 0..cols {
            let s: f64 = (0..inner)
                .map(|k| x[r * inner + k] as f64 * w[k * cols + c] as f64)
                .sum();
            y[r * cols + c] = (s + bias[c] as f64) as f32;
        }
    }
    y
}

pub fn run(ctx: &Context) -> Result<Outcome, Box<dyn std::error::Error>> {
    let mut rng = Rng::new(2024);
    let mut rand = |n: usize, sd: f32| -> Vec<f32> { (0..n).map(|_| rng.normal(sd)).collect() };
    let x = rand(BATCH * INPUT, 1.0);
    let w1 = rand(INPUT * HIDDEN, (2.0 / INPUT as f32).sqrt());
    let b1 = rand(HIDDEN, 0.1);
    let w2 = rand(HIDDEN * CLASSES, (2.0 / HIDDEN as f32).sqrt());
    let b2 = rand(CLASSES, 0.1);

    let gx = ctx.upload(&x, &[BATCH, INPUT])?;
    let gw1 = ctx.upload(&w1, &[INPUT, HIDDEN])?;
    let gb1 = ctx.upload(&b1, &[HIDDEN])?;
    let gw2 = ctx.upload(&w2, &[HIDDEN, CLASSES])?;
    let gb2 = ctx.upload(&b2, &[CLASSES])?;
    let mut h = ctx.empty(&[BATCH, HIDDEN])?;
    let mut logits = ctx.empty(&[BATCH, CLASSES])?;
    let matmul = Matmul::new(ctx.device());
    let relu = Activation::from(Relu::new());

    // The whole forward pass in one chain: one submission, one readback.
    let before = ctx.submissions();
    let mut chain = ctx.chain();
    matmul.record(ctx, chain.encoder(), &gx, &gw1, &gb1, &h);
    chain.apply_inplace(&relu, &mut h)?;
    matmul.record(ctx, chain.encoder(), &h, &gw2, &gb2, &logits);
    chain.apply_inplace(&Activation::Softmax { axis: -1 }, &mut logits)?;
    let probabilities = chain.read(&[&logits])?.remove(0);
    let submissions = ctx.submissions() - before;

    let h_ref = cpu::apply(
        &relu,
        &matmul_ref(&x, &w1, &b1, BATCH, INPUT, HIDDEN),
        &[BATCH, HIDDEN],
    )?;
    let p_ref = cpu::apply(
        &wgact::Activation::Softmax { axis: -1 },
        &matmul_ref(&h_ref, &w2, &b2, BATCH, HIDDEN, CLASSES),
        &[BATCH, CLASSES],
    )?;
    let max_abs_error = probabilities
        .iter()
        .zip(&p_ref)
        .map(|(g, w)| (g - w).abs())
        .fold(0.0f32, f32::max);
    Ok(Outcome {
        submissions,
        max_abs_error,
        probabilities,
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let ctx = Context::new()?;
    let o = run(&ctx)?;
    println!("adapter: {}", ctx.describe());
    println!(
        "MLP {INPUT} -> {HIDDEN} (relu) -> {CLASSES} (softmax), batch {BATCH}: {} submission(s)",
        o.submissions
    );
    println!("first sample: {:?}", &o.probabilities[..CLASSES]);
    println!("max |gpu - cpu reference| = {:e}", o.max_abs_error);
    Ok(())
}
