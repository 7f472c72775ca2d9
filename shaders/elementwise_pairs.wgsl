// Entry points for elements not in a group of four when either side is
// 16-bit: an invocation per pair of elements 2w, 2w + 1 (one u32 word of
// 16-bit storage), so no two invocations write halves of one word. Elements
// `params.first` (even) to `params.len`; of a last, odd element's word only
// its own half is written. Bindings and `src2`/`dst2`/`put2` come from the
// module's io prelude (`Io::wgsl`).

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let w = params.first / 2u + flat_index(gid, nwg);
    if (2u * w < params.len) {
        let both = 2u * w + 1u < params.len;
        let x = src2(w, both);
        put2(w, vec2<f32>(activate(x.x), activate(x.y)), both);
    }
}

@compute @workgroup_size(WG_SIZE)
fn main_inplace(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let w = params.first / 2u + flat_index(gid, nwg);
    if (2u * w < params.len) {
        let both = 2u * w + 1u < params.len;
        let x = dst2(w, both);
        put2(w, vec2<f32>(activate(x.x), activate(x.y)), both);
    }
}
