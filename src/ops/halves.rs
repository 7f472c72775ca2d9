//! Ops over the two halves of an axis (glu): a thread per output element.
//! Windows of whole planes (outer slices) where they fit one binding and one
//! buffer; a larger plane goes in ranges of its halves, each range within a
//! binding and a buffer of the input and of the output.

use super::axis::{max_window_elems, part_end, to_u32, window};
use crate::kernels::Kernel;
use crate::shape::split_at_axis;
use crate::{Context, Op, Result, Tensor};

/// Mirrors `HalvesParams` in `shaders/halves.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    count: u32,
    hi: u32,
    stride: u32,
    a_base: u32,
    b_base: u32,
    o_base: u32,
    _p0: u32,
    _p1: u32,
}

pub(super) fn encode(
    ctx: &Context,
    enc: &mut wgpu::CommandEncoder,
    op: Op,
    axis: isize,
    x: &Tensor,
    out: &Tensor,
) -> Result<()> {
    let (outer, len, inner) = split_at_axis(x.shape(), axis)?;
    let half = len / 2 * inner;
    if half == 0 || outer == 0 {
        return Ok(());
    }
    to_u32(2 * half)?;
    let kernel = Kernel::Halves { op };
    let max_elems = max_window_elems(ctx);
    let groups = |n: usize| (n as u64).div_ceil(ctx.wg_size as u64);
    let mut o = 0;
    while o < outer {
        let (xs, os) = (o * 2 * half, o * half);
        // Whole planes that fit one window of x and of out.
        let planes = (max_elems / (2 * half))
            .min((part_end(x, xs) - xs) / (2 * half))
            .min((part_end(out, os) - os) / half)
            .min(outer - o);
        if planes > 0 {
            let (xb, xo, xsz, base) = window(ctx, x, xs, planes * 2 * half);
            let (ob, oo, osz, obase) = window(ctx, out, os, planes * half);
            let p = Params {
                count: (planes * half) as u32,
                hi: half as u32,
                stride: (2 * half) as u32,
                a_base: base,
                b_base: base + half as u32,
                o_base: obase,
                ..Default::default()
            };
            let b = [
                (0, xb, xo, Some(xsz)),
                (3, xb, xo, Some(xsz)),
                (1, ob, oo, Some(osz)),
            ];
            ctx.dispatch(enc, kernel, &p, &b, groups(planes * half))?;
            o += planes;
            continue;
        }
        // One plane, in ranges of its halves.
        let mut r = 0;
        while r < half {
            let (a0, b0, o0) = (xs + r, xs + half + r, os + r);
            let n = (half - r)
                .min(max_elems)
                .min(part_end(x, a0) - a0)
                .min(part_end(x, b0) - b0)
                .min(part_end(out, o0) - o0);
            let (ab, ao, asz, abase) = window(ctx, x, a0, n);
            let (bb, bo, bsz, bbase) = window(ctx, x, b0, n);
            let (ob, oo, osz, obase) = window(ctx, out, o0, n);
            let p = Params {
                count: n as u32,
                hi: n as u32,
                stride: n as u32,
                a_base: abase,
                b_base: bbase,
                o_base: obase,
                ..Default::default()
            };
            let b = [
                (0, ab, ao, Some(asz)),
                (3, bb, bo, Some(bsz)),
                (1, ob, oo, Some(osz)),
            ];
            ctx.dispatch(enc, kernel, &p, &b, groups(n))?;
            r += n;
        }
        o += 1;
    }
    Ok(())
}
