// Keras log_sigmoid(x) = -softplus(-x) = -log(1 + exp(-x)); +inf gives -0
// (the limit is 0 from below).
fn activate(x: f32) -> f32 {
    if (is_nan_bits(bitcast<u32>(x))) {
        return x;
    }
    return -ef_softplus(-x);
}
