//! Softmax: pass 1 computes each row's (max, sum of exp), pass 2 normalises.
//! Any axis, no transpose.

use super::{WG_SIZE, entry};
use crate::kernels::Kernel;
use crate::shape::split_at_axis;
use crate::{Context, Error, Result, Tensor};

/// Longest row given to one thread. llvmpipe ends an invocation after about
/// 2^16 loop trips in all (pass 1 makes two passes over the row); longer
/// strided rows get a workgroup each.
const COLS_MAX_LEN: usize = 8192;
/// Longest row given to one workgroup, for the same reason.
const ROWS_MAX_LEN: usize = 8_000_000;

/// Mirrors `SoftmaxParams` in `shaders/softmax_common.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    outer: u32,
    len: u32,
    inner: u32,
    total: u32,
}

fn to_u32(v: usize) -> Result<u32> {
    u32::try_from(v).map_err(|_| Error::TooLarge {
        what: "softmax elements",
        needed: v as u64,
        limit: u32::MAX as u64,
    })
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
    // Splitting a softmax across bindings is not implemented yet.
    if x.byte_len() > ctx.max_binding {
        return Err(Error::TooLarge {
            what: "softmax tensor (bytes per binding)",
            needed: x.byte_len(),
            limit: ctx.max_binding,
        });
    }
    // Pass 1 gives a row to one workgroup: 2 * len / 256 loop trips per
    // invocation must stay under llvmpipe's cap. Longer rows need the
    // multi-workgroup reduction, which is not implemented yet.
    if len > ROWS_MAX_LEN {
        return Err(Error::TooLarge {
            what: "softmax row length",
            needed: len as u64,
            limit: ROWS_MAX_LEN as u64,
        });
    }
    let params = Params {
        outer: to_u32(outer)?,
        len: to_u32(len)?,
        inner: to_u32(inner)?,
        total: to_u32(x.len())?,
    };
    let rows = outer as u64 * inner as u64;
    let stats = ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("softmax stats"),
        size: (rows * 8).max(16),
        usage: wgpu::BufferUsages::STORAGE,
        mapped_at_creation: false,
    });
    let uniform = ctx.uniform(&params);

    // A thread per row unless rows are long: on llvmpipe a workgroup's
    // barriers cost far more than walking a short row in one thread.
    let (k1, groups1) = if len > COLS_MAX_LEN {
        (Kernel::SoftmaxStatsRows, rows)
    } else {
        (Kernel::SoftmaxStatsCols, rows.div_ceil(WG_SIZE))
    };
    let p1 = ctx.kernels.get(k1);
    let bind1 = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some("softmax stats"),
        layout: &p1.get_bind_group_layout(0),
        entries: &[
            entry(0, &x.buffer, x.offset, Some(x.byte_len())),
            entry(1, &stats, 0, None),
            entry(2, &uniform, 0, None),
        ],
    });

    let k2 = if out.is_some() {
        Kernel::SoftmaxNorm
    } else {
        Kernel::SoftmaxNormInPlace
    };
    let p2 = ctx.kernels.get(k2);
    let dst = out.unwrap_or(x);
    let mut entries2 = vec![
        entry(1, &dst.buffer, dst.offset, Some(x.byte_len())),
        entry(2, &uniform, 0, None),
        entry(3, &stats, 0, None),
    ];
    if out.is_some() {
        entries2.push(entry(0, &x.buffer, x.offset, Some(x.byte_len())));
    }
    let bind2 = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some("softmax norm"),
        layout: &p2.get_bind_group_layout(0),
        entries: &entries2,
    });

    let (g1x, g1y) = ctx.grid(groups1)?;
    let (g2x, g2y) = ctx.grid((x.len() as u64).div_ceil(WG_SIZE))?;
    let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
        label: Some("softmax"),
        timestamp_writes: None,
    });
    pass.set_pipeline(p1);
    pass.set_bind_group(0, &bind1, &[]);
    pass.dispatch_workgroups(g1x, g1y, 1);
    pass.set_pipeline(p2);
    pass.set_bind_group(0, &bind2, &[]);
    pass.dispatch_workgroups(g2x, g2y, 1);
    Ok(())
}
