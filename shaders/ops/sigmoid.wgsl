// sigmoid(x) = 1 / (1 + exp(-x)); see sigmoid_f32 in elementary.wgsl.
fn activate(x: f32) -> f32 {
    return sigmoid_f32(x);
}

// Backward: sigmoid(x) sigmoid(-x) = e / (1 + e)^2, e = exp(-|x|), kept
// scaled (no 1 - sigmoid(x) to cancel).
fn grad(x: f32, dy: f32) -> f32 {
    let b = bitcast<u32>(x);
    if (is_nan_bits(b)) {
        return qnan();
    }
    if (!is_finite_bits(b)) {
        return vjp(0.0, dy);
    }
    let d = dsigmoid_parts(x);
    return vjp_scaled(d.x, 0.0, d.y, dy);
}
