// softmax: exp(x - m) / (1 + t) for a row with max m and t = sum(exp(x - m)) - 1
// (pass 1); 1 + t enters the corrected division as an exact pair, formed
// once per row (axis_prep).
fn axis_prep(m: f32, t: f32) -> vec2<f32> {
    return one_plus(t);
}

// axis_value takes x's exp term (softmax_common.wgsl's exp_term: 0 for
// -inf; the op table sets KEEP_TERM).
fn axis_value(e: f32, m: f32, t: f32, c: vec2<f32>) -> f32 {
    // A dead row is all NaN; -inf's term 0 gives 0.
    return select(div2(e, 0.0, c.x, c.y), qnan(), dead_row(t));
}

// Backward, from y: dx = y (dy - r), r = sum(dy y). A row's term is y dy as
// an exact pair (summed with its errors); the value subtracts the pair r.
const GRAD_ROW_MAX: bool = false;

fn grad_term(y: f32, dy: f32, m: f32) -> vec4<f32> {
    let p = two_prod(y, dy);
    return vec4<f32>(p.x, p.y, 0.0, 0.0);
}

fn grad_value(y: f32, dy: f32, m: f32, r: vec4<f32>, rs: f32) -> f32 {
    // r = sum(dy y) is at most max |dy| once unscaled; dy - r may still
    // overflow where y (dy - r) does not: then it is halved first.
    let rh = r.x * rs;
    let rl = r.y * rs;
    if (max(abs(dy), abs(rh)) >= 0x1p126f) {
        let d = two_sum(0.5 * dy, -0.5 * rh);
        return vjp2(d.x, d.y - 0.5 * rl, y) * 2.0;
    }
    let d = two_sum(dy, -rh);
    return vjp2(d.x, d.y - rl, y);
}
