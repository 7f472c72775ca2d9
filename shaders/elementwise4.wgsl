// Vectorised entry points: four elements per invocation through vec4-wide
// loads and stores (on lavapipe 3-4x faster than scalar access). The host
// sends the last len % 4 elements through elementwise.wgsl (f32) or
// elementwise_pairs.wgsl (16-bit). `params.len` counts groups of four. The
// bindings and `src4`/`dst4`/`put4` come from the module's io prelude
// (`Io::wgsl`): f32, f16 or bf16 storage, arithmetic in f32.

fn activate4(v: vec4<f32>) -> vec4<f32> {
    return vec4<f32>(activate(v.x), activate(v.y), activate(v.z), activate(v.w));
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
            put4(i, activate4(src4(i)));
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
            put4(i, activate4(dst4(i)));
        }
    }
}
