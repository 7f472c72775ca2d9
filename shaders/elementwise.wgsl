// Entry points shared by every elementwise activation: the op's file defines
// `fn activate(x: f32) -> f32`, and this file maps it over a buffer.

struct Params {
    // Elements to process in this dispatch.
    len: u32,
    // relu: whether max_value applies.
    has_max: u32,
    _pad0: u32,
    _pad1: u32,
    negative_slope: f32,
    max_value: f32,
    threshold: f32,
    _pad2: f32,
}

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i < params.len) {
        dst[i] = activate(src[i]);
    }
}

@compute @workgroup_size(WG_SIZE)
fn main_inplace(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i < params.len) {
        dst[i] = activate(dst[i]);
    }
}
