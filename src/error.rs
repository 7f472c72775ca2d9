//! The one error type of wgact.

use std::path::PathBuf;

/// Everything that can go wrong in wgact. No user input makes wgact panic;
/// it returns one of these instead.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No adapter matched the requested backends / name.
    #[error("no GPU adapter found (backends: {backends}{}); adapters seen: {}",
        .name.as_ref().map(|n| format!(", name contains {n:?}")).unwrap_or_default(),
        if .seen.is_empty() { "none".to_string() } else { .seen.join("; ") })]
    NoAdapter {
        backends: String,
        name: Option<String>,
        seen: Vec<String>,
    },
    /// The adapter refused to create a device.
    #[error("could not create a device: {0}")]
    RequestDevice(#[from] wgpu::RequestDeviceError),
    /// The data length does not match the product of the shape.
    #[error("shape {shape:?} holds {expected} elements but {got} were given")]
    ShapeMismatch {
        shape: Vec<usize>,
        expected: usize,
        got: usize,
    },
    /// Two tensors that must have the same shape do not.
    #[error("shapes differ: {a:?} vs {b:?}")]
    ShapesDiffer { a: Vec<usize>, b: Vec<usize> },
    /// An axis outside `-rank..rank`.
    #[error("axis {axis} is out of range for a tensor of rank {rank}")]
    AxisOutOfRange { axis: isize, rank: usize },
    /// An activation parameter that has no meaning (NaN, negative max_value...).
    #[error("invalid parameter {name} = {value}: {reason}")]
    InvalidParameter {
        name: &'static str,
        value: f32,
        reason: &'static str,
    },
    /// A tensor larger than the device (or wgact) can handle.
    #[error("tensor too large: {what} needs {needed} but the limit is {limit}")]
    TooLarge {
        what: &'static str,
        needed: u64,
        limit: u64,
    },
    /// A caller's buffer or texture lacks a usage wgact needs.
    #[error("{what} lacks usage {missing}")]
    MissingUsage { what: &'static str, missing: String },
    /// A byte offset that is not a multiple of the device's alignment.
    #[error(
        "offset {offset} is not a multiple of {alignment} (min_storage_buffer_offset_alignment)"
    )]
    Misaligned { offset: u64, alignment: u64 },
    /// A caller's buffer too small for the shape asked of it.
    #[error("buffer of {size} bytes cannot hold {needed} bytes at offset {offset}")]
    BufferTooSmall { size: u64, offset: u64, needed: u64 },
    /// A texture wgact cannot work on (format, dimension, size).
    #[error("texture: {0}")]
    Texture(String),
    /// The device was lost (destroyed, reset by the driver, or gone): no
    /// further work can run on this context; make a new one.
    #[error("GPU device lost ({0}); create a new Context")]
    DeviceLost(String),
    /// The device cannot hold what a call needs: refused before any work
    /// when it would pass the memory budget
    /// ([`Context::set_memory_budget`](crate::Context::set_memory_budget)),
    /// or reported by the driver. The context stays usable.
    #[error("out of device memory: {0}")]
    OutOfMemory(String),
    /// A validation error reported by wgpu.
    #[error("GPU error: {0}")]
    Gpu(String),
    /// Reading a result back from the GPU failed.
    #[error("GPU readback failed: {0}")]
    Readback(String),
    /// A file could not be read or written.
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A `.npy` file that wgact cannot use.
    #[error("{}: {reason}", .path.display())]
    Npy { path: PathBuf, reason: String },
    /// An unknown activation name.
    #[error("unknown activation {0:?} (`wgact apply --list` shows the table; expected one of: {names})", names = crate::Op::ALL.iter().map(|o| o.name()).collect::<Vec<_>>().join(", "))]
    UnknownActivation(String),
    /// A required parameter was not given.
    #[error("{op} needs parameter {name}")]
    MissingParameter {
        op: &'static str,
        name: &'static str,
    },
    /// A parameter the op does not have.
    #[error("{op} has no parameter {name}")]
    UnknownParameter { op: &'static str, name: String },
    /// A parameter value of the wrong type (a float for a flag, say).
    #[error("{op}: parameter {name} has the wrong type")]
    ParameterType {
        op: &'static str,
        name: &'static str,
    },
    /// glu's axis must split into two equal halves.
    #[error("glu: axis {axis} has odd length {len}; it must split into two halves")]
    OddHalves { axis: isize, len: usize },
    /// An op that only elementwise ops support was asked of another.
    #[error("{op} is not elementwise")]
    NotElementwise { op: &'static str },
    /// An op that cannot run in place (its output has another shape).
    #[error("tensor dtype is {got}, but {expected} was expected")]
    DTypeMismatch {
        expected: crate::DType,
        got: crate::DType,
    },

    #[error("{op} cannot run in place: its output has another shape")]
    NotInPlace { op: &'static str },
}

/// `Result` with wgact's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
