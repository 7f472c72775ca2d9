//! The WGSL kernels and the pipeline registry: every pipeline is built once,
//! when the [`Context`](crate::Context) is made, and reused for every
//! parameter value (parameters travel in uniforms).

/// A compute kernel: one WGSL module and one entry point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kernel {
    Sigmoid,
    SigmoidInPlace,
    Tanh,
    TanhInPlace,
    Relu,
    ReluInPlace,
    /// vec4 forms of the elementwise kernels.
    Sigmoid4,
    Sigmoid4InPlace,
    Tanh4,
    Tanh4InPlace,
    Relu4,
    Relu4InPlace,
    /// Softmax pass 1 for contiguous rows (axis is the last non-trivial one).
    SoftmaxStatsRows,
    /// Softmax pass 1 for strided rows.
    SoftmaxStatsCols,
    /// Softmax pass 1a for long rows: per-block partials.
    SoftmaxBlocks,
    /// Softmax pass 1b for long rows: partials merged.
    SoftmaxCombine,
    /// Softmax in one pass for rows that fit in workgroup memory.
    SoftmaxFused,
    /// Softmax pass 1a for long strided rows: per-(block, column) partials.
    SoftmaxColBlocks,
    /// Softmax pass 1b for long strided rows: partials merged per column.
    SoftmaxColCombine,
    /// Softmax pass 2.
    SoftmaxNorm,
    SoftmaxNormInPlace,
    /// Softmax pass 2 for contiguous rows, a workgroup per row.
    SoftmaxNormRows,
    SoftmaxNormRowsInPlace,
}

macro_rules! shader {
    ($($file:literal),+) => {
        concat!($(include_str!(concat!("../shaders/", $file)), "\n"),+)
    };
}

/// Full WGSL source of each module (WGSL has no `#include`, so the shared
/// numerics in `common.wgsl` are prepended).
pub mod sources {
    /// The op's `activate(x)` with the shared numerics, for buffers and textures.
    pub const SIGMOID_FN: &str = shader!("common.wgsl", "sigmoid.wgsl");
    pub const TANH_FN: &str = shader!("common.wgsl", "tanh.wgsl");
    pub const RELU_FN: &str = shader!("common.wgsl", "relu.wgsl");

    pub const SIGMOID: &str = shader!(
        "common.wgsl",
        "sigmoid.wgsl",
        "params.wgsl",
        "elementwise.wgsl"
    );
    pub const TANH: &str = shader!(
        "common.wgsl",
        "tanh.wgsl",
        "params.wgsl",
        "elementwise.wgsl"
    );
    pub const RELU: &str = shader!(
        "common.wgsl",
        "relu.wgsl",
        "params.wgsl",
        "elementwise.wgsl"
    );
    pub const SIGMOID4: &str = shader!(
        "common.wgsl",
        "sigmoid.wgsl",
        "params.wgsl",
        "elementwise4.wgsl"
    );
    pub const TANH4: &str = shader!(
        "common.wgsl",
        "tanh.wgsl",
        "params.wgsl",
        "elementwise4.wgsl"
    );
    pub const RELU4: &str = shader!(
        "common.wgsl",
        "relu.wgsl",
        "params.wgsl",
        "elementwise4.wgsl"
    );
    pub const SOFTMAX_STATS: &str =
        shader!("common.wgsl", "softmax_common.wgsl", "softmax_stats.wgsl");
    pub const SOFTMAX_NORM: &str =
        shader!("common.wgsl", "softmax_common.wgsl", "softmax_norm.wgsl");
    /// Every buffer module, with a name, for validation.
    pub const ALL: [(&str, &str); 8] = [
        ("sigmoid", SIGMOID),
        ("tanh", TANH),
        ("relu", RELU),
        ("sigmoid4", SIGMOID4),
        ("tanh4", TANH4),
        ("relu4", RELU4),
        ("softmax_stats", SOFTMAX_STATS),
        ("softmax_norm", SOFTMAX_NORM),
    ];
    /// Every elementwise op's function, with a name, for texture modules.
    pub const ELEMENTWISE_FNS: [(&str, &str); 3] = [
        ("sigmoid", SIGMOID_FN),
        ("tanh", TANH_FN),
        ("relu", RELU_FN),
    ];
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

/// The texture module for an op's function and a WGSL storage `format`.
pub fn texture_source(op_fn: &str, format: &str) -> String {
    let body = include_str!("../shaders/texture.wgsl").replace("FORMAT", format);
    format!(
        "{op_fn}\n{}\n{body}",
        include_str!("../shaders/params.wgsl")
    )
}

impl Kernel {
    /// Every kernel.
    pub const ALL: [Kernel; 23] = [
        Kernel::Sigmoid,
        Kernel::SigmoidInPlace,
        Kernel::Tanh,
        Kernel::TanhInPlace,
        Kernel::Relu,
        Kernel::ReluInPlace,
        Kernel::Sigmoid4,
        Kernel::Sigmoid4InPlace,
        Kernel::Tanh4,
        Kernel::Tanh4InPlace,
        Kernel::Relu4,
        Kernel::Relu4InPlace,
        Kernel::SoftmaxStatsRows,
        Kernel::SoftmaxStatsCols,
        Kernel::SoftmaxBlocks,
        Kernel::SoftmaxCombine,
        Kernel::SoftmaxFused,
        Kernel::SoftmaxColBlocks,
        Kernel::SoftmaxColCombine,
        Kernel::SoftmaxNorm,
        Kernel::SoftmaxNormInPlace,
        Kernel::SoftmaxNormRows,
        Kernel::SoftmaxNormRowsInPlace,
    ];

    /// (module name, WGSL source, entry point).
    pub fn source(self) -> (&'static str, &'static str, &'static str) {
        use Kernel::*;
        let (name, src) = match self {
            Sigmoid | SigmoidInPlace => ("sigmoid", sources::SIGMOID),
            Tanh | TanhInPlace => ("tanh", sources::TANH),
            Relu | ReluInPlace => ("relu", sources::RELU),
            Sigmoid4 | Sigmoid4InPlace => ("sigmoid4", sources::SIGMOID4),
            Tanh4 | Tanh4InPlace => ("tanh4", sources::TANH4),
            Relu4 | Relu4InPlace => ("relu4", sources::RELU4),
            SoftmaxStatsRows | SoftmaxStatsCols | SoftmaxBlocks | SoftmaxCombine | SoftmaxFused
            | SoftmaxColBlocks | SoftmaxColCombine => ("softmax_stats", sources::SOFTMAX_STATS),
            SoftmaxNorm | SoftmaxNormInPlace | SoftmaxNormRows | SoftmaxNormRowsInPlace => {
                ("softmax_norm", sources::SOFTMAX_NORM)
            }
        };
        let entry = match self {
            SigmoidInPlace | TanhInPlace | ReluInPlace | Sigmoid4InPlace | Tanh4InPlace
            | Relu4InPlace | SoftmaxNormInPlace => "main_inplace",
            SoftmaxNormRows => "rows",
            SoftmaxNormRowsInPlace => "rows_inplace",
            SoftmaxStatsRows => "rows",
            SoftmaxStatsCols => "cols",
            SoftmaxBlocks => "blocks",
            SoftmaxCombine => "combine",
            SoftmaxFused => "fused",
            SoftmaxColBlocks => "colblocks",
            SoftmaxColCombine => "colcombine",
            _ => "main",
        };
        (name, src, entry)
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

/// Pipelines for every [`Kernel`], built once.
pub(crate) struct Registry {
    pipelines: Vec<wgpu::ComputePipeline>,
}

impl Registry {
    /// Compiles every module once and builds every pipeline. Call inside an
    /// error scope: a broken shader shows up as a validation error.
    pub(crate) fn new(device: &wgpu::Device, wg_size: u32) -> Self {
        let modules: Vec<(&str, wgpu::ShaderModule)> = sources::ALL
            .iter()
            .map(|(name, src)| {
                let m = device.create_shader_module(wgpu::ShaderModuleDescriptor {
                    label: Some(name),
                    source: wgpu::ShaderSource::Wgsl((*src).into()),
                });
                (*name, m)
            })
            .collect();
        let constants = [("WG_SIZE", wg_size as f64)];
        let pipelines = Kernel::ALL
            .iter()
            .map(|k| {
                let (name, _, entry) = k.source();
                let module = &modules.iter().find(|(n, _)| *n == name).expect("module").1;
                device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                    label: Some(entry),
                    layout: None,
                    module,
                    entry_point: Some(entry),
                    compilation_options: compilation_options(&constants),
                    cache: None,
                })
            })
            .collect();
        Registry { pipelines }
    }

    pub(crate) fn get(&self, k: Kernel) -> &wgpu::ComputePipeline {
        // Kernel::ALL lists the variants in declaration order.
        &self.pipelines[k as usize]
    }
}
