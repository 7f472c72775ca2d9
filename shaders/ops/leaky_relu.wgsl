// x if x > 0 else negative_slope * x (one rounding). -inf gives
// -slope * inf, found by bits: the compiler may assume no infinities. A slope
// of 0 gives -0 there too (the limit, as relu; IEEE's 0 * -inf is NaN).
fn activate(x: f32) -> f32 {
    let b = bitcast<u32>(x);
    let s = p_negative_slope();
    let at_neg_inf = select(
        select(bitcast<f32>(F32_NEG_INF_BITS), bitcast<f32>(F32_INF_BITS), s < 0.0),
        bitcast<f32>(F32_SIGN_MASK),
        s == 0.0,
    );
    let neg = select(s * x, at_neg_inf, b == F32_NEG_INF_BITS);
    return select(neg, x, is_nan_bits(b) || (b & F32_SIGN_MASK) == 0u);
}

// Backward: 1 for x > 0, the slope for x <= 0.
fn grad(x: f32, dy: f32) -> f32 {
    if (is_nan_bits(bitcast<u32>(x))) {
        return qnan();
    }
    return vjp(select(p_negative_slope(), 1.0, x > 0.0), dy);
}
