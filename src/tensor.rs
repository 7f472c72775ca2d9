//! GPU tensors: an f32 storage buffer (wgact's or the caller's) plus a shape,
//! with upload and readback.

use crate::bindcache::BindCache;
use crate::pool::Pool;
use crate::shape::numel;
use crate::{Context, Error, Result};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};

/// An f32 tensor in GPU storage, C order, of any rank (0-d and zero-sized
/// dimensions included). It may start at a byte offset in a caller's buffer
/// ([`Context::wrap`]). A tensor larger than one buffer may be spans several
/// ([`Tensor::parts`]), split between whole trailing slices where it can.
#[derive(Debug)]
pub struct Tensor {
    pub(crate) parts: Vec<Part>,
    /// Parts split at multiples of this many elements (trailing slices).
    pub(crate) granule: usize,
    /// Bind groups that bind this tensor's buffers, forgotten on drop.
    binds: Arc<BindCache>,
    shape: Vec<usize>,
    len: usize,
}

/// One buffer's share of a tensor: elements `start..start + len`.
#[derive(Debug)]
pub(crate) struct Part {
    pub(crate) buffer: wgpu::Buffer,
    /// Byte offset of the part's first element in `buffer`.
    pub(crate) offset: u64,
    pub(crate) start: usize,
    pub(crate) len: usize,
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
    /// The buffer holding element 0 (the only one unless the tensor is larger
    /// than one buffer may be). For wgact's own tensors its usage is
    /// `STORAGE | COPY_SRC | COPY_DST`; for wrapped ones it is the caller's.
    pub fn buffer(&self) -> &wgpu::Buffer {
        &self.parts[0].buffer
    }
    /// Byte offset of element 0 in [`Tensor::buffer`].
    pub fn offset(&self) -> u64 {
        self.parts[0].offset
    }
    /// The buffers holding the tensor in order, each with the byte offset of
    /// its first element and its element count.
    pub fn parts(&self) -> impl Iterator<Item = (&wgpu::Buffer, u64, usize)> {
        self.parts.iter().map(|p| (&p.buffer, p.offset, p.len))
    }
    /// The part holding element `idx`, and the index within it.
    pub(crate) fn locate(&self, idx: usize) -> (&Part, usize) {
        let i = self.parts.partition_point(|p| p.start <= idx).max(1) - 1;
        (&self.parts[i], idx - self.parts[i].start)
    }
}

/// The largest trailing slice `shape[d..]` of at most `max` elements (1 if
/// even the last dimension is longer).
fn granule(shape: &[usize], max: usize) -> usize {
    (0..shape.len())
        .map(|d| shape[d..].iter().product::<usize>())
        .find(|&g| g <= max)
        .unwrap_or(1)
        .max(1)
}

impl Part {
    fn new(buffer: wgpu::Buffer, start: usize, len: usize, pool: Option<Arc<Pool>>) -> Self {
        Part {
            buffer,
            offset: 0,
            start,
            len,
            pool,
        }
    }
}

impl Drop for Tensor {
    fn drop(&mut self) {
        for p in &mut self.parts {
            self.binds.forget(&p.buffer);
            if let Some(pool) = p.pool.take() {
                pool.give(p.buffer.clone());
            }
        }
    }
}

// Buffers are never zero-sized: wgpu cannot bind an empty range.
const MIN_BUFFER: u64 = 16;

const TENSOR_USAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE
    .union(wgpu::BufferUsages::COPY_SRC)
    .union(wgpu::BufferUsages::COPY_DST);

impl Context {
    fn check_size(&self, shape: &[usize]) -> Result<usize> {
        let len = numel(shape)?;
        (len as u64).checked_mul(4).ok_or(Error::TooLarge {
            what: "tensor (bytes)",
            needed: u64::MAX,
            limit: u64::MAX,
        })?;
        Ok(len)
    }

    /// How a tensor of `shape` (`len` elements) is split across buffers:
    /// (first element, elements) of each part. One part when it fits;
    /// otherwise parts of whole trailing slices `shape[d..]` (the largest
    /// that fit), so that softmax over an axis at or after `d` never spans two
    /// buffers, and single elements for a last dimension too long for one.
    pub(crate) fn partition(&self, shape: &[usize], len: usize) -> Vec<(usize, usize)> {
        let max = self.max_buffer_elems;
        if len <= max {
            return vec![(0, len)];
        }
        let slice = granule(shape, max);
        let part = max / slice * slice;
        (0..len)
            .step_by(part)
            .map(|s| (s, part.min(len - s)))
            .collect()
    }

    fn make_tensor(&self, shape: &[usize], len: usize, parts: Vec<Part>) -> Tensor {
        Tensor {
            granule: if parts.len() > 1 {
                granule(shape, self.max_buffer_elems)
            } else {
                len.max(1)
            },
            parts,
            binds: self.binds.clone(),
            shape: shape.to_vec(),
            len,
        }
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
        let len = self.check_size(shape)?;
        if len != data.len() {
            return Err(Error::ShapeMismatch {
                shape: shape.to_vec(),
                expected: len,
                got: data.len(),
            });
        }
        let mut parts = Vec::new();
        for (start, n) in self.partition(shape, len) {
            let buffer = self.create_storage(n as u64 * 4, true)?;
            {
                let mut view = buffer
                    .slice(..)
                    .get_mapped_range_mut()
                    .map_err(|e| Error::Gpu(e.to_string()))?;
                view.slice(..n * 4)
                    .copy_from_slice(bytemuck::cast_slice(&data[start..start + n]));
            }
            buffer.unmap();
            parts.push(Part::new(buffer, start, n, None));
        }
        Ok(self.make_tensor(shape, len, parts))
    }

    /// A tensor of `shape` whose contents are zero.
    pub fn zeros(&self, shape: &[usize]) -> Result<Tensor> {
        let len = self.check_size(shape)?;
        let mut parts = Vec::new();
        for (start, n) in self.partition(shape, len) {
            let buffer = self.create_storage(n as u64 * 4, false)?;
            parts.push(Part::new(buffer, start, n, None));
        }
        Ok(self.make_tensor(shape, len, parts))
    }

    /// A tensor of `shape` with unspecified contents, for outputs: its buffers
    /// may be ones a dropped tensor gave back to the pool.
    pub fn empty(&self, shape: &[usize]) -> Result<Tensor> {
        let len = self.check_size(shape)?;
        let mut parts = Vec::new();
        for (start, n) in self.partition(shape, len) {
            let size = (n as u64 * 4).max(MIN_BUFFER).next_multiple_of(4);
            let buffer = match self.pool.take(size) {
                Some(b) => b,
                None => {
                    self.pool.count_allocation();
                    self.create_storage(size, false)?
                }
            };
            parts.push(Part::new(buffer, start, n, Some(self.pool.clone())));
        }
        Ok(self.make_tensor(shape, len, parts))
    }

    /// Views `bytes` of a caller's `buffer` from byte `offset` as a tensor of
    /// `shape`, without copying: ops read and write the caller's buffer. The
    /// buffer needs `STORAGE` usage (and `COPY_SRC` to be read back by wgact);
    /// `offset` must be a multiple of `min_storage_buffer_offset_alignment`.
    pub fn wrap(&self, buffer: &wgpu::Buffer, offset: u64, shape: &[usize]) -> Result<Tensor> {
        let len = self.check_size(shape)?;
        let bytes = len as u64 * 4;
        // One buffer holds it, so tensors of this shape from the context
        // are one part too (under a ContextOptions::max_buffer_size cap).
        if len > self.max_buffer_elems {
            return Err(Error::TooLarge {
                what: "wrapped tensor (bytes per buffer)",
                needed: bytes,
                limit: self.max_buffer_elems as u64 * 4,
            });
        }
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
        let mut part = Part::new(buffer.clone(), 0, len, None);
        part.offset = offset;
        Ok(self.make_tensor(shape, len, vec![part]))
    }

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
                let n = p.len as u64 * 4;
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
                _ => self.scoped(|| {
                    self.device.create_buffer(&wgpu::BufferDescriptor {
                        label: Some("wgact staging"),
                        size,
                        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                        mapped_at_creation: false,
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
                    part.offset + i as u64 * 4,
                    &stagings[c.staging],
                    c.at,
                    c.len as u64 * 4,
                );
            }
        })?;
        Ok(Readback {
            stagings,
            copies,
            lens: ts.iter().map(|t| t.len()).collect(),
        })
    }

    /// Reads a tensor back to the host (waits for all work submitted before).
    pub fn read(&self, t: &Tensor) -> Result<Vec<f32>> {
        Ok(self.read_many(&[t])?.pop().unwrap_or_default())
    }

    /// Reads several tensors back with one submission and one mapping.
    pub fn read_many(&self, ts: &[&Tensor]) -> Result<Vec<Vec<f32>>> {
        let mut guard = self.staging.lock().unwrap_or_else(|p| p.into_inner());
        let mut enc = self.device.create_command_encoder(&Default::default());
        let rb = self.record_readback(&mut enc, ts, guard.clone())?;
        if let [one] = rb.stagings.as_slice() {
            *guard = Some(one.clone());
        }
        pollster::block_on(ReadFuture::new(self, enc, rb)?)
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

    pub(crate) fn submit(&self, enc: wgpu::CommandEncoder) -> Result<wgpu::SubmissionIndex> {
        let index = self.scoped(|| self.queue.submit([enc.finish()]))?;
        self.submissions
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(index)
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
    readback: Option<Readback>,
    state: Arc<Mutex<MapState>>,
    error: Option<Error>,
}

impl ReadFuture {
    pub(crate) fn new(ctx: &Context, enc: wgpu::CommandEncoder, rb: Readback) -> Result<Self> {
        ctx.submit(enc)?;
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
            readback: Some(rb),
            state,
            error: None,
        })
    }

    fn failed(ctx: &Context, e: Error) -> Self {
        ReadFuture {
            device: ctx.device.clone(),
            readback: None,
            state: Default::default(),
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
        let mut out: Vec<Vec<f32>> = rb.lens.iter().map(|&n| vec![0.0; n]).collect();
        let mut result = Ok(());
        for (si, staging) in rb.stagings.iter().enumerate() {
            match staging.slice(..).get_mapped_range() {
                Ok(view) => {
                    for c in rb.copies.iter().filter(|c| c.staging == si) {
                        let bytes = &view[c.at as usize..c.at as usize + c.len * 4];
                        out[c.tensor][c.start..c.start + c.len]
                            .copy_from_slice(bytemuck::cast_slice(bytes));
                    }
                }
                Err(e) => result = Err(Error::Readback(e.to_string())),
            }
            staging.unmap();
        }
        Some(result.map(|()| out))
    }
}

impl Future for ReadFuture {
    type Output = Result<Vec<Vec<f32>>>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Self::Output> {
        if let Some(r) = self.try_finish() {
            return Poll::Ready(r);
        }
        self.state.lock().unwrap_or_else(|p| p.into_inner()).waker = Some(cx.waker().clone());
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
