// The uniform of the elementwise kernels, buffer and texture alike. The op's
// parameters sit in `p`, in op-table order; a generated prelude names them
// (`fn p_<name>() -> f32`).

struct Params {
    // Index one past the last element to process in this dispatch.
    len: u32,
    // Index of the first element to process (the scalar tail after vec4s).
    first: u32,
    // textures: whether alpha is transformed too.
    include_alpha: u32,
    _pad: u32,
    p: vec4<f32>,
}

@group(0) @binding(2) var<uniform> params: Params;
