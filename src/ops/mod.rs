//! The ops: argument checks, then dispatch. Each op records into a command
//! encoder; the convenience methods submit it at once.

mod axis;
mod backward;
pub use backward::Saved;
pub mod chain;
mod elementwise;
mod halves;
mod simplex;
mod texture;

pub(crate) use simplex::max_row as simplex_max_row;
pub use texture::TEXTURE_FORMATS;
pub(crate) use texture::TexturePipelines;

use crate::activation::{Kind, MAX_PARAMS, Reduce};
use crate::bindcache::Key;
use crate::kernels::Kernel;
use crate::{Activation, Context, DType, Error, Relu, Result, Tensor};

impl Context {
    /// Records `act` applied to `x` into `encoder`, writing `out` (of
    /// [`Activation::output_shape`]) or `x` itself when `out` is `None` (not
    /// for glu, whose output is smaller). Nothing is submitted: the caller submits
    /// `encoder` when it likes, so many ops can share one submission. Keep
    /// `x` and `out` alive until then: a dropped op output returns its buffer
    /// to wgact's pool (a [`Chain`](crate::Chain) takes care of this itself).
    pub fn encode(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        act: &Activation,
        x: &Tensor,
        out: Option<&Tensor>,
    ) -> Result<()> {
        act.validate()?;
        let want = act.output_shape(x.shape())?;
        match out {
            Some(o) if o.shape() != want => {
                return Err(Error::ShapesDiffer {
                    a: want,
                    b: o.shape().to_vec(),
                });
            }
            None if want != x.shape() || act.kind() == Kind::Halves => {
                return Err(Error::NotInPlace { op: act.name() });
            }
            _ => {}
        }
        let axis = act.axis().unwrap_or(-1);
        let all_f32 = x.dtype() == DType::F32 && out.is_none_or(|o| o.dtype() == DType::F32);
        self.scoped(|| match act.kind() {
            Kind::Elementwise => elementwise::encode(self, encoder, act, x, out),
            _ if !all_f32 => self.encode_through_f32(encoder, act, x, out),
            Kind::Axis(Reduce::MaxSumExp { .. }) => {
                axis::encode(self, encoder, act.op(), axis, x, out)
            }
            Kind::Axis(Reduce::Simplex) => simplex::encode(self, encoder, act.op(), axis, x, out),
            Kind::Halves => halves::encode(self, encoder, act.op(), axis, x, out.unwrap_or(x)),
        })?
    }

    /// An axis op or glu on 16-bit tensors: the input widened to an f32
    /// tensor (exact), the op's f32 kernels (sums accumulate in f32), the
    /// result rounded once into the output. The f32 temporaries are fresh
    /// buffers (not the pool's), which wgpu keeps alive until the work is done.
    fn encode_through_f32(
        &self,
        enc: &mut wgpu::CommandEncoder,
        act: &Activation,
        x: &Tensor,
        out: Option<&Tensor>,
    ) -> Result<()> {
        let dst = out.unwrap_or(x);
        let wide = |t: &Tensor| match t.dtype() {
            DType::F32 => Ok(None),
            _ => self.zeros_as(t.shape(), DType::F32).map(Some),
        };
        let x32 = wide(x)?;
        if let Some(t) = &x32 {
            elementwise::encode(self, enc, &Activation::Linear, x, Some(t))?;
        }
        let x32 = x32.as_ref().unwrap_or(x);
        if dst.dtype() == DType::F32 {
            return self.encode(enc, act, x32, Some(dst));
        }
        // Into an f32 result, then rounded into dst (in place over the
        // widened input where the op allows).
        let y32 = match out {
            None => None,
            Some(_) => wide(dst)?,
        };
        match &y32 {
            Some(y) => self.encode(enc, act, x32, Some(y))?,
            None => self.encode(enc, act, x32, None)?,
        }
        elementwise::encode(
            self,
            enc,
            &Activation::Linear,
            y32.as_ref().unwrap_or(x32),
            Some(dst),
        )
    }

    /// `t` converted to `dtype` as a new tensor: exact where `dtype` holds
    /// every value of `t`'s, else rounded to nearest, ties to even (f32 past
    /// f16's range gives ±inf; NaN stays NaN).
    ///
    /// ```no_run
    /// # let ctx = wgact::Context::new()?;
    /// let x = ctx.upload(&[1.0f32, 70000.0, 1e-8], &[3])?;
    /// let h = ctx.cast(&x, wgact::DType::F16)?;
    /// assert_eq!(ctx.read(&h)?, [1.0, f32::INFINITY, 0.0]);
    /// # Ok::<(), wgact::Error>(())
    /// ```
    pub fn cast(&self, t: &Tensor, dtype: DType) -> Result<Tensor> {
        let out = self.empty_as(t.shape(), dtype)?;
        self.apply_into(&Activation::Linear, t, &out)?;
        Ok(out)
    }

    fn run(&self, act: &Activation, x: &Tensor, out: Option<&Tensor>) -> Result<()> {
        let mut enc = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some(act.name()),
            });
        self.encode(&mut enc, act, x, out)?;
        self.submit(enc)?;
        Ok(())
    }

    /// `act(x)` as a new tensor of `x`'s dtype.
    pub fn apply(&self, act: &Activation, x: &Tensor) -> Result<Tensor> {
        act.validate()?;
        let out = self.empty_as(&act.output_shape(x.shape())?, x.dtype())?;
        self.run(act, x, Some(&out))?;
        Ok(out)
    }

    /// `act(x)` written into `out` (of [`Activation::output_shape`]), of any
    /// dtype: an f32 output from a 16-bit input and the reverse are how
    /// mixed-precision pipelines cross over (each result rounded once).
    pub fn apply_into(&self, act: &Activation, x: &Tensor, out: &Tensor) -> Result<()> {
        self.run(act, x, Some(out))
    }

    /// `act(x)` written over `x`.
    pub fn apply_inplace(&self, act: &Activation, x: &mut Tensor) -> Result<()> {
        self.run(act, x, None)
    }

    /// Logistic sigmoid `1 / (1 + exp(-x))`.
    pub fn sigmoid(&self, x: &Tensor) -> Result<Tensor> {
        self.apply(&Activation::Sigmoid, x)
    }
    /// In-place [`Context::sigmoid`].
    pub fn sigmoid_inplace(&self, x: &mut Tensor) -> Result<()> {
        self.apply_inplace(&Activation::Sigmoid, x)
    }
    /// Hyperbolic tangent.
    pub fn tanh(&self, x: &Tensor) -> Result<Tensor> {
        self.apply(&Activation::Tanh, x)
    }
    /// In-place [`Context::tanh`].
    pub fn tanh_inplace(&self, x: &mut Tensor) -> Result<()> {
        self.apply_inplace(&Activation::Tanh, x)
    }
    /// Keras relu with parameters `p` (see [`Relu`]).
    pub fn relu(&self, x: &Tensor, p: &Relu) -> Result<Tensor> {
        self.apply(&(*p).into(), x)
    }
    /// In-place [`Context::relu`].
    pub fn relu_inplace(&self, x: &mut Tensor, p: &Relu) -> Result<()> {
        self.apply_inplace(&(*p).into(), x)
    }
    /// Softmax along `axis` (negative counts from the end; Keras' default is -1).
    pub fn softmax(&self, x: &Tensor, axis: isize) -> Result<Tensor> {
        self.apply(&Activation::Softmax { axis }, x)
    }
    /// In-place [`Context::softmax`].
    pub fn softmax_inplace(&self, x: &mut Tensor, axis: isize) -> Result<()> {
        self.apply_inplace(&Activation::Softmax { axis }, x)
    }

    /// A uniform buffer holding `v`: created unmapped and written through the
    /// queue (wgpu's create_buffer_init maps it, and panics on a lost device).
    pub(crate) fn uniform<T: bytemuck::Pod>(&self, v: &T) -> wgpu::Buffer {
        let bytes = bytemuck::bytes_of(v);
        let b = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("wgact params"),
            size: (bytes.len() as u64).next_multiple_of(16),
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        self.queue.write_buffer(&b, 0, bytes);
        b
    }

    /// Records one compute pass: `kernel` over `groups` workgroups, with its
    /// storage `bindings` (binding, buffer, offset, size; `None`: the rest of
    /// the buffer) and `params` as the uniform at binding 2. The bind group
    /// comes from the cache when the same kernel, buffers and parameters
    /// were bound before.
    pub(crate) fn dispatch<P: bytemuck::Pod>(
        &self,
        enc: &mut wgpu::CommandEncoder,
        kernel: Kernel,
        params: &P,
        bindings: &[(u32, &wgpu::Buffer, u64, Option<u64>)],
        groups: u64,
    ) -> Result<()> {
        let pipeline = self.kernels.get(&self.device, kernel)?;
        let label = kernel.module_name();
        let key = Key {
            kernel,
            params: bytemuck::bytes_of(params).to_vec(),
            storage: bindings
                .iter()
                .map(|&(b, buf, off, size)| (b, buf.clone(), off, size.unwrap_or(u64::MAX)))
                .collect(),
        };
        let bind = self.binds.get(key, || {
            let uniform = self.uniform(params);
            let mut entries: Vec<_> = bindings
                .iter()
                .map(|&(b, buf, off, size)| entry(b, buf, off, size))
                .collect();
            entries.push(entry(2, &uniform, 0, None));
            self.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some(&label),
                layout: &pipeline.get_bind_group_layout(0),
                entries: &entries,
            })
        });
        let (gx, gy) = self.grid(groups)?;
        let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some(&label),
            timestamp_writes: None,
        });
        pass.set_pipeline(&pipeline);
        pass.set_bind_group(0, &bind, &[]);
        pass.dispatch_workgroups(gx, gy, 1);
        Ok(())
    }

    /// Workgroup grid for `groups` workgroups, folded into y past the
    /// per-dimension limit (kernels rebuild the linear index).
    pub(crate) fn grid(&self, groups: u64) -> Result<(u32, u32)> {
        let max = self.max_groups as u64;
        if groups <= max {
            return Ok((groups as u32, 1));
        }
        let y = groups.div_ceil(max);
        if y > max {
            return Err(Error::TooLarge {
                what: "workgroups",
                needed: groups,
                limit: max * max,
            });
        }
        Ok((max as u32, y as u32))
    }
}

/// Mirrors `Params` in `shaders/params.wgsl`: the uniform of the elementwise
/// kernels, buffer and texture alike. `p` holds the op's parameters in table
/// order ([`Activation::slots`]).
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub(crate) struct ElemParams {
    pub len: u32,
    pub first: u32,
    pub include_alpha: u32,
    pub _pad: u32,
    // A literal 4 (a vec4 in WGSL): rustc 1.95 crashes on `..base` with the
    // array length given as a constant from another module.
    pub p: [f32; 4],
}

const _: () = assert!(MAX_PARAMS == 4, "the uniform holds a vec4 of parameters");

impl ElemParams {
    /// The parameters of `act`.
    pub fn new(act: &Activation) -> Self {
        ElemParams {
            len: 0,
            first: 0,
            include_alpha: 0,
            _pad: 0,
            p: act.slots(),
        }
    }
}

pub(crate) fn entry<'a>(
    binding: u32,
    buffer: &'a wgpu::Buffer,
    offset: u64,
    size: Option<u64>,
) -> wgpu::BindGroupEntry<'a> {
    wgpu::BindGroupEntry {
        binding,
        resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
            buffer,
            offset,
            size: size.and_then(wgpu::BufferSize::new),
        }),
    }
}
