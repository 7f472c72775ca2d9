//! CPU implementations. [`reference`](mod@reference) is the test oracle: every op computed in
//! f64 and rounded to f32 once. Its functions are re-exported here.

pub mod fast;
pub mod reference;

pub use reference::{apply, backward, sigmoid, tanh};
