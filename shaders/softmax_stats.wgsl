// Pass 1 of softmax and log_softmax: per row, the maximum m of its finite
// entries and t = sum(exp(x - m)) - 1 (see softmax_common.wgsl). Stored as
// (m, t); t = -1 marks a row whose result is all NaN (it holds a NaN or +inf,
// or has no finite entry). -inf entries add 0. The op's `axis_value` maps
// each element in the fused kernels (`axis_of` in pass 2).

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> stats: array<vec2<f32>>;
@group(0) @binding(2) var<uniform> sp: SoftmaxParams;
// Long rows: per-block (max, t) pairs, read by `combine`.
@group(0) @binding(3) var<storage, read> parts: array<vec2<f32>>;

var<workgroup> red_max: array<f32, WG_MAX>;
var<workgroup> red_sum: array<vec2<f32>, WG_MAX>;
var<workgroup> red_bad: array<u32, WG_MAX>;

// Tree reductions over the workgroup (call from uniform control flow): after
// reduce_max, red_max[0] holds the largest `m` and red_bad[0] the OR of `bad`;
// after reduce_sum, red_sum[0] holds the sum of `v` (componentwise).
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

fn reduce_sum(t: u32, v: vec2<f32>) {
    red_sum[t] = v;
    workgroupBarrier();
    for (var s = WG_SIZE / 2u; s > 0u; s >>= 1u) {
        if (t < s) {
            red_sum[t] = red_sum[t] + red_sum[t + s];
        }
        workgroupBarrier();
    }
}

// The statistics of a range of `src`: m, its largest finite entry; t, the sum
// of exp(x - m) less 1; bad, whether any entry is NaN or +inf.
struct Stat {
    m: f32,
    t: f32,
    bad: bool,
}

// As a row's stats: (m, t), with t = -1 marking a row that comes out all NaN.
fn row_stat(st: Stat) -> vec2<f32> {
    return vec2<f32>(st.m, select(st.t, -1.0, st.bad));
}

// As a block's partial: (m, t), or (NaN, -1) for a block holding a NaN or +inf.
fn partial(st: Stat) -> vec2<f32> {
    return select(vec2<f32>(st.m, st.t), vec2<f32>(qnan(), -1.0), st.bad);
}

// One thread's walk over `count` elements of `src` from `first`, `stride`
// apart: a max pass, then a sum pass.
fn walk(first: u32, count: u32, stride: u32) -> Stat {
    var m = -F32_MAX;
    var bad = 0u;
    for (var k = 0u; k < count; k++) {
        track(src[first + k * stride], &m, &bad);
    }
    var acc = acc_new();
    var ones = 0.0;
    for (var k = 0u; k < count; k++) {
        add_exp(&acc, &ones, src[first + k * stride], m);
    }
    return Stat(m, excess(ones, acc_total(acc)), bad != 0u);
}

// The same range shared by a workgroup (thread `t`), with tree reductions in
// between; every thread gets the result. Call from uniform control flow.
fn reduce_range(t: u32, first: u32, count: u32, stride: u32) -> Stat {
    var m = -F32_MAX;
    var bad = 0u;
    for (var k = t; k < count; k += WG_SIZE) {
        track(src[first + k * stride], &m, &bad);
    }
    reduce_max(t, m, bad);
    let mx = red_max[0];
    var acc = acc_new();
    var ones = 0.0;
    for (var k = t; k < count; k += WG_SIZE) {
        add_exp(&acc, &ones, src[first + k * stride], mx);
    }
    reduce_sum(t, vec2<f32>(ones, acc_total(acc)));
    let r = red_sum[0];
    return Stat(mx, excess(r.x, r.y), red_bad[0] != 0u);
}

// Folds a block partial into the running max `m` of the partials that hold a
// finite entry; a NaN partial sets `bad`.
fn track_partial(p: vec2<f32>, m: ptr<function, f32>, bad: ptr<function, u32>) {
    if (is_nan_bits(bitcast<u32>(p.x))) {
        *bad = 1u;
    } else if (!dead_row(p.y)) {
        *m = max(*m, p.x);
    }
}

// Adds a block partial, rescaled to the merged max `mx`: a block whose max
// is mx adds one to `ones` and its t to the rest; another adds
// (1 + t) * exp(m - mx), formed without rounding 1 + t.
fn add_partial(acc: ptr<function, Acc>, ones: ptr<function, f32>, p: vec2<f32>, mx: f32) {
    if (is_nan_bits(bitcast<u32>(p.x)) || dead_row(p.y)) {
        return;
    }
    if (bitcast<u32>(p.x) == bitcast<u32>(mx)) {
        *ones += 1.0;
        acc_add(acc, p.y);
    } else {
        let e = exp_diff(p.x, mx);
        acc_add(acc, fma(e, p.y, e));
    }
}

// One workgroup per row, then a tree reduction in workgroup memory: rows
// longer than COLS_MAX_LEN (host side), contiguous or strided, and on GPUs
// contiguous rows a workgroup wide or more. llvmpipe stops any invocation
// after about 2^16 loop trips in all, so a long row is never left to a single
// thread.
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
    let st = reduce_range(lid.x, row_base(row), sp.len, sp.inner);
    if (lid.x == 0u) {
        stats[row] = row_stat(st);
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
    stats[row] = row_stat(walk(row_base(row), sp.len, sp.inner));
}

// Rows a thread walks (as `cols`), out of place: the row's statistics, then
// its values written to `out` in the same invocation, while the row is still
// in the cache (CPU adapters: one read from memory and one write per element,
// no second dispatch). An op that keeps its exp term (KEEP_TERM) has the
// sum walk store it in `out`, and its values are mapped there in place.
@compute @workgroup_size(WG_SIZE)
fn cols_fused(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = flat_index(gid, nwg);
    if (row >= sp.outer * sp.inner) {
        return;
    }
    let first = row_base(row);
    var m = -F32_MAX;
    var bad = 0u;
    for (var k = 0u; k < sp.len; k++) {
        track(src[first + k * sp.inner], &m, &bad);
    }
    var acc = acc_new();
    var ones = 0.0;
    for (var k = 0u; k < sp.len; k++) {
        let i = first + k * sp.inner;
        let e = add_exp(&acc, &ones, src[i], m);
        if (KEEP_TERM) {
            out[i] = e;
        }
    }
    let st = row_stat(Stat(m, excess(ones, acc_total(acc)), bad != 0u));
    let c = axis_prep(st.x, st.y);
    for (var k = 0u; k < sp.len; k++) {
        let i = first + k * sp.inner;
        var v: f32;
        if (KEEP_TERM) {
            v = out[i];
        } else {
            v = src[i];
        }
        out[i] = axis_value(v, st.x, st.y, c);
    }
}

// The same rows, contiguous (inner == 1), with lengths and the window's
// base multiples of 4: the walks load vec4s. The same buffers as `src` and
// `out` at the same bindings, which no entry point uses together with them:
// llvmpipe loads storage a component at a time through a per-lane loop, and
// the loop and its checks cost per load, not per component.
@group(0) @binding(0) var<storage, read> src4: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> out4: array<vec4<f32>>;

// track and add_exp on each component of v (add_exp's terms returned).
fn track4(v: vec4<f32>, m: ptr<function, f32>, bad: ptr<function, u32>) {
    track(v.x, m, bad);
    track(v.y, m, bad);
    track(v.z, m, bad);
    track(v.w, m, bad);
}

fn terms4(v: vec4<f32>, mx: f32, acc: ptr<function, Acc>, ones: ptr<function, f32>) -> vec4<f32> {
    return vec4<f32>(
        add_exp(acc, ones, v.x, mx),
        add_exp(acc, ones, v.y, mx),
        add_exp(acc, ones, v.z, mx),
        add_exp(acc, ones, v.w, mx),
    );
}

fn max4(first: u32, count: u32, m: ptr<function, f32>, bad: ptr<function, u32>) {
    for (var k = 0u; k < count; k++) {
        track4(src4[first + k], m, bad);
    }
}

fn walk4(first: u32, count: u32) -> Stat {
    var m = -F32_MAX;
    var bad = 0u;
    max4(first, count, &m, &bad);
    var acc = acc_new();
    var ones = 0.0;
    for (var k = 0u; k < count; k++) {
        terms4(src4[first + k], m, &acc, &ones);
    }
    return Stat(m, excess(ones, acc_total(acc)), bad != 0u);
}

@compute @workgroup_size(WG_SIZE)
fn cols_fused4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = flat_index(gid, nwg);
    if (row >= sp.outer) {
        return;
    }
    let n = sp.len / 4u;
    let first = sp.base / 4u + row * n;
    var m = -F32_MAX;
    var bad = 0u;
    max4(first, n, &m, &bad);
    var acc = acc_new();
    var ones = 0.0;
    for (var k = 0u; k < n; k++) {
        let e = terms4(src4[first + k], m, &acc, &ones);
        if (KEEP_TERM) {
            out4[first + k] = e;
        }
    }
    let st = row_stat(Stat(m, excess(ones, acc_total(acc)), bad != 0u));
    let c = axis_prep(st.x, st.y);
    for (var k = 0u; k < n; k++) {
        var v: vec4<f32>;
        if (KEEP_TERM) {
            v = out4[first + k];
        } else {
            v = src4[first + k];
        }
        out4[first + k] = axis_value4(v, st.x, st.y, c);
    }
}

// Long rows, pass 1a: one workgroup per block of `sp.block` elements of the
// window, one row's elements `sp.inner` apart; writes the block's partial to
// stats[sp.pbase + b].
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
    let n = min(sp.block, sp.count - start);
    let st = reduce_range(lid.x, sp.base + start * sp.inner, n, sp.inner);
    if (lid.x == 0u) {
        stats[sp.pbase + b] = partial(st);
    }
}

// Long rows, pass 1b: one workgroup merges the row's `sp.count` block pairs
// into stats[sp.first]: M = max m_b, T = (count of m_b = M) - 1 + sum of
// their t_b + sum over the others of (1 + t_b) exp(m_b - M).
@compute @workgroup_size(WG_SIZE)
fn combine(@builtin(local_invocation_id) lid: vec3<u32>) {
    let t = lid.x;
    var m = -F32_MAX;
    var bad = 0u;
    for (var b = t; b < sp.count; b += WG_SIZE) {
        track_partial(parts[b], &m, &bad);
    }
    reduce_max(t, m, bad);
    let mx = red_max[0];
    var acc = acc_new();
    var ones = 0.0;
    for (var b = t; b < sp.count; b += WG_SIZE) {
        add_partial(&acc, &ones, parts[b], mx);
    }
    reduce_sum(t, vec2<f32>(ones, acc_total(acc)));
    if (t == 0u) {
        let r = red_sum[0];
        stats[sp.first] = row_stat(Stat(mx, excess(r.x, r.y), red_bad[0] != 0u));
    }
}

// Long strided rows, pass 1a: thread f handles column c = f % sp.len of the
// window's sp.len columns and k-slices [b * sp.block, (b + 1) * sp.block) of
// its sp.count, b = f / sp.len; slice k of column c is src[sp.base + k *
// sp.inner + c]. Writes the partial to stats[(sp.pbase + b) * sp.len + c].
@compute @workgroup_size(WG_SIZE)
fn colblocks(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let f = flat_index(gid, nwg);
    let b = f / sp.len;
    let c = f - b * sp.len;
    let start = b * sp.block;
    if (start >= sp.count) {
        return;
    }
    let n = min(sp.block, sp.count - start);
    stats[(sp.pbase + b) * sp.len + c] = partial(walk(sp.base + start * sp.inner + c, n, sp.inner));
}

// Long contiguous rows (one column: inner == 1, sp.len == 1), pass 1a in
// vec4s where the window's base, the block and the count are multiples of 4.
@compute @workgroup_size(WG_SIZE)
fn colblocks4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let b = flat_index(gid, nwg);
    let start = b * sp.block;
    if (start >= sp.count) {
        return;
    }
    let n = min(sp.block, sp.count - start);
    stats[sp.pbase + b] = partial(walk4((sp.base + start) / 4u, n / 4u));
}

// Long contiguous rows on CPU adapters, one column (inner == 1) in vec4s: a
// thread per 32 elements of the window (two `Group`s of 4 vec4s sharing one
// max), held in registers: their max m_g (and whether one is NaN or +inf),
// then their terms exp(x - m_g), and their partial (m_g, t_g) to
// stats[sp.pbase + g]; `combine` merges the partials into the row's stats.
// An op that keeps its term (KEEP_TERM: softmax) stores the terms in `out4`,
// and softmax_norm.wgsl's `kept4` rescales each group's to exp(x - M) and
// maps them in place: each element loaded twice, exp taken once (the block
// path: three loads, two exps; on llvmpipe each load costs per lane, cached
// or not). Another op (log_softmax) maps its values from x afterwards: the
// stats take one load per element instead of two.
struct Group {
    v0: vec4<f32>,
    v1: vec4<f32>,
    v2: vec4<f32>,
    v3: vec4<f32>,
    partial: vec2<f32>,
}

// Vec4 j of group g of the window, clamped to the window (`gval` then
// stands -inf in for the vec4s past its end: no term, no max).
fn gidx(g: u32, j: u32) -> u32 {
    return sp.base / 4u + min(g * 4u + j, sp.count / 4u - 1u);
}

fn gval(w: vec4<f32>, g: u32, j: u32) -> vec4<f32> {
    return select(vec4<f32>(bitcast<f32>(F32_NEG_INF_BITS)), w, g * 4u + j < sp.count / 4u);
}

// The terms of two neighbouring groups against their common max, and
// their partial (in the first).
fn pair_terms(a: ptr<function, Group>, b: ptr<function, Group>) {
    var m = -F32_MAX;
    var bad = 0u;
    track4((*a).v0, &m, &bad);
    track4((*a).v1, &m, &bad);
    track4((*a).v2, &m, &bad);
    track4((*a).v3, &m, &bad);
    track4((*b).v0, &m, &bad);
    track4((*b).v1, &m, &bad);
    track4((*b).v2, &m, &bad);
    track4((*b).v3, &m, &bad);
    var acc = acc_new();
    var ones = 0.0;
    (*a).v0 = terms4((*a).v0, m, &acc, &ones);
    (*a).v1 = terms4((*a).v1, m, &acc, &ones);
    (*a).v2 = terms4((*a).v2, m, &acc, &ones);
    (*a).v3 = terms4((*a).v3, m, &acc, &ones);
    (*b).v0 = terms4((*b).v0, m, &acc, &ones);
    (*b).v1 = terms4((*b).v1, m, &acc, &ones);
    (*b).v2 = terms4((*b).v2, m, &acc, &ones);
    (*b).v3 = terms4((*b).v3, m, &acc, &ones);
    (*a).partial = partial(Stat(m, excess(ones, acc_total(acc)), bad != 0u));
}

fn group_store(g: u32, t: Group) {
    let nv = sp.count / 4u;
    let at = sp.base / 4u + g * 4u;
    if (at >= sp.base / 4u + nv) {
        return;
    }
    let n = nv - g * 4u;
    out4[at] = t.v0;
    if (n > 1u) {
        out4[at + 1u] = t.v1;
    }
    if (n > 2u) {
        out4[at + 2u] = t.v2;
    }
    if (n > 3u) {
        out4[at + 3u] = t.v3;
    }
}

@compute @workgroup_size(WG_SIZE)
fn colgroups4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let g = flat_index(gid, nwg);
    if (g * 32u >= sp.count) {
        return;
    }
    let h = 2u * g;
    var a = Group(
        gval(src4[gidx(h, 0u)], h, 0u),
        gval(src4[gidx(h, 1u)], h, 1u),
        gval(src4[gidx(h, 2u)], h, 2u),
        gval(src4[gidx(h, 3u)], h, 3u),
        vec2<f32>(0.0),
    );
    var b = Group(
        gval(src4[gidx(h + 1u, 0u)], h + 1u, 0u),
        gval(src4[gidx(h + 1u, 1u)], h + 1u, 1u),
        gval(src4[gidx(h + 1u, 2u)], h + 1u, 2u),
        gval(src4[gidx(h + 1u, 3u)], h + 1u, 3u),
        vec2<f32>(0.0),
    );
    pair_terms(&a, &b);
    if (KEEP_TERM) {
        group_store(h, a);
        group_store(h + 1u, b);
    }
    stats[sp.pbase + g] = a.partial;
}

// The same in place: x read from `out4`.
@compute @workgroup_size(WG_SIZE)
fn colgroups4_inplace(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let g = flat_index(gid, nwg);
    if (g * 32u >= sp.count) {
        return;
    }
    let h = 2u * g;
    var a = Group(
        gval(out4[gidx(h, 0u)], h, 0u),
        gval(out4[gidx(h, 1u)], h, 1u),
        gval(out4[gidx(h, 2u)], h, 2u),
        gval(out4[gidx(h, 3u)], h, 3u),
        vec2<f32>(0.0),
    );
    var b = Group(
        gval(out4[gidx(h + 1u, 0u)], h + 1u, 0u),
        gval(out4[gidx(h + 1u, 1u)], h + 1u, 1u),
        gval(out4[gidx(h + 1u, 2u)], h + 1u, 2u),
        gval(out4[gidx(h + 1u, 3u)], h + 1u, 3u),
        vec2<f32>(0.0),
    );
    pair_terms(&a, &b);
    if (KEEP_TERM) {
        group_store(h, a);
        group_store(h + 1u, b);
    }
    stats[sp.pbase + g] = a.partial;
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
        track_partial(parts[b * sp.len + c], &m, &bad);
    }
    var acc = acc_new();
    var ones = 0.0;
    for (var b = 0u; b < sp.count; b++) {
        add_partial(&acc, &ones, parts[b * sp.len + c], m);
    }
    stats[sp.first + c] = row_stat(Stat(m, excess(ones, acc_total(acc)), bad != 0u));
}

// Rows that fit in workgroup memory (inner == 1, len <= FUSED_MAX, out of
// place): one workgroup per row reads the row from global memory once into
// `tile`, reduces max and sum there, and writes the normalised row: one read
// and one write per element, no second pass. 12 KiB of tile plus the 4 KiB of
// reduction arrays fit WebGPU's 16 KiB minimum.
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
    var ones = 0.0;
    for (var k = t; k < sp.len; k += WG_SIZE) {
        let e = add_exp(&acc, &ones, tile[k], mx);
        if (KEEP_TERM) {
            tile[k] = e;
        }
    }
    reduce_sum(t, vec2<f32>(ones, acc_total(acc)));
    let r = red_sum[0];
    let excess_t = select(excess(r.x, r.y), -1.0, red_bad[0] != 0u);
    let c = axis_prep(mx, excess_t);
    for (var k = t; k < sp.len; k += WG_SIZE) {
        out[base + k] = axis_value(tile[k], mx, excess_t, c);
    }
}
