//! The caller owns the device: it fills a buffer with its own compute shader,
//! wgact applies softmax from that buffer into another caller buffer, in the
//! caller's encoder, and the caller reads the result. One device, one
//! submission, no copy into or out of wgact.
//!
//! Run: `cargo run --release --example shared_device`

use wgact::{Activation, Context, cpu, ulp::ulp_error, wgpu};

pub const ROWS: usize = 64;
pub const COLS: usize = 300;

/// What the run measured.
pub struct Outcome {
    pub adapter: String,
    pub max_ulp: u64,
    pub submissions_by_wgact: u64,
}

pub fn run() -> Result<Outcome, Box<dyn std::error::Error>> {
    // 1. The caller's own device (WGPU_BACKEND picks the backend).
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
    desc.backends = wgpu::Backends::from_env().unwrap_or(wgpu::Backends::all());
    let instance = wgpu::Instance::new(desc);
    let adapter = pollster::block_on(instance.request_adapter(&Default::default()))?;
    let (device, queue) = pollster::block_on(adapter.request_device(&Default::default()))?;

    // 2. Its buffers: input (filled by its shader), output, and a readback buffer.
    let n = ROWS * COLS;
    let bytes = (n * 4) as u64;
    let storage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC;
    let make = |label, usage| {
        device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: bytes,
            usage,
            mapped_at_creation: false,
        })
    };
    let input = make("logits", storage);
    let output = make("probabilities", storage);
    let readback = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("readback"),
        size: 2 * bytes,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some("fill"),
        source: wgpu::ShaderSource::Wgsl(
            "@group(0) @binding(0) var<storage, read_write> x: array<f32>;
             @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
                 if (g.x < arrayLength(&x)) {
                     let i = f32(g.x);
                     x[g.x] = 6.0 * sin(0.37 * i) + 0.002 * i;
                 }
             }"
            .into(),
        ),
    });
    let fill = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some("fill"),
        layout: None,
        module: &module,
        entry_point: Some("main"),
        compilation_options: Default::default(),
        cache: None,
    });
    let bind = device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: None,
        layout: &fill.get_bind_group_layout(0),
        entries: &[wgpu::BindGroupEntry {
            binding: 0,
            resource: input.as_entire_binding(),
        }],
    });

    // 3. wgact on the same device, viewing the caller's buffers in place.
    let ctx = Context::from_device(device.clone(), queue.clone())?;
    let x = ctx.wrap(&input, 0, &[ROWS, COLS])?;
    let y = ctx.wrap(&output, 0, &[ROWS, COLS])?;

    // 4. One encoder: the caller's pass, wgact's softmax, the caller's copies.
    let mut enc = device.create_command_encoder(&Default::default());
    {
        let mut pass = enc.begin_compute_pass(&Default::default());
        pass.set_pipeline(&fill);
        pass.set_bind_group(0, &bind, &[]);
        pass.dispatch_workgroups((n as u32).div_ceil(64), 1, 1);
    }
    ctx.encode(&mut enc, &Activation::Softmax { axis: -1 }, &x, Some(&y))?;
    enc.copy_buffer_to_buffer(&input, 0, &readback, 0, bytes);
    enc.copy_buffer_to_buffer(&output, 0, &readback, bytes, bytes);
    queue.submit([enc.finish()]);

    // 5. The caller reads its own buffer.
    let (tx, rx) = std::sync::mpsc::channel();
    readback.slice(..).map_async(wgpu::MapMode::Read, move |r| {
        let _ = tx.send(r);
    });
    device.poll(wgpu::PollType::wait_indefinitely())?;
    rx.recv()??;
    let data: Vec<f32> = bytemuck::cast_slice(&readback.slice(..).get_mapped_range()?).to_vec();
    readback.unmap();
    let (logits, probs) = data.split_at(n);

    let want = cpu::apply(&Activation::Softmax { axis: -1 }, logits, &[ROWS, COLS])?;
    let max_ulp = probs
        .iter()
        .zip(&want)
        .map(|(g, w)| ulp_error(*w, *g))
        .max()
        .unwrap_or(0);
    Ok(Outcome {
        adapter: format!("{:?}", adapter.get_info().name),
        max_ulp,
        submissions_by_wgact: ctx.submissions(),
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let o = run()?;
    println!(
        "adapter {}: softmax of {ROWS}x{COLS} caller-made logits, max error {} ULP",
        o.adapter, o.max_ulp
    );
    println!(
        "wgact submitted {} times (the caller submitted once)",
        o.submissions_by_wgact
    );
    Ok(())
}
