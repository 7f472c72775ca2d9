//! The WGSL kernels and the pipeline registry. A [`Kernel`] says what it is
//! (op, kind, width, in place or not); its module is assembled from the
//! shared numerics, the op's file `shaders/ops/<op>.wgsl`, a parameter
//! prelude generated from the op table, and the entry points of its kind.
//! Pipelines are built on first use and kept: one per kernel, for every
//! parameter value (parameters travel in uniforms).

use crate::activation::{Kind, ParamKind, Reduce};
use crate::{Op, Result};
use std::collections::HashMap;
use std::sync::Mutex;

/// Load/store width of an elementwise kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Width {
    /// One element per invocation (the last 1-3 elements of a vec4 run).
    Scalar,
    /// `vec4` loads and stores.
    Vec4,
}

/// Pass 1 of the max-and-sum axis ops (softmax, log_softmax).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StatsPass {
    /// A workgroup per row.
    Rows,
    /// A thread per row (strided or short rows).
    Cols,
    /// Long rows: per-block partials.
    Blocks,
    /// Long rows: partials merged.
    Combine,
    /// Rows that fit in workgroup memory: statistics and values in one pass.
    Fused,
    /// Long strided rows: per-(block, column) partials.
    ColBlocks,
    /// Long strided rows: partials merged per column.
    ColCombine,
}

/// Pass 2 of the max-and-sum axis ops.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NormLayout {
    /// A thread per element.
    Elements,
    /// Contiguous rows, a workgroup per row.
    Rows,
}

/// A compute kernel: one module and one entry point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kernel {
    /// An elementwise op over a buffer.
    Map { op: Op, width: Width, inplace: bool },
    /// Pass 1 (or the fused single pass) of a max-and-sum axis op.
    Stats { op: Op, pass: StatsPass },
    /// Pass 2 of a max-and-sum axis op.
    Norm {
        op: Op,
        layout: NormLayout,
        inplace: bool,
    },
    /// A simplex projection (sparsemax), a workgroup per row, out of place.
    Simplex { op: Op },
    /// An op over the two halves of an axis (glu).
    Halves { op: Op },
    /// The backward of an elementwise op: dx = grad(v, dy), or over dy.
    GradMap { op: Op, width: Width, inplace: bool },
    /// The backward of an axis op, a workgroup per row.
    GradRows { op: Op, inplace: bool },
    /// The backward of a halves op (glu), writing `which` of da and db.
    GradHalves { op: Op, which: HalvesGrad },
    /// An elementwise op's forward that also writes its derivative f'(x).
    MapSave { op: Op },
    /// dx = d * dy from a saved derivative (op-agnostic).
    Product,
}

/// Which gradients a [`Kernel::GradHalves`] dispatch writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HalvesGrad {
    /// Both, into one binding of dx (whole planes).
    Both,
    /// The first half's (ranges of a large plane).
    A,
    /// The second half's.
    B,
}

/// Full WGSL of one file of `shaders/`.
macro_rules! shader {
    ($file:literal) => {
        include_str!(concat!("../shaders/", $file))
    };
}

/// Shared numerics every op module starts with (WGSL has no `#include`).
pub const SHARED: [&str; 5] = [
    shader!("common.wgsl"),
    shader!("elementary.wgsl"),
    shader!("shared_exp.wgsl"),
    shader!("shared_gelu.wgsl"),
    shader!("grad_common.wgsl"),
];

/// The parameter prelude of `op`: `fn p_<name>() -> f32` for each of its
/// parameters, reading its slot of the uniform (`params.p`), so the slot
/// order is written once, in the op table.
pub fn param_prelude(op: Op) -> String {
    op.info()
        .params
        .iter()
        .enumerate()
        .filter(|(_, p)| p.kind != ParamKind::Axis)
        .map(|(i, p)| {
            format!(
                "fn p_{}() -> f32 {{\n    return params.p[{i}];\n}}\n",
                p.name
            )
        })
        .collect()
}

/// The module of an elementwise op with the entry points `entry_file`.
fn elementwise_module(op: Op, entry_file: &str) -> String {
    let mut s = SHARED.join("\n");
    for part in [
        shader!("params.wgsl"),
        &param_prelude(op),
        op.info().wgsl,
        entry_file,
    ] {
        s.push('\n');
        s.push_str(part);
    }
    s
}

/// The module of `op`'s backward with the entry points `entry_file`: the
/// shared numerics, the backward helpers, the op's parameters (elementwise
/// ops) or the axis ops' shared functions, and the op's file.
fn grad_module(op: Op, entry_file: &str) -> String {
    let mut parts = SHARED.to_vec();
    // The op's parameters, and whether its `grad` reads y (from the table).
    let prelude = param_prelude(op)
        + &format!(
            "const GRAD_FROM_Y: bool = {};\n",
            op.info().grad_from == crate::activation::GradFrom::Y
        );
    match op.info().kind {
        Kind::Elementwise => parts.extend([shader!("params.wgsl"), prelude.as_str()]),
        Kind::Axis(_) => parts.push(shader!("softmax_common.wgsl")),
        Kind::Halves => {}
    }
    parts.extend([op.info().wgsl, entry_file]);
    parts.join("\n")
}

/// The module of an axis op with the machinery `entry_file`.
fn axis_module(op: Op, entry_file: &str) -> String {
    let mut parts = SHARED.to_vec();
    parts.extend([shader!("softmax_common.wgsl"), op.info().wgsl, entry_file]);
    parts.join("\n")
}

/// The WGSL name of a storage-texture format wgact writes
/// ([`TEXTURE_FORMATS`](crate::TEXTURE_FORMATS)), or `None` for any other.
pub fn wgsl_format(f: wgpu::TextureFormat) -> Option<&'static str> {
    match f {
        wgpu::TextureFormat::Rgba32Float => Some("rgba32float"),
        wgpu::TextureFormat::Rgba16Float => Some("rgba16float"),
        wgpu::TextureFormat::R32Float => Some("r32float"),
        _ => None,
    }
}

/// The texture module of an elementwise `op` for a WGSL storage `format`.
pub fn texture_source(op: Op, format: &str) -> String {
    elementwise_module(op, &shader!("texture.wgsl").replace("FORMAT", format))
}

impl Kernel {
    /// Every kernel wgact can build, for validation.
    pub fn all() -> Vec<Kernel> {
        use StatsPass::*;
        let mut v = Vec::new();
        for &op in Op::ALL {
            match op.info().kind {
                Kind::Elementwise => {
                    for width in [Width::Scalar, Width::Vec4] {
                        for inplace in [false, true] {
                            v.push(Kernel::Map { op, width, inplace });
                        }
                    }
                }
                Kind::Axis(Reduce::MaxSumExp) => {
                    for pass in [Rows, Cols, Blocks, Combine, Fused, ColBlocks, ColCombine] {
                        v.push(Kernel::Stats { op, pass });
                    }
                    for layout in [NormLayout::Elements, NormLayout::Rows] {
                        for inplace in [false, true] {
                            v.push(Kernel::Norm {
                                op,
                                layout,
                                inplace,
                            });
                        }
                    }
                }
                Kind::Axis(Reduce::Simplex) => v.push(Kernel::Simplex { op }),
                Kind::Halves => v.push(Kernel::Halves { op }),
            }
            match op.info().kind {
                Kind::Elementwise => {
                    for width in [Width::Scalar, Width::Vec4] {
                        for inplace in [false, true] {
                            v.push(Kernel::GradMap { op, width, inplace });
                        }
                    }
                }
                Kind::Axis(_) => {
                    for inplace in [false, true] {
                        v.push(Kernel::GradRows { op, inplace });
                    }
                }
                Kind::Halves => {
                    for which in [HalvesGrad::Both, HalvesGrad::A, HalvesGrad::B] {
                        v.push(Kernel::GradHalves { op, which });
                    }
                }
            }
            if op.info().kind == Kind::Elementwise {
                v.push(Kernel::MapSave { op });
            }
        }
        v.push(Kernel::Product);
        v
    }

    /// A name for its module (kernels of one module share it).
    pub fn module_name(self) -> String {
        match self {
            Kernel::Map { op, width, .. } => format!("{}/{width:?}", op.name()),
            Kernel::Stats { op, .. } => format!("{}/stats", op.name()),
            Kernel::Norm { op, .. } => format!("{}/norm", op.name()),
            Kernel::Simplex { op, .. } => format!("{}/simplex", op.name()),
            Kernel::Halves { op } => format!("{}/halves", op.name()),
            Kernel::GradMap { op, width, .. } => format!("{}/grad/{width:?}", op.name()),
            Kernel::GradRows { op, inplace } => {
                format!(
                    "{}/grad/rows{}",
                    op.name(),
                    if inplace { "_inplace" } else { "" }
                )
            }
            Kernel::GradHalves { op, .. } => format!("{}/grad/halves", op.name()),
            Kernel::MapSave { op } => format!("{}/save", op.name()),
            Kernel::Product => "grad/product".to_string(),
        }
    }

    /// Full WGSL source of its module.
    pub fn source(self) -> String {
        match self {
            Kernel::Map {
                op,
                width: Width::Scalar,
                ..
            } => elementwise_module(op, shader!("elementwise.wgsl")),
            Kernel::Map {
                op,
                width: Width::Vec4,
                ..
            } => elementwise_module(op, shader!("elementwise4.wgsl")),
            Kernel::Stats { op, .. } => axis_module(op, shader!("softmax_stats.wgsl")),
            Kernel::Norm { op, .. } => axis_module(op, shader!("softmax_norm.wgsl")),
            Kernel::Simplex { op, .. } => axis_module(op, shader!("simplex.wgsl")),
            Kernel::Halves { op } => [
                SHARED.join("\n").as_str(),
                op.info().wgsl,
                shader!("halves.wgsl"),
            ]
            .join("\n"),
            Kernel::GradMap {
                op,
                width: Width::Scalar,
                ..
            } => grad_module(op, shader!("grad_elementwise.wgsl")),
            Kernel::GradMap {
                op,
                width: Width::Vec4,
                ..
            } => grad_module(op, shader!("grad_elementwise4.wgsl")),
            Kernel::GradRows { op, inplace: false } => grad_module(op, shader!("grad_rows.wgsl")),
            Kernel::GradRows { op, inplace: true } => grad_module(
                op,
                &shader!("grad_rows.wgsl")
                    .replace(
                        "@group(0) @binding(3) var<storage, read> dys: array<f32>;",
                        "",
                    )
                    .replace("return dys[gp.dy_base + e];", "return dst[gp.dx_base + e];"),
            ),
            Kernel::GradHalves { op, .. } => grad_module(op, shader!("grad_halves.wgsl")),
            Kernel::MapSave { op } => grad_module(op, shader!("grad_save.wgsl")),
            Kernel::Product => {
                let mut parts = SHARED.to_vec();
                parts.extend([shader!("params.wgsl"), shader!("grad_product.wgsl")]);
                parts.join("\n")
            }
        }
    }

    /// Its entry point.
    pub fn entry(self) -> &'static str {
        use StatsPass::*;
        match self {
            Kernel::Map { inplace: false, .. }
            | Kernel::Norm {
                layout: NormLayout::Elements,
                inplace: false,
                ..
            }
            | Kernel::Simplex { .. }
            | Kernel::Halves { .. }
            | Kernel::GradMap { inplace: false, .. }
            | Kernel::GradRows { inplace: false, .. }
            | Kernel::GradHalves {
                which: HalvesGrad::Both,
                ..
            } => "main",
            Kernel::GradHalves {
                which: HalvesGrad::A,
                ..
            } => "main_a",
            Kernel::GradHalves {
                which: HalvesGrad::B,
                ..
            } => "main_b",
            Kernel::GradRows { inplace: true, .. } | Kernel::MapSave { .. } | Kernel::Product => {
                "main"
            }
            Kernel::GradMap { inplace: true, .. } => "main_inplace",
            Kernel::Map { inplace: true, .. }
            | Kernel::Norm {
                layout: NormLayout::Elements,
                inplace: true,
                ..
            } => "main_inplace",
            Kernel::Norm {
                layout: NormLayout::Rows,
                inplace: false,
                ..
            } => "rows",
            Kernel::Norm {
                layout: NormLayout::Rows,
                inplace: true,
                ..
            } => "rows_inplace",
            Kernel::Stats { pass, .. } => match pass {
                Rows => "rows",
                Cols => "cols",
                Blocks => "blocks",
                Combine => "combine",
                Fused => "fused",
                ColBlocks => "colblocks",
                ColCombine => "colcombine",
            },
        }
    }
}

/// Pipeline options for every kernel: the workgroup size as a pipeline
/// constant, and no zeroing of workgroup memory (every kernel writes its
/// workgroup arrays before a barrier and any read).
pub(crate) fn compilation_options<'a>(
    constants: &'a [(&'a str, f64)],
) -> wgpu::PipelineCompilationOptions<'a> {
    wgpu::PipelineCompilationOptions {
        constants,
        zero_initialize_workgroup_memory: false,
    }
}

/// Pipelines by [`Kernel`], each built on first use (30 ops would take
/// seconds to compile up front on a CPU adapter) and kept.
pub(crate) struct Registry {
    wg_size: u32,
    modules: Mutex<HashMap<String, wgpu::ShaderModule>>,
    pipelines: Mutex<HashMap<Kernel, wgpu::ComputePipeline>>,
}

impl Registry {
    pub(crate) fn new(wg_size: u32) -> Self {
        Registry {
            wg_size,
            modules: Mutex::default(),
            pipelines: Mutex::default(),
        }
    }

    /// The pipeline of `k`, built now if it is new. Call inside an error
    /// scope: a broken shader shows up as a validation error.
    pub(crate) fn get(&self, device: &wgpu::Device, k: Kernel) -> Result<wgpu::ComputePipeline> {
        let mut pipelines = self.pipelines.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = pipelines.get(&k) {
            return Ok(p.clone());
        }
        let name = k.module_name();
        let module = {
            let mut modules = self.modules.lock().unwrap_or_else(|p| p.into_inner());
            modules
                .entry(name.clone())
                .or_insert_with(|| {
                    device.create_shader_module(wgpu::ShaderModuleDescriptor {
                        label: Some(&name),
                        source: wgpu::ShaderSource::Wgsl(k.source().into()),
                    })
                })
                .clone()
        };
        let constants = [("WG_SIZE", self.wg_size as f64)];
        let p = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(&name),
            layout: None,
            module: &module,
            entry_point: Some(k.entry()),
            compilation_options: compilation_options(&constants),
            cache: None,
        });
        pipelines.insert(k, p.clone());
        Ok(p)
    }
}
