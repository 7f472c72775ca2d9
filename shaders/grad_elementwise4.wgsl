// Vectorised backward entry points (see elementwise4.wgsl): four elements
// per invocation; the host sends the last len % 4 through
// grad_elementwise.wgsl. `params.len` counts vec4s.

@group(0) @binding(0) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> dys: array<vec4<f32>>;

fn grad4(v: vec4<f32>, d: vec4<f32>) -> vec4<f32> {
    return vec4<f32>(grad(v.x, d.x), grad(v.y, d.y), grad(v.z, d.z), grad(v.w, d.w));
}

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i < params.len) {
        dst[i] = grad4(src[i], dys[i]);
    }
}

@compute @workgroup_size(WG_SIZE)
fn main_inplace(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i < params.len) {
        dst[i] = grad4(src[i], dst[i]);
    }
}
