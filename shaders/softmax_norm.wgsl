// Pass 2 of softmax and log_softmax: the op's axis_value of each element,
// with its row's (m, t) from pass 1.

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<uniform> sp: SoftmaxParams;
@group(0) @binding(3) var<storage, read> stats: array<vec2<f32>>;

fn normalize(x: f32, i: u32) -> f32 {
    let plane = sp.len * sp.inner;
    let idx = sp.first + i;
    let o = idx / plane;
    let row = o * sp.inner + (idx - o * plane) % sp.inner;
    let st = stats[row];
    return axis_of(x, st.x, st.y, axis_prep(st.x, st.y));
}

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i < sp.count) {
        dst[sp.base + i] = normalize(src[sp.base + i], i);
    }
}

@compute @workgroup_size(WG_SIZE)
fn main_inplace(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i < sp.count) {
        dst[sp.base + i] = normalize(dst[sp.base + i], i);
    }
}

// Contiguous rows (inner == 1), one workgroup per row of the window: no
// per-element division, and neighbouring threads touch neighbouring elements.
@compute @workgroup_size(WG_SIZE)
fn rows(
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let row = wid.x + wid.y * nwg.x;
    if (row >= sp.outer) {
        return;
    }
    let st = stats[row];
    let c = axis_prep(st.x, st.y);
    let base = sp.base + row * sp.len;
    for (var k = lid.x; k < sp.len; k += WG_SIZE) {
        dst[base + k] = axis_of(src[base + k], st.x, st.y, c);
    }
}

@compute @workgroup_size(WG_SIZE)
fn rows_inplace(
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let row = wid.x + wid.y * nwg.x;
    if (row >= sp.outer) {
        return;
    }
    let st = stats[row];
    let c = axis_prep(st.x, st.y);
    let base = sp.base + row * sp.len;
    for (var k = lid.x; k < sp.len; k += WG_SIZE) {
        dst[base + k] = axis_of(dst[base + k], st.x, st.y, c);
    }
}

// A window inside one row, whose stats are stats[0] (long contiguous rows,
// normalised a window at a time): no per-element row index.
fn normalize_single(x: f32) -> f32 {
    let st = stats[0];
    return axis_of(x, st.x, st.y, axis_prep(st.x, st.y));
}

@compute @workgroup_size(WG_SIZE)
fn single(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i < sp.count) {
        dst[sp.base + i] = normalize_single(src[sp.base + i]);
    }
}

@compute @workgroup_size(WG_SIZE)
fn single_inplace(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i < sp.count) {
        dst[sp.base + i] = normalize_single(dst[sp.base + i]);
    }
}

// The same in vec4s, where the window's base and count are multiples of 4
// (`src4`/`dst4` alias `src`/`dst`; no entry point uses both views).
@group(0) @binding(0) var<storage, read> src4: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> dst4: array<vec4<f32>>;

// WIDE_ITEMS vec4s per invocation, WG_SIZE apart, as the wide elementwise
// kernels take them; the row's stats and constants once per invocation
// (loaded per element, they are not hoisted past the stores, and
// log_softmax's constant is a log1p).
@compute @workgroup_size(WG_SIZE)
fn single4(
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let st = stats[0];
    let c = axis_prep(st.x, st.y);
    for (var k = 0u; k < WIDE_ITEMS; k++) {
        let i = wide_index(wid, nwg, lid.x, k);
        if (i < sp.count / 4u) {
            dst4[sp.base / 4u + i] = axis_of4(src4[sp.base / 4u + i], st.x, st.y, c);
        }
    }
}

@compute @workgroup_size(WG_SIZE)
fn single4_inplace(
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let st = stats[0];
    let c = axis_prep(st.x, st.y);
    for (var k = 0u; k < WIDE_ITEMS; k++) {
        let i = wide_index(wid, nwg, lid.x, k);
        if (i < sp.count / 4u) {
            dst4[sp.base / 4u + i] = axis_of4(dst4[sp.base / 4u + i], st.x, st.y, c);
        }
    }
}

// Long rows of an op that keeps its exp term (KEEP_TERM): the 8 vec4s of
// group g (kernels::KEPT_GROUP elements) hold the terms exp(x - m_g)
// softmax_stats.wgsl's `colgroups4` stored, m_g = parts[sp.pbase + g].x. Each is rescaled by
// exp(m_g - M) (as a pair and a power of two applied last, so a subnormal
// term is rounded once) and mapped in place.
@group(0) @binding(4) var<storage, read> parts: array<vec2<f32>>;

@compute @workgroup_size(WG_SIZE)
fn kept4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let g = flat_index(gid, nwg);
    let nv = sp.count / 4u;
    let first = g * 8u;
    if (first >= nv) {
        return;
    }
    let st = stats[0];
    let c = axis_prep(st.x, st.y);
    // m_g - M <= 0 as an exact pair; below -150 the group's terms vanish
    // (a group of -inf only has m_g = -F32_MAX, where the pair may overflow).
    let d = two_sum(parts[sp.pbase + g].x, -st.x);
    let low = !(d.x >= -150.0);
    let p = exp_pair(select(d.x, -150.0, low), select(d.y, 0.0, low));
    let k = i32(p.z);
    let s1 = pow2i(k / 2);
    let s2 = pow2i(k - k / 2);
    let at = sp.base / 4u + first;
    for (var j = 0u; j < min(8u, nv - first); j++) {
        let e = dst4[at + j];
        let t = ((e * p.x + fence4(e * p.y)) * s1) * s2;
        dst4[at + j] = axis_value4(t, st.x, st.y, c);
    }
}
