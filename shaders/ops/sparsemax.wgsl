// sparsemax: max(z - tau, 0) for z = x - m, with the row's threshold tau
// (relative to its max m) found by simplex.wgsl. -inf entries give 0.
fn axis_value(x: f32, m: f32, tau: f32) -> f32 {
    if (bitcast<u32>(x) == F32_NEG_INF_BITS) {
        return 0.0;
    }
    return max((x - m) - tau, 0.0);
}

// Backward, from y: on the support S = {y > 0}, dx = dy - mean(dy over S);
// 0 off it. The row sums: (sum of dy over S, |S|).
const GRAD_ROW_MAX: bool = false;

fn grad_term(y: f32, dy: f32, m: f32) -> vec4<f32> {
    if (y > 0.0) {
        return vec4<f32>(dy, 0.0, 1.0, 0.0);
    }
    return vec4<f32>(0.0);
}

fn grad_value(y: f32, dy: f32, m: f32, r: vec4<f32>, rs: f32) -> f32 {
    if (!(y > 0.0)) {
        return 0.0;
    }
    let mean = div2(r.x, r.y, r.z, 0.0) * rs;
    return dy - mean;
}
