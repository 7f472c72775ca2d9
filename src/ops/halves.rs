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

/// A window of a halves op: whole planes, or a range of one plane's halves.
#[derive(Clone, Copy)]
pub(super) enum Window {
    /// `planes` outer slices from slice `o`.
    Planes { o: usize, planes: usize },
    /// Elements `r..r + n` of each half of slice `o`.
    Range { o: usize, r: usize, n: usize },
}

/// The windows that cover an op over the halves of an axis of `outer`
/// planes of `2 * half` elements: whole planes where they fit one binding and
/// one part of every tensor of the input's shape (`full`) and of the halved
/// shape (`halved`), else ranges of one plane's halves within those limits.
pub(super) fn windows(
    ctx: &Context,
    outer: usize,
    half: usize,
    full: &[&Tensor],
    halved: &[&Tensor],
    mut f: impl FnMut(Window) -> Result<()>,
) -> Result<()> {
    let max_elems = max_window_elems(ctx);
    let mut o = 0;
    while o < outer {
        let (xs, os) = (o * 2 * half, o * half);
        let mut planes = (max_elems / (2 * half)).min(outer - o);
        for t in full {
            planes = planes.min((part_end(t, xs) - xs) / (2 * half));
        }
        for t in halved {
            planes = planes.min((part_end(t, os) - os) / half);
        }
        if planes > 0 {
            f(Window::Planes { o, planes })?;
            o += planes;
            continue;
        }
        let mut r = 0;
        while r < half {
            let (a0, b0, o0) = (xs + r, xs + half + r, os + r);
            let mut n = (half - r).min(max_elems);
            for t in full {
                n = n.min(part_end(t, a0) - a0).min(part_end(t, b0) - b0);
            }
            for t in halved {
                n = n.min(part_end(t, o0) - o0);
            }
            f(Window::Range { o, r, n })?;
            r += n;
        }
        o += 1;
    }
    Ok(())
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
    let groups = |n: usize| (n as u64).div_ceil(ctx.wg_size as u64);
    windows(ctx, outer, half, &[x], &[out], |w| match w {
        Window::Planes { o, planes } => {
            let (xs, os) = (o * 2 * half, o * half);
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
            ctx.dispatch(enc, kernel, &p, &b, groups(planes * half))
        }
        Window::Range { o, r, n } => {
            let (xs, os) = (o * 2 * half, o * half);
            let (a0, b0, o0) = (xs + r, xs + half + r, os + r);
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
            ctx.dispatch(enc, kernel, &p, &b, groups(n))
        }
    })
}
