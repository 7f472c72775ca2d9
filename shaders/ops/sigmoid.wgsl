// sigmoid(x) = 1 / (1 + exp(-x)); see sigmoid_f32 in elementary.wgsl.
fn activate(x: f32) -> f32 {
    return sigmoid_f32(x);
}
