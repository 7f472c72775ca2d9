// tanh(x); see tanh_f32 in elementary.wgsl.
fn activate(x: f32) -> f32 {
    return tanh_f32(x);
}

// Backward: 1 - tanh(x)^2 = 4 sigmoid'(2x), kept scaled (no cancellation
// near |tanh| = 1).
fn grad(x: f32, dy: f32) -> f32 {
    let b = bitcast<u32>(x);
    if (is_nan_bits(b)) {
        return qnan();
    }
    if (!is_finite_bits(b)) {
        return vjp(0.0, dy);
    }
    let d = dsigmoid_parts(2.0 * clamp(x, -200.0, 200.0));
    return vjp_scaled(d.x, 0.0, d.y + 2.0, dy);
}
