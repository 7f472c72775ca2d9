//! Distances in units in the last place, the measure of every accuracy bound.

/// Maps an f32 onto a line where neighbouring floats are 1 apart (+0 and -0
/// both map to 0).
pub fn ordinal(x: f32) -> i64 {
    let b = x.to_bits();
    let mag = (b & 0x7fff_ffff) as i64;
    if b >> 31 == 1 { -mag } else { mag }
}

/// Whether `x` is subnormal (non-zero, below `f32::MIN_POSITIVE`).
pub fn is_subnormal(x: f32) -> bool {
    x != 0.0 && x.abs() < f32::MIN_POSITIVE
}

/// The error of `got` against `reference`, in ULPs.
///
/// NaN matches NaN only (any other mismatch is `u64::MAX`). A subnormal
/// reference matches a flushed ±0 (see [`is_flush`]); otherwise the distance
/// is counted on [`ordinal`].
pub fn ulp_error(reference: f32, got: f32) -> u64 {
    match (reference.is_nan(), got.is_nan()) {
        (true, true) => return 0,
        (true, false) | (false, true) => return u64::MAX,
        _ => {}
    }
    if is_flush(reference, got) {
        return 0;
    }
    ordinal(reference).abs_diff(ordinal(got))
}

/// A subnormal result flushed to ±0, which devices may do.
pub fn is_flush(reference: f32, got: f32) -> bool {
    is_subnormal(reference) && got == 0.0
}
