// Ops over the two halves of an axis (glu): out[j] = combine(a[i], b[i]) for
// the j-th output element of a window of whole planes, where a plane is an
// outer slice: its first half (`hi` elements) holds a, its second b.
// Windows of a plane too large for one binding come as ranges of one half
// (hi = count, so q = 0).

struct HalvesParams {
    // Output elements in this dispatch.
    count: u32,
    // Elements of one half of a plane in this window.
    hi: u32,
    // Distance between consecutive planes in the source.
    stride: u32,
    // First element of a (b) in its binding.
    a_base: u32,
    b_base: u32,
    // First output element in its binding.
    o_base: u32,
    _p0: u32,
    _p1: u32,
}

@group(0) @binding(0) var<storage, read> a_src: array<f32>;
@group(0) @binding(3) var<storage, read> b_src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<uniform> hp: HalvesParams;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let j = flat_index(gid, nwg);
    if (j >= hp.count) {
        return;
    }
    let q = j / hp.hi;
    let i = q * hp.stride + (j - q * hp.hi);
    dst[hp.o_base + j] = combine(a_src[hp.a_base + i], b_src[hp.b_base + i]);
}
