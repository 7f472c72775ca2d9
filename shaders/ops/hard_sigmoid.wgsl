// relu6(x + 3) / 6. x + 3 is carried as a pair (2Sum) into a corrected
// division by 6, so the result is within 1 ULP; infinities saturate by bits.
fn activate(x: f32) -> f32 {
    let b = bitcast<u32>(x);
    if (!is_finite_bits(b)) {
        if (is_nan_bits(b)) {
            return x;
        }
        return select(1.0, 0.0, b == F32_NEG_INF_BITS);
    }
    if (x <= -3.0) {
        return 0.0;
    }
    if (x >= 3.0) {
        return 1.0;
    }
    let xs = two_sum(x, 3.0);
    let s = xs.x;
    let err = xs.y;
    return div2(s, err, 6.0, 0.0);
}
