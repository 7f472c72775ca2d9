// Keras squareplus(x, b) = (x + sqrt(x^2 + b)) / 2, b >= 0 (checked on the
// host). For x < 0 it is evaluated as b / (2 (sqrt(x^2 + b) - x)), which
// does not cancel. squareplus(-inf) = 0, squareplus(+inf) = inf; b = 0 gives
// max(x, 0) (+0 for x <= 0).

// For the scaled x' and b': s = sqrt(x'^2 + b') and s + |x'|, each as a
// pair (s0, s1, hi, lo). x'^2 + b' is carried exactly; the exact residual
// of the device's sqrt (whatever its error) gives s's low part to first
// order; s + |x'| by Fast2Sum on the larger first.
fn sp_pairs(xp: f32, bp: f32) -> vec4<f32> {
    let sq = gf_two_prod(xp, xp);
    let ah = sq.x + bp;
    let al = add_err(max(sq.x, bp), min(sq.x, bp), ah) + sq.y;
    let s0 = sqrt(ah);
    let r = gf_two_prod(s0, s0);
    let s1 = (((ah - r.x) - r.y) + al) / (2.0 * s0);
    let axp = abs(xp);
    let hi = s0 + axp;
    let lo = add_err(max(s0, axp), min(s0, axp), hi) + s1;
    return vec4<f32>(s0, s1, hi, lo);
}

fn activate(x: f32) -> f32 {
    let bits = bitcast<u32>(x);
    if (is_nan_bits(bits) || bits == F32_INF_BITS) {
        return x;
    }
    if (bits == F32_NEG_INF_BITS) {
        return 0.0;
    }
    let b = p_b();
    if (b == 0.0) {
        return select(0.0, x, x > 0.0);
    }
    // Scale x by 2^-64 and b by 2^-128 where x^2 + b could overflow, and the
    // other way where it would lose bits to the subnormals, so that
    // x'^2 + b' neither overflows nor falls below 2^-100 (for b > 0); the
    // result is scaled back.
    let ax = abs(x);
    let big = ax >= 0x1p50f || b >= 0x1p100f;
    let small = ax < 0x1p-50f && b < 0x1p-100f;
    var xs = 1.0;
    var up = 1.0;
    var bn = 1.0;
    var bd = 1.0;
    if (big) {
        xs = pow2i(-64);
        up = pow2i(64);
        bn = pow2i(-32);
        bd = pow2i(-32);
    } else if (small) {
        xs = pow2i(64);
        up = pow2i(-64);
        bn = pow2i(64);
    } else if (b < 0x1p-100f) {
        // A tiny (even subnormal) b over a larger x: the quotient is formed
        // from b * 2^64, so its residual keeps every bit (found by the fuzzer:
        // 12 ULP at b = 1.5e-39, x = -1.2e-9).
        bn = pow2i(64);
        bd = pow2i(-64);
    }
    let p = sp_pairs(x * xs, (b * xs) * xs);
    let hi = p.z;
    let lo = p.w;
    if (x >= 0.0) {
        return (0.5 * (hi + lo)) * up;
    }
    // b / (2 (s + |x|)), with b scaled so that neither it nor the quotient
    // leaves the normal range before the last step.
    return div2(b * bn, 0.0, 2.0 * hi, 2.0 * lo) * bd;
}

// Backward: (1 + x / s) / 2, s = sqrt(x^2 + b): (s + |x|) / (2s) for x >= 0,
// b / (2 s (s + |x|)) below (no cancellation), from the scaled pairs of
// activate; b = 0 gives 1 for x > 0, 0 for x < 0, NaN at 0 (as TensorFlow:
// there is no derivative).
fn grad(x: f32, dy: f32) -> f32 {
    let bits = bitcast<u32>(x);
    if (is_nan_bits(bits)) {
        return qnan();
    }
    if (!is_finite_bits(bits)) {
        return vjp(select(0.0, 1.0, x > 0.0), dy);
    }
    let b = p_b();
    if (b == 0.0) {
        if (x == 0.0) {
            return qnan();
        }
        return vjp(select(0.0, 1.0, x > 0.0), dy);
    }
    let ax = abs(x);
    let big = ax >= 0x1p50f || b >= 0x1p100f;
    let small = ax < 0x1p-50f && b < 0x1p-100f;
    // x' = x 2^xe, b' = b 2^(2 xe); further than activate for large x, so
    // that 2 s (s + |x|) cannot overflow.
    var xe = 0.0;
    if (big) {
        xe = -80.0;
    } else if (small) {
        xe = 64.0;
    }
    let xs = pow2i(i32(xe));
    let sp = sp_pairs(x * xs, (b * xs) * xs);
    let s0 = sp.x;
    let s1 = sp.y;
    let hi = sp.z;
    let lo = sp.w;
    if (x >= 0.0) {
        return vjp(div2(hi, lo, 2.0 * s0, 2.0 * s1), dy);
    }
    // s (s + |x|) as a pair; b' over it as mantissas and exponents (the
    // quotient may lie far below the range: b / (4 x^2)).
    let p = gf_two_prod(s0, hi);
    let pl = p.y + (s0 * lo + s1 * hi);
    let fb = ef_frexp(b);
    let fd = ef_frexp(p.x);
    let q = div2(fb.x, 0.0, 2.0 * fd.x, 2.0 * ef_scale(pl, -fd.y));
    return vjp_scaled(q, 0.0, (fb.y + 2.0 * xe) - fd.y, dy);
}
