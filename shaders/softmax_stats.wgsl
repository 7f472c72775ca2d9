// Pass 1 of softmax: per row, the maximum m of its finite entries and
// s = sum(exp(x - m)). Stored as (m, s); s = 0 marks a row whose result is all
// NaN (it holds a NaN or +inf, or has no finite entry). -inf entries add 0.

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> stats: array<vec2<f32>>;
@group(0) @binding(2) var<uniform> sp: SoftmaxParams;
// Long rows: per-block (max, sum) pairs, read by `combine`.
@group(0) @binding(3) var<storage, read> parts: array<vec2<f32>>;

var<workgroup> red_max: array<f32, WG_MAX>;
var<workgroup> red_sum: array<f32, WG_MAX>;
var<workgroup> red_bad: array<u32, WG_MAX>;

// Tree reductions over the workgroup (call from uniform control flow): after
// reduce_max, red_max[0] holds the largest `m` and red_bad[0] the OR of `bad`;
// after reduce_sum, red_sum[0] holds the sum of `v`.
fn reduce_max(t: u32, m: f32, bad: u32) {
    red_max[t] = m;
    red_bad[t] = bad;
    workgroupBarrier();
    for (var s = WG_SIZE / 2u; s > 0u; s >>= 1u) {
        if (t < s) {
            red_max[t] = max(red_max[t], red_max[t + s]);
            red_bad[t] = red_bad[t] | red_bad[t + s];
        }
        workgroupBarrier();
    }
}

fn reduce_sum(t: u32, v: f32) {
    red_sum[t] = v;
    workgroupBarrier();
    for (var s = WG_SIZE / 2u; s > 0u; s >>= 1u) {
        if (t < s) {
            red_sum[t] = red_sum[t] + red_sum[t + s];
        }
        workgroupBarrier();
    }
}

// One workgroup per row, then a tree reduction in workgroup memory: rows
// longer than COLS_MAX_LEN (host side), contiguous or strided. llvmpipe stops
// any invocation after about 2^16 loop trips in all, so a long row is never
// left to a single thread.
@compute @workgroup_size(WG_SIZE)
fn rows(
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let row = wid.x + wid.y * nwg.x;
    if (row >= sp.outer * sp.inner) {
        return;
    }
    let t = lid.x;
    let base = row_base(row);
    let stride = sp.inner;

    var m = -F32_MAX;
    var bad = 0u;
    for (var k = t; k < sp.len; k += WG_SIZE) {
        track(src[base + k * stride], &m, &bad);
    }
    reduce_max(t, m, bad);
    let mx = red_max[0];

    var acc = acc_new();
    for (var k = t; k < sp.len; k += WG_SIZE) {
        add_exp(&acc, src[base + k * stride], mx);
    }
    reduce_sum(t, acc_total(acc));
    if (t == 0u) {
        stats[row] = vec2<f32>(mx, select(red_sum[0], 0.0, red_bad[0] != 0u));
    }
}

// Rows of moderate length (len <= COLS_MAX_LEN, host side, for llvmpipe's
// loop cap): one thread per row. For strided rows neighbouring threads walk
// neighbouring columns, so loads stay coalesced without a transpose.
@compute @workgroup_size(WG_SIZE)
fn cols(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = flat_index(gid, nwg);
    if (row >= sp.outer * sp.inner) {
        return;
    }
    let base = row_base(row);
    let stride = sp.inner;

    var m = -F32_MAX;
    var bad = 0u;
    for (var k = 0u; k < sp.len; k++) {
        track(src[base + k * stride], &m, &bad);
    }
    var acc = acc_new();
    for (var k = 0u; k < sp.len; k++) {
        add_exp(&acc, src[base + k * stride], m);
    }
    stats[row] = vec2<f32>(m, select(acc_total(acc), 0.0, bad != 0u));
}

// Long rows, pass 1a: one workgroup per block of `sp.block` elements of the
// window, one row's elements `sp.inner` apart; writes the block's (max, sum of
// exp(x - max)) to stats[sp.pbase + b], with (NaN, 0) for a block holding a
// NaN or +inf.
@compute @workgroup_size(WG_SIZE)
fn blocks(
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let b = wid.x + wid.y * nwg.x;
    let start = b * sp.block;
    if (start >= sp.count) {
        return;
    }
    let end = min(start + sp.block, sp.count);
    let t = lid.x;
    var m = -F32_MAX;
    var bad = 0u;
    for (var k = start + t; k < end; k += WG_SIZE) {
        track(src[sp.base + k * sp.inner], &m, &bad);
    }
    reduce_max(t, m, bad);
    let mx = red_max[0];
    var acc = acc_new();
    for (var k = start + t; k < end; k += WG_SIZE) {
        add_exp(&acc, src[sp.base + k * sp.inner], mx);
    }
    reduce_sum(t, acc_total(acc));
    if (t == 0u) {
        stats[sp.pbase + b] = select(vec2<f32>(mx, red_sum[0]), vec2<f32>(qnan(), 0.0), red_bad[0] != 0u);
    }
}

// Long rows, pass 1b: one workgroup merges the row's `sp.count` block pairs
// into stats[sp.first]: M = max m_b, S = sum s_b * exp(m_b - M).
@compute @workgroup_size(WG_SIZE)
fn combine(@builtin(local_invocation_id) lid: vec3<u32>) {
    let t = lid.x;
    var m = -F32_MAX;
    var bad = 0u;
    for (var b = t; b < sp.count; b += WG_SIZE) {
        let p = parts[b];
        if (is_nan_bits(bitcast<u32>(p.x))) {
            bad = 1u;
        } else if (p.y > 0.0) {
            m = max(m, p.x);
        }
    }
    reduce_max(t, m, bad);
    let mx = red_max[0];
    var acc = acc_new();
    for (var b = t; b < sp.count; b += WG_SIZE) {
        let p = parts[b];
        if (!is_nan_bits(bitcast<u32>(p.x)) && p.y > 0.0) {
            acc_add(&acc, p.y * exp_diff(p.x, mx));
        }
    }
    reduce_sum(t, acc_total(acc));
    if (t == 0u) {
        stats[sp.first] = vec2<f32>(mx, select(red_sum[0], 0.0, red_bad[0] != 0u));
    }
}

// Long strided rows, pass 1a: thread f handles column c = f % sp.len of the
// window's sp.len columns and k-slices [b * sp.block, (b + 1) * sp.block) of
// its sp.count, b = f / sp.len; slice k of column c is src[sp.base + k *
// sp.inner + c]. Writes (max, sum of exp(x - max)) to stats[(sp.pbase + b) *
// sp.len + c], (NaN, 0) for a NaN or +inf.
@compute @workgroup_size(WG_SIZE)
fn colblocks(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let f = flat_index(gid, nwg);
    let b = f / sp.len;
    let c = f - b * sp.len;
    let start = b * sp.block;
    if (start >= sp.count) {
        return;
    }
    let end = min(start + sp.block, sp.count);
    var m = -F32_MAX;
    var bad = 0u;
    for (var k = start; k < end; k++) {
        track(src[sp.base + k * sp.inner + c], &m, &bad);
    }
    var acc = acc_new();
    for (var k = start; k < end; k++) {
        add_exp(&acc, src[sp.base + k * sp.inner + c], m);
    }
    stats[(sp.pbase + b) * sp.len + c] = select(vec2<f32>(m, acc_total(acc)), vec2<f32>(qnan(), 0.0), bad != 0u);
}

// Long strided rows, pass 1b: thread c merges the sp.count partials of
// column c (laid out [block][sp.len]) into stats[sp.first + c].
@compute @workgroup_size(WG_SIZE)
fn colcombine(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let c = flat_index(gid, nwg);
    if (c >= sp.len) {
        return;
    }
    var m = -F32_MAX;
    var bad = 0u;
    for (var b = 0u; b < sp.count; b++) {
        let p = parts[b * sp.len + c];
        if (is_nan_bits(bitcast<u32>(p.x))) {
            bad = 1u;
        } else if (p.y > 0.0) {
            m = max(m, p.x);
        }
    }
    var acc = acc_new();
    for (var b = 0u; b < sp.count; b++) {
        let p = parts[b * sp.len + c];
        if (!is_nan_bits(bitcast<u32>(p.x)) && p.y > 0.0) {
            acc_add(&acc, p.y * exp_diff(p.x, m));
        }
    }
    stats[sp.first + c] = vec2<f32>(m, select(acc_total(acc), 0.0, bad != 0u));
}

// Rows that fit in workgroup memory (inner == 1, len <= FUSED_MAX, out of
// place): one workgroup per row reads the row from global memory once into
// `tile`, reduces max and sum there, and writes the normalised row: one read
// and one write per element, no second pass. 12 KiB of tile plus the 3 KiB of
// reduction arrays stay within WebGPU's 16 KiB minimum.
const FUSED_MAX: u32 = 3072u;
var<workgroup> tile: array<f32, FUSED_MAX>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG_SIZE)
fn fused(
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let row = wid.x + wid.y * nwg.x;
    if (row >= sp.outer) {
        return;
    }
    let t = lid.x;
    let base = sp.base + row * sp.len;
    var m = -F32_MAX;
    var bad = 0u;
    for (var k = t; k < sp.len; k += WG_SIZE) {
        let x = src[base + k];
        tile[k] = x;
        track(x, &m, &bad);
    }
    reduce_max(t, m, bad);
    let mx = red_max[0];
    var acc = acc_new();
    for (var k = t; k < sp.len; k += WG_SIZE) {
        add_exp(&acc, tile[k], mx);
    }
    reduce_sum(t, acc_total(acc));
    let sum = select(red_sum[0], 0.0, red_bad[0] != 0u);
    for (var k = t; k < sp.len; k += WG_SIZE) {
        out[base + k] = softmax_value(tile[k], mx, sum);
    }
}
