// Keras exponential(x) = exp(x): one rounding, subnormal results included.
// The largest x whose exp is finite in f32 (88.72283).
const EXPONENTIAL_MAX_BITS: u32 = 0x42b17217u;

fn activate(x: f32) -> f32 {
    let b = bitcast<u32>(x);
    if (is_nan_bits(b)) {
        return x;
    }
    if (b == F32_NEG_INF_BITS) {
        return 0.0;
    }
    // Overflow (+inf included) decided by bits, never left to the arithmetic.
    if ((b & F32_SIGN_MASK) == 0u && b > EXPONENTIAL_MAX_BITS) {
        return bitcast<f32>(F32_INF_BITS);
    }
    return ef_exp(x);
}

// Backward, from y = exp(x): y * dy.
fn grad(y: f32, dy: f32) -> f32 {
    if (is_nan_bits(bitcast<u32>(y))) {
        return qnan();
    }
    return vjp(y, dy);
}
