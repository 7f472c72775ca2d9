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
