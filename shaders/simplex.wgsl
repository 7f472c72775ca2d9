// Projection of each row onto the probability simplex (sparsemax), a
// workgroup per row of the window, rows `sp.inner` apart as in softmax. In
// z = x - m (m the row's max) the threshold tau lies in [-1, 0): 24 steps of
// bisection on f(tau) = sum(max(z - tau, 0)) - 1 bring a lower bound within
// 2^-24, then Michelot's iteration from it (tau = (sum of z above tau - 1) /
// their count, rising until the support stops changing) makes it exact for
// that support. A row with a NaN or +inf, or no finite entry, is all NaN.
// Out of place only (the host runs in-place calls through a temporary).

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<uniform> sp: SoftmaxParams;

var<workgroup> red: array<vec2<f32>, WG_MAX>;
var<workgroup> red_out: vec2<f32>;

// Componentwise sum over the workgroup; every thread gets it, as a uniform
// value (call from uniform control flow).
fn reduce_add(t: u32, v: vec2<f32>) -> vec2<f32> {
    red[t] = v;
    workgroupBarrier();
    for (var s = WG_SIZE / 2u; s > 0u; s >>= 1u) {
        if (t < s) {
            red[t] = red[t] + red[t + s];
        }
        workgroupBarrier();
    }
    if (t == 0u) {
        red_out = red[0];
    }
    return workgroupUniformLoad(&red_out);
}

// (max of x, sum of y) over the workgroup, as reduce_add.
fn reduce_max_add(t: u32, v: vec2<f32>) -> vec2<f32> {
    red[t] = v;
    workgroupBarrier();
    for (var s = WG_SIZE / 2u; s > 0u; s >>= 1u) {
        if (t < s) {
            red[t] = vec2<f32>(max(red[t].x, red[t + s].x), red[t].y + red[t + s].y);
        }
        workgroupBarrier();
    }
    if (t == 0u) {
        red_out = red[0];
    }
    return workgroupUniformLoad(&red_out);
}

fn row_project(t: u32, row: u32) {
    let first = row_base(row);
    let n = sp.len;
    let stride = sp.inner;
    // Max of the finite entries; `bad` counts NaN / +inf, `fin` finite ones.
    var m = -F32_MAX;
    var bad = 0u;
    var fin = 0.0;
    for (var k = t; k < n; k += WG_SIZE) {
        let x = src[first + k * stride];
        track(x, &m, &bad);
        fin += select(0.0, 1.0, is_finite_bits(bitcast<u32>(x)));
    }
    let mf = reduce_max_add(t, vec2<f32>(m, fin));
    let nbad = reduce_add(t, vec2<f32>(f32(bad), 0.0));
    let mx = mf.x;
    if (nbad.x > 0.0 || mf.y == 0.0) {
        for (var k = t; k < n; k += WG_SIZE) {
            dst[first + k * stride] = qnan();
        }
        return;
    }
    var lo = -1.0;
    var hi = 0.0;
    for (var it = 0u; it < 24u; it++) {
        let mid = 0.5 * (lo + hi);
        var acc = acc_new();
        for (var k = t; k < n; k += WG_SIZE) {
            let z = src[first + k * stride] - mx;
            if (z > mid) {
                acc_add(&acc, z - mid);
            }
        }
        let s = reduce_add(t, vec2<f32>(acc_total(acc), 0.0));
        if (s.x >= 1.0) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    var tau = lo;
    var support = -1.0;
    for (var it = 0u; it < 8u; it++) {
        var acc = acc_new();
        var cnt = 0.0;
        for (var k = t; k < n; k += WG_SIZE) {
            let z = src[first + k * stride] - mx;
            if (z > tau) {
                acc_add(&acc, z);
                cnt += 1.0;
            }
        }
        let sc = reduce_add(t, vec2<f32>(acc_total(acc), cnt));
        let next = div(sc.x - 1.0, sc.y);
        if (sc.y == support || next <= tau) {
            break;
        }
        tau = next;
        support = sc.y;
    }
    for (var k = t; k < n; k += WG_SIZE) {
        let i = first + k * stride;
        dst[i] = axis_value(src[i], mx, tau);
    }
}

// Rows sp.first .. sp.first + sp.block of the window, one workgroup each (a
// window with more rows than one dispatch can hold takes several).
@compute @workgroup_size(WG_SIZE)
fn main(
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let r = wid.x + wid.y * nwg.x;
    if (r >= sp.block) {
        return;
    }
    row_project(lid.x, sp.first + r);
}
