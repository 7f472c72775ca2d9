// sparsemax: max(z - tau, 0) for z = x - m, with the row's threshold tau
// (relative to its max m) found by simplex.wgsl. -inf entries give 0.
fn axis_value(x: f32, m: f32, tau: f32) -> f32 {
    if (bitcast<u32>(x) == F32_NEG_INF_BITS) {
        return 0.0;
    }
    return max((x - m) - tau, 0.0);
}
