// log_softmax: (x - m) - log1p(t) for a row with max m and
// t = sum(exp(x - m)) - 1 (pass 1). Both terms are <= 0, so nothing cancels;
// x - m is carried as an exact pair, and log1p(t) keeps t's small terms
// (log(s) of a rounded s = 1 + t would lose them: hundreds of ULP where the
// row's max dominates).

// log1p(g) for |g| <= 0.415: 2 atanh(u), u = g / (2 + g), |u| <= 0.172; the
// odd series to u^15 leaves < 2^-30 relative. g / (2 + g) is corrected for
// the rounding of 2 + g.
fn ls_log1p_small(g: f32) -> f32 {
    let d = 2.0 + g;
    let u = div2(g, 0.0, d, add_err(2.0, g, d));
    let u2 = u * u;
    var q = 1.0 / 15.0;
    q = fma(q, u2, 1.0 / 13.0);
    q = fma(q, u2, 1.0 / 11.0);
    q = fma(q, u2, 1.0 / 9.0);
    q = fma(q, u2, 1.0 / 7.0);
    q = fma(q, u2, 1.0 / 5.0);
    q = fma(q, u2, 1.0 / 3.0);
    return 2.0 * fma(u * u2, q, u);
}

// log1p(t) for t >= 0: directly below 0.415; else log(sh) + sl / sh for the
// exact pair sh + sl = 1 + t, with sh = 2^k f, f in [sqrt(1/2), sqrt(2)).
fn ls_log1p(t: f32) -> f32 {
    if (t < 0.415) {
        return ls_log1p_small(t);
    }
    let s = one_plus(t);
    let b = bitcast<u32>(s.x);
    var k = i32((b >> 23u) & 0xffu) - 127;
    var f = bitcast<f32>((b & 0x007fffffu) | 0x3f800000u);
    if (f > 1.41421356) {
        f = f * 0.5;
        k = k + 1;
    }
    let kf = f32(k);
    return fma(kf, LN2_HI, fma(kf, LN2_LO, ls_log1p_small(f - 1.0) + s.y / s.x));
}

// log1p(t), once per row (t = -1 marks a dead row: 0 stands in).
fn axis_prep(m: f32, t: f32) -> vec2<f32> {
    return vec2<f32>(ls_log1p(max(t, 0.0)), 0.0);
}

// axis_value takes x (the op table leaves KEEP_TERM off).
fn axis_value(x: f32, m: f32, t: f32, c: vec2<f32>) -> f32 {
    let b = bitcast<u32>(x);
    // m - x >= 2^128: the result is below -FLT_MAX (halves subtract exactly
    // enough to tell, and nothing overflows on the way). Also -inf.
    let below = 0.5 * m - 0.5 * x >= 1.70141183e38;
    let d = two_sum(x, -m);
    let v = select((d.x - c.x) + d.y, bitcast<f32>(F32_NEG_INF_BITS), below);
    return select(select(v, x, b == F32_NEG_INF_BITS), qnan(), dead_row(t));
}

// Backward, from x: dx = dy - softmax(x) sum(dy), with softmax(x) =
// exp(x - m) / sum(exp(x - m)) (from the rounded y, exp would amplify y's
// rounding by |y|). The row sums: (sum exp(x - m), sum dy).
const GRAD_ROW_MAX: bool = true;

fn ls_exp(x: f32, m: f32) -> f32 {
    if (bitcast<u32>(x) == F32_NEG_INF_BITS) {
        return 0.0;
    }
    return exp_diff(x, m);
}

fn grad_term(x: f32, dy: f32, m: f32) -> vec4<f32> {
    return vec4<f32>(ls_exp(x, m), 0.0, dy, 0.0);
}

fn grad_value(x: f32, dy: f32, m: f32, r: vec4<f32>, rs: f32) -> f32 {
    // Far below the max, softmax(x) leaves f32's range while its product
    // with sum(dy) may not: exp(x - m) kept scaled (x - m as an exact pair;
    // halved first where the subtraction could overflow).
    if (bitcast<u32>(x) != F32_NEG_INF_BITS && 0.5 * x - 0.5 * m < -40.0) {
        var dh = 0.5 * x - 0.5 * m;
        var dl = 0.0;
        if (dh > -200.0) {
            let d = two_sum(x, -m);
            dh = d.x;
            dl = d.y;
        } else {
            dh = -400.0;
        }
        let e = ef_exp_parts(max(dh, -400.0), dl);
        let n = two_prod(e.x, r.z);
        let q = div2(n.x, n.y + (e.y * r.z + e.x * r.w), r.x, r.y);
        return dy - ef_scale(q, e.z) * rs;
    }
    let s = div2(ls_exp(x, m), 0.0, r.x, r.y);
    // s sum(dy) (s <= 1). Where it lies past f32's range once unscaled (the
    // result may still be finite: dy cancels it), the difference is formed
    // scaled; there dy's low bits are far below the result's.
    let p = two_prod(s, r.z);
    if (abs(p.x) >= 0x1p94f) {
        let d = two_sum(dy / rs, -p.x);
        return (d.x + (d.y - (p.y + s * r.w))) * rs;
    }
    let d = two_sum(dy, -(p.x * rs));
    return d.x + (d.y - (p.y + s * r.w) * rs);
}
