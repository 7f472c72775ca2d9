// softmax: exp(x - m) / (1 + t) for a row with max m and t = sum(exp(x - m)) - 1
// (pass 1); 1 + t enters the corrected division as an exact pair.
fn axis_value(x: f32, m: f32, t: f32) -> f32 {
    if (dead_row(t)) {
        return qnan();
    }
    if (bitcast<u32>(x) == F32_NEG_INF_BITS) {
        return 0.0;
    }
    let d = one_plus(t);
    return div2(exp_diff(x, m), 0.0, d.x, d.y);
}
