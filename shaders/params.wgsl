// Parameters of the elementwise activations, one uniform for all values.

struct Params {
    // Index one past the last element to process in this dispatch.
    len: u32,
    // relu: whether max_value applies.
    has_max: u32,
    // textures: whether alpha is transformed too.
    include_alpha: u32,
    // Index of the first element to process (the scalar tail after vec4s).
    first: u32,
    negative_slope: f32,
    max_value: f32,
    threshold: f32,
    _pad2: f32,
}

@group(0) @binding(2) var<uniform> params: Params;
