//! Shape arithmetic shared by the GPU ops and the CPU reference.

use crate::{Error, Result};

/// Number of elements of `shape` (1 for a 0-d tensor), or an error on overflow.
pub fn numel(shape: &[usize]) -> Result<usize> {
    shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .ok_or(Error::TooLarge {
            what: "element count",
            needed: u64::MAX,
            limit: usize::MAX as u64,
        })
}

/// Resolves a possibly negative `axis` (counted from the end) for `rank`.
pub fn resolve_axis(axis: isize, rank: usize) -> Result<usize> {
    let r = rank as isize;
    let a = if axis < 0 { axis + r } else { axis };
    if a < 0 || a >= r {
        return Err(Error::AxisOutOfRange { axis, rank });
    }
    Ok(a as usize)
}

/// Views `shape` as `[outer, len, inner]` around `axis`: element `(o, k, i)`
/// sits at `o * len * inner + k * inner + i`.
pub fn split_at_axis(shape: &[usize], axis: isize) -> Result<(usize, usize, usize)> {
    let a = resolve_axis(axis, shape.len())?;
    let outer = numel(&shape[..a])?;
    let inner = numel(&shape[a + 1..])?;
    Ok((outer, shape[a], inner))
}
