//! Softmax: pass 1 computes each row's (max, sum of exp), pass 2 normalises.
//! Any axis, no transpose. Tensors larger than one storage binding are taken
//! in windows of whole outer slices; contiguous rows longer than one
//! workgroup should take are reduced in blocks whose partial (max, sum) pairs
//! are merged, and may span several windows.

use super::entry;
use crate::kernels::Kernel;
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
struct Params {
    outer: u32,
    len: u32,
    inner: u32,
    count: u32,
    first: u32,
    base: u32,
    block: u32,
    pbase: u32,
}

fn to_u32(v: usize) -> Result<u32> {
    u32::try_from(v).map_err(|_| Error::TooLarge {
        what: "softmax elements",
        needed: v as u64,
        limit: u32::MAX as u64,
    })
}

/// Records one pass: `kernel` over `groups` workgroups with `bindings`.
struct Pass<'a> {
    ctx: &'a Context,
    enc: &'a mut wgpu::CommandEncoder,
}

impl Pass<'_> {
    fn run(
        &mut self,
        kernel: Kernel,
        params: Params,
        bindings: &[(u32, &wgpu::Buffer, u64, Option<u64>)],
        groups: u64,
    ) -> Result<()> {
        let pipeline = self.ctx.kernels.get(kernel);
        let uniform = self.ctx.uniform(&params);
        let mut entries: Vec<_> = bindings
            .iter()
            .map(|&(b, buf, off, size)| entry(b, buf, off, size))
            .collect();
        entries.push(entry(2, &uniform, 0, None));
        let bind = self
            .ctx
            .device
            .create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("softmax"),
                layout: &pipeline.get_bind_group_layout(0),
                entries: &entries,
            });
        let (gx, gy) = self.ctx.grid(groups)?;
        let mut pass = self.enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("softmax"),
            timestamp_writes: None,
        });
        pass.set_pipeline(pipeline);
        pass.set_bind_group(0, &bind, &[]);
        pass.dispatch_workgroups(gx, gy, 1);
        Ok(())
    }
}

/// A window of elements [first, first + count) of a tensor, bound from the
/// aligned offset at or below it: (binding offset, binding size, base index).
fn window(ctx: &Context, t: &Tensor, first: usize, count: usize) -> (u64, u64, u32) {
    let align = ctx.limits.min_storage_buffer_offset_alignment.max(4) as u64;
    let start = t.offset + first as u64 * 4;
    let aligned = start / align * align;
    let base = (start - aligned) / 4;
    (aligned, (base + count as u64) * 4, base as u32)
}

pub(super) fn encode(
    ctx: &Context,
    enc: &mut wgpu::CommandEncoder,
    axis: isize,
    x: &Tensor,
    out: Option<&Tensor>,
) -> Result<()> {
    let (outer, len, inner) = split_at_axis(x.shape(), axis)?;
    if x.is_empty() {
        return Ok(());
    }
    to_u32(x.len())?;
    let dst = out.unwrap_or(x);
    let (norm, src_binding) = match out {
        Some(_) => (Kernel::SoftmaxNorm, true),
        None => (Kernel::SoftmaxNormInPlace, false),
    };
    // Elements one binding holds, less the slack of an aligned-down start.
    let slack = ctx.limits.min_storage_buffer_offset_alignment.max(4) as usize / 4;
    let max_elems = (ctx.max_binding / 4) as usize - slack;
    let mut pass = Pass { ctx, enc };
    let norm_pass = |pass: &mut Pass,
                     p: Params,
                     first: usize,
                     count: usize,
                     stats: &wgpu::Buffer|
     -> Result<()> {
        let (xo, xs, base) = window(ctx, x, first, count);
        let (yo, ys, _) = window(ctx, dst, first, count);
        let p = Params {
            base,
            count: count as u32,
            ..p
        };
        let mut b = vec![(1, &dst.buffer, yo, Some(ys)), (3, stats, 0, None)];
        if src_binding {
            b.push((0, &x.buffer, xo, Some(xs)));
        }
        pass.run(norm, p, &b, (count as u64).div_ceil(ctx.wg_size as u64))
    };

    let plane = len * inner;
    if len > rows_max_len(ctx) || plane > max_elems || inner as u64 * 8 > ctx.max_binding {
        // Long rows, or outer slices larger than a binding: each row (o, i)
        // is reduced in blocks whose partials are merged into stats[i]; a row
        // may span several windows. Then plane o is normalised in windows.
        // A block's elements (`inner` apart) must fit one binding.
        let block = BLOCK.min((max_elems - 1) / inner + 1);
        if inner as u64 * 8 > ctx.max_binding {
            return Err(Error::TooLarge {
                what: "softmax row statistics (bytes per binding)",
                needed: inner as u64 * 8,
                limit: ctx.max_binding,
            });
        }
        let blocks = len.div_ceil(block);
        // Blocks per window: a window of nb blocks spans (nb * block - 1) * inner + 1.
        let per_window = ((max_elems - 1) / inner + 1) / block;
        let parts = scratch(ctx, blocks as u64 * 8)?;
        let stats = scratch(ctx, inner as u64 * 8)?;
        for o in 0..outer {
            for i in 0..inner {
                let row = o * plane + i;
                let mut b0 = 0;
                while b0 < blocks {
                    let nb = per_window.min(blocks - b0);
                    let count = (nb * block).min(len - b0 * block);
                    let first = row + b0 * block * inner;
                    let (xo, xs, base) = window(ctx, x, first, (count - 1) * inner + 1);
                    let p = Params {
                        inner: inner as u32,
                        count: count as u32,
                        base,
                        block: block as u32,
                        pbase: b0 as u32,
                        ..Default::default()
                    };
                    pass.run(
                        Kernel::SoftmaxBlocks,
                        p,
                        &[(0, &x.buffer, xo, Some(xs)), (1, &parts, 0, None)],
                        nb as u64,
                    )?;
                    b0 += nb;
                }
                let p = Params {
                    count: blocks as u32,
                    first: i as u32,
                    ..Default::default()
                };
                pass.run(
                    Kernel::SoftmaxCombine,
                    p,
                    &[(1, &stats, 0, None), (3, &parts, 0, None)],
                    1,
                )?;
            }
            let mut done = 0;
            while done < plane {
                let count = max_elems.min(plane - done);
                let p = Params {
                    outer: 1,
                    len: len as u32,
                    inner: inner as u32,
                    first: done as u32,
                    ..Default::default()
                };
                norm_pass(&mut pass, p, o * plane + done, count, &stats)?;
                done += count;
            }
        }
        return Ok(());
    }

    // Windows of whole outer slices (planes); each row lies in one window.
    // Stats (8 bytes a row) must fit one binding too.
    let planes = (max_elems / plane)
        .min((ctx.max_binding / 8) as usize / inner)
        .clamp(1, outer);
    let stats = scratch(ctx, (planes * inner) as u64 * 8)?;
    let (k1, thread_per_row) = if len > COLS_MAX_LEN {
        (Kernel::SoftmaxStatsRows, false)
    } else {
        // A thread per row unless rows are long: on llvmpipe a workgroup's
        // barriers cost far more than walking a short row in one thread.
        (Kernel::SoftmaxStatsCols, true)
    };
    let fused = ctx.softmax_single_pass && out.is_some() && inner == 1 && len <= FUSED_MAX;
    let mut p0 = 0;
    while p0 < outer {
        let np = planes.min(outer - p0);
        if fused {
            let (first, count) = (p0 * plane, np * plane);
            let (xo, xs, base) = window(ctx, x, first, count);
            let (yo, ys, _) = window(ctx, dst, first, count);
            let p = Params {
                outer: np as u32,
                len: len as u32,
                inner: 1,
                count: count as u32,
                base,
                ..Default::default()
            };
            pass.run(
                Kernel::SoftmaxFused,
                p,
                &[(0, &x.buffer, xo, Some(xs)), (4, &dst.buffer, yo, Some(ys))],
                np as u64,
            )?;
            p0 += np;
            continue;
        }
        let (first, count) = (p0 * plane, np * plane);
        let (xo, xs, base) = window(ctx, x, first, count);
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
        pass.run(
            k1,
            p,
            &[(0, &x.buffer, xo, Some(xs)), (1, &stats, 0, None)],
            groups,
        )?;
        norm_pass(&mut pass, Params { first: 0, ..p }, first, count, &stats)?;
        p0 += np;
    }
    Ok(())
}

fn scratch(ctx: &Context, bytes: u64) -> Result<wgpu::Buffer> {
    if bytes > ctx.max_binding {
        return Err(Error::TooLarge {
            what: "softmax statistics (bytes per binding)",
            needed: bytes,
            limit: ctx.max_binding,
        });
    }
    Ok(ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("softmax stats"),
        size: bytes.max(16),
        usage: wgpu::BufferUsages::STORAGE,
        mapped_at_creation: false,
    }))
}
