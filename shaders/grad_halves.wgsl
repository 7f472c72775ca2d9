// Backward of the ops over the two halves of an axis (glu): for the j-th
// element of dy, the op's `combine_grad(a, b, dy)` gives (da, db), written
// to dx at a's and b's places (dx has the input's shape). Windows as in
// halves.wgsl: whole planes (q > 0), or ranges of one half.

struct GradHalvesParams {
    // dy elements in this dispatch.
    count: u32,
    // Elements of one half of a plane in this window.
    hi: u32,
    // Distance between consecutive planes in x and dx.
    stride: u32,
    // First element of a (b) in its x binding.
    a_base: u32,
    b_base: u32,
    // First element of dy in its binding.
    o_base: u32,
    // First element of da (db) in its dx binding.
    da_base: u32,
    db_base: u32,
}

@group(0) @binding(0) var<storage, read> a_src: array<f32>;
@group(0) @binding(3) var<storage, read> b_src: array<f32>;
@group(0) @binding(4) var<storage, read> dys: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<uniform> hp: GradHalvesParams;

struct Pair {
    g: vec2<f32>,
    // Index of a's (b's) element within its window.
    i: u32,
    ok: bool,
}

fn pair(gid: vec3<u32>, nwg: vec3<u32>) -> Pair {
    let j = flat_index(gid, nwg);
    if (j >= hp.count) {
        return Pair(vec2<f32>(0.0), 0u, false);
    }
    let q = j / hp.hi;
    let i = q * hp.stride + (j - q * hp.hi);
    let g = combine_grad(a_src[hp.a_base + i], b_src[hp.b_base + i], dys[hp.o_base + j]);
    return Pair(g, i, true);
}

// Whole planes: da and db in one dx binding.
@compute @workgroup_size(WG_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let p = pair(gid, nwg);
    if (p.ok) {
        dst[hp.da_base + p.i] = p.g.x;
        dst[hp.db_base + p.i] = p.g.y;
    }
}

// Ranges of a large plane: da and db windows bound one at a time.
@compute @workgroup_size(WG_SIZE)
fn main_a(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let p = pair(gid, nwg);
    if (p.ok) {
        dst[hp.da_base + p.i] = p.g.x;
    }
}

@compute @workgroup_size(WG_SIZE)
fn main_b(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let p = pair(gid, nwg);
    if (p.ok) {
        dst[hp.db_base + p.i] = p.g.y;
    }
}
