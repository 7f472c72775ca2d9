// Entry points shared by every elementwise activation: the op's file defines
// `fn activate(x: f32) -> f32`, and this file maps it over a buffer.
// `params` comes from params.wgsl.

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = params.first + flat_index(gid, nwg);
    if (i < params.len) {
        dst[i] = activate(src[i]);
    }
}

@compute @workgroup_size(WG_SIZE)
fn main_inplace(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = params.first + flat_index(gid, nwg);
    if (i < params.len) {
        dst[i] = activate(dst[i]);
    }
}
