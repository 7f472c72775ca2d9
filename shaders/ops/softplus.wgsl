// Keras softplus(x) = log(1 + exp(x)); see ef_softplus in shared_exp.wgsl.
fn activate(x: f32) -> f32 {
    return ef_softplus(x);
}

// Backward: sigmoid(x), kept scaled.
fn grad(x: f32, dy: f32) -> f32 {
    let b = bitcast<u32>(x);
    if (is_nan_bits(b)) {
        return qnan();
    }
    if (!is_finite_bits(b)) {
        return vjp(select(0.0, 1.0, x > 0.0), dy);
    }
    let s = sigmoid_parts(x);
    return vjp_scaled(s.x, 0.0, s.y, dy);
}
