// Entry points for 16-bit storage: eight elements per invocation, one
// 16-byte load and store of packed words (or two of vec4<f16>), as wide as
// f32's vec4 kernel, so half the invocations move the same elements. The
// host sends the last len % 8 elements through elementwise_pairs.wgsl.
// `params.len` counts groups of eight. The bindings, `Wide` and
// `src8`/`dst8`/`put8` come from the module's io prelude (`Io::wgsl`).

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
            let v = src8(i);
            put8(i, Wide(activate4(v.a), activate4(v.b)));
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
            let v = dst8(i);
            put8(i, Wide(activate4(v.a), activate4(v.b)));
        }
    }
}
