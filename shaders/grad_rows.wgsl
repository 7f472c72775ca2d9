// Backward of the axis ops (softmax, log_softmax, sparsemax), a workgroup
// per row: the op's file defines `const GRAD_ROW_MAX: bool` (whether it
// needs the row's max m of v), `fn grad_term(v, dy, m) -> vec4<f32>` (two
// row sums' terms as pairs) and `fn grad_value(v, dy, m, r, rs) -> f32` (dx
// from the sums r, which are rs times too small where dy was scaled down). Terms are summed with their rounding errors (2Sum), so
// the sums are accurate to about 2^-40 relative to their largest term. A
// row with NaN or +inf in v (or, where the max is used, only -inf), or NaN
// or +-inf in dy, comes out all NaN. Rows are (o, i) of a window of whole planes viewed as
// [outer, len, inner]; element k of row (o, i) is o*len*inner + k*inner + i.

struct GradRowParams {
    // Rows in this window (planes * inner).
    rows: u32,
    len: u32,
    inner: u32,
    // First element of the window in each binding (aligned starts).
    v_base: u32,
    dy_base: u32,
    dx_base: u32,
    _p0: u32,
    _p1: u32,
}

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<uniform> gp: GradRowParams;
@group(0) @binding(3) var<storage, read> dys: array<f32>;

// The upstream gradient's element e of the window. The in-place variant of
// this module (dx over dy) is made by the host, which drops `dys` and reads
// dst here instead (an entry point may not mention a binding it lacks).
fn load_dy(e: u32) -> f32 {
    return dys[gp.dy_base + e];
}
// The forward kernels' parameters, which softmax_common.wgsl refers to;
// unused here.
var<private> sp: SoftmaxParams;

var<workgroup> red: array<vec4<f32>, WG_MAX>;
var<workgroup> bad_any: array<u32, WG_MAX>;

// Two compensated sums: (hi1, lo1) + (hi2, lo2) pairs, merged with 2Sum.
fn merge(a: vec4<f32>, b: vec4<f32>) -> vec4<f32> {
    let s = two_sum(a.x, b.x);
    let t = two_sum(a.z, b.z);
    return vec4<f32>(s.x, s.y + (a.y + b.y), t.x, t.y + (a.w + b.w));
}

// The sum of v over the workgroup (tree in workgroup memory).
fn reduce(t: u32, v: vec4<f32>) -> vec4<f32> {
    red[t] = v;
    workgroupBarrier();
    for (var w = WG_SIZE / 2u; w > 0u; w = w / 2u) {
        if (t < w) {
            red[t] = merge(red[t], red[t + w]);
        }
        workgroupBarrier();
    }
    let r = red[0];
    workgroupBarrier();
    return r;
}

fn row_grad(t: u32, row: u32) {
    let o = row / gp.inner;
    let off = o * gp.len * gp.inner + (row - o * gp.inner);
    // Poisoned rows (NaN or +inf in v, non-finite dy) and, for ops that
    // need it, the row's max of v, in one sweep.
    var bad = 0u;
    var m = bitcast<f32>(F32_NEG_INF_BITS);
    var big = 0.0;
    for (var k = t; k < gp.len; k += WG_SIZE) {
        let e = off + k * gp.inner;
        let v = src[gp.v_base + e];
        let bv = bitcast<u32>(v);
        let dy = load_dy(e);
        if (is_nan_bits(bv) || bv == F32_INF_BITS || !is_finite_bits(bitcast<u32>(dy))) {
            bad = 1u;
        } else {
            m = max(m, v);
            big = max(big, abs(dy));
        }
    }
    // The max and the flag: a tree of their own (reduce() sums).
    bad_any[t] = bad;
    red[t] = vec4<f32>(m, big, 0.0, 0.0);
    workgroupBarrier();
    for (var w = WG_SIZE / 2u; w > 0u; w = w / 2u) {
        if (t < w) {
            red[t].x = max(red[t].x, red[t + w].x);
            red[t].y = max(red[t].y, red[t + w].y);
            bad_any[t] = bad_any[t] | bad_any[t + w];
        }
        workgroupBarrier();
    }
    let row_max = red[0].x;
    // Where the row's |dy| reaches 2^96, the sums take dy scaled by 2^-32
    // (exactly), so that they cannot overflow; grad_value gets them with the
    // factor that undoes it (rs), to apply where no intermediate overflows.
    let scaled = red[0].y >= 0x1p96f;
    let sc = select(1.0, 0x1p-32f, scaled);
    let row_bad = bad_any[0] != 0u || (GRAD_ROW_MAX && bitcast<u32>(row_max) == F32_NEG_INF_BITS);
    workgroupBarrier();
    var acc = vec4<f32>(0.0);
    if (!row_bad) {
        for (var k = t; k < gp.len; k += WG_SIZE) {
            let e = off + k * gp.inner;
            let g = grad_term(src[gp.v_base + e], load_dy(e) * sc, row_max);
            let a = two_sum(acc.x, g.x);
            let b = two_sum(acc.z, g.z);
            acc = vec4<f32>(a.x, acc.y + (a.y + g.y), b.x, acc.w + (b.y + g.w));
        }
    }
    let total = reduce(t, acc);
    let r1 = two_sum(total.x, total.y);
    let r2 = two_sum(total.z, total.w);
    let r = vec4<f32>(r1.x, r1.y, r2.x, r2.y);
    for (var k = t; k < gp.len; k += WG_SIZE) {
        let e = off + k * gp.inner;
        var v = qnan();
        if (!row_bad) {
            v = grad_value(src[gp.v_base + e], load_dy(e), row_max, r, 1.0 / sc);
        }
        dst[gp.dx_base + e] = v;
    }
}

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = wid.x + wid.y * nwg.x;
    if (row >= gp.rows) {
        return;
    }
    row_grad(lid.x, row);
}
