//! GPU tensors: an f32 storage buffer (wgact's or the caller's) plus a shape,
//! with upload and readback.

use crate::pool::Pool;
use crate::shape::numel;
use crate::{Context, Error, Result};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};

/// An f32 tensor in a GPU storage buffer, C order, of any rank (0-d and
/// zero-sized dimensions included). It may start at a byte offset in a
/// caller's buffer ([`Context::wrap`]).
#[derive(Debug)]
pub struct Tensor {
    pub(crate) buffer: wgpu::Buffer,
    pub(crate) offset: u64,
    shape: Vec<usize>,
    len: usize,
    /// Where the buffer goes back when the tensor is dropped (op outputs).
    pool: Option<Arc<Pool>>,
}

impl Tensor {
    /// The shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }
    /// Whether the tensor holds no element.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// Size of the data in bytes.
    pub fn byte_len(&self) -> u64 {
        self.len as u64 * 4
    }
    /// The underlying buffer. For wgact's own tensors its usage is
    /// `STORAGE | COPY_SRC | COPY_DST`; for wrapped ones it is the caller's.
    pub fn buffer(&self) -> &wgpu::Buffer {
        &self.buffer
    }
    /// Byte offset of element 0 in [`Tensor::buffer`].
    pub fn offset(&self) -> u64 {
        self.offset
    }
}

impl Drop for Tensor {
    fn drop(&mut self) {
        if let Some(pool) = self.pool.take() {
            pool.give(self.buffer.clone());
        }
    }
}

// Buffers are never zero-sized: wgpu cannot bind an empty range.
const MIN_BUFFER: u64 = 16;

const TENSOR_USAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE
    .union(wgpu::BufferUsages::COPY_SRC)
    .union(wgpu::BufferUsages::COPY_DST);

impl Context {
    fn check_size(&self, shape: &[usize]) -> Result<(usize, u64)> {
        let len = numel(shape)?;
        let bytes = (len as u64).checked_mul(4).ok_or(Error::TooLarge {
            what: "buffer (bytes)",
            needed: u64::MAX,
            limit: self.limits.max_buffer_size,
        })?;
        if bytes > self.limits.max_buffer_size {
            return Err(Error::TooLarge {
                what: "buffer (bytes)",
                needed: bytes,
                limit: self.limits.max_buffer_size,
            });
        }
        Ok((len, bytes))
    }

    fn create_storage(&self, bytes: u64, mapped: bool) -> Result<wgpu::Buffer> {
        self.scoped(|| {
            self.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("wgact tensor"),
                size: bytes.max(MIN_BUFFER).next_multiple_of(4),
                usage: TENSOR_USAGE,
                mapped_at_creation: mapped,
            })
        })
    }

    /// Uploads `data` as a tensor of `shape` (C order).
    ///
    /// ```no_run
    /// # let ctx = wgact::Context::new()?;
    /// let t = ctx.upload(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3])?;
    /// assert_eq!(t.shape(), &[2, 3]);
    /// # Ok::<(), wgact::Error>(())
    /// ```
    pub fn upload(&self, data: &[f32], shape: &[usize]) -> Result<Tensor> {
        let (len, bytes) = self.check_size(shape)?;
        if len != data.len() {
            return Err(Error::ShapeMismatch {
                shape: shape.to_vec(),
                expected: len,
                got: data.len(),
            });
        }
        let buffer = self.create_storage(bytes, true)?;
        {
            let mut view = buffer
                .slice(..)
                .get_mapped_range_mut()
                .map_err(|e| Error::Gpu(e.to_string()))?;
            view.slice(..bytes as usize)
                .copy_from_slice(bytemuck::cast_slice(data));
        }
        buffer.unmap();
        Ok(self.tensor(buffer, shape, len, false))
    }

    /// A tensor of `shape` whose contents are zero.
    pub fn zeros(&self, shape: &[usize]) -> Result<Tensor> {
        let (len, bytes) = self.check_size(shape)?;
        Ok(self.tensor(self.create_storage(bytes, false)?, shape, len, false))
    }

    /// A tensor of `shape` with unspecified contents, for outputs: its buffer
    /// may be one a dropped tensor gave back to the pool.
    pub fn empty(&self, shape: &[usize]) -> Result<Tensor> {
        let (len, bytes) = self.check_size(shape)?;
        let size = bytes.max(MIN_BUFFER).next_multiple_of(4);
        let buffer = match self.pool.take(size) {
            Some(b) => b,
            None => {
                self.pool.count_allocation();
                self.create_storage(bytes, false)?
            }
        };
        Ok(self.tensor(buffer, shape, len, true))
    }

    fn tensor(&self, buffer: wgpu::Buffer, shape: &[usize], len: usize, pooled: bool) -> Tensor {
        Tensor {
            buffer,
            offset: 0,
            shape: shape.to_vec(),
            len,
            pool: pooled.then(|| self.pool.clone()),
        }
    }

    /// Views `bytes` of a caller's `buffer` from byte `offset` as a tensor of
    /// `shape`, without copying: ops read and write the caller's buffer. The
    /// buffer needs `STORAGE` usage (and `COPY_SRC` to be read back by wgact);
    /// `offset` must be a multiple of `min_storage_buffer_offset_alignment`.
    pub fn wrap(&self, buffer: &wgpu::Buffer, offset: u64, shape: &[usize]) -> Result<Tensor> {
        let (len, bytes) = self.check_size(shape)?;
        if !buffer.usage().contains(wgpu::BufferUsages::STORAGE) {
            return Err(Error::MissingUsage {
                what: "buffer",
                missing: "STORAGE".into(),
            });
        }
        let alignment = self.limits.min_storage_buffer_offset_alignment as u64;
        if !offset.is_multiple_of(alignment) {
            return Err(Error::Misaligned { offset, alignment });
        }
        if offset
            .checked_add(bytes)
            .is_none_or(|end| end > buffer.size())
        {
            return Err(Error::BufferTooSmall {
                size: buffer.size(),
                offset,
                needed: bytes,
            });
        }
        Ok(Tensor {
            buffer: buffer.clone(),
            offset,
            shape: shape.to_vec(),
            len,
            pool: None,
        })
    }

    /// Records copies of `ts` into one new staging buffer; returns it with
    /// each tensor's byte range in it.
    pub(crate) fn record_readback(
        &self,
        enc: &mut wgpu::CommandEncoder,
        ts: &[&Tensor],
        staging: Option<wgpu::Buffer>,
    ) -> Result<(wgpu::Buffer, Vec<(u64, u64)>)> {
        let mut ranges = Vec::with_capacity(ts.len());
        let mut total = 0u64;
        for t in ts {
            if !t.is_empty() && !t.buffer.usage().contains(wgpu::BufferUsages::COPY_SRC) {
                return Err(Error::MissingUsage {
                    what: "tensor buffer (for readback)",
                    missing: "COPY_SRC".into(),
                });
            }
            ranges.push((total, t.byte_len()));
            // Copy offsets stay 8-byte aligned for mapping.
            total += t.byte_len().next_multiple_of(8);
        }
        let size = total.max(MIN_BUFFER);
        let staging = match staging {
            Some(s) if s.size() >= size => s,
            _ => self.scoped(|| {
                self.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("wgact staging"),
                    size,
                    usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                })
            })?,
        };
        self.scoped(|| {
            for (t, &(at, n)) in ts.iter().zip(&ranges) {
                if n > 0 {
                    enc.copy_buffer_to_buffer(&t.buffer, t.offset, &staging, at, n);
                }
            }
        })?;
        Ok((staging, ranges))
    }

    /// Reads a tensor back to the host (waits for all work submitted before).
    pub fn read(&self, t: &Tensor) -> Result<Vec<f32>> {
        Ok(self.read_many(&[t])?.pop().unwrap_or_default())
    }

    /// Reads several tensors back with one submission and one mapping.
    pub fn read_many(&self, ts: &[&Tensor]) -> Result<Vec<Vec<f32>>> {
        let mut guard = self.staging.lock().unwrap_or_else(|p| p.into_inner());
        let mut enc = self.device.create_command_encoder(&Default::default());
        let (staging, ranges) = self.record_readback(&mut enc, ts, guard.clone())?;
        *guard = Some(staging.clone());
        pollster::block_on(ReadFuture::new(self, enc, staging, ranges)?)
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
            Ok((staging, ranges)) => ReadFuture::new(self, enc, staging, ranges)
                .unwrap_or_else(|e| ReadFuture::failed(self, e)),
            Err(e) => ReadFuture::failed(self, e),
        }
    }

    pub(crate) fn submit(&self, enc: wgpu::CommandEncoder) -> Result<wgpu::SubmissionIndex> {
        let index = self.scoped(|| self.queue.submit([enc.finish()]))?;
        self.submissions
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(index)
    }
}

type MapState = Arc<
    Mutex<(
        Option<std::result::Result<(), wgpu::BufferAsyncError>>,
        Option<Waker>,
    )>,
>;

/// A pending readback: resolves to one `Vec<f32>` per tensor.
pub struct ReadFuture {
    device: wgpu::Device,
    staging: Option<wgpu::Buffer>,
    ranges: Vec<(u64, u64)>,
    state: MapState,
    error: Option<Error>,
}

impl ReadFuture {
    pub(crate) fn new(
        ctx: &Context,
        enc: wgpu::CommandEncoder,
        staging: wgpu::Buffer,
        ranges: Vec<(u64, u64)>,
    ) -> Result<Self> {
        ctx.submit(enc)?;
        let state: MapState = Arc::new(Mutex::new((None, None)));
        let s = state.clone();
        staging.slice(..).map_async(wgpu::MapMode::Read, move |r| {
            let mut g = s.lock().unwrap_or_else(|p| p.into_inner());
            g.0 = Some(r);
            if let Some(w) = g.1.take() {
                w.wake();
            }
        });
        Ok(ReadFuture {
            device: ctx.device.clone(),
            staging: Some(staging),
            ranges,
            state,
            error: None,
        })
    }

    fn failed(ctx: &Context, e: Error) -> Self {
        ReadFuture {
            device: ctx.device.clone(),
            staging: None,
            ranges: Vec::new(),
            state: Arc::new(Mutex::new((None, None))),
            error: Some(e),
        }
    }

    /// Polls the device for at most `ms` milliseconds (in short slices, so
    /// wgpu's GL backend never holds its context lock for long).
    fn step(&self, ms: u64) -> Result<()> {
        match self.device.poll(wgpu::PollType::Wait {
            submission_index: None,
            timeout: Some(std::time::Duration::from_millis(ms)),
        }) {
            Ok(_) | Err(wgpu::PollError::Timeout) => Ok(()),
            Err(e) => Err(Error::Readback(e.to_string())),
        }
    }

    fn try_finish(&mut self) -> Option<Result<Vec<Vec<f32>>>> {
        if let Some(e) = self.error.take() {
            return Some(Err(e));
        }
        let r = self
            .state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .0
            .take()?;
        let staging = self.staging.take()?;
        Some(match r {
            Err(e) => Err(Error::Readback(e.to_string())),
            Ok(()) => {
                let out = staging
                    .slice(..)
                    .get_mapped_range()
                    .map_err(|e| Error::Readback(e.to_string()))
                    .map(|view| {
                        self.ranges
                            .iter()
                            .map(|&(at, n)| {
                                bytemuck::cast_slice::<u8, f32>(
                                    &view[at as usize..(at + n) as usize],
                                )
                                .to_vec()
                            })
                            .collect()
                    });
                staging.unmap();
                out
            }
        })
    }
}

impl Future for ReadFuture {
    type Output = Result<Vec<Vec<f32>>>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Self::Output> {
        if let Some(r) = self.try_finish() {
            return Poll::Ready(r);
        }
        self.state.lock().unwrap_or_else(|p| p.into_inner()).1 = Some(cx.waker().clone());
        if let Err(e) = self.step(1) {
            return Poll::Ready(Err(e));
        }
        if let Some(r) = self.try_finish() {
            return Poll::Ready(r);
        }
        // wgpu only runs map callbacks inside poll(): ask to be polled again.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
