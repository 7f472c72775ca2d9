// Keras softsign(x) = x / (1 + |x|); softsign(+-inf) = +-1.

fn activate(x: f32) -> f32 {
    let b = bitcast<u32>(x);
    let ab = b & F32_ABS_MASK;
    if (ab > F32_INF_BITS) {
        return x;
    }
    // |x| >= 2^25 (infinities included): 1 - 1 / (1 + |x|) rounds to 1.
    // Stopping there also keeps 1 / (1 + |x|) far from the subnormals, which
    // a device dividing as a * (1 / b) might flush.
    if (ab >= 0x4c000000u) {
        return bitcast<f32>((b & F32_SIGN_MASK) | 0x3f800000u);
    }
    let a = bitcast<f32>(ab);
    // 1 + |x| exactly as a pair (Fast2Sum), then one corrected division
    // (subnormals come out as themselves). The sign of x is set again, as
    // the correction turns -0 into +0.
    let d = 1.0 + a;
    let r = div2(x, 0.0, d, add_err(max(a, 1.0), min(a, 1.0), d));
    return bitcast<f32>(bitcast<u32>(r) | (b & F32_SIGN_MASK));
}

// Backward: 1 / (1 + |x|)^2, from the mantissa of 1 + |x| (as a pair) so that
// neither the square nor the quotient leaves the range.
fn grad(x: f32, dy: f32) -> f32 {
    let b = bitcast<u32>(x);
    if (is_nan_bits(b)) {
        return qnan();
    }
    if (!is_finite_bits(b)) {
        return vjp(0.0, dy);
    }
    let a = two_sum(1.0, abs(x));
    let f = ef_frexp(a.x);
    let al = ef_scale(a.y, -f.y);
    let sq = ef_two_prod(f.x, f.x);
    let q = ef_div2(1.0, 0.0, sq.x, sq.y + 2.0 * f.x * al);
    return vjp_scaled(q, 0.0, -2.0 * f.y, dy);
}
