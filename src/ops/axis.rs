//! The max-and-sum axis ops (softmax, log_softmax): pass 1 computes each
//! row's (max, sum of exp - 1), pass 2 maps every element with the op's
//! `axis_value` (or one fused pass for short rows on GPUs). Any axis, no transpose.
//! Tensors larger than one storage binding are taken in windows of whole
//! outer slices. Rows longer than a workgroup should take, outer slices larger
//! than a binding, and slices split across buffers are reduced in blocks whose
//! partial (max, t) pairs are merged: contiguous rows a workgroup per block,
//! strided rows a thread per (block, column). No window crosses a buffer.

use crate::Op;
use crate::kernels::{Kernel, NormLayout, StatsPass};
use crate::shape::split_at_axis;
use crate::{Context, Error, Result, Tensor};

/// Longest row given to one thread. llvmpipe ends an invocation after about
/// 2^16 loop trips in all (pass 1 makes two passes over the row); longer
/// strided rows get a workgroup each.
const COLS_MAX_LEN: usize = 8192;
/// Longest row given to one workgroup, for the same reason: 2^14 elements per
/// thread (2^22 at 256 threads). Longer rows are reduced in blocks.
fn rows_max_len(ctx: &Context) -> usize {
    (ctx.wg_size as usize) << 14
}
/// Elements per block of a long row (at most 2^11 per thread).
const BLOCK: usize = 1 << 16;
/// Longest row of the single-pass kernel (`FUSED_MAX` in softmax_stats.wgsl).
const FUSED_MAX: usize = 3072;

/// Mirrors `SoftmaxParams` in `shaders/softmax_common.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub(super) struct Params {
    pub outer: u32,
    pub len: u32,
    pub inner: u32,
    pub count: u32,
    pub first: u32,
    pub base: u32,
    pub block: u32,
    pub pbase: u32,
}

pub(super) fn to_u32(v: usize) -> Result<u32> {
    u32::try_from(v).map_err(|_| Error::TooLarge {
        what: "softmax elements",
        needed: v as u64,
        limit: u32::MAX as u64,
    })
}

/// Records one pass: `kernel` over `groups` workgroups with `bindings`.
pub(super) struct Pass<'a> {
    pub ctx: &'a Context,
    pub enc: &'a mut wgpu::CommandEncoder,
}

impl Pass<'_> {
    pub(super) fn run(
        &mut self,
        kernel: Kernel,
        params: Params,
        bindings: &[(u32, &wgpu::Buffer, u64, Option<u64>)],
        groups: u64,
    ) -> Result<()> {
        self.ctx
            .dispatch(self.enc, kernel, &params, bindings, groups)
    }
}

/// A window of elements [first, first + count) of a tensor, within one of
/// its parts, bound from the aligned offset at or below it: (buffer,
/// binding offset, binding size, base index).
pub(super) fn window<'t>(
    ctx: &Context,
    t: &'t Tensor,
    first: usize,
    count: usize,
) -> (&'t wgpu::Buffer, u64, u64, u32) {
    let align = ctx.limits.min_storage_buffer_offset_alignment.max(4) as u64;
    let (part, i) = t.locate(first);
    debug_assert!(i + count <= part.len, "window crosses a buffer");
    let start = part.offset + i as u64 * 4;
    let aligned = start / align * align;
    let base = (start - aligned) / 4;
    (
        &part.buffer,
        aligned,
        (base + count as u64) * 4,
        base as u32,
    )
}

/// Elements one [`window`] may hold: a binding's, less the slack of an
/// aligned-down start.
pub(super) fn max_window_elems(ctx: &Context) -> usize {
    let slack = ctx.limits.min_storage_buffer_offset_alignment.max(4) as usize / 4;
    (ctx.max_binding / 4) as usize - slack
}

/// Whole outer slices of `plane` elements, from slice `o` of `outer`, that
/// fit one [`window`] and lie within one part of each of `tensors` (0 when
/// not even one does).
pub(super) fn planes_in_window(
    ctx: &Context,
    o: usize,
    outer: usize,
    plane: usize,
    tensors: &[&Tensor],
) -> usize {
    let first = o * plane;
    tensors
        .iter()
        .map(|t| (part_end(t, first) - first) / plane)
        .fold((max_window_elems(ctx) / plane).min(outer - o), usize::min)
}

/// One past the last element of the part holding element `idx`.
pub(super) fn part_end(t: &Tensor, idx: usize) -> usize {
    let (part, _) = t.locate(idx);
    part.start + part.len
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
    let plane = len * inner;
    to_u32(plane)?;
    let dst = out.unwrap_or(x);
    let src_binding = out.is_some();
    let norm = Kernel::Norm {
        op,
        layout: NormLayout::Elements,
        inplace: out.is_none(),
    };
    let stats_kernel = |pass| Kernel::Stats { op, pass };
    let max_elems = max_window_elems(ctx);
    let mut pass = Pass { ctx, enc };
    // x and dst have the same shape, so the same split across buffers.
    let norm_pass = |pass: &mut Pass,
                     norm: Kernel,
                     p: Params,
                     first: usize,
                     count: usize,
                     stats: &wgpu::Buffer|
     -> Result<()> {
        let (xb, xo, xs, base) = window(ctx, x, first, count);
        let (yb, yo, ys, _) = window(ctx, dst, first, count);
        let p = Params {
            base,
            count: count as u32,
            ..p
        };
        let mut b = vec![(1, yb, yo, Some(ys)), (3, stats, 0, None)];
        if src_binding {
            b.push((0, xb, xo, Some(xs)));
        }
        // A window inside one row in vec4s where it starts and ends on them.
        let (norm, threads) = match norm {
            Kernel::Norm {
                op,
                layout: NormLayout::Single,
                inplace,
            } if base.is_multiple_of(4) && count.is_multiple_of(4) => (
                Kernel::Norm {
                    op,
                    layout: NormLayout::Single4,
                    inplace,
                },
                // WIDE_ITEMS vec4s per invocation.
                (count / 4).div_ceil(crate::kernels::WIDE_ITEMS as usize),
            ),
            _ => (norm, count),
        };
        pass.run(norm, p, &b, (threads as u64).div_ceil(ctx.wg_size as u64))
    };
    // Pass 2 over outer slice `o`, with each row's stats at stats[i], in
    // windows within one buffer each.
    let norm_plane = |pass: &mut Pass, o: usize, stats: &wgpu::Buffer| -> Result<()> {
        let mut done = 0;
        while done < plane {
            let e = o * plane + done;
            let count = max_elems.min(plane - done).min(part_end(x, e) - e);
            let p = Params {
                outer: 1,
                len: len as u32,
                inner: inner as u32,
                first: done as u32,
                ..Default::default()
            };
            // One row (inner == 1): every element's stats are stats[0].
            let k = if inner == 1 {
                Kernel::Norm {
                    op,
                    layout: NormLayout::Single,
                    inplace: out.is_none(),
                }
            } else {
                norm
            };
            norm_pass(pass, k, p, e, count, stats)?;
            done += count;
        }
        Ok(())
    };

    // A tensor split across buffers between outer slices keeps each slice
    // whole; otherwise slices span buffers and take the long-row path.
    let split_planes = x.parts.iter().any(|p| p.start % plane != 0);
    // On CPU adapters rows past a thread's walk take the block path too (a
    // thread per block), not a workgroup per row (barriers).
    let cpu_long = !ctx.softmax_single_pass && len > COLS_MAX_LEN;
    if len > rows_max_len(ctx)
        || cpu_long
        || plane > max_elems
        || split_planes
        || inner as u64 * 8 > ctx.max_binding
    {
        // Long rows, or outer slices larger than a binding or split across
        // buffers: rows are reduced in blocks whose (max, t) partials are
        // merged into stats[i], over as many windows as they need, none
        // crossing a buffer; then plane o is normalised in windows.
        // Contiguous rows here on GPUs (a workgroup per block); strided
        // ones, and on CPU adapters all, in `strided_long` (a thread per
        // block: llvmpipe's workgroup barriers cost more than the walk).
        if inner as u64 * 8 > ctx.max_binding {
            return Err(Error::TooLarge {
                what: "softmax row statistics (bytes per binding)",
                needed: inner as u64 * 8,
                limit: ctx.max_binding,
            });
        }
        if inner > 1 || !ctx.softmax_single_pass {
            return strided_long(
                ctx,
                &mut pass,
                op,
                (x, dst, out.is_none()),
                (outer, len, inner),
                max_elems,
                norm_plane,
            );
        }
        let block = BLOCK.min(max_elems);
        let per_window = max_elems / block * block;
        // Each window adds at most one partial block.
        let max_parts = len.div_ceil(block) + len.div_ceil(per_window) + x.parts.len() + 1;
        let parts = scratch(ctx, Scratch::Parts, max_parts as u64 * 8)?;
        let stats = scratch(ctx, Scratch::Stats, 8)?;
        for o in 0..outer {
            let row = o * plane;
            let (mut k, mut nparts) = (0, 0);
            while k < len {
                let e = row + k;
                let count = (len - k).min(part_end(x, e) - e).min(per_window);
                let nb = count.div_ceil(block);
                let (xb, xo, xs, base) = window(ctx, x, e, count);
                let p = Params {
                    inner: 1,
                    count: count as u32,
                    base,
                    block: block as u32,
                    pbase: nparts as u32,
                    ..Default::default()
                };
                pass.run(
                    stats_kernel(StatsPass::Blocks),
                    p,
                    &[(0, xb, xo, Some(xs)), (1, &parts, 0, None)],
                    nb as u64,
                )?;
                nparts += nb;
                k += count;
            }
            let p = Params {
                count: nparts as u32,
                ..Default::default()
            };
            pass.run(
                stats_kernel(StatsPass::Combine),
                p,
                &[(1, &stats, 0, None), (3, &parts, 0, None)],
                1,
            )?;
            norm_plane(&mut pass, o, &stats)?;
        }
        return Ok(());
    }

    // Windows of whole outer slices (planes), within one buffer; each row
    // lies in one window. Stats (8 bytes a row) must fit one binding too.
    let planes = (max_elems / plane)
        .min((ctx.max_binding / 8) as usize / inner)
        .clamp(1, outer);
    // A thread per row for strided rows (neighbouring threads walk
    // neighbouring columns) and, on CPU adapters, for rows up to COLS_MAX_LEN
    // (llvmpipe's barriers cost far more than walking a short row in one
    // thread). On GPUs contiguous rows of a workgroup's width or more take a
    // workgroup each, for both passes: coalesced, no per-element division.
    let gpu_rows = ctx.softmax_single_pass && inner == 1 && len >= ctx.wg_size as usize;
    let (k1, thread_per_row) = if len > COLS_MAX_LEN || gpu_rows {
        (stats_kernel(StatsPass::Rows), false)
    } else {
        (stats_kernel(StatsPass::Cols), true)
    };
    let row_norm = inner == 1 && !thread_per_row;
    // Out of place, statistics and values in one dispatch: rows that fit in
    // workgroup memory on GPUs (a workgroup per row), rows a thread walks
    // elsewhere (read again from cache). Neither needs the stats buffer.
    let one_pass = if out.is_none() {
        None
    } else if ctx.softmax_single_pass && inner == 1 && len <= FUSED_MAX {
        Some((StatsPass::Fused, 1))
    } else if thread_per_row {
        Some((StatsPass::ColsFused, ctx.wg_size as usize))
    } else {
        None
    };
    let stats = match one_pass {
        Some(_) => None,
        None => Some(scratch(ctx, Scratch::Stats, (planes * inner) as u64 * 8)?),
    };
    let mut p0 = 0;
    while p0 < outer {
        let first = p0 * plane;
        let np = planes
            .min(outer - p0)
            .min((part_end(x, first) - first) / plane);
        let count = np * plane;
        let (xb, xo, xs, base) = window(ctx, x, first, count);
        if let Some((k, rows_per_group)) = one_pass {
            // Contiguous rows in vec4s where lengths and the window allow.
            let k = if k == StatsPass::ColsFused
                && inner == 1
                && len.is_multiple_of(4)
                && base.is_multiple_of(4)
            {
                StatsPass::ColsFused4
            } else {
                k
            };
            let (yb, yo, ys, _) = window(ctx, dst, first, count);
            let p = Params {
                outer: np as u32,
                len: len as u32,
                inner: inner as u32,
                count: count as u32,
                base,
                ..Default::default()
            };
            pass.run(
                stats_kernel(k),
                p,
                &[(0, xb, xo, Some(xs)), (4, yb, yo, Some(ys))],
                ((np * inner) as u64).div_ceil(rows_per_group as u64),
            )?;
            p0 += np;
            continue;
        }
        let stats = stats.as_ref().expect("two passes have a stats buffer");
        let rows = (np * inner) as u64;
        let p = Params {
            outer: np as u32,
            len: len as u32,
            inner: inner as u32,
            count: count as u32,
            base,
            ..Default::default()
        };
        let groups = if thread_per_row {
            rows.div_ceil(ctx.wg_size as u64)
        } else {
            rows
        };
        pass.run(k1, p, &[(0, xb, xo, Some(xs)), (1, stats, 0, None)], groups)?;
        if row_norm {
            let (yb, yo, ys, _) = window(ctx, dst, first, count);
            let (kernel, b) = match out {
                Some(_) => (
                    Kernel::Norm {
                        op,
                        layout: NormLayout::Rows,
                        inplace: false,
                    },
                    vec![
                        (0, xb, xo, Some(xs)),
                        (1, yb, yo, Some(ys)),
                        (3, stats, 0, None),
                    ],
                ),
                None => (
                    Kernel::Norm {
                        op,
                        layout: NormLayout::Rows,
                        inplace: true,
                    },
                    vec![(1, yb, yo, Some(ys)), (3, stats, 0, None)],
                ),
            };
            pass.run(kernel, p, &b, np as u64)?;
        } else {
            norm_pass(
                &mut pass,
                norm,
                Params { first: 0, ..p },
                first,
                count,
                stats,
            )?;
        }
        p0 += np;
    }
    Ok(())
}

/// Long strided rows (inner > 1) of outer slices that take the block path:
/// per plane, column chunks of width `w` reduced over windows of k-slices in
/// blocks of `kb` slices per thread (pass 1a), merged per column (pass 1b),
/// then the plane normalised. Column chunks never cross a buffer of a split
/// tensor, nor do windows.
#[allow(clippy::too_many_arguments)]
fn strided_long(
    ctx: &Context,
    pass: &mut Pass,
    op: Op,
    (x, dst, inplace): (&Tensor, &Tensor, bool),
    (outer, len, inner): (usize, usize, usize),
    max_elems: usize,
    norm_plane: impl Fn(&mut Pass, usize, &wgpu::Buffer) -> Result<()>,
) -> Result<()> {
    let plane = len * inner;
    let wg = ctx.wg_size as u64;
    // Slices per thread: at least 256, and few enough blocks that the merge
    // loop stays under llvmpipe's loop cap (2 x blocks trips).
    let kb = len.div_ceil(8192).clamp(256, 16_384);
    // A split tensor breaks only between trailing slices of `granule`
    // elements, which divides inner here: chunks stay within one.
    let granule = if x.parts.len() > 1 { x.granule } else { inner };
    let blocks_bound = |w: usize| {
        let kc = (max_elems - w) / inner + 1;
        len.div_ceil(kb) + len.div_ceil(kc) + x.parts.len() + 1
    };
    let mut width = inner.min(granule).min(max_elems);
    while width > 1 && (blocks_bound(width) * width) as u64 * 8 > ctx.max_binding {
        width = width.div_ceil(2);
    }
    let parts_bytes = (blocks_bound(width) * width) as u64 * 8;
    let parts = scratch(ctx, Scratch::Parts, parts_bytes)?;
    let stats = scratch(ctx, Scratch::Stats, inner as u64 * 8)?;
    let keep_term = matches!(
        op.info().kind,
        crate::activation::Kind::Axis(crate::activation::Reduce::MaxSumExp { keep_term: true })
    );
    for o in 0..outer {
        if inner == 1 {
            let wins = kept_windows(ctx, x, dst, o * plane, len, max_elems);
            if !wins.is_empty()
                && let Some(row_stats) = long_groups(ctx, pass, op, &wins, inplace, keep_term)?
            {
                if !keep_term {
                    norm_plane(pass, o, &row_stats)?;
                }
                continue;
            }
        }
        let mut i0 = 0;
        while i0 < inner {
            let w = width.min((i0 / granule + 1) * granule - i0).min(inner - i0);
            let (mut k, mut nblk) = (0, 0);
            while k < len {
                let e = o * plane + k * inner + i0;
                let kc_win = (max_elems - w) / inner + 1;
                let kc_part = (part_end(x, e) - e - w) / inner + 1;
                let kc = (len - k).min(kc_win).min(kc_part);
                let nb = kc.div_ceil(kb);
                let (xb, xo, xs, base) = window(ctx, x, e, (kc - 1) * inner + w);
                let p = Params {
                    len: w as u32,
                    inner: inner as u32,
                    count: kc as u32,
                    base,
                    block: kb as u32,
                    pbase: nblk as u32,
                    ..Default::default()
                };
                // One contiguous column in vec4s where the window allows.
                let wide = inner == 1
                    && kb.is_multiple_of(4)
                    && kc.is_multiple_of(4)
                    && base.is_multiple_of(4);
                pass.run(
                    Kernel::Stats {
                        op,
                        pass: if wide {
                            StatsPass::ColBlocks4
                        } else {
                            StatsPass::ColBlocks
                        },
                    },
                    p,
                    &[(0, xb, xo, Some(xs)), (1, &parts, 0, None)],
                    ((nb * w) as u64).div_ceil(wg),
                )?;
                nblk += nb;
                k += kc;
            }
            let p = Params {
                len: w as u32,
                count: nblk as u32,
                first: i0 as u32,
                ..Default::default()
            };
            pass.run(
                Kernel::Stats {
                    op,
                    pass: StatsPass::ColCombine,
                },
                p,
                &[(1, &stats, 0, None), (3, &parts, 0, None)],
                (w as u64).div_ceil(wg),
            )?;
            i0 += w;
        }
        norm_plane(pass, o, &stats)?;
    }
    Ok(())
}

/// One window of a long contiguous row for [`long_groups`]: x's and the
/// output's bindings (buffer, offset, size), the base index both share, and
/// the element count.
type KeptWindow<'t> = (
    (&'t wgpu::Buffer, u64, u64),
    (&'t wgpu::Buffer, u64, u64),
    u32,
    usize,
);

/// The windows of the contiguous row of `len` elements from `first`, where
/// each is in vec4s (counts and bases multiples of 4, the same base in x and
/// the output) for [`long_groups`]; none where one is not.
fn kept_windows<'t>(
    ctx: &Context,
    x: &'t Tensor,
    dst: &'t Tensor,
    first: usize,
    len: usize,
    max_elems: usize,
) -> Vec<KeptWindow<'t>> {
    let mut wins = Vec::new();
    let mut k = 0;
    while k < len {
        let e = first + k;
        let kc = (len - k)
            .min(max_elems)
            .min(part_end(x, e) - e)
            .min(part_end(dst, e) - e);
        let (xb, xo, xs, base) = window(ctx, x, e, kc);
        let (yb, yo, ys, ybase) = window(ctx, dst, e, kc);
        if !(kc.is_multiple_of(4) && base.is_multiple_of(4) && ybase == base) {
            return Vec::new();
        }
        wins.push(((xb, xo, xs), (yb, yo, ys), base, kc));
        k += kc;
    }
    wins
}

/// One long contiguous row on CPU adapters, in windows `wins`: a thread per
/// group of [`KEPT_GROUP`] elements held in registers takes their max, then
/// their terms, and writes the group's partial; a workgroup merges the
/// partials into the row's (m, t) in `stats[0]`. An op that keeps its term
/// (softmax) also stores each group's terms in the output, and its values
/// are written here: the stored terms rescaled to the row's max and mapped
/// in place; another's are the caller's to write from the stats. Each
/// element is loaded once for the stats (the block path: twice) and exp
/// taken once. Returns the stats buffer, or `None`, with nothing recorded,
/// where the row has more groups than one workgroup merges within
/// llvmpipe's loop cap or the partials outgrow a binding.
///
/// [`KEPT_GROUP`]: crate::kernels::KEPT_GROUP
fn long_groups(
    ctx: &Context,
    pass: &mut Pass,
    op: Op,
    wins: &[KeptWindow],
    inplace: bool,
    keep_term: bool,
) -> Result<Option<wgpu::Buffer>> {
    let wg = ctx.wg_size as u64;
    let group = crate::kernels::KEPT_GROUP;
    let groups: Vec<usize> = wins.iter().map(|w| w.3.div_ceil(group)).collect();
    let total: usize = groups.iter().sum();
    if total > rows_max_len(ctx) || total as u64 * 8 > ctx.max_binding {
        return Ok(None);
    }
    let parts = scratch(ctx, Scratch::Parts, total as u64 * 8)?;
    let stats = scratch(ctx, Scratch::Stats, 8)?;
    let params = |base: u32, count: usize, pbase: usize| Params {
        count: count as u32,
        base,
        pbase: pbase as u32,
        ..Default::default()
    };
    let mut pbase = 0;
    for (&((xb, xo, xs), (yb, yo, ys), base, kc), &ng) in wins.iter().zip(&groups) {
        let mut b = vec![(1, &parts, 0, None), (4, yb, yo, Some(ys))];
        if !inplace {
            b.push((0, xb, xo, Some(xs)));
        }
        pass.run(
            Kernel::Stats {
                op,
                pass: StatsPass::ColGroups4 { inplace },
            },
            params(base, kc, pbase),
            &b,
            (ng as u64).div_ceil(wg),
        )?;
        pbase += ng;
    }
    pass.run(
        Kernel::Stats {
            op,
            pass: StatsPass::Combine,
        },
        params(0, total, 0),
        &[(1, &stats, 0, None), (3, &parts, 0, None)],
        1,
    )?;
    if !keep_term {
        return Ok(Some(stats));
    }
    let mut pbase = 0;
    for (&(_, (yb, yo, ys), base, kc), &ng) in wins.iter().zip(&groups) {
        pass.run(
            Kernel::Norm {
                op,
                layout: NormLayout::Kept4,
                inplace: true,
            },
            params(base, kc, pbase),
            &[
                (1, yb, yo, Some(ys)),
                (3, &stats, 0, None),
                (4, &parts, 0, None),
            ],
            (ng as u64).div_ceil(wg),
        )?;
        pbase += ng;
    }
    Ok(Some(stats))
}

/// The two scratch buffers one softmax uses at once.
#[derive(Clone, Copy)]
enum Scratch {
    /// Row statistics (max, t = sum - 1) read by pass 2.
    Stats = 0,
    /// Per-block partials of long rows.
    Parts = 1,
}

/// A scratch buffer of at least `bytes`, kept in the context and grown when
/// needed, so that repeated ops bind the same buffers (and reuse their bind
/// groups). Sharing is safe: every op writes its scratch before reading it,
/// within its own command buffer, and wgpu orders the uses with barriers.
fn scratch(ctx: &Context, role: Scratch, bytes: u64) -> Result<wgpu::Buffer> {
    if bytes > ctx.max_binding {
        return Err(Error::TooLarge {
            what: "softmax statistics (bytes per binding)",
            needed: bytes,
            limit: ctx.max_binding,
        });
    }
    let mut slots = ctx.scratch.lock().unwrap_or_else(|p| p.into_inner());
    let slot = &mut slots[role as usize];
    if let Some(b) = slot.as_ref().filter(|b| b.size() >= bytes) {
        return Ok(b.clone());
    }
    // Room to grow, but never past what one binding may cover.
    let size = bytes
        .max(256)
        .next_power_of_two()
        .min(ctx.max_binding)
        .max(bytes);
    ctx.fits("softmax scratch", size)?;
    let b = ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("softmax scratch"),
        size,
        usage: wgpu::BufferUsages::STORAGE,
        mapped_at_creation: false,
    });
    *slot = Some(b.clone());
    Ok(b)
}
