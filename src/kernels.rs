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

/// Full WGSL of one file of `shaders/`.
macro_rules! shader {
    ($file:literal) => {
        include_str!(concat!("../shaders/", $file))
    };
}

/// Elements per group of the long-row kernels on CPU adapters (`colgroups4`
/// and `kept4`: 8 vec4s, two `Group`s unrolled by hand in softmax_stats.wgsl).
pub const KEPT_GROUP: usize = 32;

/// Items each invocation of a wide elementwise kernel (`Width::Vec4`,
/// `Width::Vec8`) takes: `WIDE_ITEMS` in every module (common.wgsl).
pub const WIDE_ITEMS: u32 = 4;

/// Load/store width of an elementwise kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Width {
    /// One element per invocation (the last 1-3 elements of a vec4 run).
    Scalar,
    /// `vec4` loads and stores.
    Vec4,
    /// Eight elements per invocation, for 16-bit storage: one 16-byte load
    /// of packed words (or two `vec4<f16>`), as wide as f32's `vec4`, so
    /// half the invocations move the same elements.
    Vec8,
}

/// How a kernel holds one tensor's elements in storage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Store {
    /// f32.
    F32,
    /// f16 through WGSL's `f16` (the `shader-f16` feature).
    F16,
    /// f16 as pairs in a `u32`, decoded and rounded in integer code.
    F16Packed,
    /// bf16 as pairs in a `u32`.
    Bf16,
}

impl Store {
    /// Every store.
    pub const ALL: [Store; 4] = [Store::F32, Store::F16, Store::F16Packed, Store::Bf16];

    /// The store of `dtype`, with f16 native when `native_f16`.
    pub fn of(dtype: crate::DType, native_f16: bool) -> Store {
        match dtype {
            crate::DType::F32 => Store::F32,
            crate::DType::F16 if native_f16 => Store::F16,
            crate::DType::F16 => Store::F16Packed,
            crate::DType::Bf16 => Store::Bf16,
        }
    }

    fn is_16_bit(self) -> bool {
        self != Store::F32
    }

    /// The WGSL element type of its array for `width`.
    fn array(self, width: Width) -> &'static str {
        match (self, width) {
            (Store::F32, Width::Vec4 | Width::Vec8) => "vec4<f32>",
            (Store::F32, Width::Scalar) => "f32",
            (Store::F16, Width::Vec4 | Width::Vec8) => "vec4<f16>",
            (Store::F16, Width::Scalar) => "vec2<f16>",
            (Store::F16Packed | Store::Bf16, Width::Vec4) => "vec2<u32>",
            (Store::F16Packed | Store::Bf16, Width::Vec8) => "vec4<u32>",
            (Store::F16Packed | Store::Bf16, Width::Scalar) => "u32",
        }
    }

    /// WGSL reading elements `8i .. 8i + 8` (`A` an array of
    /// [`Store::array`] for `Vec8`) into `o` (a `Wide`).
    fn load8(self, a: &str) -> String {
        match self {
            Store::F32 => format!("return Wide({a}[2u * i], {a}[2u * i + 1u]);"),
            Store::F16 => {
                format!("return Wide(vec4<f32>({a}[2u * i]), vec4<f32>({a}[2u * i + 1u]));")
            }
            Store::F16Packed | Store::Bf16 => {
                let f = if self == Store::Bf16 {
                    "unpack2_bf16"
                } else {
                    "unpack2_f16"
                };
                format!(
                    "let w = {a}[i];\n    return Wide(vec4<f32>({f}(w.x), {f}(w.y)), vec4<f32>({f}(w.z), {f}(w.w)));"
                )
            }
        }
    }

    /// WGSL writing `v` (a `Wide`) as elements `8i .. 8i + 8`, rounded once.
    fn store8(self) -> &'static str {
        match self {
            Store::F32 => "dst[2u * i] = v.a;\n    dst[2u * i + 1u] = v.b;",
            Store::F16 => {
                "dst[2u * i] = vec4<f16>(round_f16_4(v.a));\n    dst[2u * i + 1u] = vec4<f16>(round_f16_4(v.b));"
            }
            Store::F16Packed => {
                "dst[i] = vec4<u32>(pack2_f16(v.a.xy), pack2_f16(v.a.zw), pack2_f16(v.b.xy), pack2_f16(v.b.zw));"
            }
            Store::Bf16 => {
                "dst[i] = vec4<u32>(pack2_bf16(v.a.xy), pack2_bf16(v.a.zw), pack2_bf16(v.b.xy), pack2_bf16(v.b.zw));"
            }
        }
    }

    /// WGSL reading 4 elements (`A[i]`) as a `vec4<f32>`.
    fn load4(self, a: &str) -> String {
        match self {
            Store::F32 => format!("{a}[i]"),
            Store::F16 => format!("vec4<f32>({a}[i])"),
            Store::F16Packed => format!("vec4<f32>(unpack2_f16({a}[i].x), unpack2_f16({a}[i].y))"),
            Store::Bf16 => format!("vec4<f32>(unpack2_bf16({a}[i].x), unpack2_bf16({a}[i].y))"),
        }
    }

    /// WGSL writing `v` (a `vec4<f32>`) as 4 elements at `dst[i]`, rounded once.
    fn store4(self) -> &'static str {
        match self {
            Store::F32 => "dst[i] = v;",
            Store::F16 => "dst[i] = vec4<f16>(round_f16_4(v));",
            Store::F16Packed => "dst[i] = vec2<u32>(pack2_f16(v.xy), pack2_f16(v.zw));",
            Store::Bf16 => "dst[i] = vec2<u32>(pack2_bf16(v.xy), pack2_bf16(v.zw));",
        }
    }

    /// WGSL reading the pair of elements `2w, 2w + 1` (the second only when
    /// `both`) as a `vec2<f32>`.
    fn load2(self, a: &str) -> String {
        match self {
            Store::F32 => format!(
                "var v = vec2<f32>({a}[2u * w], 0.0);\n    if (both) {{ v.y = {a}[2u * w + 1u]; }}\n    return v;"
            ),
            Store::F16 => format!("return vec2<f32>({a}[w]);"),
            Store::F16Packed => format!("return unpack2_f16({a}[w]);"),
            Store::Bf16 => format!("return unpack2_bf16({a}[w]);"),
        }
    }

    /// WGSL writing the pair `v` at elements `2w, 2w + 1` (the second only
    /// when `both`: the other half of a 16-bit word is kept).
    fn store2(self) -> &'static str {
        match self {
            Store::F32 => "dst[2u * w] = v.x;\n    if (both) { dst[2u * w + 1u] = v.y; }",
            Store::F16 => {
                "if (both) { dst[w] = vec2<f16>(vec2<f32>(round_f16(v.x), round_f16(v.y))); } else { dst[w].x = f16(round_f16(v.x)); }"
            }
            Store::F16Packed => {
                "if (both) { dst[w] = pack2_f16(v); } else { dst[w] = (dst[w] & 0xffff0000u) | f32_to_f16(v.x); }"
            }
            Store::Bf16 => {
                "if (both) { dst[w] = pack2_bf16(v); } else { dst[w] = (dst[w] & 0xffff0000u) | f32_to_bf16(v.x); }"
            }
        }
    }
}

/// The stores a kernel reads its input from and writes its output to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Io {
    /// The input's.
    pub src: Store,
    /// The output's.
    pub dst: Store,
}

impl Io {
    /// f32 in, f32 out.
    pub const F32: Io = Io {
        src: Store::F32,
        dst: Store::F32,
    };

    /// One store for both.
    pub fn same(s: Store) -> Io {
        Io { src: s, dst: s }
    }

    /// Every pair a kernel is built for: any two stores, f16's two kinds
    /// never mixed (a context uses one).
    pub fn all() -> Vec<Io> {
        let mut v = Vec::new();
        for src in Store::ALL {
            for dst in Store::ALL {
                let f16s = [Store::F16, Store::F16Packed];
                if !(f16s.contains(&src) && f16s.contains(&dst) && src != dst) {
                    v.push(Io { src, dst });
                }
            }
        }
        v
    }

    fn is_f32(self) -> bool {
        self == Io::F32
    }

    /// The module prelude for `width`: the bindings and the functions the
    /// entry points load and store through (`src4`/`dst4`/`put4` for vec4s,
    /// `src2`/`dst2`/`put2` for pairs of elements).
    fn wgsl(self, width: Width) -> String {
        let mut s = String::new();
        if self.src.is_16_bit() || self.dst.is_16_bit() {
            s.push_str(shader!("io_half.wgsl"));
        }
        let pick = |st: Store| st.array(width);
        s.push_str(&format!(
            "\n@group(0) @binding(0) var<storage, read> src: array<{}>;\n\
             @group(0) @binding(1) var<storage, read_write> dst: array<{}>;\n",
            pick(self.src),
            pick(self.dst)
        ));
        match width {
            Width::Vec4 => s.push_str(&format!(
                "fn src4(i: u32) -> vec4<f32> {{\n    return {};\n}}\n\
                 fn dst4(i: u32) -> vec4<f32> {{\n    return {};\n}}\n\
                 fn put4(i: u32, v: vec4<f32>) {{\n    {}\n}}\n",
                self.src.load4("src"),
                self.dst.load4("dst"),
                self.dst.store4()
            )),
            Width::Vec8 => s.push_str(&format!(
                "struct Wide {{\n    a: vec4<f32>,\n    b: vec4<f32>,\n}}\n\
                 fn src8(i: u32) -> Wide {{\n    {}\n}}\n\
                 fn dst8(i: u32) -> Wide {{\n    {}\n}}\n\
                 fn put8(i: u32, v: Wide) {{\n    {}\n}}\n",
                self.src.load8("src"),
                self.dst.load8("dst"),
                self.dst.store8()
            )),
            Width::Scalar => s.push_str(&format!(
                "fn src2(w: u32, both: bool) -> vec2<f32> {{\n    {}\n}}\n\
                 fn dst2(w: u32, both: bool) -> vec2<f32> {{\n    {}\n}}\n\
                 fn put2(w: u32, v: vec2<f32>, both: bool) {{\n    {}\n}}\n",
                self.src.load2("src"),
                self.dst.load2("dst"),
                self.dst.store2()
            )),
        }
        s
    }
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
    /// A thread per row, statistics and values in one dispatch (CPU
    /// adapters: the row is read again from cache, not from memory).
    ColsFused,
    /// [`StatsPass::ColsFused`] for contiguous rows in vec4s (lengths and
    /// the window's base multiples of 4).
    ColsFused4,
    /// Long strided rows: per-(block, column) partials.
    ColBlocks,
    /// [`StatsPass::ColBlocks`] for one contiguous column (inner == 1) in
    /// vec4s (the window's base, the block and the count multiples of 4).
    ColBlocks4,
    /// Long strided rows: partials merged per column.
    ColCombine,
    /// Long contiguous rows of an op that keeps its term, in vec4s (CPU
    /// adapters): a thread per group of [`KEPT_GROUP`] elements, its terms
    /// against the group's max stored in the output, its partial written
    /// (merged by [`StatsPass::Combine`]).
    ColGroups4 {
        /// Whether x is read from the output.
        inplace: bool,
    },
}

/// Pass 2 of the max-and-sum axis ops.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NormLayout {
    /// A thread per element.
    Elements,
    /// Contiguous rows, a workgroup per row.
    Rows,
    /// A window inside one row (stats[0]), a thread per element.
    Single,
    /// [`NormLayout::Single`] in vec4s (the window's base and count
    /// multiples of 4).
    Single4,
    /// Long rows of an op that keeps its term: the terms stored in the
    /// output by [`StatsPass::ColGroups4`] rescaled to the row's max and
    /// mapped in place, in vec4s.
    Kept4,
}

/// A compute kernel: one module and one entry point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kernel {
    /// An elementwise op over a buffer, from and to the stores of `io`
    /// (the same for in place).
    Map {
        op: Op,
        width: Width,
        inplace: bool,
        io: Io,
        /// The op's parameters are its defaults, built into the pipeline
        /// (`DEFAULT_PARAMS`) so the compiler folds them: relu's three
        /// parameters, say, then cost nothing.
        defaults: bool,
    },
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
    // The default values' slot bits, where every parameter has a default.
    let defaults = op.info().default_slots();
    op.info()
        .params
        .iter()
        .enumerate()
        .filter(|(_, p)| p.kind != ParamKind::Axis)
        .map(|(i, p)| match defaults {
            Some(d) => format!(
                "fn p_{}() -> f32 {{\n    if (DEFAULT_PARAMS) {{\n        return bitcast<f32>({:#010x}u);\n    }}\n    return params.p[{i}];\n}}\n",
                p.name,
                d[i].to_bits()
            ),
            None => format!("fn p_{}() -> f32 {{\n    return params.p[{i}];\n}}\n", p.name),
        })
        .collect()
}

/// The module of an elementwise op with the entry points `entry_file`.
fn elementwise_module(op: Op, entry_file: &str) -> String {
    elementwise_module_io(op, "", entry_file)
}

/// The module of an elementwise op: `io` (bindings and their loads and
/// stores, [`Io::wgsl`]) and the entry points `entry_file`. WGSL's `enable`
/// comes first.
fn elementwise_module_io(op: Op, io: &str, entry_file: &str) -> String {
    let mut s = String::new();
    if io.contains("f16>") {
        s.push_str("enable f16;\n");
    }
    s.push_str(&SHARED.join("\n"));
    for part in [
        io,
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

/// The module of an axis op with the machinery `entry_file`; the max-and-sum
/// ops get `KEEP_TERM` from the table and `axis_of` (softmax_value.wgsl).
fn axis_module(op: Op, entry_file: &str) -> String {
    let mut parts = SHARED.to_vec();
    parts.extend([shader!("softmax_common.wgsl"), op.info().wgsl]);
    let keep;
    if let Kind::Axis(Reduce::MaxSumExp { keep_term }) = op.info().kind {
        keep = format!("const KEEP_TERM: bool = {keep_term};\n");
        parts.extend([keep.as_str(), shader!("softmax_value.wgsl")]);
    }
    parts.push(entry_file);
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
                    for width in [Width::Scalar, Width::Vec4, Width::Vec8] {
                        for io in Io::all() {
                            for inplace in [false, true] {
                                // Vec8 for 16-bit storage, Vec4 for f32.
                                let fits =
                                    (width == Width::Vec8) != io.is_f32() || width == Width::Scalar;
                                if fits && (!inplace || io.src == io.dst) {
                                    v.push(Kernel::Map {
                                        op,
                                        width,
                                        inplace,
                                        io,
                                        defaults: false,
                                    });
                                }
                            }
                        }
                    }
                }
                Kind::Axis(Reduce::MaxSumExp { .. }) => {
                    for pass in [
                        Rows,
                        Cols,
                        Blocks,
                        Combine,
                        Fused,
                        ColsFused,
                        ColsFused4,
                        ColBlocks,
                        ColBlocks4,
                        ColCombine,
                        ColGroups4 { inplace: false },
                        ColGroups4 { inplace: true },
                    ] {
                        v.push(Kernel::Stats { op, pass });
                    }
                    for layout in [
                        NormLayout::Elements,
                        NormLayout::Rows,
                        NormLayout::Single,
                        NormLayout::Single4,
                    ] {
                        for inplace in [false, true] {
                            v.push(Kernel::Norm {
                                op,
                                layout,
                                inplace,
                            });
                        }
                    }
                    v.push(Kernel::Norm {
                        op,
                        layout: NormLayout::Kept4,
                        inplace: true,
                    });
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
            Kernel::Map { op, width, io, .. } if io.is_f32() => {
                format!("{}/{width:?}", op.name())
            }
            Kernel::Map { op, width, io, .. } => {
                format!("{}/{width:?}/{:?}-{:?}", op.name(), io.src, io.dst)
            }
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
                io,
                ..
            } if io.is_f32() => elementwise_module(op, shader!("elementwise.wgsl")),
            Kernel::Map {
                op,
                width: Width::Scalar,
                io,
                ..
            } => elementwise_module_io(
                op,
                &io.wgsl(Width::Scalar),
                shader!("elementwise_pairs.wgsl"),
            ),
            Kernel::Map {
                op,
                width: Width::Vec4,
                io,
                ..
            } => elementwise_module_io(op, &io.wgsl(Width::Vec4), shader!("elementwise4.wgsl")),
            Kernel::Map {
                op,
                width: Width::Vec8,
                io,
                ..
            } => elementwise_module_io(op, &io.wgsl(Width::Vec8), shader!("elementwise8.wgsl")),
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
            // Backward tensors are f32 (16-bit ones go through f32), so
            // Vec8 is never asked for; it names the same kernel.
            Kernel::GradMap {
                op,
                width: Width::Vec4 | Width::Vec8,
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
            Kernel::Norm {
                layout: NormLayout::Single,
                inplace: false,
                ..
            } => "single",
            Kernel::Norm {
                layout: NormLayout::Single,
                inplace: true,
                ..
            } => "single_inplace",
            Kernel::Norm {
                layout: NormLayout::Single4,
                inplace: false,
                ..
            } => "single4",
            Kernel::Norm {
                layout: NormLayout::Single4,
                inplace: true,
                ..
            } => "single4_inplace",
            Kernel::Norm {
                layout: NormLayout::Kept4,
                ..
            } => "kept4",
            Kernel::Stats { pass, .. } => match pass {
                Rows => "rows",
                Cols => "cols",
                Blocks => "blocks",
                Combine => "combine",
                Fused => "fused",
                ColsFused => "cols_fused",
                ColsFused4 => "cols_fused4",
                ColBlocks => "colblocks",
                ColBlocks4 => "colblocks4",
                ColCombine => "colcombine",
                ColGroups4 { inplace: false } => "colgroups4",
                ColGroups4 { inplace: true } => "colgroups4_inplace",
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
    /// `DIV_EXACT` in every module (`ContextOptions::exact_division`).
    div_exact: bool,
    modules: Mutex<HashMap<String, wgpu::ShaderModule>>,
    pipelines: Mutex<HashMap<Kernel, wgpu::ComputePipeline>>,
}

impl Registry {
    pub(crate) fn new(wg_size: u32, div_exact: bool) -> Self {
        Registry {
            wg_size,
            div_exact,
            modules: Mutex::default(),
            pipelines: Mutex::default(),
        }
    }

    pub(crate) fn div_exact(&self) -> bool {
        self.div_exact
    }

    /// The pipeline-overridable constants every module declares
    /// (common.wgsl), for a kernel with its op's default parameters built in
    /// or not.
    pub(crate) fn constants(&self, defaults: bool) -> [(&'static str, f64); 4] {
        [
            ("WG_SIZE", self.wg_size as f64),
            ("DIV_EXACT", self.div_exact as u8 as f64),
            ("WIDE_ITEMS", WIDE_ITEMS as f64),
            ("DEFAULT_PARAMS", defaults as u8 as f64),
        ]
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
        let constants = self.constants(matches!(k, Kernel::Map { defaults: true, .. }));
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
