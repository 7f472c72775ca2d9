// Vectorised entry points: four elements per invocation through vec4 loads
// and stores (on lavapipe 3-4x faster than scalar access). The host sends the
// last len % 4 elements through elementwise.wgsl. `params.len` counts vec4s.

@group(0) @binding(0) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4<f32>>;

fn activate4(v: vec4<f32>) -> vec4<f32> {
    return vec4<f32>(activate(v.x), activate(v.y), activate(v.z), activate(v.w));
}

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i < params.len) {
        dst[i] = activate4(src[i]);
    }
}

@compute @workgroup_size(WG_SIZE)
fn main_inplace(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i < params.len) {
        dst[i] = activate4(dst[i]);
    }
}
