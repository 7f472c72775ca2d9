// tanh(x); see tanh_f32 in elementary.wgsl.
fn activate(x: f32) -> f32 {
    return tanh_f32(x);
}
