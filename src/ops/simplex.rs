//! sparsemax: a workgroup per row finds the row's threshold and writes the
//! projection (`shaders/simplex.wgsl`), in windows of whole outer slices
//! within one binding and one buffer. In place goes through a temporary.

use super::axis::{Params, max_window_elems, planes_in_window, to_u32, window};
use crate::kernels::Kernel;
use crate::shape::split_at_axis;
use crate::{Context, Error, Op, Result, Tensor};

/// Rows of at most this many elements per thread: about 34 passes over the
/// row stay under llvmpipe's cap of about 2^16 loop trips per invocation.
const PER_THREAD: usize = 1536;

/// The longest sparsemax row `ctx` takes.
pub(crate) fn max_row(ctx: &Context) -> usize {
    ctx.wg_size as usize * PER_THREAD
}

pub(super) fn encode(
    ctx: &Context,
    enc: &mut wgpu::CommandEncoder,
    op: Op,
    axis: isize,
    x: &Tensor,
    out: Option<&Tensor>,
) -> Result<()> {
    let (outer, len, inner) = split_at_axis(x.shape(), axis)?;
    if x.is_empty() {
        return Ok(());
    }
    let max_len = max_row(ctx);
    if len > max_len {
        return Err(Error::TooLarge {
            what: "sparsemax row (elements)",
            needed: len as u64,
            limit: max_len as u64,
        });
    }
    let Some(dst) = out else {
        // In place: into a fresh (unpooled) temporary of the same size, kept
        // alive by the encoder until the copy back has run; x's buffers need
        // COPY_DST for that copy.
        for p in &x.parts {
            if !p.buffer.usage().contains(wgpu::BufferUsages::COPY_DST) {
                return Err(Error::MissingUsage {
                    what: "buffer of an in-place sparsemax",
                    missing: "COPY_DST".into(),
                });
            }
        }
        let tmp = ctx.zeros(x.shape())?;
        encode(ctx, enc, op, axis, x, Some(&tmp))?;
        for (t, p) in tmp.parts.iter().zip(&x.parts) {
            enc.copy_buffer_to_buffer(&t.buffer, t.offset, &p.buffer, p.offset, p.len as u64 * 4);
        }
        return Ok(());
    };
    let plane = len * inner;
    to_u32(plane)?;
    let max_elems = max_window_elems(ctx);
    let mut o = 0;
    while o < outer {
        let first = o * plane;
        let planes = planes_in_window(ctx, o, outer, plane, &[x]);
        if planes == 0 {
            return Err(Error::TooLarge {
                what: "sparsemax outer slice (bytes in one binding and one buffer)",
                needed: plane as u64 * 4,
                limit: max_elems as u64 * 4,
            });
        }
        let count = planes * plane;
        let (xb, xo, xs, base) = window(ctx, x, first, count);
        let (yb, yo, ys, ybase) = window(ctx, dst, first, count);
        debug_assert_eq!(base, ybase, "same shape, same split, same alignment");
        // A workgroup per row, in dispatches of at most max_groups^2 rows.
        let rows = planes * inner;
        let per = (ctx.max_groups as usize).pow(2);
        let mut first = 0;
        while first < rows {
            let n = per.min(rows - first);
            let p = Params {
                outer: planes as u32,
                len: len as u32,
                inner: inner as u32,
                count: count as u32,
                base,
                first: first as u32,
                block: n as u32,
                ..Default::default()
            };
            ctx.dispatch(
                enc,
                Kernel::Simplex { op },
                &p,
                &[(0, xb, xo, Some(xs)), (1, yb, yo, Some(ys))],
                n as u64,
            )?;
            first += n;
        }
        o += planes;
    }
    Ok(())
}
