//! Arithmetic probe: wgact's own wide sigmoid kernel module with `activate`
//! swapped for variants (each the real module, one function changed), at
//! 2^24 f32 elements; wall time per dispatch + wait, median of 11. Finds
//! where an op's time goes on a CPU adapter.
use std::time::Instant;
use wgact::kernels::{Io, Kernel, Width};
use wgact::{Context, Op, wgpu};

fn med(mut f: impl FnMut()) -> f64 {
    f();
    let mut t: Vec<f64> = (0..11)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let file = args
        .get(1)
        .expect("a file of variants: blocks separated by lines '=== name'");
    let text = std::fs::read_to_string(file).unwrap();
    let ctx = Context::new().unwrap();
    let dev = ctx.device();
    let n = 1usize << 24;
    let mut rng = wgact::verify::Rng::new(1);
    let data: Vec<f32> = (0..n).map(|_| rng.normal(3.0)).collect();
    let x = ctx.upload(&data, &[n]).unwrap();
    let y = ctx.empty(&[n]).unwrap();
    let base = Kernel::Map {
        op: Op::Sigmoid,
        width: Width::Vec4,
        inplace: false,
        io: Io::F32,
        defaults: false,
    }
    .source();
    let ubuf = dev.create_buffer(&wgpu::BufferDescriptor {
        label: None,
        size: 32,
        usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let vecs = (n / 4) as u32;
    let mut u = [0u8; 32];
    u[..4].copy_from_slice(&vecs.to_le_bytes());
    ctx.queue().write_buffer(&ubuf, 0, &u);
    for block in text.split("=== ").filter(|b| !b.trim().is_empty()) {
        let (name, body) = block.split_once('\n').unwrap();
        let src = if body.trim().is_empty() {
            base.clone()
        } else {
            base.replace(
                "fn activate(x: f32) -> f32 {",
                "fn activate_orig(x: f32) -> f32 {",
            ) + "\n"
                + body
        };
        let module = dev.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: None,
            source: wgpu::ShaderSource::Wgsl(src.into()),
        });
        let pipeline = dev.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: None,
            layout: None,
            module: &module,
            entry_point: Some("main"),
            compilation_options: wgpu::PipelineCompilationOptions {
                constants: &[("WG_SIZE", 256.0), ("DIV_EXACT", 1.0), ("WIDE_ITEMS", 4.0)],
                zero_initialize_workgroup_memory: false,
            },
            cache: None,
        });
        let group = dev.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &pipeline.get_bind_group_layout(0),
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: x.buffer().as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: y.buffer().as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: ubuf.as_entire_binding(),
                },
            ],
        });
        let groups = vecs.div_ceil(256 * 4);
        let t = med(|| {
            let mut enc = dev.create_command_encoder(&Default::default());
            {
                let mut pass = enc.begin_compute_pass(&Default::default());
                pass.set_pipeline(&pipeline);
                pass.set_bind_group(0, &group, &[]);
                pass.dispatch_workgroups(groups, 1, 1);
            }
            ctx.queue().submit([enc.finish()]);
            let _ = dev.poll(wgpu::PollType::wait_indefinitely());
        });
        println!("{:<40} {t:7.2} ms", name.trim());
    }
}
