//! A renderer's use of wgact: a headless render pass draws an HDR gradient
//! into an `rgba16float` texture, wgact applies a tanh tone-map to it in
//! place between passes, and a copy brings it back to write an 8-bit PNG.
//! No window: runs on llvmpipe / lavapipe.
//!
//! Run: `cargo run --release --example render -- [OUT.png]` (default: tonemapped.png
//! in the system's temp directory).

use half::f16;
use std::path::{Path, PathBuf};
use wgact::{Activation, Context, cpu, wgpu};

pub const WIDTH: u32 = 256;
pub const HEIGHT: u32 = 128;

/// What the run measured.
pub struct Outcome {
    pub adapter: String,
    /// Largest distance, in f16 steps, between a tone-mapped texel and
    /// f16(tanh(texel before)).
    pub max_f16_steps: u32,
    /// Brightest HDR value drawn.
    pub max_hdr: f32,
}

const SCENE: &str = "
struct V { @builtin(position) pos: vec4<f32>, @location(0) uv: vec2<f32> }
@vertex fn vs(@builtin(vertex_index) i: u32) -> V {
    // One triangle covering the screen.
    let p = vec2<f32>(f32((i << 1u) & 2u), f32(i & 2u));
    return V(vec4<f32>(p * 2.0 - 1.0, 0.0, 1.0), p);
}
@fragment fn fs(v: V) -> @location(0) vec4<f32> {
    // HDR: well past 1.0, as a lit scene would be before tone-mapping.
    return vec4<f32>(8.0 * v.uv.x, 4.0 * v.uv.y, 3.0 * (1.0 - v.uv.x) * v.uv.y, 1.0);
}";

pub fn run(out: &Path) -> Result<Outcome, Box<dyn std::error::Error>> {
    let ctx = Context::new()?;
    let device = ctx.device();
    let hdr = device.create_texture(&wgpu::TextureDescriptor {
        label: Some("hdr"),
        size: wgpu::Extent3d {
            width: WIDTH,
            height: HEIGHT,
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format: wgpu::TextureFormat::Rgba16Float,
        usage: wgpu::TextureUsages::RENDER_ATTACHMENT
            | wgpu::TextureUsages::STORAGE_BINDING
            | wgpu::TextureUsages::COPY_SRC,
        view_formats: &[],
    });
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some("scene"),
        source: wgpu::ShaderSource::Wgsl(SCENE.into()),
    });
    let pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
        label: Some("scene"),
        layout: None,
        vertex: wgpu::VertexState {
            module: &module,
            entry_point: Some("vs"),
            compilation_options: Default::default(),
            buffers: &[],
        },
        fragment: Some(wgpu::FragmentState {
            module: &module,
            entry_point: Some("fs"),
            compilation_options: Default::default(),
            targets: &[Some(wgpu::TextureFormat::Rgba16Float.into())],
        }),
        primitive: Default::default(),
        depth_stencil: None,
        multisample: Default::default(),
        multiview_mask: None,
        cache: None,
    });
    // Rows of 256 texels x 8 bytes are already 256-byte aligned for copies.
    let row = WIDTH * 8;
    let size = (row * HEIGHT) as u64;
    let readback = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("readback"),
        size: 2 * size,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let copy_out = |enc: &mut wgpu::CommandEncoder, at: u64| {
        enc.copy_texture_to_buffer(
            hdr.as_image_copy(),
            wgpu::TexelCopyBufferInfo {
                buffer: &readback,
                layout: wgpu::TexelCopyBufferLayout {
                    offset: at,
                    bytes_per_row: Some(row),
                    rows_per_image: Some(HEIGHT),
                },
            },
            hdr.size(),
        );
    };

    let mut enc = device.create_command_encoder(&Default::default());
    {
        let view = hdr.create_view(&Default::default());
        let mut pass = enc.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("scene"),
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view: &view,
                depth_slice: None,
                resolve_target: None,
                ops: wgpu::Operations {
                    load: wgpu::LoadOp::Clear(wgpu::Color::BLACK),
                    store: wgpu::StoreOp::Store,
                },
            })],
            ..Default::default()
        });
        pass.set_pipeline(&pipeline);
        pass.draw(0..3, 0..1);
    }
    copy_out(&mut enc, 0); // the HDR frame, to check the tone-map against
    ctx.encode_texture(&mut enc, &Activation::Tanh, &hdr, None, false)?; // tone-map in place
    copy_out(&mut enc, size);
    ctx.queue().submit([enc.finish()]);

    let (tx, rx) = std::sync::mpsc::channel();
    readback.slice(..).map_async(wgpu::MapMode::Read, move |r| {
        let _ = tx.send(r);
    });
    device.poll(wgpu::PollType::wait_indefinitely())?;
    rx.recv()??;
    let texels: Vec<f16> = bytemuck::cast_slice(&readback.slice(..).get_mapped_range()?).to_vec();
    readback.unmap();
    let (before, after) = texels.split_at(texels.len() / 2);

    let mut max_f16_steps = 0;
    let mut max_hdr = 0.0f32;
    for (i, (b, a)) in before.iter().zip(after).enumerate() {
        let want = if i % 4 == 3 {
            *b
        } else {
            f16::from_f32(cpu::tanh(b.to_f32()))
        };
        max_f16_steps =
            max_f16_steps.max((want.to_bits() as i32 - a.to_bits() as i32).unsigned_abs());
        max_hdr = max_hdr.max(b.to_f32());
    }

    // 8-bit sRGB-agnostic PNG of the tone-mapped frame.
    let pixels: Vec<u8> = after
        .iter()
        .map(|v| (v.to_f32().clamp(0.0, 1.0) * 255.0).round() as u8)
        .collect();
    let file = std::io::BufWriter::new(std::fs::File::create(out)?);
    let mut png = png::Encoder::new(file, WIDTH, HEIGHT);
    png.set_color(png::ColorType::Rgba);
    png.set_depth(png::BitDepth::Eight);
    png.write_header()?.write_image_data(&pixels)?;

    Ok(Outcome {
        adapter: ctx.describe(),
        max_f16_steps,
        max_hdr,
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("tonemapped.png"));
    let o = run(&out)?;
    println!("adapter: {}", o.adapter);
    println!(
        "HDR frame up to {:.2} tone-mapped with tanh in place: max {} f16 step(s) from the reference; wrote {}",
        o.max_hdr,
        o.max_f16_steps,
        out.display()
    );
    Ok(())
}
