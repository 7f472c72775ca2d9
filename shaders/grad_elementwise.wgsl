// Backward entry points shared by every elementwise op: the op's file
// defines `fn grad(v: f32, dy: f32) -> f32` (v the forward input or output,
// as the op table's `grad` says), and this file maps it over buffers:
// dx = grad(v, dy), or in place over dy. `params` comes from params.wgsl.

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(3) var<storage, read> dys: array<f32>;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = params.first + flat_index(gid, nwg);
    if (i < params.len) {
        dst[i] = grad(src[i], dys[i]);
    }
}

@compute @workgroup_size(WG_SIZE)
fn main_inplace(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = params.first + flat_index(gid, nwg);
    if (i < params.len) {
        dst[i] = grad(src[i], dst[i]);
    }
}
