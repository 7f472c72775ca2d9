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
    // Always the corrected division: one rounding, where div2 may take two.
    return div2_corrected(s, err, 6.0, 0.0);
}

// Backward: 1/6 on (-3, 3) (dy / 6 rounded once), else 0.
fn grad(x: f32, dy: f32) -> f32 {
    if (is_nan_bits(bitcast<u32>(x))) {
        return qnan();
    }
    if (x > -3.0 && x < 3.0) {
        if (!is_finite_bits(bitcast<u32>(dy))) {
            return dy;
        }
        return div2(dy, 0.0, 6.0, 0.0);
    }
    return vjp(0.0, dy);
}
