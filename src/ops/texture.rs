//! Elementwise activations on 2-D float textures, in place or into another
//! texture (e.g. a sigmoid or tanh tone-map between render passes).

use super::ElemParams;
use crate::kernels::wgsl_format;
use crate::{Activation, Context, Error, Result};
use std::collections::HashMap;
use std::sync::Mutex;

type PipelineMap =
    HashMap<(crate::Op, wgpu::TextureFormat), (wgpu::ComputePipeline, wgpu::BindGroupLayout)>;

/// Texture pipelines, built on first use: one per (activation, output format).
#[derive(Default)]
pub(crate) struct TexturePipelines(Mutex<PipelineMap>);

/// Formats wgact writes: `rgba32float`, `rgba16float`, `r32float`.
pub const TEXTURE_FORMATS: [wgpu::TextureFormat; 3] = [
    wgpu::TextureFormat::Rgba32Float,
    wgpu::TextureFormat::Rgba16Float,
    wgpu::TextureFormat::R32Float,
];

fn check_texture(t: &wgpu::Texture, what: &str) -> Result<()> {
    if t.dimension() != wgpu::TextureDimension::D2 || t.depth_or_array_layers() != 1 {
        return Err(Error::Texture(format!(
            "{what} must be a single-layer 2-D texture"
        )));
    }
    if t.sample_count() != 1 {
        return Err(Error::Texture(format!("{what} must not be multisampled")));
    }
    if wgsl_format(t.format()).is_none() {
        return Err(Error::Texture(format!(
            "{what} has format {:?}; supported: rgba32float, rgba16float, r32float",
            t.format()
        )));
    }
    Ok(())
}

fn need(t: &wgpu::Texture, usage: wgpu::TextureUsages, what: &'static str) -> Result<()> {
    if !t.usage().contains(usage) {
        return Err(Error::MissingUsage {
            what,
            missing: format!("{:?}", usage - t.usage()),
        });
    }
    Ok(())
}

impl Context {
    fn texture_pipeline(
        &self,
        act: &Activation,
        format: wgpu::TextureFormat,
    ) -> Result<(wgpu::ComputePipeline, wgpu::BindGroupLayout)> {
        let key = (act.op(), format);
        let mut map = self
            .texture_pipelines
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(p) = map.get(&key) {
            return Ok(p.clone());
        }
        let src =
            crate::kernels::texture_source(act.op(), wgsl_format(format).unwrap_or("rgba32float"));
        let built = self.scoped(|| {
            let module = self
                .device
                .create_shader_module(wgpu::ShaderModuleDescriptor {
                    label: Some("wgact texture"),
                    source: wgpu::ShaderSource::Wgsl(src.into()),
                });
            let layout = self
                .device
                .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                    label: Some("wgact texture"),
                    entries: &[
                        wgpu::BindGroupLayoutEntry {
                            binding: 0,
                            visibility: wgpu::ShaderStages::COMPUTE,
                            ty: wgpu::BindingType::Texture {
                                // textureLoad only: 32-bit floats need not be filterable.
                                sample_type: wgpu::TextureSampleType::Float { filterable: false },
                                view_dimension: wgpu::TextureViewDimension::D2,
                                multisampled: false,
                            },
                            count: None,
                        },
                        wgpu::BindGroupLayoutEntry {
                            binding: 1,
                            visibility: wgpu::ShaderStages::COMPUTE,
                            ty: wgpu::BindingType::StorageTexture {
                                access: wgpu::StorageTextureAccess::WriteOnly,
                                format,
                                view_dimension: wgpu::TextureViewDimension::D2,
                            },
                            count: None,
                        },
                        wgpu::BindGroupLayoutEntry {
                            binding: 2,
                            visibility: wgpu::ShaderStages::COMPUTE,
                            ty: wgpu::BindingType::Buffer {
                                ty: wgpu::BufferBindingType::Uniform,
                                has_dynamic_offset: false,
                                min_binding_size: None,
                            },
                            count: None,
                        },
                    ],
                });
            let pl = self
                .device
                .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                    label: Some("wgact texture"),
                    bind_group_layouts: &[Some(&layout)],
                    immediate_size: 0,
                });
            let pipeline = self
                .device
                .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                    label: Some("wgact texture"),
                    layout: Some(&pl),
                    module: &module,
                    entry_point: Some("main"),
                    compilation_options: crate::kernels::compilation_options(
                        &self.kernels.constants(false),
                    ),
                    cache: None,
                });
            (pipeline, layout)
        })?;
        map.insert(key, built.clone());
        Ok(built)
    }

    /// Records an elementwise `act` on texture `src` into `encoder`, writing
    /// `dst`, or `src` itself when `dst` is `None`. Alpha is left alone unless
    /// `include_alpha`. Formats: `rgba32float`, `rgba16float`, `r32float`.
    ///
    /// Usage needed: out of place, `src` `TEXTURE_BINDING` and `dst`
    /// `STORAGE_BINDING` (same size); in place, `src` `COPY_SRC | STORAGE_BINDING`
    /// (wgact copies it to a scratch texture first, since WebGPU cannot read
    /// and write most formats in one binding).
    pub fn encode_texture(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        act: &Activation,
        src: &wgpu::Texture,
        dst: Option<&wgpu::Texture>,
        include_alpha: bool,
    ) -> Result<()> {
        act.validate()?;
        if !act.info().on_textures() {
            return Err(Error::Texture(format!(
                "{} is not elementwise; textures take elementwise ops only",
                act.name()
            )));
        }
        check_texture(src, "source texture")?;
        let (input, output) = match dst {
            Some(d) => {
                check_texture(d, "destination texture")?;
                if d.size() != src.size() {
                    return Err(Error::Texture(format!(
                        "sizes differ: {}x{} vs {}x{}",
                        src.width(),
                        src.height(),
                        d.width(),
                        d.height()
                    )));
                }
                need(src, wgpu::TextureUsages::TEXTURE_BINDING, "source texture")?;
                need(
                    d,
                    wgpu::TextureUsages::STORAGE_BINDING,
                    "destination texture",
                )?;
                (src.clone(), d.clone())
            }
            None => {
                need(
                    src,
                    wgpu::TextureUsages::COPY_SRC | wgpu::TextureUsages::STORAGE_BINDING,
                    "texture (in place)",
                )?;
                let scratch = self.scoped(|| {
                    self.device.create_texture(&wgpu::TextureDescriptor {
                        label: Some("wgact texture scratch"),
                        size: src.size(),
                        mip_level_count: 1,
                        sample_count: 1,
                        dimension: wgpu::TextureDimension::D2,
                        format: src.format(),
                        usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
                        view_formats: &[],
                    })
                })?;
                self.scoped(|| {
                    encoder.copy_texture_to_texture(
                        src.as_image_copy(),
                        scratch.as_image_copy(),
                        src.size(),
                    )
                })?;
                (scratch, src.clone())
            }
        };
        let (pipeline, layout) = self.texture_pipeline(act, output.format())?;
        self.scoped(|| {
            let params = self.uniform(&ElemParams {
                include_alpha: include_alpha as u32,
                ..ElemParams::new(act)
            });
            let view = |t: &wgpu::Texture| {
                t.create_view(&wgpu::TextureViewDescriptor {
                    mip_level_count: Some(1),
                    ..Default::default()
                })
            };
            let (vin, vout) = (view(&input), view(&output));
            let bind = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("wgact texture"),
                layout: &layout,
                entries: &[
                    wgpu::BindGroupEntry {
                        binding: 0,
                        resource: wgpu::BindingResource::TextureView(&vin),
                    },
                    wgpu::BindGroupEntry {
                        binding: 1,
                        resource: wgpu::BindingResource::TextureView(&vout),
                    },
                    wgpu::BindGroupEntry {
                        binding: 2,
                        resource: params.as_entire_binding(),
                    },
                ],
            });
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("wgact texture"),
                timestamp_writes: None,
            });
            pass.set_pipeline(&pipeline);
            pass.set_bind_group(0, &bind, &[]);
            pass.dispatch_workgroups(output.width().div_ceil(16), output.height().div_ceil(16), 1);
        })
    }

    /// [`Context::encode_texture`], submitted at once.
    pub fn apply_texture(
        &self,
        act: &Activation,
        src: &wgpu::Texture,
        dst: Option<&wgpu::Texture>,
        include_alpha: bool,
    ) -> Result<()> {
        let mut enc = self.device.create_command_encoder(&Default::default());
        self.encode_texture(&mut enc, act, src, dst, include_alpha)?;
        self.submit(enc)?;
        Ok(())
    }
}
