//! GPU tensors: storage buffers (wgact's or the caller's) plus a shape and
//! a dtype, created by upload, zeros, empty or wrap; readback is in
//! `readback.rs`.

use crate::bindcache::BindCache;
use crate::memory::Charge;
use crate::pool::Pool;
use crate::shape::numel;
use crate::{Context, DType, Element, Error, Result};
use std::sync::Arc;

/// A tensor in GPU storage (f32, f16 or bf16: [`Tensor::dtype`]), C order, of any rank (0-d and zero-sized
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
    dtype: DType,
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
    /// The buffer's charge to the memory ledger (none for a caller's buffer).
    charge: Option<Charge>,
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
    /// Its element type.
    pub fn dtype(&self) -> DType {
        self.dtype
    }
    /// Size of the data in bytes.
    pub fn byte_len(&self) -> u64 {
        self.len as u64 * self.dtype.size() as u64
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
    fn new(
        (buffer, charge): (wgpu::Buffer, Option<Charge>),
        start: usize,
        len: usize,
        pool: Option<Arc<Pool>>,
    ) -> Self {
        Part {
            buffer,
            offset: 0,
            start,
            len,
            pool,
            charge,
        }
    }
}

impl Drop for Tensor {
    fn drop(&mut self) {
        for p in &mut self.parts {
            self.binds.forget(&p.buffer);
            if let Some(pool) = p.pool.take() {
                pool.give((p.buffer.clone(), p.charge.take()));
            }
        }
    }
}

// Buffers are never zero-sized: wgpu cannot bind an empty range.
pub(crate) const MIN_BUFFER: u64 = 16;

/// The size of the buffer holding `bytes` of a tensor.
fn storage_size(bytes: u64) -> u64 {
    bytes.max(MIN_BUFFER).next_multiple_of(4)
}

const TENSOR_USAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE
    .union(wgpu::BufferUsages::COPY_SRC)
    .union(wgpu::BufferUsages::COPY_DST);

impl Context {
    fn check_size(&self, shape: &[usize], dtype: DType) -> Result<usize> {
        let len = numel(shape)?;
        (len as u64)
            .checked_mul(dtype.size() as u64)
            .ok_or(Error::TooLarge {
                what: "tensor (bytes)",
                needed: u64::MAX,
                limit: u64::MAX,
            })?;
        Ok(len)
    }

    /// A tensor of `shape` whose parts `part(start, n)` makes, one per buffer.
    /// One part when it fits; otherwise parts of whole trailing slices
    /// `shape[d..]` (the largest that fit), so that softmax over an axis at or
    /// after `d` never spans two buffers, and single elements for a last
    /// dimension too long for one.
    ///
    /// Tensors of every dtype split at the same elements (as f32 ones would),
    /// so an op between dtypes finds its parts aligned.
    fn new_tensor(
        &self,
        shape: &[usize],
        dtype: DType,
        mut part: impl FnMut(usize, usize) -> Result<Part>,
    ) -> Result<Tensor> {
        let len = self.check_size(shape, dtype)?;
        self.lost.check()?;
        // The whole tensor must fit before its first buffer is made.
        self.fits("a tensor", storage_size(len as u64 * dtype.size() as u64))?;
        let max = self.max_buffer_elems;
        let (granule, step) = if len <= max {
            (len.max(1), len.max(1))
        } else {
            let g = granule(shape, max);
            (g, max / g * g)
        };
        let parts = if len == 0 {
            vec![part(0, 0)?]
        } else {
            (0..len)
                .step_by(step)
                .map(|s| part(s, step.min(len - s)))
                .collect::<Result<_>>()?
        };
        Ok(Tensor {
            parts,
            granule,
            binds: self.binds.clone(),
            shape: shape.to_vec(),
            len,
            dtype,
        })
    }

    /// `f`, and if it fails for want of memory while the pool holds free
    /// buffers, `f` again once they are dropped (their memory goes back to
    /// the device and the ledger).
    fn with_room<T>(&self, f: impl Fn() -> Result<T>) -> Result<T> {
        match f() {
            Err(Error::OutOfMemory(_)) if self.pool.clear() => f(),
            r => r,
        }
    }

    /// `Ok` when `bytes` more fit in the memory budget, after dropping the
    /// pool's free buffers if that is what it takes.
    pub(crate) fn fits(&self, what: &str, bytes: u64) -> Result<()> {
        self.with_room(|| self.memory.check(what, bytes))
    }

    fn create_storage(&self, bytes: u64, mapped: bool) -> Result<(wgpu::Buffer, Option<Charge>)> {
        let size = storage_size(bytes);
        let charge = self.with_room(|| self.memory.reserve("a tensor buffer", size))?;
        let buffer = self.scoped(|| {
            self.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("wgact tensor"),
                size,
                usage: TENSOR_USAGE,
                mapped_at_creation: mapped,
            })
        })?;
        if !mapped {
            self.probe()?;
        }
        Ok((buffer, Some(charge)))
    }

    /// wgpu makes buffers on a destroyed device without a word (invalid
    /// ones), and reports the loss only once the queue has drained; a tiny
    /// mapped buffer shows it at once, since mapping an invalid buffer fails.
    fn probe(&self) -> Result<()> {
        let b = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("wgact probe"),
            size: 16,
            usage: wgpu::BufferUsages::MAP_WRITE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: true,
        });
        let ok = b.slice(..).get_mapped_range_mut().is_ok();
        if ok {
            b.unmap();
            return Ok(());
        }
        Err(self
            .lost
            .explain(&self.device, Error::DeviceLost("device destroyed".into())))
    }

    /// Uploads `data` as a tensor of `shape` (C order).
    ///
    /// ```no_run
    /// # let ctx = wgact::Context::new()?;
    /// let t = ctx.upload(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3])?;
    /// assert_eq!(t.shape(), &[2, 3]);
    /// # Ok::<(), wgact::Error>(())
    /// ```
    ///
    /// `data` may be `f32`, [`half::f16`] or [`half::bf16`]: the tensor has
    /// that dtype.
    ///
    /// ```no_run
    /// # let ctx = wgact::Context::new()?;
    /// use wgact::half::f16;
    /// let h = ctx.upload(&[f16::from_f32(0.5), f16::from_f32(-2.0)], &[2])?;
    /// assert_eq!(h.dtype(), wgact::DType::F16);
    /// # Ok::<(), wgact::Error>(())
    /// ```
    pub fn upload<T: Element>(&self, data: &[T], shape: &[usize]) -> Result<Tensor> {
        let size = T::DTYPE.size();
        let len = self.check_size(shape, T::DTYPE)?;
        if len != data.len() {
            return Err(Error::ShapeMismatch {
                shape: shape.to_vec(),
                expected: len,
                got: data.len(),
            });
        }
        // Pooled buffers written through the queue: on Mesa's adapters a
        // fresh buffer mapped at creation costs its pages' first touch and,
        // on GL, more copies (2^24 elements: 35 against 19 ms on lavapipe,
        // 67 against 44 ms on llvmpipe GL). The queue orders the write
        // before any later submission.
        let t = self.empty_as(shape, T::DTYPE)?;
        let bytes: &[u8] = bytemuck::cast_slice(data);
        self.scoped(|| {
            for p in &t.parts {
                let b = &bytes[p.start * size..(p.start + p.len) * size];
                // Whole 4-byte words: an odd 16-bit tail is padded with the
                // buffer's 2 bytes past the tensor (its storage is rounded up).
                let whole = b.len() / 4 * 4;
                if whole > 0 {
                    self.queue.write_buffer(&p.buffer, p.offset, &b[..whole]);
                }
                if whole < b.len() {
                    let mut tail = [0u8; 4];
                    tail[..b.len() - whole].copy_from_slice(&b[whole..]);
                    self.queue
                        .write_buffer(&p.buffer, p.offset + whole as u64, &tail);
                }
            }
        })?;
        self.lost.check()?;
        Ok(t)
    }

    /// f32 `data` rounded to `dtype` (to nearest, ties to even) and uploaded
    /// as a tensor of that dtype.
    pub fn upload_as(&self, data: &[f32], shape: &[usize], dtype: DType) -> Result<Tensor> {
        match dtype {
            DType::F32 => self.upload(data, shape),
            DType::F16 => self.upload(
                &data
                    .iter()
                    .map(|&v| half::f16::from_f32(v))
                    .collect::<Vec<_>>(),
                shape,
            ),
            DType::Bf16 => self.upload(
                &data
                    .iter()
                    .map(|&v| half::bf16::from_f32(v))
                    .collect::<Vec<_>>(),
                shape,
            ),
        }
    }

    /// An f32 tensor of `shape` whose contents are zero.
    pub fn zeros(&self, shape: &[usize]) -> Result<Tensor> {
        self.zeros_as(shape, DType::F32)
    }

    /// A tensor of `shape` and `dtype` whose contents are zero.
    pub fn zeros_as(&self, shape: &[usize], dtype: DType) -> Result<Tensor> {
        self.new_tensor(shape, dtype, |start, n| {
            let buffer = self.create_storage((n * dtype.size()) as u64, false)?;
            Ok(Part::new(buffer, start, n, None))
        })
    }

    /// A tensor of `shape` with unspecified contents, for outputs: its buffers
    /// may be ones a dropped tensor gave back to the pool.
    pub fn empty(&self, shape: &[usize]) -> Result<Tensor> {
        self.empty_as(shape, DType::F32)
    }

    /// [`Context::empty`] of `dtype`.
    pub fn empty_as(&self, shape: &[usize], dtype: DType) -> Result<Tensor> {
        self.new_tensor(shape, dtype, |start, n| {
            let size = storage_size((n * dtype.size()) as u64);
            let owned = match self.pool.take(size) {
                Some(b) => b,
                None => {
                    self.pool.count_allocation();
                    self.create_storage(size, false)?
                }
            };
            Ok(Part::new(owned, start, n, Some(self.pool.clone())))
        })
    }

    /// Views `bytes` of a caller's `buffer` from byte `offset` as a tensor of
    /// `shape`, without copying: ops read and write the caller's buffer. The
    /// buffer needs `STORAGE` usage (and `COPY_SRC` to be read back by wgact);
    /// `offset` must be a multiple of `min_storage_buffer_offset_alignment`.
    pub fn wrap(&self, buffer: &wgpu::Buffer, offset: u64, shape: &[usize]) -> Result<Tensor> {
        self.wrap_as(buffer, offset, shape, DType::F32)
    }

    /// [`Context::wrap`] of a buffer holding `dtype` elements. Kernels read
    /// and write whole 4-byte words, so a 16-bit tensor of odd length needs
    /// the buffer to hold the 2 bytes after it (they are left as they were).
    pub fn wrap_as(
        &self,
        buffer: &wgpu::Buffer,
        offset: u64,
        shape: &[usize],
        dtype: DType,
    ) -> Result<Tensor> {
        let len = self.check_size(shape, dtype)?;
        let bytes = (len as u64 * dtype.size() as u64).next_multiple_of(4);
        // One buffer holds it, so tensors of this shape from the context
        // are one part too (under a ContextOptions::max_buffer_size cap).
        if len > self.max_buffer_elems {
            return Err(Error::TooLarge {
                what: "wrapped tensor (bytes per buffer)",
                needed: bytes,
                limit: self.max_buffer_elems as u64 * dtype.size() as u64,
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
        // One part: len fits one buffer (checked above).
        self.new_tensor(shape, dtype, |start, n| {
            let mut part = Part::new((buffer.clone(), None), start, n, None);
            part.offset = offset;
            Ok(part)
        })
    }

    pub(crate) fn submit(&self, enc: wgpu::CommandEncoder) -> Result<wgpu::SubmissionIndex> {
        let index = self.scoped(|| {
            let cmd = enc.finish();
            let _serial = crate::readback::submit_poll_lock();
            self.queue.submit([cmd])
        })?;
        self.submissions
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(index)
    }
}
