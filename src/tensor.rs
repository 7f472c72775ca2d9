//! GPU tensors: an f32 storage buffer plus a shape, with upload and readback.

use crate::shape::numel;
use crate::{Context, Error, Result};

/// An f32 tensor in a GPU storage buffer, C order, of any rank (0-d and
/// zero-sized dimensions included).
#[derive(Debug)]
pub struct Tensor {
    pub(crate) buffer: wgpu::Buffer,
    shape: Vec<usize>,
    len: usize,
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
    /// The underlying buffer (usage `STORAGE | COPY_SRC | COPY_DST`).
    pub fn buffer(&self) -> &wgpu::Buffer {
        &self.buffer
    }
}

// Buffers are never zero-sized: wgpu cannot bind an empty range.
const MIN_BUFFER: u64 = 16;

impl Context {
    fn check_size(&self, len: usize) -> Result<u64> {
        let bytes = (len as u64).checked_mul(4).ok_or(Error::TooLarge {
            what: "buffer",
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
        Ok(bytes)
    }

    fn create_storage(&self, bytes: u64, mapped: bool) -> Result<wgpu::Buffer> {
        self.scoped(|| {
            self.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("wgact tensor"),
                size: bytes.max(MIN_BUFFER).next_multiple_of(4),
                usage: wgpu::BufferUsages::STORAGE
                    | wgpu::BufferUsages::COPY_SRC
                    | wgpu::BufferUsages::COPY_DST,
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
        let len = numel(shape)?;
        if len != data.len() {
            return Err(Error::ShapeMismatch {
                shape: shape.to_vec(),
                expected: len,
                got: data.len(),
            });
        }
        let bytes = self.check_size(len)?;
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
        Ok(Tensor {
            buffer,
            shape: shape.to_vec(),
            len,
        })
    }

    /// A tensor of `shape` whose contents are zero.
    pub fn zeros(&self, shape: &[usize]) -> Result<Tensor> {
        let len = numel(shape)?;
        let bytes = self.check_size(len)?;
        Ok(Tensor {
            buffer: self.create_storage(bytes, false)?,
            shape: shape.to_vec(),
            len,
        })
    }

    /// Reads a tensor back to the host (waits for all work submitted before).
    pub fn read(&self, t: &Tensor) -> Result<Vec<f32>> {
        if t.is_empty() {
            return Ok(Vec::new());
        }
        let bytes = t.byte_len();
        let mut guard = self.staging.lock().unwrap_or_else(|p| p.into_inner());
        let staging = match guard.as_ref() {
            Some(s) if s.size() >= bytes => s.clone(),
            _ => {
                let s = self.scoped(|| {
                    self.device.create_buffer(&wgpu::BufferDescriptor {
                        label: Some("wgact staging"),
                        size: bytes,
                        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                        mapped_at_creation: false,
                    })
                })?;
                *guard = Some(s.clone());
                s
            }
        };
        let slice = staging.slice(..bytes);
        let (tx, rx) = std::sync::mpsc::channel();
        let submission = self.scoped(|| {
            let mut enc = self.device.create_command_encoder(&Default::default());
            enc.copy_buffer_to_buffer(&t.buffer, 0, &staging, 0, bytes);
            let index = self.queue.submit([enc.finish()]);
            slice.map_async(wgpu::MapMode::Read, move |r| {
                let _ = tx.send(r);
            });
            index
        })?;
        // Wait in short slices: wgpu's GL backend holds the context lock for
        // the whole of a wait, and other threads give up after a few seconds.
        let mapped = loop {
            match self.device.poll(wgpu::PollType::Wait {
                submission_index: Some(submission.clone()),
                timeout: Some(std::time::Duration::from_millis(5)),
            }) {
                Ok(_) | Err(wgpu::PollError::Timeout) => {}
                Err(e) => return Err(Error::Readback(e.to_string())),
            }
            match rx.try_recv() {
                Ok(r) => break r,
                Err(std::sync::mpsc::TryRecvError::Empty) => std::thread::yield_now(),
                Err(e) => return Err(Error::Readback(e.to_string())),
            }
        };
        mapped.map_err(|e| Error::Readback(e.to_string()))?;
        let out = {
            let view = slice
                .get_mapped_range()
                .map_err(|e| Error::Readback(e.to_string()))?;
            bytemuck::cast_slice::<u8, f32>(&view).to_vec()
        };
        staging.unmap();
        Ok(out)
    }
}
