// Backward of the axis ops (softmax, log_softmax, sparsemax), a workgroup
// per row: the op's file defines `fn grad_term(y, dy) -> vec3<f32>` (a
// row-reduction term as an exact pair, and a count) and
// `fn grad_value(y, dy, r) -> f32` (dx from the row's reduced r). Terms are
// summed with their rounding errors (2Sum), so r is accurate to about 2^-40
// relative to its largest term. A row with NaN in y, or NaN or +-inf in dy,
// comes out all NaN. Rows are (o, i) of a window of whole planes viewed as
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

fn merge(a: vec4<f32>, b: vec4<f32>) -> vec4<f32> {
    let s = two_sum(a.x, b.x);
    return vec4<f32>(s.x, s.y + (a.y + b.y), a.z + b.z, max(a.w, b.w));
}

fn row_grad(t: u32, row: u32) {
    let o = row / gp.inner;
    let off = o * gp.len * gp.inner + (row - o * gp.inner);
    // (sum, error, count, bad)
    var acc = vec4<f32>(0.0, 0.0, 0.0, 0.0);
    for (var k = t; k < gp.len; k += WG_SIZE) {
        let e = off + k * gp.inner;
        let y = src[gp.v_base + e];
        let dy = load_dy(e);
        if (is_nan_bits(bitcast<u32>(y)) || !is_finite_bits(bitcast<u32>(dy))) {
            acc.w = 1.0;
        } else {
            let g = grad_term(y, dy);
            let s = two_sum(acc.x, g.x);
            acc = vec4<f32>(s.x, acc.y + (s.y + g.y), acc.z + g.z, acc.w);
        }
    }
    red[t] = acc;
    workgroupBarrier();
    for (var w = WG_SIZE / 2u; w > 0u; w = w / 2u) {
        if (t < w) {
            red[t] = merge(red[t], red[t + w]);
        }
        workgroupBarrier();
    }
    let total = red[0];
    workgroupBarrier();
    let rs = two_sum(total.x, total.y);
    let r = vec3<f32>(rs.x, rs.y, total.z);
    for (var k = t; k < gp.len; k += WG_SIZE) {
        let e = off + k * gp.inner;
        let y = src[gp.v_base + e];
        let dy = load_dy(e);
        var v = qnan();
        if (total.w == 0.0) {
            v = grad_value(y, dy, r);
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
