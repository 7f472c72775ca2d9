// The backward from a saved derivative (grad_save.wgsl): dx = d * dy with
// the VJP's special cases (vjp in grad_common.wgsl).

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(3) var<storage, read> dys: array<f32>;

fn product(d: f32, dy: f32) -> f32 {
    if (is_nan_bits(bitcast<u32>(d))) {
        return qnan();
    }
    return vjp(d, dy);
}

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = params.first + flat_index(gid, nwg);
    if (i < params.len) {
        dst[i] = product(src[i], dys[i]);
    }
}
