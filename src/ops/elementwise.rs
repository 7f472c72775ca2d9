//! sigmoid, tanh, relu: one thread per element, split across bindings when a
//! tensor exceeds the storage-binding limit.

use super::{WG_SIZE, entry};
use crate::kernels::Kernel;
use crate::{Activation, Context, Result, Tensor};

/// Mirrors `Params` in `shaders/params.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    len: u32,
    has_max: u32,
    _pad0: [u32; 2], // include_alpha (textures only), padding
    negative_slope: f32,
    max_value: f32,
    threshold: f32,
    _pad1: f32,
}

pub(super) fn encode(
    ctx: &Context,
    enc: &mut wgpu::CommandEncoder,
    act: &Activation,
    x: &Tensor,
    out: Option<&Tensor>,
) -> Result<()> {
    let inplace = out.is_none();
    let kernel = match (act, inplace) {
        (Activation::Sigmoid, false) => Kernel::Sigmoid,
        (Activation::Sigmoid, true) => Kernel::SigmoidInPlace,
        (Activation::Tanh, false) => Kernel::Tanh,
        (Activation::Tanh, true) => Kernel::TanhInPlace,
        (Activation::Relu(_), false) => Kernel::Relu,
        (Activation::Relu(_), true) => Kernel::ReluInPlace,
        (Activation::Softmax { .. }, _) => unreachable!("softmax is not elementwise"),
    };
    let (slope, max_value, threshold) = match act {
        Activation::Relu(p) => (p.negative_slope, p.max_value, p.threshold),
        _ => (0.0, None, 0.0),
    };
    let pipeline = ctx.kernels.get(kernel);
    let layout = pipeline.get_bind_group_layout(0);
    let dst = out.unwrap_or(x);
    // Chunks start at multiples of max_binding, itself a multiple of the
    // storage offset alignment.
    let chunk = (ctx.max_binding / 4) as usize;
    let mut start = 0usize;
    while start < x.len() {
        let n = chunk.min(x.len() - start);
        let params = ctx.uniform(&Params {
            len: n as u32,
            has_max: max_value.is_some() as u32,
            _pad0: [0; 2],
            negative_slope: slope,
            max_value: max_value.unwrap_or(0.0),
            threshold,
            _pad1: 0.0,
        });
        let (off, size) = (start as u64 * 4, n as u64 * 4);
        let mut entries = vec![
            entry(1, &dst.buffer, dst.offset + off, Some(size)),
            entry(2, &params, 0, None),
        ];
        if !inplace {
            entries.push(entry(0, &x.buffer, x.offset + off, Some(size)));
        }
        let bind = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(act.name()),
            layout: &layout,
            entries: &entries,
        });
        let (gx, gy) = ctx.grid((n as u64).div_ceil(WG_SIZE))?;
        let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some(act.name()),
            timestamp_writes: None,
        });
        pass.set_pipeline(pipeline);
        pass.set_bind_group(0, &bind, &[]);
        pass.dispatch_workgroups(gx, gy, 1);
        start += n;
    }
    Ok(())
}
