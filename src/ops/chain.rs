//! Many ops, one submission: intermediates never visit the host.

use crate::readback::ReadFuture;
use crate::{Activation, Context, Result, Tensor};

/// Records ops into one command encoder and submits them once.
///
/// ```no_run
/// use wgact::{Activation, Relu};
/// # let ctx = wgact::Context::new()?;
/// # let x = ctx.upload(&[1.0, -2.0, 3.0, 0.5], &[2, 2])?;
/// let mut chain = ctx.chain();
/// let h = chain.apply(&Relu::new().alpha(0.1).into(), &x)?;
/// let p = chain.apply(&Activation::Softmax { axis: -1 }, &h)?;
/// let out = chain.read(&[&p])?;      // one submission: ops + copy, one mapping
/// # Ok::<(), wgact::Error>(())
/// ```
///
/// Outputs come from wgact's buffer pool; buffers the chain has touched are
/// held back from reuse until it is submitted.
pub struct Chain<'c> {
    ctx: &'c Context,
    encoder: Option<wgpu::CommandEncoder>,
    touched: Vec<wgpu::Buffer>,
    /// Tensors the chain made for itself (recomputed forward outputs).
    keep: Vec<Tensor>,
}

impl Context {
    /// Starts a [`Chain`].
    pub fn chain(&self) -> Chain<'_> {
        Chain {
            ctx: self,
            encoder: Some(
                self.device
                    .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                        label: Some("wgact chain"),
                    }),
            ),
            touched: Vec::new(),
            keep: Vec::new(),
        }
    }
}

impl Chain<'_> {
    fn touch(&mut self, t: &Tensor) {
        for p in &t.parts {
            self.ctx.pool.mark_busy(&p.buffer);
            self.touched.push(p.buffer.clone());
        }
    }

    /// The chain's encoder, to interleave your own passes and copies.
    pub fn encoder(&mut self) -> &mut wgpu::CommandEncoder {
        self.encoder
            .get_or_insert_with(|| self.ctx.device.create_command_encoder(&Default::default()))
    }

    /// Records `act(x)` into a new (pooled) tensor.
    pub fn apply(&mut self, act: &Activation, x: &Tensor) -> Result<Tensor> {
        act.validate()?;
        let out = self.ctx.empty(&act.output_shape(x.shape())?)?;
        self.apply_into(act, x, &out)?;
        Ok(out)
    }

    /// Records `act(x)` into `out`.
    pub fn apply_into(&mut self, act: &Activation, x: &Tensor, out: &Tensor) -> Result<()> {
        self.touch(x);
        self.touch(out);
        let ctx = self.ctx;
        ctx.encode(self.encoder(), act, x, Some(out))
    }

    /// Records `act(x)` over `x`.
    pub fn apply_inplace(&mut self, act: &Activation, x: &mut Tensor) -> Result<()> {
        self.touch(x);
        let ctx = self.ctx;
        ctx.encode(self.encoder(), act, x, None)
    }

    /// Records the backward of `act` at `x` (see [`Context::backward`]) into
    /// a new (pooled) tensor; `y`, the forward output when the chain has it,
    /// saves recomputing it for the ops that read it.
    pub fn backward(
        &mut self,
        act: &Activation,
        x: &Tensor,
        y: Option<&Tensor>,
        dy: &Tensor,
    ) -> Result<Tensor> {
        act.validate()?;
        let dx = self.ctx.empty(x.shape())?;
        self.touch(x);
        self.touch(dy);
        self.touch(&dx);
        if let Some(y) = y {
            self.touch(y);
        }
        let ctx = self.ctx;
        if let Some(t) = ctx.encode_backward(self.encoder(), act, x, y, dy, Some(&dx))? {
            // A recomputed forward output: held until the chain is submitted.
            self.touch(&t);
            self.keep.push(t);
        }
        Ok(dx)
    }

    /// Records the backward of `act` at `x` over `dy`.
    pub fn backward_inplace(
        &mut self,
        act: &Activation,
        x: &Tensor,
        y: Option<&Tensor>,
        dy: &mut Tensor,
    ) -> Result<()> {
        self.touch(x);
        self.touch(dy);
        if let Some(y) = y {
            self.touch(y);
        }
        let ctx = self.ctx;
        if let Some(t) = ctx.encode_backward(self.encoder(), act, x, y, dy, None)? {
            self.touch(&t);
            self.keep.push(t);
        }
        Ok(())
    }

    /// Submits everything recorded, once.
    pub fn submit(mut self) -> Result<()> {
        match self.encoder.take() {
            Some(e) => self.ctx.submit(e).map(|_| ()),
            None => Ok(()),
        }
    }

    /// Appends copies of `ts` to the chain, submits once, and maps the results
    /// together.
    pub fn read(mut self, ts: &[&Tensor]) -> Result<Vec<Vec<f32>>> {
        let mut enc = self
            .encoder
            .take()
            .unwrap_or_else(|| self.ctx.device.create_command_encoder(&Default::default()));
        let rb = self.ctx.record_readback(&mut enc, ts, None)?;
        pollster::block_on(ReadFuture::new(self.ctx, enc, rb)?)
    }
}

impl Drop for Chain<'_> {
    fn drop(&mut self) {
        // Submitted (or abandoned): later submissions may reuse the buffers.
        self.ctx.pool.release(&self.touched);
    }
}
