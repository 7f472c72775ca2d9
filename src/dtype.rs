//! Element types of tensors: f32, and the 16-bit f16 and bf16 that inference
//! and training stacks keep activations in. Storage is the dtype's width;
//! arithmetic is f32 with the same kernels, and each result is rounded once
//! to the dtype, to nearest with ties to even, in integer code
//! (`shaders/io_*.wgsl`): WGSL leaves conversions to f16 outside its finite
//! range indeterminate, and does not fix their rounding.

use half::{bf16, f16};

/// The element type of a [`Tensor`](crate::Tensor).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum DType {
    /// IEEE binary32.
    #[default]
    F32,
    /// IEEE binary16: 5 exponent bits, 10 mantissa bits, largest finite 65504.
    F16,
    /// bfloat16: f32's 8 exponent bits and 7 mantissa bits.
    Bf16,
}

impl DType {
    /// Every dtype.
    pub const ALL: [DType; 3] = [DType::F32, DType::F16, DType::Bf16];

    /// Bytes per element.
    pub const fn size(self) -> usize {
        match self {
            DType::F32 => 4,
            DType::F16 | DType::Bf16 => 2,
        }
    }

    /// Its name, as `--dtype` takes it.
    pub const fn name(self) -> &'static str {
        match self {
            DType::F32 => "f32",
            DType::F16 => "f16",
            DType::Bf16 => "bf16",
        }
    }

    /// The dtype named `s` (`f32`, `f16`, `bf16`; `float32`, `float16` too).
    pub fn parse(s: &str) -> Option<DType> {
        Some(match s {
            "f32" | "float32" => DType::F32,
            "f16" | "float16" | "half" => DType::F16,
            "bf16" | "bfloat16" => DType::Bf16,
            _ => return None,
        })
    }

    /// `x` rounded to this dtype (to nearest, ties to even; NaN stays NaN),
    /// as the f32 that holds it exactly.
    pub fn round(self, x: f32) -> f32 {
        match self {
            DType::F32 => x,
            DType::F16 => f16::from_f32(x).to_f32(),
            DType::Bf16 => bf16::from_f32(x).to_f32(),
        }
    }

    /// `x` rounded once from f64 to this dtype (not through f32: rounding
    /// twice can miss a tie), as the f32 that holds it exactly.
    pub fn round_f64(self, x: f64) -> f32 {
        match self {
            DType::F32 => x as f32,
            DType::F16 => f16::from_f64(x).to_f32(),
            DType::Bf16 => bf16::from_f64(x).to_f32(),
        }
    }

    /// The error of `got` against `reference` (both values of this dtype,
    /// given as f32) in units in the last place of this dtype: the number of
    /// representable values between them, ±0 equal. NaN matches NaN only
    /// (`u64::MAX` otherwise). As for f32 ([`crate::ulp::ulp_error`]), a
    /// bf16 result that is an f32 subnormal may be flushed to ±0 by the f32
    /// arithmetic; f16 subnormals are f32 normals and are never flushed.
    pub fn ulp_error(self, reference: f32, got: f32) -> u64 {
        let key = |v: f32| -> i64 {
            let bits = match self {
                DType::F32 => return crate::ulp::ordinal(v),
                DType::F16 => f16::from_f32(v).to_bits(),
                DType::Bf16 => bf16::from_f32(v).to_bits(),
            };
            let mag = (bits & 0x7fff) as i64;
            if bits & 0x8000 != 0 { -mag } else { mag }
        };
        match (reference.is_nan(), got.is_nan()) {
            (true, true) => return 0,
            (true, false) | (false, true) => return u64::MAX,
            _ => {}
        }
        if self != DType::F16 && crate::ulp::is_flush(reference, got) {
            return 0;
        }
        key(self.round(reference)).abs_diff(key(self.round(got)))
    }
}

impl std::fmt::Display for DType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for half::f16 {}
    impl Sealed for half::bf16 {}
}

/// A host element type a tensor can be uploaded from and read back into:
/// `f32`, [`half::f16`], [`half::bf16`].
pub trait Element: sealed::Sealed + bytemuck::Pod + Copy + Send + Sync + 'static {
    /// The tensor dtype it uploads as.
    const DTYPE: DType;
    /// The value as an f32 (exact).
    fn to_f32(self) -> f32;
    /// `x` rounded to this type (to nearest, ties to even).
    fn from_f32(x: f32) -> Self;
}

impl Element for f32 {
    const DTYPE: DType = DType::F32;
    fn to_f32(self) -> f32 {
        self
    }
    fn from_f32(x: f32) -> Self {
        x
    }
}

impl Element for f16 {
    const DTYPE: DType = DType::F16;
    fn to_f32(self) -> f32 {
        f16::to_f32(self)
    }
    fn from_f32(x: f32) -> Self {
        f16::from_f32(x)
    }
}

impl Element for bf16 {
    const DTYPE: DType = DType::Bf16;
    fn to_f32(self) -> f32 {
        bf16::to_f32(self)
    }
    fn from_f32(x: f32) -> Self {
        bf16::from_f32(x)
    }
}

/// Elements per rayon task when converting on the host.
const HOST_CHUNK: usize = 1 << 16;

/// Values of `dtype` stored little-endian in `bytes`, widened to f32 (on all
/// cores for large arrays).
pub fn widen(dtype: DType, bytes: &[u8], out: &mut [f32]) {
    use rayon::prelude::*;
    let size = dtype.size();
    let one = |bytes: &[u8], out: &mut [f32]| match dtype {
        DType::F32 => out.copy_from_slice(bytemuck::cast_slice(&bytes[..out.len() * 4])),
        DType::F16 | DType::Bf16 => {
            for (o, c) in out.iter_mut().zip(bytes.chunks_exact(2)) {
                let b = u16::from_le_bytes([c[0], c[1]]);
                *o = match dtype {
                    DType::F16 => f16::from_bits(b).to_f32(),
                    _ => bf16::from_bits(b).to_f32(),
                };
            }
        }
    };
    if dtype == DType::F32 && bytes.as_ptr().align_offset(4) != 0 {
        // Unaligned f32 bytes: element by element.
        for (o, c) in out.iter_mut().zip(bytes.chunks_exact(4)) {
            *o = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        }
        return;
    }
    if out.len() <= HOST_CHUNK {
        return one(bytes, out);
    }
    out.par_chunks_mut(HOST_CHUNK)
        .zip(bytes.par_chunks(HOST_CHUNK * size))
        .for_each(|(o, b)| one(b, o));
}

/// `values` rounded to `dtype` (to nearest, ties to even), as little-endian
/// bytes (on all cores for large arrays).
pub fn narrow(dtype: DType, values: &[f32]) -> Vec<u8> {
    use rayon::prelude::*;
    let size = dtype.size();
    let mut out = vec![0u8; values.len() * size];
    let one = |v: &[f32], o: &mut [u8]| {
        for (x, c) in v.iter().zip(o.chunks_exact_mut(size)) {
            match dtype {
                DType::F32 => c.copy_from_slice(&x.to_le_bytes()),
                DType::F16 => c.copy_from_slice(&f16::from_f32(*x).to_bits().to_le_bytes()),
                DType::Bf16 => c.copy_from_slice(&bf16::from_f32(*x).to_bits().to_le_bytes()),
            }
        }
    };
    if values.len() <= HOST_CHUNK {
        one(values, &mut out);
    } else {
        values
            .par_chunks(HOST_CHUNK)
            .zip(out.par_chunks_mut(HOST_CHUNK * size))
            .for_each(|(v, o)| one(v, o));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulps_of_16_bit_values() {
        assert_eq!(DType::F16.ulp_error(1.0, 1.0 + 1.0 / 1024.0), 1);
        assert_eq!(DType::F16.ulp_error(-0.0, 0.0), 0);
        assert_eq!(
            DType::F16.ulp_error(
                f16::MIN_POSITIVE_SUBNORMAL.to_f32(),
                -f16::MIN_POSITIVE_SUBNORMAL.to_f32()
            ),
            2
        );
        assert_eq!(DType::F16.ulp_error(65504.0, f32::INFINITY), 1);
        assert_eq!(DType::Bf16.ulp_error(1.0, 1.0 + 1.0 / 128.0), 1);
        assert_eq!(DType::Bf16.ulp_error(f32::NAN, 1.0), u64::MAX);
        assert_eq!(DType::F16.round_f64(1.0 + 1.0 / 2048.0), 1.0);
        assert_eq!(DType::F16.round_f64(1.0 + 3.0 / 2048.0), 1.0 + 2.0 / 1024.0);
        assert_eq!(DType::F16.round(65520.0), f32::INFINITY);
    }
}
