//! Elementwise activations on rgba32float, rgba16float and r32float textures,
//! in place and into another texture, against the CPU reference.

mod common;
use common::{ctx, random};
use half::f16;
use wgact::wgpu;
use wgact::{Activation, Error, Op, Relu, cpu, ulp::ulp_error, verify};

const W: u32 = 64; // rows of 64 texels are 256-byte aligned in every format
const H: u32 = 33;

fn texels(format: wgpu::TextureFormat) -> usize {
    if format == wgpu::TextureFormat::R32Float {
        1
    } else {
        4
    }
}

fn make(format: wgpu::TextureFormat, usage: wgpu::TextureUsages) -> wgpu::Texture {
    ctx().device().create_texture(&wgpu::TextureDescriptor {
        label: Some("test"),
        size: wgpu::Extent3d {
            width: W,
            height: H,
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format,
        usage,
        view_formats: &[],
    })
}

const ALL: wgpu::TextureUsages = wgpu::TextureUsages::TEXTURE_BINDING
    .union(wgpu::TextureUsages::STORAGE_BINDING)
    .union(wgpu::TextureUsages::COPY_SRC)
    .union(wgpu::TextureUsages::COPY_DST);

/// Writes `vals` (f32, converted to the format) and returns the values as stored.
fn fill(t: &wgpu::Texture, vals: &[f32]) -> Vec<f32> {
    let (bytes, stored): (Vec<u8>, Vec<f32>) = if t.format() == wgpu::TextureFormat::Rgba16Float {
        let h: Vec<f16> = vals.iter().map(|&v| f16::from_f32(v)).collect();
        (
            bytemuck::cast_slice(&h).to_vec(),
            h.iter().map(|v| v.to_f32()).collect(),
        )
    } else {
        (bytemuck::cast_slice(vals).to_vec(), vals.to_vec())
    };
    let bpp = bytes.len() as u32 / (W * H);
    ctx().queue().write_texture(
        t.as_image_copy(),
        &bytes,
        wgpu::TexelCopyBufferLayout {
            offset: 0,
            bytes_per_row: Some(W * bpp),
            rows_per_image: Some(H),
        },
        t.size(),
    );
    stored
}

fn read(t: &wgpu::Texture) -> Vec<f32> {
    let c = ctx();
    let n = (W * H) as usize * texels(t.format());
    let bpp = if t.format() == wgpu::TextureFormat::Rgba16Float {
        8
    } else {
        4 * texels(t.format()) as u32
    };
    let buf = c.device().create_buffer(&wgpu::BufferDescriptor {
        label: None,
        size: (W * bpp * H) as u64,
        usage: wgpu::BufferUsages::STORAGE
            | wgpu::BufferUsages::COPY_SRC
            | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let mut enc = c.device().create_command_encoder(&Default::default());
    enc.copy_texture_to_buffer(
        t.as_image_copy(),
        wgpu::TexelCopyBufferInfo {
            buffer: &buf,
            layout: wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(W * bpp),
                rows_per_image: Some(H),
            },
        },
        t.size(),
    );
    c.queue().submit([enc.finish()]);
    let words = c
        .read(&c.wrap(&buf, 0, &[(W * bpp * H / 4) as usize]).unwrap())
        .unwrap();
    if t.format() == wgpu::TextureFormat::Rgba16Float {
        let h: &[f16] = bytemuck::cast_slice(&words);
        h[..n].iter().map(|v| v.to_f32()).collect()
    } else {
        words[..n].to_vec()
    }
}

fn check(
    format: wgpu::TextureFormat,
    act: &Activation,
    input: &[f32],
    got: &[f32],
    include_alpha: bool,
) {
    for (i, (&x, &g)) in input.iter().zip(got).enumerate() {
        let alpha = texels(format) == 4 && i % 4 == 3;
        let want = if alpha && !include_alpha {
            x
        } else {
            cpu::apply(act, &[x], &[1]).unwrap()[0]
        };
        if format == wgpu::TextureFormat::Rgba16Float {
            // The f32 result rounded to f16: at most one f16 step from the reference.
            let (w, g16) = (f16::from_f32(want), f16::from_f32(g));
            let d = (w.to_bits() as i32 - g16.to_bits() as i32).abs();
            assert!(
                d <= 1 || (w.to_f32() == 0.0 && g16.to_f32() == 0.0),
                "{format:?} {act}({x}) = {g}, want {want}"
            );
        } else {
            assert!(
                ulp_error(want, g) <= verify::bound(act, 1),
                "{format:?} {act}({x}) = {g}, want {want}"
            );
        }
    }
}

#[test]
fn every_format_every_op_in_place_and_out_of_place() {
    let c = ctx();
    // Every elementwise op of the table (sample parameters), and a relu
    // with every parameter set.
    let acts: Vec<Activation> = Op::ALL
        .iter()
        .filter(|op| op.info().on_textures())
        .map(|&op| verify::sample(op))
        .chain([Activation::from(Relu::new().alpha(0.2).max_value(3.0))])
        .collect();
    for format in wgact::TEXTURE_FORMATS {
        let n = (W * H) as usize * texels(format);
        let mut vals = random(n, 77);
        vals[..6].copy_from_slice(&[0.0, -0.0, 20.0, -20.0, 1e-3, 5.0]);
        for (k, act) in acts.iter().enumerate() {
            let include_alpha = k == 1;
            // Out of place.
            let src = make(format, ALL);
            let dst = make(format, ALL);
            let stored = fill(&src, &vals);
            c.apply_texture(act, &src, Some(&dst), include_alpha)
                .unwrap();
            check(format, act, &stored, &read(&dst), include_alpha);
            assert_eq!(read(&src), stored, "source untouched");
            // In place.
            let t = make(format, ALL);
            let stored = fill(&t, &vals);
            c.apply_texture(act, &t, None, include_alpha).unwrap();
            check(format, act, &stored, &read(&t), include_alpha);
        }
    }
}

#[test]
fn texture_errors_are_typed() {
    let c = ctx();
    let good = make(wgpu::TextureFormat::Rgba32Float, ALL);
    let bgra = c.device().create_texture(&wgpu::TextureDescriptor {
        label: None,
        size: good.size(),
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format: wgpu::TextureFormat::Rgba8Unorm,
        usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_SRC,
        view_formats: &[],
    });
    let e = c
        .apply_texture(&Activation::Tanh, &bgra, None, false)
        .unwrap_err();
    assert!(matches!(e, Error::Texture(_)), "{e}");
    let no_storage = make(
        wgpu::TextureFormat::R32Float,
        wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_SRC,
    );
    let e = c
        .apply_texture(&Activation::Tanh, &no_storage, None, false)
        .unwrap_err();
    assert!(matches!(e, Error::MissingUsage { .. }), "{e}");
    // Ops that are not elementwise are refused, whatever the table holds.
    for op in Op::ALL.iter().filter(|op| !op.info().on_textures()) {
        let e = c
            .apply_texture(&verify::sample(*op), &good, None, false)
            .unwrap_err();
        assert!(matches!(e, Error::Texture(_)), "{e}");
    }
    let small = c.device().create_texture(&wgpu::TextureDescriptor {
        label: None,
        size: wgpu::Extent3d {
            width: 8,
            height: 8,
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format: wgpu::TextureFormat::Rgba32Float,
        usage: ALL,
        view_formats: &[],
    });
    let e = c
        .apply_texture(&Activation::Sigmoid, &good, Some(&small), false)
        .unwrap_err();
    assert!(matches!(e, Error::Texture(_)), "{e}");
    let e = c
        .apply_texture(
            &Activation::from(Relu::new().max_value(-2.0)),
            &good,
            None,
            false,
        )
        .unwrap_err();
    assert!(matches!(e, Error::InvalidParameter { .. }), "{e}");
}
