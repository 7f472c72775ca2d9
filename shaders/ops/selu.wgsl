// Keras selu(x): scale * x for x > 0, else scale * alpha * (exp(x) - 1),
// with the real constants below as f32 pairs (hi + lo).
const SELU_SCALE_H: f32 = 1.050701;
const SELU_SCALE_L: f32 = -3.4792652e-8;
const SELU_SA_H: f32 = 1.7580993;
const SELU_SA_L: f32 = 2.3296717e-8;
// The largest x whose scale * x rounds below the f32 range.
const SELU_MAX_BITS: u32 = 0x7f73a598u;

fn activate(x: f32) -> f32 {
    let b = bitcast<u32>(x);
    if (is_nan_bits(b) || (b & F32_ABS_MASK) == 0u) {
        return x;
    }
    if ((b & F32_SIGN_MASK) == 0u) {
        // Decided by bits: the product must not be left to overflow.
        if (b > SELU_MAX_BITS) {
            return bitcast<f32>(F32_INF_BITS);
        }
        return ef_mul(SELU_SCALE_H, SELU_SCALE_L, x, 0.0);
    }
    if (b == F32_NEG_INF_BITS) {
        return -SELU_SA_H;
    }
    let m = ef_expm1_hl(x, 0.0);
    return ef_mul(SELU_SA_H, SELU_SA_L, m.x, m.y);
}

// Backward: scale for x >= 0 (at 0 TensorFlow's eager value), scale * alpha
// * exp(x) for x < 0 (the constants as pairs, exp kept scaled).
fn grad(x: f32, dy: f32) -> f32 {
    let b = bitcast<u32>(x);
    if (is_nan_bits(b)) {
        return qnan();
    }
    if ((b & F32_SIGN_MASK) == 0u || b == F32_SIGN_MASK) {
        return vjp_scaled(1.05070102, -3.47926523e-8, 0.0, dy);
    }
    if (b == F32_NEG_INF_BITS) {
        return vjp(0.0, dy);
    }
    let e = ef_exp_parts(max(x, -300.0), 0.0);
    let p = ef_two_prod(1.75809932, e.x);
    return vjp_scaled(p.x, p.y + (1.75809932 * e.y + 2.32967174e-8 * e.x), e.z, dy);
}
