//! What the side-by-side run (`src/main.rs`) and the probes (`src/bin/`)
//! share: the timing method, and raw compute dispatches on a wgact
//! context's device for kernels written by hand.

use burn::tensor::Device;
use std::time::{Duration, Instant};
use wgact::{Context, wgpu};

/// Time budget of one measurement (each of the timed functions).
pub const BUDGET: Duration = Duration::from_millis(400);

/// Median seconds of each of `fs`, after one warm-up call each, timed in
/// interleaved rounds (one call of each per round), so that the machine's
/// drift during a measurement touches them all alike: at least 5 rounds,
/// then rounds until about `BUDGET` each has passed (200 at most).
pub fn medians<const N: usize>(fs: [&mut dyn FnMut(); N]) -> [f64; N] {
    let mut fs = fs;
    for f in fs.iter_mut() {
        f();
    }
    let mut t: [Vec<f64>; N] = std::array::from_fn(|_| Vec::new());
    let start = Instant::now();
    while t[0].len() < 5 || (start.elapsed() < BUDGET * N as u32 && t[0].len() < 200) {
        for (f, ts) in fs.iter_mut().zip(t.iter_mut()) {
            let s = Instant::now();
            f();
            ts.push(s.elapsed().as_secs_f64());
        }
    }
    t.map(|mut v| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    })
}

/// Median milliseconds of `f` alone (see [`medians`]).
pub fn median_ms(mut f: impl FnMut()) -> f64 {
    let [s] = medians([&mut f]);
    s * 1e3
}

/// A hand-written kernel: its pipeline (entry point `main`, layout from the
/// shader) and a bind group of `buffers`, whole, at bindings 0, 1, ...
pub struct Probe {
    pipeline: wgpu::ComputePipeline,
    group: wgpu::BindGroup,
}

impl Probe {
    /// Panics (with the validation error) when the kernel does not build.
    pub fn new(
        ctx: &Context,
        wgsl: &str,
        constants: &[(&str, f64)],
        buffers: &[&wgpu::Buffer],
    ) -> Probe {
        let dev = ctx.device();
        // A broken variant fails here, loudly, not as a 0 ms dispatch.
        let scope = dev.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = dev.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("probe"),
            source: wgpu::ShaderSource::Wgsl(wgsl.into()),
        });
        let pipeline = dev.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some("probe"),
            layout: None,
            module: &module,
            entry_point: Some("main"),
            compilation_options: wgpu::PipelineCompilationOptions {
                constants,
                zero_initialize_workgroup_memory: false,
            },
            cache: None,
        });
        let entries: Vec<wgpu::BindGroupEntry> = buffers
            .iter()
            .enumerate()
            .map(|(i, b)| wgpu::BindGroupEntry {
                binding: i as u32,
                resource: b.as_entire_binding(),
            })
            .collect();
        let group = dev.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("probe"),
            layout: &pipeline.get_bind_group_layout(0),
            entries: &entries,
        });
        if let Some(e) = pollster::block_on(scope.pop()) {
            panic!("probe kernel rejected: {e}");
        }
        Probe { pipeline, group }
    }

    /// Dispatches `groups` workgroups (folded into y past 32768) and waits
    /// for the device.
    pub fn run(&self, ctx: &Context, groups: u32) {
        let (gx, gy) = if groups > 65535 {
            (1 << 15, groups.div_ceil(1 << 15))
        } else {
            (groups, 1)
        };
        let mut enc = ctx.device().create_command_encoder(&Default::default());
        {
            let mut pass = enc.begin_compute_pass(&Default::default());
            pass.set_pipeline(&self.pipeline);
            pass.set_bind_group(0, &self.group, &[]);
            pass.dispatch_workgroups(gx, gy, 1);
        }
        ctx.queue().submit([enc.finish()]);
        let _ = ctx.device().poll(wgpu::PollType::wait_indefinitely());
    }
}

/// A uniform buffer holding `bytes`.
pub fn uniform(ctx: &Context, bytes: &[u8]) -> wgpu::Buffer {
    let b = ctx.device().create_buffer(&wgpu::BufferDescriptor {
        label: Some("probe uniform"),
        size: bytes.len() as u64,
        usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    ctx.queue().write_buffer(&b, 0, bytes);
    b
}

/// A burn device on the adapter wgact would choose (`WGPU_BACKEND`).
pub fn burn_device() -> (Device, String) {
    let backends = wgpu::Backends::from_env().unwrap_or(wgpu::Backends::all());
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
    desc.backends = backends;
    let instance = wgpu::Instance::new(desc);
    let mut adapters = pollster::block_on(instance.enumerate_adapters(backends));
    // Vulkan before GL, as wgact ranks them.
    adapters.sort_by_key(|a| (a.get_info().backend != wgpu::Backend::Vulkan) as u8);
    let adapter = adapters.into_iter().next().expect("an adapter for burn");
    let info = adapter.get_info();
    let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
        label: Some("burn"),
        required_features: adapter.features(),
        required_limits: adapter.limits(),
        ..Default::default()
    }))
    .expect("a burn device");
    let setup = burn::tensor::wgpu::WgpuSetup {
        instance,
        adapter,
        device,
        queue,
        backend: info.backend,
    };
    let dev = Device::wgpu_options()
        .setup(setup)
        .init()
        .expect("burn on the setup");
    (dev, format!("{} ({:?})", info.name, info.backend))
}

/// Waits until `ctx`'s device is idle.
pub fn wait(ctx: &Context) {
    let _ = ctx.device().poll(wgpu::PollType::wait_indefinitely());
}

/// `act(x)` into `y` on wgact, then a wait: one timed wgact call.
pub fn wgact_call(ctx: &Context, act: &wgact::Activation, x: &wgact::Tensor, y: &wgact::Tensor) {
    ctx.apply_into(act, x, y).expect("wgact op");
    wait(ctx);
}

/// The device's `copy_buffer_to_buffer` of `x` into `c`, then a wait: the
/// bandwidth every case is measured against.
pub fn device_copy(ctx: &Context, x: &wgact::Tensor, c: &wgact::Tensor) {
    let mut enc = ctx.device().create_command_encoder(&Default::default());
    enc.copy_buffer_to_buffer(x.buffer(), x.offset(), c.buffer(), c.offset(), x.byte_len());
    ctx.queue().submit([enc.finish()]);
    wait(ctx);
}

/// The source of wgact's own wide (vec4) f32 kernel module of `op`, out of
/// place, default parameters built in: what [`module_probe`] dispatches.
pub fn wide_module(op: wgact::Op) -> String {
    use wgact::kernels::{Io, Kernel, Width};
    Kernel::Map {
        op,
        width: Width::Vec4,
        inplace: false,
        io: Io::F32,
        defaults: true,
    }
    .source()
}

/// wgact's own module `src` of a wide f32 kernel as a [`Probe`] from `x` to
/// `y` (`vecs` vec4s), with the context's pipeline constants and default
/// parameters built in; dispatch it with [`Probe::run`] over
/// [`module_groups`] workgroups.
pub fn module_probe(
    ctx: &Context,
    src: &str,
    x: &wgpu::Buffer,
    y: &wgpu::Buffer,
    vecs: u32,
) -> Probe {
    let mut u = [0u8; 32];
    u[..4].copy_from_slice(&vecs.to_le_bytes());
    let ubuf = uniform(ctx, &u);
    let constants = [
        ("WG_SIZE", ctx.workgroup_size() as f64),
        ("DIV_EXACT", ctx.exact_division() as u8 as f64),
        ("WIDE_ITEMS", wgact::kernels::WIDE_ITEMS as f64),
        ("DEFAULT_PARAMS", 1.0),
    ];
    Probe::new(ctx, src, &constants, &[x, y, &ubuf])
}

/// Workgroups of a wide kernel over `vecs` vec4s.
pub fn module_groups(ctx: &Context, vecs: u32) -> u32 {
    vecs.div_ceil(ctx.workgroup_size() * wgact::kernels::WIDE_ITEMS)
}
