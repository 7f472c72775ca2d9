// Keras elu(x, alpha): x for x > 0, else alpha * (exp(x) - 1). expm1 is
// carried as a pair and multiplied exactly (ef_mul: alpha may be anywhere in
// the f32 range), so the result is rounded once.
fn activate(x: f32) -> f32 {
    let b = bitcast<u32>(x);
    if (is_nan_bits(b)) {
        return x;
    }
    let alpha = p_alpha();
    // +-0: alpha * x, as TensorFlow gives (its elu passes -0 through).
    if ((b & F32_ABS_MASK) == 0u) {
        return alpha * x;
    }
    // x > 0, +inf included.
    if ((b & F32_SIGN_MASK) == 0u) {
        return x;
    }
    if (b == F32_NEG_INF_BITS) {
        return -alpha;
    }
    let m = ef_expm1_hl(x, 0.0);
    return ef_mul(alpha, 0.0, m.x, m.y);
}

// Backward: 1 for x > 0, alpha exp(x) for x <= 0 (alpha at 0, as
// TensorFlow), exp kept scaled and multiplied by alpha's mantissa exactly.
fn grad(x: f32, dy: f32) -> f32 {
    let b = bitcast<u32>(x);
    if (is_nan_bits(b)) {
        return qnan();
    }
    if ((b & F32_SIGN_MASK) == 0u && (b & F32_ABS_MASK) != 0u) {
        return vjp(1.0, dy);
    }
    let alpha = p_alpha();
    if (b == F32_NEG_INF_BITS || alpha == 0.0) {
        return vjp(0.0 * alpha, dy);
    }
    let e = ef_exp_parts(max(x, -300.0), 0.0);
    let fa = ef_frexp(alpha);
    let p = ef_two_prod(fa.x, e.x);
    return vjp_scaled(p.x, p.y + fa.x * e.y, e.z + fa.y, dy);
}
