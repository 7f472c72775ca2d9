//! Elementwise ops: `vec4` loads and stores with a scalar tail, split across
//! bindings when a tensor exceeds the storage-binding limit.

use super::ElemParams;
use crate::kernels::{Kernel, Width};
use crate::{Activation, Context, Result, Tensor};

pub(super) fn encode(
    ctx: &Context,
    enc: &mut wgpu::CommandEncoder,
    act: &Activation,
    x: &Tensor,
    out: Option<&Tensor>,
) -> Result<()> {
    let inplace = out.is_none();
    let kernel = |width| Kernel::Map {
        op: act.op(),
        width,
        inplace,
    };
    let (scalar, vec4) = (kernel(Width::Scalar), kernel(Width::Vec4));
    let base = ElemParams::new(act);
    let params = |first: usize, len: usize| ElemParams {
        len: len as u32,
        first: first as u32,
        ..base
    };
    let dst = out.unwrap_or(x);
    // One dispatch of `kernel` over `size` bytes from element `start` of
    // part `k` (same split in x and dst: same shape, same context).
    let mut dispatch = |kernel: Kernel,
                        k: usize,
                        start: usize,
                        size: u64,
                        params: ElemParams,
                        items: u64|
     -> Result<()> {
        let (xp, dp) = (&x.parts[k], &dst.parts[k]);
        let off = start as u64 * 4;
        let mut bindings = vec![(1, &dp.buffer, dp.offset + off, Some(size))];
        if !inplace {
            bindings.push((0, &xp.buffer, xp.offset + off, Some(size)));
        }
        let groups = items.div_ceil(ctx.wg_size as u64);
        ctx.dispatch(enc, kernel, &params, &bindings, groups)
    };
    // Per part, chunks start at multiples of max_binding, itself a multiple
    // of the storage offset alignment and of 16 bytes.
    let chunk = (ctx.max_binding / 4) as usize;
    for (k, part) in x.parts.iter().enumerate() {
        let mut start = 0usize;
        while start < part.len {
            let n = chunk.min(part.len - start);
            let n4 = n / 4;
            if n4 > 0 {
                dispatch(vec4, k, start, n4 as u64 * 16, params(0, n4), n4 as u64)?;
            }
            if !n.is_multiple_of(4) {
                // The last 1-3 elements, through the scalar kernel over the same binding.
                dispatch(
                    scalar,
                    k,
                    start,
                    n as u64 * 4,
                    params(n4 * 4, n),
                    (n - n4 * 4) as u64,
                )?;
            }
            start += n;
        }
    }
    Ok(())
}
