// An element's value from x, for the passes of softmax and log_softmax that
// read x after the stats. An op's `axis_value(v, m, t, c)` takes v = x, or,
// where the op table has it keep its term (`KEEP_TERM`, set from the table),
// x's exp term (softmax_common.wgsl's exp_term): its fused and long-row
// passes then store the term their sum walk took in the output and map it
// there in place, so softmax takes exp once per element. log_softmax needs
// no exp for its values; here the compiler drops the unused one.
fn axis_of(x: f32, m: f32, t: f32, c: vec2<f32>) -> f32 {
    return axis_value(select(x, exp_term(x, m), KEEP_TERM), m, t, c);
}

// axis_value on each component of v.
fn axis_value4(v: vec4<f32>, m: f32, t: f32, c: vec2<f32>) -> vec4<f32> {
    return vec4<f32>(axis_value(v.x, m, t, c), axis_value(v.y, m, t, c), axis_value(v.z, m, t, c), axis_value(v.w, m, t, c));
}

// axis_of on each component of v.
fn axis_of4(v: vec4<f32>, m: f32, t: f32, c: vec2<f32>) -> vec4<f32> {
    return vec4<f32>(axis_of(v.x, m, t, c), axis_of(v.y, m, t, c), axis_of(v.z, m, t, c), axis_of(v.w, m, t, c));
}
