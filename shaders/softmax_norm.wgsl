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
    return axis_value(x, st.x, st.y, axis_prep(st.x, st.y));
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
        dst[base + k] = axis_value(src[base + k], st.x, st.y, c);
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
        dst[base + k] = axis_value(dst[base + k], st.x, st.y, c);
    }
}

// A window inside one row, whose stats are stats[0] (long contiguous rows,
// normalised a window at a time): no per-element row index.
fn normalize_single(x: f32) -> f32 {
    let st = stats[0];
    return axis_value(x, st.x, st.y, axis_prep(st.x, st.y));
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

fn normalize_single4(v: vec4<f32>) -> vec4<f32> {
    return vec4<f32>(normalize_single(v.x), normalize_single(v.y), normalize_single(v.z), normalize_single(v.w));
}

@compute @workgroup_size(WG_SIZE)
fn single4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i < sp.count / 4u) {
        dst4[sp.base / 4u + i] = normalize_single4(src4[sp.base / 4u + i]);
    }
}

@compute @workgroup_size(WG_SIZE)
fn single4_inplace(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i < sp.count / 4u) {
        dst4[sp.base / 4u + i] = normalize_single4(dst4[sp.base / 4u + i]);
    }
}
