//! Elementwise passes: `vec4` loads and stores with a scalar tail, split
//! across bindings when a tensor exceeds the storage-binding limit. One
//! walker serves the forward, the backward, the fused forward that saves the
//! derivative and the product from it.

use super::ElemParams;
use super::axis::part_end;
use crate::kernels::{Io, Kernel, Store, Width};
use crate::{Activation, Context, Result, Tensor};

pub(super) fn encode(
    ctx: &Context,
    enc: &mut wgpu::CommandEncoder,
    act: &Activation,
    x: &Tensor,
    out: Option<&Tensor>,
) -> Result<()> {
    let inplace = out.is_none();
    let op = act.op();
    let inputs: &[(u32, &Tensor)] = if inplace { &[] } else { &[(0, x)] };
    let store = |t: &Tensor| Store::of(t.dtype(), ctx.native_f16);
    let io = Io {
        src: store(x),
        dst: store(out.unwrap_or(x)),
    };
    let defaults = act.has_default_params();
    pass(
        ctx,
        enc,
        ElemParams::new(act),
        |width| {
            Some(Kernel::Map {
                op,
                width,
                inplace,
                io,
                defaults,
            })
        },
        inputs,
        out.unwrap_or(x),
    )
}

/// One elementwise pass over chunks of a binding: `kernel(width)` (`None`
/// for a width the pass lacks) with `dst` at binding 1 and each of `inputs`
/// at its binding. Same shapes from the same context split alike; wrapped
/// tensors are one part each, and chunks never cross a part of any tensor.
/// Chunks start at multiples of `max_binding` within a part, itself a
/// multiple of the storage offset alignment; the vec4 kernel runs where
/// every binding starts on 16 bytes, the scalar one over the rest: an
/// element per invocation when all are f32, else a pair (a word of 16-bit
/// storage; chunks and parts start on even elements).
pub(super) fn pass(
    ctx: &Context,
    enc: &mut wgpu::CommandEncoder,
    base: ElemParams,
    kernel: impl Fn(Width) -> Option<Kernel>,
    inputs: &[(u32, &Tensor)],
    dst: &Tensor,
) -> Result<()> {
    // Elements per chunk as for f32, so 2-byte ones start aligned too
    // (max_binding is a multiple of twice the alignment).
    let chunk = (ctx.max_binding / 4) as usize;
    let wide = inputs.iter().all(|(_, t)| t.dtype() == crate::DType::F32)
        && dst.dtype() == crate::DType::F32;
    let groups = |items: usize| (items as u64).div_ceil(ctx.wg_size as u64);
    let mut start = 0usize;
    while start < dst.len() {
        let n = inputs
            .iter()
            .map(|(_, t)| part_end(t, start) - start)
            .fold(chunk.min(part_end(dst, start) - start), usize::min);
        // (binding, buffer, byte offset, element size) of each tensor's chunk.
        let at = |b: u32, t: &'_ Tensor| {
            let (p, i) = t.locate(start);
            let size = t.dtype().size() as u64;
            (b, p.buffer.clone(), p.offset + i as u64 * size, size)
        };
        let places: Vec<(u32, wgpu::Buffer, u64, u64)> = std::iter::once(at(1, dst))
            .chain(inputs.iter().map(|&(b, t)| at(b, t)))
            .collect();
        // Bindings are whole 4-byte words (a 16-bit tensor's buffer holds
        // the word its last element shares).
        let bind = |count: usize| {
            places
                .iter()
                .map(|(b, buf, off, size)| {
                    (
                        *b,
                        buf,
                        *off,
                        Some((count as u64 * size).next_multiple_of(4)),
                    )
                })
                .collect::<Vec<_>>()
        };
        let aligned = places.iter().all(|(_, _, off, _)| off % 16 == 0);
        // Groups of 4 f32 elements, or of 8 when any side is 16-bit.
        let (width, per) = if wide {
            (Width::Vec4, 4)
        } else {
            (Width::Vec8, 8)
        };
        // Elements the wide kernel covers, in groups of 4.
        let n4 = match kernel(width) {
            Some(k) if aligned && n >= per => {
                let groups_n = n / per;
                let p = ElemParams {
                    len: groups_n as u32,
                    first: 0,
                    ..base
                };
                let threads = groups_n.div_ceil(crate::kernels::WIDE_ITEMS as usize);
                ctx.dispatch(enc, k, &p, &bind(groups_n * per), groups(threads))?;
                groups_n * per / 4
            }
            _ => 0,
        };
        if n > n4 * 4 {
            // The last 1-7 elements (or all, unaligned) through the scalar
            // kernel over the same bindings.
            let p = ElemParams {
                len: n as u32,
                first: (n4 * 4) as u32,
                ..base
            };
            let k = kernel(Width::Scalar).expect("every pass has a scalar kernel");
            let items = if wide {
                n - n4 * 4
            } else {
                (n - n4 * 4).div_ceil(2)
            };
            ctx.dispatch(enc, k, &p, &bind(n), groups(items))?;
        }
        start += n;
    }
    Ok(())
}
