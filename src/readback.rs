//! Readback: copies of tensors into staging buffers, mapped together, as a
//! blocking call or a future for any executor.

use crate::tensor::MIN_BUFFER;
use crate::{Context, DType, Element, Error, Result, Tensor};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};

impl Context {
    /// Records copies of `ts` into staging buffers (one unless they exceed
    /// what one buffer holds; `reuse` serves as the first if large enough).
    pub(crate) fn record_readback(
        &self,
        enc: &mut wgpu::CommandEncoder,
        ts: &[&Tensor],
        reuse: Option<wgpu::Buffer>,
    ) -> Result<Readback> {
        let max_bytes = self.max_buffer_elems as u64 * 4;
        let mut sizes = vec![0u64];
        let mut copies = Vec::new();
        for (ti, t) in ts.iter().enumerate() {
            for p in t.parts.iter().filter(|p| p.len > 0) {
                if !p.buffer.usage().contains(wgpu::BufferUsages::COPY_SRC) {
                    return Err(Error::MissingUsage {
                        what: "tensor buffer (for readback)",
                        missing: "COPY_SRC".into(),
                    });
                }
                // Copies are whole 4-byte words (a 16-bit tensor's buffer
                // holds the word its last element shares).
                let n = (p.len * t.dtype().size()) as u64;
                let n = n.next_multiple_of(4);
                let mut at = *sizes.last().unwrap_or(&0);
                if at > 0 && at + n > max_bytes {
                    sizes.push(0);
                    at = 0;
                }
                copies.push(Copy {
                    staging: sizes.len() - 1,
                    at,
                    tensor: ti,
                    start: p.start,
                    len: p.len,
                });
                // Copy offsets stay 8-byte aligned for mapping.
                *sizes.last_mut().unwrap_or(&mut 0) = at + n.next_multiple_of(8);
            }
        }
        if copies.is_empty() {
            sizes.clear();
        }
        let mut stagings = Vec::with_capacity(sizes.len());
        for (i, &size) in sizes.iter().enumerate() {
            let size = size.max(MIN_BUFFER);
            let staging = match &reuse {
                Some(s) if i == 0 && s.size() >= size => s.clone(),
                _ => self
                    .fits("a readback staging buffer", size)
                    .and_then(|()| {
                        self.scoped(|| {
                            self.device.create_buffer(&wgpu::BufferDescriptor {
                                label: Some("wgact staging"),
                                size,
                                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                                mapped_at_creation: false,
                            })
                        })
                    })?,
            };
            stagings.push(staging);
        }
        self.scoped(|| {
            for c in &copies {
                let (part, i) = ts[c.tensor].locate(c.start);
                enc.copy_buffer_to_buffer(
                    &part.buffer,
                    part.offset + (i * ts[c.tensor].dtype().size()) as u64,
                    &stagings[c.staging],
                    c.at,
                    ((c.len * ts[c.tensor].dtype().size()) as u64).next_multiple_of(4),
                );
            }
        })?;
        Ok(Readback {
            stagings,
            copies,
            lens: ts.iter().map(|t| t.len()).collect(),
            dtypes: ts.iter().map(|t| t.dtype()).collect(),
        })
    }

    /// Reads a tensor back to the host (waits for all work submitted before),
    /// as f32 whatever its dtype (16-bit values widen exactly).
    pub fn read(&self, t: &Tensor) -> Result<Vec<f32>> {
        Ok(self.read_many(&[t])?.pop().unwrap_or_default())
    }

    /// Reads a tensor back as its own element type: `f32`, [`half::f16`] or
    /// [`half::bf16`] ([`Error::DTypeMismatch`] for another).
    ///
    /// ```no_run
    /// # let ctx = wgact::Context::new()?;
    /// use wgact::half::f16;
    /// let x = ctx.upload(&[f16::from_f32(-1.0), f16::from_f32(2.0)], &[2])?;
    /// let y: Vec<f16> = ctx.read_as(&ctx.sigmoid(&x)?)?;
    /// # Ok::<(), wgact::Error>(())
    /// ```
    pub fn read_as<T: Element>(&self, t: &Tensor) -> Result<Vec<T>> {
        if t.dtype() != T::DTYPE {
            return Err(Error::DTypeMismatch {
                expected: T::DTYPE,
                got: t.dtype(),
            });
        }
        Ok(self
            .read_staged(&[t], |f| {
                pollster::block_on(TypedRead::<T>(f, std::marker::PhantomData))
            })?
            .pop()
            .unwrap_or_default())
    }

    /// Reads several tensors back with one submission and one mapping.
    pub fn read_many(&self, ts: &[&Tensor]) -> Result<Vec<Vec<f32>>> {
        self.read_staged(ts, pollster::block_on)
    }

    /// `wait` on the readback of `ts` through the context's reused staging
    /// buffer (kept locked until the future is done with it).
    fn read_staged<T>(
        &self,
        ts: &[&Tensor],
        wait: impl FnOnce(ReadFuture) -> Result<T>,
    ) -> Result<T> {
        let mut guard = self.staging.lock().unwrap_or_else(|p| p.into_inner());
        let mut enc = self.device.create_command_encoder(&Default::default());
        let rb = self.record_readback(&mut enc, ts, guard.clone())?;
        if let [one] = rb.stagings.as_slice() {
            *guard = Some(one.clone());
        }
        wait(ReadFuture::new(self, enc, rb)?)
    }

    /// [`Context::read`] as a future, for any executor: nothing blocks until
    /// it is polled, and each poll waits at most a millisecond.
    pub fn read_async(&self, t: &Tensor) -> impl Future<Output = Result<Vec<f32>>> + use<> {
        let f = self.read_many_async(&[t]);
        async move { Ok(f.await?.pop().unwrap_or_default()) }
    }

    /// [`Context::read_many`] as a future; it yields one `Vec` per tensor.
    pub fn read_many_async(&self, ts: &[&Tensor]) -> ReadFuture {
        let mut enc = self.device.create_command_encoder(&Default::default());
        match self.record_readback(&mut enc, ts, None) {
            Ok(rb) => {
                ReadFuture::new(self, enc, rb).unwrap_or_else(|e| ReadFuture::failed(self, e))
            }
            Err(e) => ReadFuture::failed(self, e),
        }
    }
}

/// One recorded copy: `len` elements of tensor `tensor` from element `start`,
/// at byte `at` of staging buffer `staging`.
pub(crate) struct Copy {
    pub(crate) staging: usize,
    pub(crate) at: u64,
    pub(crate) tensor: usize,
    pub(crate) start: usize,
    pub(crate) len: usize,
}

/// Staging buffers filled by recorded copies, and the length of each output.
pub(crate) struct Readback {
    pub(crate) stagings: Vec<wgpu::Buffer>,
    pub(crate) copies: Vec<Copy>,
    pub(crate) lens: Vec<usize>,
    pub(crate) dtypes: Vec<DType>,
}

/// Maps still pending, the first failure, and who to wake.
#[derive(Default)]
struct MapState {
    pending: usize,
    failed: Option<wgpu::BufferAsyncError>,
    waker: Option<Waker>,
}

/// A pending readback: resolves to one `Vec<f32>` per tensor.
pub struct ReadFuture {
    device: wgpu::Device,
    /// The submission holding the copies: polls wait for it alone (waiting
    /// for "everything" races with other threads' submits inside wgpu-core,
    /// which then panics: "the current submission index should be at least
    /// the wait submission index", seen with 8 threads on lavapipe).
    index: Option<wgpu::SubmissionIndex>,
    lost: crate::context::Lost,
    readback: Option<Readback>,
    state: Arc<Mutex<MapState>>,
    error: Option<Error>,
}

impl ReadFuture {
    pub(crate) fn new(ctx: &Context, enc: wgpu::CommandEncoder, rb: Readback) -> Result<Self> {
        let index = ctx.submit(enc)?;
        let state = Arc::new(Mutex::new(MapState {
            pending: rb.stagings.len(),
            ..Default::default()
        }));
        for staging in &rb.stagings {
            let s = state.clone();
            staging.slice(..).map_async(wgpu::MapMode::Read, move |r| {
                let mut g = s.lock().unwrap_or_else(|p| p.into_inner());
                g.pending -= 1;
                if let Err(e) = r {
                    g.failed.get_or_insert(e);
                }
                if g.pending == 0 || g.failed.is_some() {
                    if let Some(w) = g.waker.take() {
                        w.wake();
                    }
                }
            });
        }
        Ok(ReadFuture {
            device: ctx.device.clone(),
            index: Some(index),
            lost: ctx.lost.clone(),
            readback: Some(rb),
            state,
            error: None,
        })
    }

    fn failed(ctx: &Context, e: Error) -> Self {
        ReadFuture {
            device: ctx.device.clone(),
            index: None,
            lost: ctx.lost.clone(),
            readback: None,
            state: Default::default(),
            error: Some(e),
        }
    }

    /// The result once every map has resolved: one `T` per tensor,
    /// `init(len, dtype)`, each of its copies passed to `fill` with its
    /// bytes as stored.
    fn try_finish<T>(
        &mut self,
        init: &impl Fn(usize, DType) -> T,
        fill: &impl Fn(&mut T, &Copy, DType, &[u8]),
    ) -> Option<Result<Vec<T>>> {
        if let Some(e) = self.error.take() {
            return Some(Err(e));
        }
        {
            let g = self.state.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(e) = &g.failed {
                let e = Error::Readback(e.to_string());
                drop(g);
                self.readback = None;
                return Some(Err(e));
            }
            if g.pending > 0 {
                return None;
            }
        }
        let rb = self.readback.take()?;
        let mut out: Vec<T> = rb
            .lens
            .iter()
            .zip(&rb.dtypes)
            .map(|(&n, &d)| init(n, d))
            .collect();
        let mut result = Ok(());
        for (si, staging) in rb.stagings.iter().enumerate() {
            match staging.slice(..).get_mapped_range() {
                Ok(view) => {
                    for c in rb.copies.iter().filter(|c| c.staging == si) {
                        let dtype = rb.dtypes[c.tensor];
                        let bytes = &view[c.at as usize..c.at as usize + c.len * dtype.size()];
                        fill(&mut out[c.tensor], c, dtype, bytes);
                    }
                }
                Err(e) => result = Err(Error::Readback(e.to_string())),
            }
            staging.unmap();
        }
        Some(result.map(|()| out))
    }

    fn poll_with<T>(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        init: impl Fn(usize, DType) -> T,
        fill: impl Fn(&mut T, &Copy, DType, &[u8]),
    ) -> Poll<Result<Vec<T>>> {
        if let Some(r) = self.try_finish(&init, &fill) {
            return Poll::Ready(r.map_err(|e| self.lost.explain(&self.device, e)));
        }
        if let Err(e) = self.lost.check() {
            return Poll::Ready(Err(e));
        }
        self.state.lock().unwrap_or_else(|p| p.into_inner()).waker = Some(cx.waker().clone());
        if let Err(e) = poll_slice(&self.device, self.index.clone(), 1) {
            return Poll::Ready(Err(self.lost.explain(&self.device, e)));
        }
        if let Some(r) = self.try_finish(&init, &fill) {
            return Poll::Ready(r.map_err(|e| self.lost.explain(&self.device, e)));
        }
        // wgpu only runs map callbacks inside poll(): ask to be polled again.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl Future for ReadFuture {
    type Output = Result<Vec<Vec<f32>>>;
    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Self::Output> {
        // Straight from the mapped staging memory into f32 (widened).
        self.poll_with(
            cx,
            |n, _| vec![0f32; n],
            |out, c, dtype, bytes| {
                crate::dtype::widen(dtype, bytes, &mut out[c.start..c.start + c.len])
            },
        )
    }
}

/// A [`ReadFuture`] that yields each tensor's elements as stored, as `T`
/// (of the tensors' dtype: checked by the caller), straight from the mapped
/// staging memory.
pub(crate) struct TypedRead<T>(
    pub(crate) ReadFuture,
    pub(crate) std::marker::PhantomData<fn() -> T>,
);

impl<T: Element> Future for TypedRead<T> {
    type Output = Result<Vec<Vec<T>>>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll_with(
            cx,
            |n, _| vec![T::zeroed(); n],
            // Copies sit at 8-byte offsets of mapped memory (8-aligned).
            |out, c, _, bytes| {
                out[c.start..c.start + c.len].copy_from_slice(bytemuck::cast_slice(bytes))
            },
        )
    }
}

/// wgpu-core 30 can panic when one thread submits while another polls with
/// a wait ("the current submission index should be at least the wait
/// submission index": seen with 8 threads on lavapipe, whichever index the
/// poll waits for), so wgact's submits and waits take turns. Waits are
/// slices of a few milliseconds, so a submit waits at most that long.
static SUBMIT_POLL: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub(crate) fn submit_poll_lock() -> std::sync::MutexGuard<'static, ()> {
    SUBMIT_POLL.lock().unwrap_or_else(|p| p.into_inner())
}

/// Polls `device` for at most `ms` milliseconds, waiting for submission
/// `index` (or for everything submitted, when `None`); true when it is done.
/// Waits are short slices because wgpu's GL backend holds its context lock
/// through each one.
pub(crate) fn poll_slice(
    device: &wgpu::Device,
    index: Option<wgpu::SubmissionIndex>,
    ms: u64,
) -> Result<bool> {
    let _serial = submit_poll_lock();
    match device.poll(wgpu::PollType::Wait {
        submission_index: index,
        timeout: Some(std::time::Duration::from_millis(ms)),
    }) {
        Ok(_) => Ok(true),
        Err(wgpu::PollError::Timeout) => Ok(false),
        Err(e) => Err(Error::Readback(e.to_string())),
    }
}
