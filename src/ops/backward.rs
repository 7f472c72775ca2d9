//! Backward (vector-Jacobian products) of every op: `dx` from the forward
//! input `x` (or output `y`, for the ops whose table entry says `grad: Y`)
//! and the upstream gradient `dy`. One launcher per kind, as forward:
//! elementwise ops map `grad(v, dy)` with vec4 loads over windows of a
//! binding; axis ops reduce each row in a workgroup and map it; glu writes
//! both halves' gradients.

use super::ElemParams;
use super::axis::{max_window_elems, part_end, to_u32, window};
use crate::activation::{GradFrom, Kind};
use crate::kernels::{HalvesGrad, Kernel, Width};
use crate::shape::split_at_axis;
use crate::{Activation, Context, Error, Result, Tensor};

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
        let dx = self.empty(x.shape())?;
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
        let dx = self.empty(x.shape())?;
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

fn elementwise(
    ctx: &Context,
    enc: &mut wgpu::CommandEncoder,
    act: &Activation,
    v: &Tensor,
    dy: &Tensor,
    dx: Option<&Tensor>,
) -> Result<()> {
    let inplace = dx.is_none();
    let kernel = |width| Kernel::GradMap {
        op: act.op(),
        width,
        inplace,
    };
    let base = ElemParams::new(act);
    let dst = dx.unwrap_or(dy);
    // Same shapes from the same context split alike; wrapped tensors are
    // one part each, and chunks never cross a part of any of the three.
    let chunk = (ctx.max_binding / 4) as usize;
    let mut start = 0usize;
    while start < v.len() {
        let n = chunk
            .min(part_end(v, start) - start)
            .min(part_end(dy, start) - start)
            .min(part_end(dst, start) - start);
        let (vp, vi) = v.locate(start);
        let (dp, di) = dy.locate(start);
        let (op, oi) = dst.locate(start);
        let n4 = n / 4;
        let bind = |count: usize| {
            let size = count as u64 * 4;
            let mut b = vec![
                (0, &vp.buffer, vp.offset + vi as u64 * 4, Some(size)),
                (1, &op.buffer, op.offset + oi as u64 * 4, Some(size)),
            ];
            if !inplace {
                b.push((3, &dp.buffer, dp.offset + di as u64 * 4, Some(size)));
            }
            b
        };
        let groups = |items: usize| (items as u64).div_ceil(ctx.wg_size as u64);
        // vec4 loads need 16-byte aligned starts in all three.
        let aligned = [
            vp.offset + vi as u64 * 4,
            dp.offset + di as u64 * 4,
            op.offset + oi as u64 * 4,
        ]
        .iter()
        .all(|o| o % 16 == 0);
        let n4 = if aligned { n4 } else { 0 };
        if n4 > 0 {
            let p = ElemParams {
                len: n4 as u32,
                first: 0,
                ..base
            };
            ctx.dispatch(enc, kernel(Width::Vec4), &p, &bind(n4 * 4), groups(n4))?;
        }
        if n > n4 * 4 {
            let p = ElemParams {
                len: n as u32,
                first: (n4 * 4) as u32,
                ..base
            };
            ctx.dispatch(enc, kernel(Width::Scalar), &p, &bind(n), groups(n - n4 * 4))?;
        }
        start += n;
    }
    Ok(())
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
        let planes = (max_elems / plane)
            .min((part_end(v, s) - s) / plane)
            .min((part_end(dy, s) - s) / plane)
            .min((part_end(dst, s) - s) / plane)
            .min(outer - o);
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
    let max_elems = max_window_elems(ctx);
    let groups = |n: usize| (n as u64).div_ceil(ctx.wg_size as u64);
    let mut o = 0;
    while o < outer {
        let (xs, os) = (o * 2 * half, o * half);
        let planes = (max_elems / (2 * half))
            .min((part_end(x, xs) - xs) / (2 * half))
            .min((part_end(dx, xs) - xs) / (2 * half))
            .min((part_end(dy, os) - os) / half)
            .min(outer - o);
        if planes > 0 {
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
            ctx.dispatch(enc, kernel, &p, &b, groups(planes * half))?;
            o += planes;
            continue;
        }
        // One plane, in ranges of its halves; da and db in turn.
        let mut r = 0;
        while r < half {
            let (a0, b0, g0) = (xs + r, xs + half + r, os + r);
            let n = (half - r)
                .min(max_elems)
                .min(part_end(x, a0) - a0)
                .min(part_end(x, b0) - b0)
                .min(part_end(dx, a0) - a0)
                .min(part_end(dx, b0) - b0)
                .min(part_end(dy, g0) - g0);
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
            r += n;
        }
        o += 1;
    }
    Ok(())
}
