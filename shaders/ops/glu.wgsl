// glu on one pair of halves: a * sigmoid(b). Below b = -64, sigmoid(b) is
// exp(b) to f32 precision and may be subnormal (a few bits), so a * exp(b) is
// formed as fa * exp(b + ka ln 2) for a = fa 2^ka, fa in [1, 2): a large `a`
// then keeps every bit. b = -inf gives a * 0 (NaN for infinite a), by bits.
fn combine(a: f32, b: f32) -> f32 {
    let bb = bitcast<u32>(b);
    if (is_nan_bits(bb) || is_nan_bits(bitcast<u32>(a))) {
        return qnan();
    }
    if (bb == F32_NEG_INF_BITS) {
        if (!is_finite_bits(bitcast<u32>(a))) {
            return qnan();
        }
        return a * 0.0;
    }
    if (b < -64.0) {
        let ab = bitcast<u32>(a);
        let ea = (ab >> 23u) & 0xffu;
        if (ea == 0xffu) {
            return a;
        }
        if (ea == 0u) {
            // |a| < 2^-126 times exp(b) < 2^-92: below every subnormal.
            return a * 0.0;
        }
        let kf = f32(i32(ea) - 127);
        let fa = bitcast<f32>((ab & 0x807fffffu) | 0x3f800000u);
        // kf * LN2_HI is exact (9 + 8 bits); the sum with b is split exactly.
        let kh = kf * LN2_HI;
        let d = two_sum(max(b, -400.0), kh);
        return fa * exp_hl(d.x, d.y + kf * LN2_LO);
    }
    if (!is_finite_bits(bitcast<u32>(a))) {
        // +-inf times a positive sigmoid
        return a;
    }
    // a * num / (1 + e), e = exp(-|b|), num = 1 or e: the product and 1 + e
    // carried as exact pairs into one corrected division (rounding
    // sigmoid(b) first would add its error to the product's). A tiny `a` is
    // scaled up by 2^64 first, so the product's error term does not
    // underflow; scaling back is exact unless the result is subnormal.
    let tiny = abs(a) < 1.0e-30;
    let sa = select(a, a * 1.84467441e19, tiny);
    let e = exp_hl(-abs(b), 0.0);
    let num = select(1.0, e, b < 0.0);
    let p = two_prod(sa, num);
    let d = 1.0 + e;
    let r = div2(p.x, p.y, d, add_err(1.0, e, d));
    return select(r, r * 5.42101086e-20, tiny);
}

// Backward on one pair: (da, db) = (dy sigmoid(b), dy a sigmoid(b) sigmoid(-b)),
// both kept scaled; NaN in a or b gives NaN in both.
fn combine_grad(a: f32, b: f32, dy: f32) -> vec2<f32> {
    let ab = bitcast<u32>(a);
    let bb = bitcast<u32>(b);
    if (is_nan_bits(ab) || is_nan_bits(bb)) {
        return vec2<f32>(qnan(), qnan());
    }
    if (!is_finite_bits(bb)) {
        // sigmoid = 1 or 0, sigmoid' = 0.
        return vec2<f32>(vjp(select(0.0, 1.0, b > 0.0), dy), vjp(vjp(a, 0.0), dy));
    }
    let s = sigmoid_parts(b);
    let da = vjp_scaled(s.x, 0.0, s.y, dy);
    if ((ab & F32_ABS_MASK) == 0u || !is_finite_bits(ab)) {
        return vec2<f32>(da, vjp(a, dy));
    }
    let d = dsigmoid_parts(b);
    let fa = ef_frexp(a);
    let p = ef_two_prod(fa.x, d.x);
    return vec2<f32>(da, vjp_scaled(p.x, p.y, d.y + fa.y, dy));
}
