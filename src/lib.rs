//! # wgact
//!
//! Neural-network activations — the whole `keras.activations` family, with
//! Keras 3 semantics — as WGSL compute shaders on any GPU through wgpu, held
//! to a CPU reference computed in f64. Every op is defined once, in the op
//! table ([`table`]), from which [`Activation`], [`Op`], the kernels, the
//! parameter checks, the CLI's flags and the accuracy sweep derive.
//!
//! ```no_run
//! use wgact::{Activation, Context, Relu};
//! let ctx = Context::new()?;                       // honours WGPU_BACKEND / WGPU_ADAPTER_NAME
//! let x = ctx.upload(&[-3.0, -1.0, 0.5, 8.0], &[2, 2])?;
//! let y = ctx.relu(&x, &Relu::new().negative_slope(0.1).max_value(6.0))?;
//! let g = ctx.apply(&Activation::Gelu { approximate: false }, &y)?;
//! let p = ctx.apply(&"log_softmax".parse()?, &g)?; // chained on the GPU, no readback
//! println!("{:?}", ctx.read(&p)?);
//! # Ok::<(), wgact::Error>(())
//! ```
//!
//! Special values: every op maps NaN to NaN; results that are subnormal may
//! be flushed to ±0 by the device; every other result is within the ULP
//! bound of its table entry ([`verify::bound`]) against [`cpu::reference`]
//! (1 for the piecewise-linear ops, 4 for the others and sparsemax, 8 for
//! softmax and log_softmax over rows up to 1024 and 16 beyond).
//!
//! Embedding in an existing pipeline: [`Context::from_device`],
//! [`Context::wrap`] (your buffers, no copy), [`Context::encode`] (your
//! encoder), [`Context::chain`] (one submission), [`Context::read_many_async`],
//! [`Context::encode_texture`]. Files of any size: `stream::apply_file`
//! (feature `npy`).
//! Tensors larger than one buffer span several ([`Tensor::parts`]); every op
//! works across them. Timing with device timestamps: [`Context::time`]. The
//! fast CPU path for comparisons: [`cpu::fast`].

#[macro_use]
pub mod activation;
mod bindcache;
pub mod context;
pub mod cpu;
pub mod dtype;
pub mod error;
pub mod kernels;
mod memory;
#[cfg(feature = "npy")]
pub mod npy;
mod ops;
mod pool;
mod readback;
pub mod shape;
#[cfg(feature = "npy")]
pub mod stream;
pub mod table;
pub mod tensor;
pub mod timing;
pub mod ulp;
pub mod verify;

pub use activation::{Kind, OpInfo, Relu};
pub use context::{Context, ContextOptions, LiveResources};
pub use dtype::{DType, Element};
pub use error::{Error, Result};
pub use half;
pub use ops::chain::Chain;
pub use ops::{Saved, TEXTURE_FORMATS};
pub use readback::ReadFuture;
pub use table::{Activation, Op};
pub use tensor::Tensor;
pub use timing::Timing;
pub use wgpu;
