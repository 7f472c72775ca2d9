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
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    for (var k = 0u; k < WIDE_ITEMS; k++) {
        let i = wide_index(wid, nwg, lid, k);
        if (i < params.len) {
            dst[i] = grad4(src[i], dys[i]);
        }
    }
}

@compute @workgroup_size(WG_SIZE)
fn main_inplace(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    for (var k = 0u; k < WIDE_ITEMS; k++) {
        let i = wide_index(wid, nwg, lid, k);
        if (i < params.len) {
            dst[i] = grad4(src[i], dst[i]);
        }
    }
}
