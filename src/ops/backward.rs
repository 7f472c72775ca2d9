//! Backward (vector-Jacobian products) of every op: `dx` from the forward
//! input `x` (or output `y`, for the ops whose table entry says `grad: Y`)
//! and the upstream gradient `dy`. One launcher per kind, as forward:
//! elementwise ops map `grad(v, dy)` with vec4 loads over windows of a
//! binding; axis ops reduce each row in a workgroup and map it; glu writes
//! both halves' gradients.

use super::ElemParams;
use super::axis::{max_window_elems, planes_in_window, to_u32, window};
use super::elementwise::pass;
use super::halves::Window;
use crate::activation::{GradFrom, Kind};
use crate::kernels::{HalvesGrad, Kernel, Width};
use crate::shape::split_at_axis;
use crate::{Activation, Context, DType, Error, Result, Tensor};

/// What [`Context::forward_and_save`] keeps for the backward: the
/// derivative f'(x) for elementwise ops, nothing more for the others.
#[derive(Debug)]
pub struct Saved {
    derivative: Option<Tensor>,
}

impl Saved {
    /// The saved derivative f'(x), for elementwise ops.
    pub fn derivative(&self) -> Option<&Tensor> {
        self.derivative.as_ref()
    }
}

/// Mirrors `GradRowParams` in `shaders/grad_rows.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
struct RowParams {
    rows: u32,
    len: u32,
    inner: u32,
    v_base: u32,
    dy_base: u32,
    dx_base: u32,
    _p0: u32,
    _p1: u32,
}

/// Mirrors `GradHalvesParams` in `shaders/grad_halves.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
struct HalvesParams {
    count: u32,
    hi: u32,
    stride: u32,
    a_base: u32,
    b_base: u32,
    o_base: u32,
    da_base: u32,
    db_base: u32,
}

/// Longest row of the axis backward: a workgroup per row, at most 2^14
/// elements per thread (llvmpipe ends an invocation after about 2^16 loop
/// trips; the kernel reads the row twice).
fn max_row(ctx: &Context) -> usize {
    (ctx.wg_size as usize) << 14
}

impl Context {
    /// The backward of `act` at `x`: `dx = J(x)^T dy`, with `dy` of the
    /// forward output's shape and `dx` of `x`'s. For the ops whose table
    /// entry reads the forward output (`grad: Y`: softmax, log_softmax,
    /// sparsemax, exponential), `y` is recomputed in the same submission;
    /// pass it to [`Context::backward_from`] to skip that.
    ///
    /// ```no_run
    /// use wgact::Activation;
    /// # let ctx = wgact::Context::new()?;
    /// let x = ctx.upload(&[-1.0, 0.5, 2.0], &[3])?;
    /// let dy = ctx.upload(&[1.0, 1.0, 1.0], &[3])?;
    /// let dx = ctx.read(&ctx.backward(&Activation::Tanh, &x, &dy)?)?;
    /// # Ok::<(), wgact::Error>(())
    /// ```
    pub fn backward(&self, act: &Activation, x: &Tensor, dy: &Tensor) -> Result<Tensor> {
        act.validate()?;
        let dx = self.empty_as(x.shape(), x.dtype())?;
        self.run_backward(act, x, None, dy, Some(&dx))?;
        Ok(dx)
    }

    /// [`Context::backward`] given the forward output `y` too, so that no
    /// op recomputes it (ops that read `x` ignore it).
    pub fn backward_from(
        &self,
        act: &Activation,
        x: &Tensor,
        y: &Tensor,
        dy: &Tensor,
    ) -> Result<Tensor> {
        act.validate()?;
        let dx = self.empty_as(x.shape(), x.dtype())?;
        self.run_backward(act, x, Some(y), dy, Some(&dx))?;
        Ok(dx)
    }

    /// [`Context::backward`] written into `dx` (of `x`'s shape).
    pub fn backward_into(
        &self,
        act: &Activation,
        x: &Tensor,
        dy: &Tensor,
        dx: &Tensor,
    ) -> Result<()> {
        self.run_backward(act, x, None, dy, Some(dx))
    }

    /// [`Context::backward`] written over `dy` (not for glu, whose `dy` is
    /// smaller than `dx`).
    pub fn backward_inplace(&self, act: &Activation, x: &Tensor, dy: &mut Tensor) -> Result<()> {
        self.run_backward(act, x, None, dy, None)
    }

    /// The forward output and what the backward will need, from one read of
    /// `x`: for elementwise ops one kernel writes `y` and the derivative
    /// `f'(x)` (so [`Context::backward_saved`] is a single product with `dy`
    /// and reads neither `x` nor `y`); the other ops keep nothing more (their
    /// backward reads `y`, or `x` for log_softmax and glu). The saved
    /// derivative is rounded to f32 once, so the product rounds twice (within
    /// one ULP more than the op's bound) and a derivative below f32's normal
    /// range keeps only the bits f32 has for it.
    ///
    /// ```no_run
    /// use wgact::Activation;
    /// # let ctx = wgact::Context::new()?;
    /// # let x = ctx.upload(&[-1.0, 0.5, 2.0], &[3])?;
    /// # let dy = ctx.upload(&[1.0, 1.0, 1.0], &[3])?;
    /// let act = Activation::Silu { beta: 1.0 };
    /// let (y, saved) = ctx.forward_and_save(&act, &x)?;
    /// let dx = ctx.backward_saved(&act, &x, &y, &saved, &dy)?;
    /// # Ok::<(), wgact::Error>(())
    /// ```
    pub fn forward_and_save(&self, act: &Activation, x: &Tensor) -> Result<(Tensor, Saved)> {
        act.validate()?;
        // 16-bit tensors keep no derivative: their backward goes through f32.
        if act.kind() != Kind::Elementwise || x.dtype() != DType::F32 {
            let y = self.apply(act, x)?;
            return Ok((y, Saved { derivative: None }));
        }
        let y = self.empty(x.shape())?;
        let d = self.empty(x.shape())?;
        let mut enc = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("wgact forward_and_save"),
            });
        let op = act.op();
        self.scoped(|| {
            pass(
                self,
                &mut enc,
                ElemParams::new(act),
                |width| (width == Width::Scalar).then_some(Kernel::MapSave { op }),
                &[(0, x), (3, &d)],
                &y,
            )
        })??;
        self.submit(enc)?;
        Ok((
            y,
            Saved {
                derivative: Some(d),
            },
        ))
    }

    /// The backward from what [`Context::forward_and_save`] kept: a product
    /// of the saved derivative with `dy` for elementwise ops, else
    /// [`Context::backward_from`] with `x` and `y`.
    pub fn backward_saved(
        &self,
        act: &Activation,
        x: &Tensor,
        y: &Tensor,
        saved: &Saved,
        dy: &Tensor,
    ) -> Result<Tensor> {
        act.validate()?;
        let Some(d) = saved
            .derivative
            .as_ref()
            .filter(|_| dy.dtype() == DType::F32)
        else {
            return self.backward_from(act, x, y, dy);
        };
        if dy.shape() != d.shape() {
            return Err(Error::ShapesDiffer {
                a: d.shape().to_vec(),
                b: dy.shape().to_vec(),
            });
        }
        let dx = self.empty(d.shape())?;
        let mut enc = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("wgact backward_saved"),
            });
        self.scoped(|| {
            pass(
                self,
                &mut enc,
                ElemParams::new(act),
                |width| (width == Width::Scalar).then_some(Kernel::Product),
                &[(0, d), (3, dy)],
                &dx,
            )
        })??;
        self.submit(enc)?;
        Ok(dx)
    }

    fn run_backward(
        &self,
        act: &Activation,
        x: &Tensor,
        y: Option<&Tensor>,
        dy: &Tensor,
        dx: Option<&Tensor>,
    ) -> Result<()> {
        let mut enc = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("wgact backward"),
            });
        // A recomputed y lives until the submission is made.
        let _y = self.encode_backward(&mut enc, act, x, y, dy, dx)?;
        self.submit(enc)?;
        Ok(())
    }

    /// Records the backward of `act` into `encoder`: `dx` (or `dy` itself
    /// when `dx` is `None`) from `x`, `dy`, and the forward output `y` when
    /// given (ops whose table entry reads `y` recompute it otherwise, into a
    /// tensor returned here: keep it alive until the encoder is submitted).
    pub fn encode_backward(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        act: &Activation,
        x: &Tensor,
        y: Option<&Tensor>,
        dy: &Tensor,
        dx: Option<&Tensor>,
    ) -> Result<Option<Tensor>> {
        act.validate()?;
        let out_shape = act.output_shape(x.shape())?;
        if dy.shape() != out_shape {
            return Err(Error::ShapesDiffer {
                a: out_shape,
                b: dy.shape().to_vec(),
            });
        }
        match dx {
            Some(d) if d.shape() != x.shape() => {
                return Err(Error::ShapesDiffer {
                    a: x.shape().to_vec(),
                    b: d.shape().to_vec(),
                });
            }
            None if act.kind() == Kind::Halves => {
                return Err(Error::NotInPlace { op: act.name() });
            }
            _ => {}
        }
        if let Some(y) = y
            && y.shape() != dy.shape()
        {
            return Err(Error::ShapesDiffer {
                a: dy.shape().to_vec(),
                b: y.shape().to_vec(),
            });
        }
        let f32s = [Some(x), y, Some(dy), dx]
            .into_iter()
            .flatten()
            .all(|t| t.dtype() == DType::F32);
        if !f32s {
            return self.encode_backward_through_f32(encoder, act, x, y, dy, dx);
        }
        let mut made = None;
        let v = match act.info().grad_from {
            GradFrom::X => x,
            GradFrom::Y => match y {
                Some(y) => y,
                None => {
                    let t = self.empty(&out_shape)?;
                    self.encode(encoder, act, x, Some(&t))?;
                    made.insert(t)
                }
            },
        };
        let axis = act.axis().unwrap_or(-1);
        self.scoped(|| match act.kind() {
            Kind::Elementwise => elementwise(self, encoder, act, v, dy, dx),
            Kind::Axis(_) => rows(self, encoder, act, axis, v, dy, dx),
            Kind::Halves => halves(self, encoder, act, axis, v, dy, dx.unwrap_or(dy)),
        })??;
        Ok(made)
    }
}

impl Context {
    /// The backward on 16-bit tensors: each widened to a fresh f32 tensor
    /// (exact), the f32 kernels, dx rounded once into its dtype.
    fn encode_backward_through_f32(
        &self,
        enc: &mut wgpu::CommandEncoder,
        act: &Activation,
        x: &Tensor,
        y: Option<&Tensor>,
        dy: &Tensor,
        dx: Option<&Tensor>,
    ) -> Result<Option<Tensor>> {
        let linear = Activation::Linear;
        let mut wide = |t: &Tensor| -> Result<Option<Tensor>> {
            if t.dtype() == DType::F32 {
                return Ok(None);
            }
            let w = self.zeros_as(t.shape(), DType::F32)?;
            self.encode(enc, &linear, t, Some(&w))?;
            Ok(Some(w))
        };
        let x32 = wide(x)?;
        let y32 = match y {
            Some(t) => wide(t)?,
            None => None,
        };
        let dy32 = wide(dy)?;
        let out = dx.unwrap_or(dy);
        let dx32 = match out.dtype() {
            DType::F32 => None,
            _ => Some(self.zeros_as(out.shape(), DType::F32)?),
        };
        let made = self.encode_backward(
            enc,
            act,
            x32.as_ref().unwrap_or(x),
            y.map(|t| y32.as_ref().unwrap_or(t)),
            dy32.as_ref().unwrap_or(dy),
            Some(dx32.as_ref().unwrap_or(out)),
        )?;
        if let Some(d) = &dx32 {
            self.encode(enc, &linear, d, Some(out))?;
        }
        Ok(made)
    }
}

fn elementwise(
    ctx: &Context,
    enc: &mut wgpu::CommandEncoder,
    act: &Activation,
    v: &Tensor,
    dy: &Tensor,
    dx: Option<&Tensor>,
) -> Result<()> {
    let inplace = dx.is_none();
    let op = act.op();
    let inputs: &[(u32, &Tensor)] = if inplace {
        &[(0, v)]
    } else {
        &[(0, v), (3, dy)]
    };
    pass(
        ctx,
        enc,
        ElemParams::new(act),
        |width| Some(Kernel::GradMap { op, width, inplace }),
        inputs,
        dx.unwrap_or(dy),
    )
}

fn rows(
    ctx: &Context,
    enc: &mut wgpu::CommandEncoder,
    act: &Activation,
    axis: isize,
    v: &Tensor,
    dy: &Tensor,
    dx: Option<&Tensor>,
) -> Result<()> {
    let (outer, len, inner) = split_at_axis(v.shape(), axis)?;
    if v.is_empty() {
        return Ok(());
    }
    if len > max_row(ctx) {
        return Err(Error::TooLarge {
            what: "row of an axis op's backward (elements)",
            needed: len as u64,
            limit: max_row(ctx) as u64,
        });
    }
    let plane = len * inner;
    to_u32(plane)?;
    let inplace = dx.is_none();
    let dst = dx.unwrap_or(dy);
    let kernel = Kernel::GradRows {
        op: act.op(),
        inplace,
    };
    let max_elems = max_window_elems(ctx);
    let mut o = 0;
    while o < outer {
        let s = o * plane;
        let planes = planes_in_window(ctx, o, outer, plane, &[v, dy, dst]);
        if planes == 0 {
            return Err(Error::TooLarge {
                what: "outer slice of an axis op's backward (bytes per binding)",
                needed: plane as u64 * 4,
                limit: max_elems as u64 * 4,
            });
        }
        let count = planes * plane;
        let (vb, vo, vsz, v_base) = window(ctx, v, s, count);
        let (db, doff, dsz, dy_base) = window(ctx, dy, s, count);
        let (ob, oo, osz, dx_base) = window(ctx, dst, s, count);
        let p = RowParams {
            rows: (planes * inner) as u32,
            len: len as u32,
            inner: inner as u32,
            v_base,
            dy_base,
            dx_base,
            ..Default::default()
        };
        let mut b = vec![(0, vb, vo, Some(vsz)), (1, ob, oo, Some(osz))];
        if !inplace {
            b.push((3, db, doff, Some(dsz)));
        }
        ctx.dispatch(enc, kernel, &p, &b, (planes * inner) as u64)?;
        o += planes;
    }
    Ok(())
}

fn halves(
    ctx: &Context,
    enc: &mut wgpu::CommandEncoder,
    act: &Activation,
    axis: isize,
    x: &Tensor,
    dy: &Tensor,
    dx: &Tensor,
) -> Result<()> {
    let (outer, len, inner) = split_at_axis(x.shape(), axis)?;
    let half = len / 2 * inner;
    if half == 0 || outer == 0 {
        return Ok(());
    }
    to_u32(2 * half)?;
    let op = act.op();
    let groups = |n: usize| (n as u64).div_ceil(ctx.wg_size as u64);
    // The forward's windows, with dx at x's places.
    super::halves::windows(ctx, outer, half, &[x, dx], &[dy], |w| match w {
        Window::Planes { o, planes } => {
            let (xs, os) = (o * 2 * half, o * half);
            let (xb, xo, xsz, base) = window(ctx, x, xs, planes * 2 * half);
            let (gb, go, gsz, gbase) = window(ctx, dy, os, planes * half);
            let (ob, oo, osz, obase) = window(ctx, dx, xs, planes * 2 * half);
            let p = HalvesParams {
                count: (planes * half) as u32,
                hi: half as u32,
                stride: (2 * half) as u32,
                a_base: base,
                b_base: base + half as u32,
                o_base: gbase,
                da_base: obase,
                db_base: obase + half as u32,
            };
            let b = [
                (0, xb, xo, Some(xsz)),
                (3, xb, xo, Some(xsz)),
                (4, gb, go, Some(gsz)),
                (1, ob, oo, Some(osz)),
            ];
            let kernel = Kernel::GradHalves {
                op,
                which: HalvesGrad::Both,
            };
            ctx.dispatch(enc, kernel, &p, &b, groups(planes * half))
        }
        // A range of a large plane: da and db in turn.
        Window::Range { o, r, n } => {
            let (xs, os) = (o * 2 * half, o * half);
            let (a0, b0, g0) = (xs + r, xs + half + r, os + r);
            let (ab, ao, asz, abase) = window(ctx, x, a0, n);
            let (bb, bo, bsz, bbase) = window(ctx, x, b0, n);
            let (gb, go, gsz, gbase) = window(ctx, dy, g0, n);
            for (which, at) in [(HalvesGrad::A, a0), (HalvesGrad::B, b0)] {
                let (ob, oo, osz, obase) = window(ctx, dx, at, n);
                let p = HalvesParams {
                    count: n as u32,
                    hi: n as u32,
                    stride: n as u32,
                    a_base: abase,
                    b_base: bbase,
                    o_base: gbase,
                    da_base: obase,
                    db_base: obase,
                };
                let b = [
                    (0, ab, ao, Some(asz)),
                    (3, bb, bo, Some(bsz)),
                    (4, gb, go, Some(gsz)),
                    (1, ob, oo, Some(osz)),
                ];
                ctx.dispatch(enc, Kernel::GradHalves { op, which }, &p, &b, groups(n))?;
            }
            Ok(())
        }
    })
}
