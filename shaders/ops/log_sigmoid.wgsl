// Keras log_sigmoid(x) = -softplus(-x) = -log(1 + exp(-x)); +inf gives -0
// (the limit is 0 from below).
fn activate(x: f32) -> f32 {
    if (is_nan_bits(bitcast<u32>(x))) {
        return x;
    }
    return -ef_softplus(-x);
}

// Backward: sigmoid(-x), kept scaled.
fn grad(x: f32, dy: f32) -> f32 {
    let b = bitcast<u32>(x);
    if (is_nan_bits(b)) {
        return qnan();
    }
    if (!is_finite_bits(b)) {
        return vjp(select(1.0, 0.0, x > 0.0), dy);
    }
    let s = sigmoid_parts(-x);
    return vjp_scaled(s.x, 0.0, s.y, dy);
}
