//! Applying an activation to a `.npy` file of any size: the input is
//! memory-mapped and sent through the GPU in chunks, two in flight (upload and
//! compute of one overlap the download and write of the other), so host
//! memory stays bounded by a few chunks. Chunks of axis ops and glu hold
//! whole outer slices. The output is written to a temporary file, synced, and
//! renamed into place at the end, so a run killed at any moment leaves the
//! target as it was; the next run on the same target removes the temporary
//! files of dead runs.

use crate::npy::{NpyInfo, open, open_f32, remove_stale_temps, temp_path};
use crate::readback::ReadFuture;
use crate::shape::{numel, split_at_axis};
use crate::{Activation, Context, DType, Element, Error, Result, Tensor};
use npyz::WriterBuilder;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// How to stream.
#[derive(Clone, Debug)]
pub struct StreamOptions {
    /// Target bytes of input per chunk (rounded to whole rows for softmax).
    pub chunk_bytes: u64,
    /// The output file's dtype (`F32` or `F16`; `None`: the input's). The
    /// input chunk goes to the GPU as it is in the file, and the op writes
    /// the output dtype (each result rounded once).
    pub dtype: Option<DType>,
}

impl Default for StreamOptions {
    fn default() -> Self {
        StreamOptions {
            chunk_bytes: 32 << 20,
            dtype: None,
        }
    }
}

/// One of the two sets of GPU buffers chunks alternate between.
struct Slot {
    input: Tensor,
    /// The upstream gradient's chunk (backward only).
    dy: Option<Tensor>,
    output: Tensor,
    pending: Option<(ReadFuture, usize, usize)>, // readback, first element, count
}

/// Applies `act` to the float32 or float16 `.npy` file `input`, writing
/// `output` atomically (of the input's dtype unless [`StreamOptions::dtype`]
/// says otherwise). `progress(done, total)` is called with element counts.
/// Returns the shape.
pub fn apply_file(
    ctx: &Context,
    act: &Activation,
    input: &Path,
    output: &Path,
    opts: &StreamOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Vec<usize>> {
    act.validate()?;
    let (file, info) = open(input)?;
    let out_dtype = opts.dtype.unwrap_or(info.dtype);
    finish_file(output, |tmp| match out_dtype {
        DType::F32 => run::<f32>(ctx, act, &file, &info, input, None, tmp, opts, progress),
        DType::F16 => run::<half::f16>(ctx, act, &file, &info, input, None, tmp, opts, progress),
        DType::Bf16 => Err(Error::Npy {
            path: output.to_path_buf(),
            reason: "numpy has no bfloat16 dtype: write f32 or f16".into(),
        }),
    })?;
    Ok(info.shape)
}

/// The backward of `act` ([`Context::backward`]) over float32 `.npy` files:
/// `x`, the forward input, and `dy`, the upstream gradient (of the forward
/// output's shape), streamed together in chunks into `output` (of `x`'s
/// shape), written atomically. Returns the shape.
pub fn grad_file(
    ctx: &Context,
    act: &Activation,
    x: &Path,
    dy: &Path,
    output: &Path,
    opts: &StreamOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Vec<usize>> {
    act.validate()?;
    let (file, info) = open_f32(x)?;
    let (dy_file, dy_info) = open_f32(dy)?;
    check_grad_shapes(act, &info.shape, &dy_info.shape)?;
    let dys = Some((&dy_file, &dy_info, dy));
    finish_file(output, |tmp| {
        run::<f32>(ctx, act, &file, &info, x, dys, tmp, opts, progress)
    })?;
    Ok(info.shape)
}

/// `Ok` when an upstream gradient of `dy_shape` fits `act`'s output for an
/// input of `x_shape` (else `Error::ShapesDiffer`, or the op's own error for
/// the input).
pub fn check_grad_shapes(act: &Activation, x_shape: &[usize], dy_shape: &[usize]) -> Result<()> {
    let want = act.output_shape(x_shape)?;
    if dy_shape != want {
        return Err(Error::ShapesDiffer {
            a: want,
            b: dy_shape.to_vec(),
        });
    }
    Ok(())
}

/// Runs `write` on a temporary file beside `output` and renames it into
/// place on success; removes it on failure (and the temporary files of dead
/// runs on the same target first).
fn finish_file(output: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    remove_stale_temps(output);
    let tmp = temp_path(output);
    let result = write(&tmp).and_then(|()| {
        std::fs::rename(&tmp, output).map_err(|source| Error::Io {
            path: output.to_path_buf(),
            source,
        })
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Elements per chunk: whole softmax planes (outer slices), a multiple of 4
/// for elementwise ops, and never more than one storage binding holds unless
/// a single softmax plane is larger.
fn chunk_elements(
    ctx: &Context,
    act: &Activation,
    info: &NpyInfo,
    opts: &StreamOptions,
) -> Result<usize> {
    let max = (ctx.max_binding / 4) as usize;
    let want = ((opts.chunk_bytes / 4) as usize).clamp(4, max);
    match act.axis() {
        Some(axis) => {
            let (_, len, inner) = split_at_axis(&info.shape, axis)?;
            let plane = (len * inner).max(1);
            // An outer slice larger than a binding goes alone (the op
            // reduces it in blocks), up to what one buffer holds.
            let max_plane = ctx.max_buffer_elems;
            if plane > max_plane {
                return Err(Error::TooLarge {
                    what: "rows of one outer slice (bytes per buffer)",
                    needed: plane as u64 * 4,
                    limit: max_plane as u64 * 4,
                });
            }
            Ok((want / plane).max(1) * plane)
        }
        None => Ok(want / 4 * 4),
    }
}

#[allow(clippy::too_many_arguments)]
fn run<T: Element + npyz::AutoSerialize>(
    ctx: &Context,
    act: &Activation,
    file: &File,
    info: &NpyInfo,
    input: &Path,
    dys: Option<(&File, &NpyInfo, &Path)>,
    tmp: &Path,
    opts: &StreamOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<()> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    let n = info.len();
    let chunk = chunk_elements(ctx, act, info, opts)?;
    let out_file = File::create(tmp).map_err(io(tmp))?;
    let mut w = BufWriter::with_capacity(1 << 20, out_file);
    let out_shape = match dys {
        Some(_) => info.shape.clone(),
        None => act.output_shape(&info.shape)?,
    };
    let dims: Vec<u64> = out_shape.iter().map(|&d| d as u64).collect();
    let mut npy = npyz::WriteOptions::<T>::new()
        .default_dtype()
        .shape(&dims)
        .writer(&mut w)
        .begin_nd()
        .map_err(io(tmp))?;
    if n > 0 {
        // SAFETY: the mapping is read-only and private; wgact does not modify
        // the file, and a concurrent writer is outside what any reader of a
        // file can guard against.
        let map = unsafe { memmap2::Mmap::map(file) }.map_err(io(input))?;
        let size = info.dtype.size();
        let data = &map[info.data_offset as usize..info.data_offset as usize + n * size];
        let dy_map = match dys {
            // SAFETY: as for the input's mapping.
            Some((f, _, path)) => Some(unsafe { memmap2::Mmap::map(f) }.map_err(io(path))?),
            None => None,
        };
        // The mapping and the byte offset of dy's data.
        let dy_src = dy_map
            .as_ref()
            .zip(dys)
            .map(|(m, (_, di, _))| (m, di.data_offset as usize));
        let per = chunk.min(n);
        // glu's output (and dy) is half its input; other ops keep the size.
        let (op, shape) = chunk_op(act, info, per)?;
        let per_y = numel(&op.output_shape(&shape)?)?;
        let per_out = if dys.is_some() { per } else { per_y };
        let mut slots = Vec::new();
        for _ in 0..2.min(n.div_ceil(per)) {
            slots.push(Slot {
                input: ctx.zeros_as(&[per], info.dtype)?,
                dy: match dys {
                    Some(_) => Some(ctx.zeros(&[per_y])?),
                    None => None,
                },
                output: ctx.zeros_as(&[per_out], T::DTYPE)?,
                pending: None,
            });
        }
        let ns = slots.len();
        let mut start = 0usize;
        let mut i = 0usize;
        while start < n {
            let count = per.min(n - start);
            let slot = &mut slots[i % ns];
            let bytes = &data[start * size..(start + count) * size];
            if bytes.len() % 4 == 0 {
                ctx.queue().write_buffer(slot.input.buffer(), 0, bytes);
            } else {
                // An odd count of 2-byte elements: writes are whole words.
                let mut padded = bytes.to_vec();
                padded.resize(bytes.len().next_multiple_of(4), 0);
                ctx.queue().write_buffer(slot.input.buffer(), 0, &padded);
            }
            let at = info.data_offset as usize + start * size;
            release(&map, at, at + count * size);
            let (op, shape) = chunk_op(act, info, count)?;
            let x = ctx.wrap_as(slot.input.buffer(), 0, &shape, info.dtype)?;
            let y_shape = op.output_shape(&shape)?;
            let mut enc = ctx.device().create_command_encoder(&Default::default());
            let (out, _keep) = match (&slot.dy, dy_src) {
                (Some(dyt), Some((dmap, offset))) => {
                    // dy's chunk: the same outer slices (glu: half as long);
                    // chunks start at multiples of `per`.
                    let from = offset + start / per * per_y * 4;
                    let to = from + numel(&y_shape)? * 4;
                    ctx.queue().write_buffer(dyt.buffer(), 0, &dmap[from..to]);
                    release(dmap, from, to);
                    let dy = ctx.wrap(dyt.buffer(), 0, &y_shape)?;
                    let dx = ctx.wrap(slot.output.buffer(), 0, &shape)?;
                    let keep = ctx.encode_backward(&mut enc, &op, &x, None, &dy, Some(&dx))?;
                    (dx, keep)
                }
                _ => {
                    let y = ctx.wrap_as(slot.output.buffer(), 0, &y_shape, T::DTYPE)?;
                    ctx.encode(&mut enc, &op, &x, Some(&y))?;
                    (y, None)
                }
            };
            let rb = ctx.record_readback(&mut enc, &[&out], None)?;
            slot.pending = Some((ReadFuture::new(ctx, enc, rb)?, start, count));
            // Write the previous chunk (the other slot) while this one runs:
            // chunks reach the file in order.
            let other = (i + 1) % ns;
            if other != i % ns {
                if let Some((fut, at, len)) = slots[other].pending.take() {
                    finish(fut, &mut npy, tmp)?;
                    progress((at + len) as u64, n as u64);
                }
            }
            start += count;
            i += 1;
        }
        for slot in &mut slots {
            if let Some((fut, at, len)) = slot.pending.take() {
                finish(fut, &mut npy, tmp)?;
                progress((at + len) as u64, n as u64);
            }
        }
    }
    npy.finish().map_err(io(tmp))?;
    w.flush().map_err(io(tmp))?;
    w.get_ref().sync_all().map_err(io(tmp))?;
    Ok(())
}

/// Drops the pages of `map` that hold bytes `from..to`, once they are copied
/// into wgpu's staging memory (touched again, they are read from the file
/// anew), so host memory stays bounded by a few chunks.
fn release(map: &memmap2::Mmap, from: usize, to: usize) {
    let page_start = from & !4095;
    // SAFETY: the mapping is private and read-only; nothing refers into this
    // range of it any more.
    let _ = unsafe {
        map.unchecked_advise_range(
            memmap2::UncheckedAdvice::DontNeed,
            page_start,
            to - page_start,
        )
    };
}

/// The op and shape for a chunk of `count` elements. Chunks of axis ops (and
/// glu) are whole outer slices, viewed as [slices, len, inner] with the axis
/// at 1.
fn chunk_op(act: &Activation, info: &NpyInfo, count: usize) -> Result<(Activation, Vec<usize>)> {
    Ok(match act.axis() {
        Some(axis) => {
            let (_, len, inner) = split_at_axis(&info.shape, axis)?;
            let plane = (len * inner).max(1);
            (act.with_axis(1), vec![count / plane, len, inner])
        }
        None => (*act, vec![count]),
    })
}

fn finish<T: Element + npyz::AutoSerialize>(
    fut: ReadFuture,
    npy: &mut npyz::NpyWriter<T, &mut BufWriter<File>>,
    tmp: &Path,
) -> Result<()> {
    // The output tensor is of dtype T: its values widen to f32 and narrow
    // back exactly.
    let values = pollster::block_on(fut)?.pop().unwrap_or_default();
    npy.extend(values.into_iter().map(T::from_f32))
        .map_err(|source| Error::Io {
            path: tmp.to_path_buf(),
            source,
        })
}
