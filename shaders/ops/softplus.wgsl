// Keras softplus(x) = log(1 + exp(x)); see ef_softplus in shared_exp.wgsl.
fn activate(x: f32) -> f32 {
    return ef_softplus(x);
}
