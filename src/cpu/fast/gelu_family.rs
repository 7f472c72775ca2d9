//! STUB until the gelu-family helper delivers.
pub(crate) fn gelu<const F: bool>(x: f32, _approximate: bool) -> f32 { x }
pub(crate) fn tanh_shrink<const F: bool>(x: f32) -> f32 { x }
pub(crate) fn softsign<const F: bool>(x: f32) -> f32 { x }
pub(crate) fn squareplus<const F: bool>(x: f32, _b: f32) -> f32 { x }
