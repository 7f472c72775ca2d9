//! Training a small MLP on the GPU with wgact's forward and backward kernels:
//! a 2-D three-class spiral, `x -> relu(x W1 + b1) -> log_softmax(h W2 + b2)`
//! with the cross-entropy loss, trained by full-batch gradient descent. The
//! example brings its own matmul, column-sum and update kernels; wgact
//! provides relu and log_softmax forward and backward (the loss's gradient
//! enters log_softmax's backward as dy = -onehot / batch). Each step is one
//! submission. The same training runs on the CPU in f64 from the same start,
//! and the two loss curves are compared.
//!
//! Run: `cargo run --release --example train`

use wgact::{Activation, Context, Relu, Tensor, verify::Rng, wgpu};

pub const POINTS: usize = 240;
pub const CLASSES: usize = 3;
pub const HIDDEN: usize = 32;
pub const LEARNING_RATE: f32 = 1.0;

/// What the run measured.
pub struct Outcome {
    /// Loss before each step (and after the last), GPU and CPU.
    pub gpu_losses: Vec<f64>,
    pub cpu_losses: Vec<f64>,
    /// Share of points classified right at the end (GPU).
    pub accuracy: f64,
    pub submissions: u64,
}

const KERNELS: &str = "
struct Dims { rows: u32, inner: u32, cols: u32, flags: u32, lr: f32, _p0: u32, _p1: u32, _p2: u32 }
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<uniform> d: Dims;

// c[r, j] = sum_k A[r, k] B[k, j] (+ bias b2[j] where flags & 4), with A
// read transposed where flags & 1 and B where flags & 2.
fn at(r: u32, k: u32) -> f32 {
    if ((d.flags & 1u) != 0u) { return a[k * d.rows + r]; }
    return a[r * d.inner + k];
}
fn bt(k: u32, j: u32) -> f32 {
    if ((d.flags & 2u) != 0u) { return b[j * d.inner + k]; }
    return b[k * d.cols + j];
}
@compute @workgroup_size(8, 8)
fn matmul(@builtin(global_invocation_id) g: vec3<u32>) {
    let r = g.y;
    let j = g.x;
    if (r >= d.rows || j >= d.cols) { return; }
    var acc = 0.0;
    for (var k = 0u; k < d.inner; k++) {
        acc += at(r, k) * bt(k, j);
    }
    c[r * d.cols + j] = acc;
}

// c[r, j] += b[j]: the bias.
@compute @workgroup_size(8, 8)
fn add_bias(@builtin(global_invocation_id) g: vec3<u32>) {
    let r = g.y;
    let j = g.x;
    if (r >= d.rows || j >= d.cols) { return; }
    c[r * d.cols + j] += b[j];
}

// c[j] = sum_r a[r, j]: the bias gradient.
@compute @workgroup_size(64)
fn colsum(@builtin(global_invocation_id) g: vec3<u32>) {
    let j = g.x;
    if (j >= d.cols) { return; }
    var acc = 0.0;
    for (var r = 0u; r < d.rows; r++) {
        acc += a[r * d.cols + j];
    }
    c[j] = acc;
}

// c -= lr * a: the update.
@compute @workgroup_size(64)
fn sgd(@builtin(global_invocation_id) g: vec3<u32>) {
    let i = g.x;
    if (i >= d.cols) { return; }
    c[i] -= d.lr * a[i];
}";

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Dims {
    rows: u32,
    inner: u32,
    cols: u32,
    flags: u32,
    lr: f32,
    _pad: [u32; 3],
}

struct Kernels {
    matmul: wgpu::ComputePipeline,
    add_bias: wgpu::ComputePipeline,
    colsum: wgpu::ComputePipeline,
    sgd: wgpu::ComputePipeline,
}

fn bind(t: &Tensor) -> wgpu::BindingResource<'_> {
    wgpu::BindingResource::Buffer(wgpu::BufferBinding {
        buffer: t.buffer(),
        offset: t.offset(),
        size: wgpu::BufferSize::new(t.byte_len()),
    })
}

impl Kernels {
    fn new(device: &wgpu::Device) -> Self {
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("train"),
            source: wgpu::ShaderSource::Wgsl(KERNELS.into()),
        });
        let make = |entry: &str| {
            device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(entry),
                layout: None,
                module: &module,
                entry_point: Some(entry),
                compilation_options: Default::default(),
                cache: None,
            })
        };
        Kernels {
            matmul: make("matmul"),
            add_bias: make("add_bias"),
            colsum: make("colsum"),
            sgd: make("sgd"),
        }
    }

    /// Records `pipeline` over a (`x`, `y`) grid with tensors `a`, `b`, `c`.
    #[allow(clippy::too_many_arguments)]
    fn run(
        &self,
        ctx: &Context,
        enc: &mut wgpu::CommandEncoder,
        pipeline: &wgpu::ComputePipeline,
        dims: Dims,
        (a, b, c): (&Tensor, &Tensor, &Tensor),
        groups: (u32, u32),
    ) {
        let device = ctx.device();
        let uniform = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("dims"),
            size: std::mem::size_of::<Dims>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        ctx.queue()
            .write_buffer(&uniform, 0, bytemuck::bytes_of(&dims));
        let layout = pipeline.get_bind_group_layout(0);
        // Entry points lack the bindings they do not read: add_bias `a`,
        // colsum and sgd `b`.
        let uses_a = !std::ptr::eq(pipeline, &self.add_bias);
        let uses_b = !std::ptr::eq(pipeline, &self.colsum) && !std::ptr::eq(pipeline, &self.sgd);
        let mut entries = vec![
            wgpu::BindGroupEntry {
                binding: 2,
                resource: bind(c),
            },
            wgpu::BindGroupEntry {
                binding: 3,
                resource: uniform.as_entire_binding(),
            },
        ];
        if uses_b {
            entries.push(wgpu::BindGroupEntry {
                binding: 1,
                resource: bind(b),
            });
        }
        if uses_a {
            entries.push(wgpu::BindGroupEntry {
                binding: 0,
                resource: bind(a),
            });
        }
        let group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &layout,
            entries: &entries,
        });
        let mut pass = enc.begin_compute_pass(&Default::default());
        pass.set_pipeline(pipeline);
        pass.set_bind_group(0, &group, &[]);
        pass.dispatch_workgroups(groups.0, groups.1, 1);
    }

    /// c = op(A) op(B) (+ bias), A: rows x inner, B: inner x cols.
    #[allow(clippy::too_many_arguments)]
    fn matmul(
        &self,
        ctx: &Context,
        enc: &mut wgpu::CommandEncoder,
        (a, ta): (&Tensor, bool),
        (b, tb): (&Tensor, bool),
        c: &Tensor,
        (rows, inner, cols): (usize, usize, usize),
        bias: Option<&Tensor>,
    ) {
        let dims = Dims {
            rows: rows as u32,
            inner: inner as u32,
            cols: cols as u32,
            flags: ta as u32 | (tb as u32) << 1,
            lr: 0.0,
            _pad: [0; 3],
        };
        let groups = ((cols as u32).div_ceil(8), (rows as u32).div_ceil(8));
        self.run(ctx, enc, &self.matmul, dims, (a, b, c), groups);
        if let Some(bias) = bias {
            self.run(ctx, enc, &self.add_bias, dims, (a, bias, c), groups);
        }
    }

    fn colsum(
        &self,
        ctx: &Context,
        enc: &mut wgpu::CommandEncoder,
        a: &Tensor,
        c: &Tensor,
        rows: usize,
        cols: usize,
    ) {
        let dims = Dims {
            rows: rows as u32,
            inner: 0,
            cols: cols as u32,
            flags: 0,
            lr: 0.0,
            _pad: [0; 3],
        };
        self.run(
            ctx,
            enc,
            &self.colsum,
            dims,
            (a, a, c),
            ((cols as u32).div_ceil(64), 1),
        );
    }

    fn sgd(&self, ctx: &Context, enc: &mut wgpu::CommandEncoder, grad: &Tensor, param: &Tensor) {
        let n = param.len();
        let dims = Dims {
            rows: 1,
            inner: 0,
            cols: n as u32,
            flags: 0,
            lr: LEARNING_RATE,
            _pad: [0; 3],
        };
        self.run(
            ctx,
            enc,
            &self.sgd,
            dims,
            (grad, grad, param),
            ((n as u32).div_ceil(64), 1),
        );
    }
}

/// The spiral: `POINTS` points of `CLASSES` interleaved arms, and labels.
pub fn spiral() -> (Vec<f32>, Vec<usize>) {
    let mut rng = Rng::new(17);
    let per = POINTS / CLASSES;
    let (mut x, mut labels) = (Vec::new(), Vec::new());
    for c in 0..CLASSES {
        for i in 0..per {
            let r = i as f32 / per as f32;
            let t = c as f32 * 4.0 + 4.0 * r + rng.normal(0.2);
            x.extend([r * t.sin(), r * t.cos()]);
            labels.push(c);
        }
    }
    (x, labels)
}

/// Initial weights (small, seeded) and zero biases.
fn init() -> [Vec<f32>; 4] {
    let mut rng = Rng::new(29);
    let w1 = (0..2 * HIDDEN).map(|_| rng.normal(1.0)).collect();
    let w2 = (0..HIDDEN * CLASSES).map(|_| rng.normal(0.3)).collect();
    [w1, vec![0.0; HIDDEN], w2, vec![0.0; CLASSES]]
}

/// Mean cross-entropy from log-probabilities.
fn loss(logp: &[f32], labels: &[usize]) -> f64 {
    labels
        .iter()
        .enumerate()
        .map(|(i, &l)| -(logp[i * CLASSES + l] as f64))
        .sum::<f64>()
        / labels.len() as f64
}

/// The same training on the CPU in f64: the loss before each step and after
/// the last.
pub fn cpu_losses(steps: usize) -> Vec<f64> {
    let (x, labels) = spiral();
    let [w1, b1, w2, b2] = init();
    let to64 = |v: Vec<f32>| v.into_iter().map(f64::from).collect::<Vec<f64>>();
    let (mut w1, mut b1, mut w2, mut b2) = (to64(w1), to64(b1), to64(w2), to64(b2));
    let n = labels.len();
    let lr = LEARNING_RATE as f64;
    let mut losses = Vec::new();
    for step in 0..=steps {
        let mut hpre = vec![0.0; n * HIDDEN];
        for i in 0..n {
            for j in 0..HIDDEN {
                hpre[i * HIDDEN + j] =
                    b1[j] + x[i * 2] as f64 * w1[j] + x[i * 2 + 1] as f64 * w1[HIDDEN + j];
            }
        }
        let h: Vec<f64> = hpre.iter().map(|&v| v.max(0.0)).collect();
        let mut dz = vec![0.0; n * CLASSES];
        let mut total = 0.0;
        for i in 0..n {
            let z: Vec<f64> = (0..CLASSES)
                .map(|c| {
                    b2[c]
                        + (0..HIDDEN)
                            .map(|j| h[i * HIDDEN + j] * w2[j * CLASSES + c])
                            .sum::<f64>()
                })
                .collect();
            let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let s: f64 = z.iter().map(|v| (v - m).exp()).sum();
            for c in 0..CLASSES {
                let p = (z[c] - m).exp() / s;
                dz[i * CLASSES + c] = (p - (c == labels[i]) as u8 as f64) / n as f64;
            }
            total -= (z[labels[i]] - m) - s.ln();
        }
        losses.push(total / n as f64);
        if step == steps {
            break;
        }
        let mut dh = vec![0.0; n * HIDDEN];
        let (mut dw2, mut db2) = (vec![0.0; HIDDEN * CLASSES], vec![0.0; CLASSES]);
        for i in 0..n {
            for c in 0..CLASSES {
                let g = dz[i * CLASSES + c];
                db2[c] += g;
                for j in 0..HIDDEN {
                    dw2[j * CLASSES + c] += h[i * HIDDEN + j] * g;
                    dh[i * HIDDEN + j] += g * w2[j * CLASSES + c];
                }
            }
        }
        let (mut dw1, mut db1) = (vec![0.0; 2 * HIDDEN], vec![0.0; HIDDEN]);
        for i in 0..n {
            for j in 0..HIDDEN {
                let g = if hpre[i * HIDDEN + j] > 0.0 {
                    dh[i * HIDDEN + j]
                } else {
                    0.0
                };
                db1[j] += g;
                dw1[j] += x[i * 2] as f64 * g;
                dw1[HIDDEN + j] += x[i * 2 + 1] as f64 * g;
            }
        }
        for (p, g) in [
            (&mut w1, &dw1),
            (&mut b1, &db1),
            (&mut w2, &dw2),
            (&mut b2, &db2),
        ] {
            for (p, g) in p.iter_mut().zip(g) {
                *p -= lr * g;
            }
        }
    }
    losses
}

/// Trains for `steps` steps on `ctx`.
pub fn run(ctx: &Context, steps: usize) -> wgact::Result<Outcome> {
    let k = Kernels::new(ctx.device());
    let (xv, labels) = spiral();
    let n = labels.len();
    let [w1v, b1v, w2v, b2v] = init();
    let x = ctx.upload(&xv, &[n, 2])?;
    let w1 = ctx.upload(&w1v, &[2, HIDDEN])?;
    let b1 = ctx.upload(&b1v, &[HIDDEN])?;
    let w2 = ctx.upload(&w2v, &[HIDDEN, CLASSES])?;
    let b2 = ctx.upload(&b2v, &[CLASSES])?;
    // dL/dlogp = -onehot / n: the loss's gradient, log_softmax's dy.
    let mut dlogp = vec![0.0f32; n * CLASSES];
    for (i, &l) in labels.iter().enumerate() {
        dlogp[i * CLASSES + l] = -1.0 / n as f32;
    }
    let dlogp = ctx.upload(&dlogp, &[n, CLASSES])?;
    let hpre = ctx.zeros(&[n, HIDDEN])?;
    let h = ctx.zeros(&[n, HIDDEN])?;
    let z = ctx.zeros(&[n, CLASSES])?;
    let logp = ctx.zeros(&[n, CLASSES])?;
    let dz = ctx.zeros(&[n, CLASSES])?;
    let dh = ctx.zeros(&[n, HIDDEN])?;
    let dhpre = ctx.zeros(&[n, HIDDEN])?;
    let (dw1, db1) = (ctx.zeros(&[2, HIDDEN])?, ctx.zeros(&[HIDDEN])?);
    let (dw2, db2) = (ctx.zeros(&[HIDDEN, CLASSES])?, ctx.zeros(&[CLASSES])?);
    let relu: Activation = Relu::new().into();
    let log_softmax = Activation::LogSoftmax { axis: -1 };
    let before = ctx.submissions();
    let mut gpu_losses = Vec::new();
    for step in 0..=steps {
        let mut enc = ctx.device().create_command_encoder(&Default::default());
        // Forward.
        k.matmul(
            ctx,
            &mut enc,
            (&x, false),
            (&w1, false),
            &hpre,
            (n, 2, HIDDEN),
            Some(&b1),
        );
        ctx.encode(&mut enc, &relu, &hpre, Some(&h))?;
        k.matmul(
            ctx,
            &mut enc,
            (&h, false),
            (&w2, false),
            &z,
            (n, HIDDEN, CLASSES),
            Some(&b2),
        );
        ctx.encode(&mut enc, &log_softmax, &z, Some(&logp))?;
        if step < steps {
            // Backward: wgact's log_softmax and relu backward, the example's
            // matmuls for the rest.
            ctx.encode_backward(&mut enc, &log_softmax, &z, Some(&logp), &dlogp, Some(&dz))?;
            k.matmul(
                ctx,
                &mut enc,
                (&h, true),
                (&dz, false),
                &dw2,
                (HIDDEN, n, CLASSES),
                None,
            );
            k.colsum(ctx, &mut enc, &dz, &db2, n, CLASSES);
            k.matmul(
                ctx,
                &mut enc,
                (&dz, false),
                (&w2, true),
                &dh,
                (n, CLASSES, HIDDEN),
                None,
            );
            ctx.encode_backward(&mut enc, &relu, &hpre, Some(&h), &dh, Some(&dhpre))?;
            k.matmul(
                ctx,
                &mut enc,
                (&x, true),
                (&dhpre, false),
                &dw1,
                (2, n, HIDDEN),
                None,
            );
            k.colsum(ctx, &mut enc, &dhpre, &db1, n, HIDDEN);
            for (g, p) in [(&dw1, &w1), (&db1, &b1), (&dw2, &w2), (&db2, &b2)] {
                k.sgd(ctx, &mut enc, g, p);
            }
        }
        ctx.queue().submit([enc.finish()]);
        gpu_losses.push(loss(&ctx.read(&logp)?, &labels));
    }
    let logp = ctx.read(&logp)?;
    let right = labels
        .iter()
        .enumerate()
        .filter(|&(i, &l)| {
            let row = &logp[i * CLASSES..(i + 1) * CLASSES];
            (0..CLASSES).all(|c| row[c] <= row[l])
        })
        .count();
    Ok(Outcome {
        gpu_losses,
        cpu_losses: cpu_losses(steps),
        accuracy: right as f64 / n as f64,
        submissions: ctx.submissions() - before,
    })
}

#[allow(dead_code)]
fn main() -> wgact::Result<()> {
    let ctx = Context::new()?;
    println!("adapter: {}", ctx.describe());
    let steps = 300;
    let o = run(&ctx, steps)?;
    println!("{:>6} {:>10} {:>10}", "step", "gpu loss", "cpu loss");
    for s in (0..=steps).step_by(30) {
        println!("{s:>6} {:>10.5} {:>10.5}", o.gpu_losses[s], o.cpu_losses[s]);
    }
    println!("accuracy {:.1}% after {steps} steps", 100.0 * o.accuracy);
    Ok(())
}
