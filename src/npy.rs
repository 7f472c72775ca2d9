//! `.npy` input and output for float32, little-endian, C-order arrays, with
//! typed errors and atomic writes.

use crate::shape::numel;
use crate::{Error, Result};
use npyz::WriterBuilder;
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

fn npy_err(path: &Path, reason: impl Into<String>) -> Error {
    Error::Npy {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Reads a float32 little-endian C-order `.npy` file: (data, shape).
/// Any other dtype, Fortran order, a malformed header or a truncated body is
/// an [`Error::Npy`].
pub fn read_f32(path: &Path) -> Result<(Vec<f32>, Vec<usize>)> {
    let file = File::open(path).map_err(io_err(path))?;
    let file_len = file.metadata().map_err(io_err(path))?.len();
    let npy = npyz::NpyFile::new(BufReader::new(file))
        .map_err(|e| npy_err(path, format!("not a valid .npy file ({e})")))?;
    match npy.dtype() {
        npyz::DType::Plain(ts) if ts.to_string() == "<f4" => {}
        other => {
            return Err(npy_err(
                path,
                format!(
                    "dtype {} is not supported: wgact reads float32 little-endian ('<f4'); convert with x.astype('<f4')",
                    other.descr()
                ),
            ));
        }
    }
    if npy.order() == npyz::Order::Fortran {
        return Err(npy_err(
            path,
            "Fortran-order arrays are not supported; save with np.ascontiguousarray(x)",
        ));
    }
    let shape: Vec<usize> = npy
        .shape()
        .iter()
        .map(|&d| usize::try_from(d))
        .collect::<Result<_, _>>()
        .map_err(|_| npy_err(path, "shape does not fit in memory"))?;
    let n = numel(&shape).map_err(|_| npy_err(path, format!("shape {shape:?} is too large")))?;
    // Refuse before allocating: a header may claim more than the file holds.
    let need = (n as u64).saturating_mul(4);
    if need > file_len {
        return Err(npy_err(
            path,
            format!(
                "truncated: shape {shape:?} needs {need} bytes of data, the file has {file_len} bytes in all"
            ),
        ));
    }
    let data: Vec<f32> = npy
        .into_vec()
        .map_err(|e| npy_err(path, format!("truncated or unreadable data ({e})")))?;
    if data.len() != n {
        return Err(npy_err(
            path,
            format!("expected {n} elements, read {}", data.len()),
        ));
    }
    Ok((data, shape))
}

/// Writes `data` of `shape` as a float32 `.npy` file, atomically: it goes to a
/// temporary file beside `path` that is renamed over `path` only once complete,
/// so a failure never leaves a partial file at `path`.
pub fn write_f32_atomic(path: &Path, data: &[f32], shape: &[usize]) -> Result<()> {
    let n = numel(shape)?;
    if n != data.len() {
        return Err(Error::ShapeMismatch {
            shape: shape.to_vec(),
            expected: n,
            got: data.len(),
        });
    }
    let tmp = temp_path(path);
    let result = (|| -> std::io::Result<()> {
        let file = File::create(&tmp)?;
        let mut w = BufWriter::new(file);
        {
            let dims: Vec<u64> = shape.iter().map(|&d| d as u64).collect();
            let mut npy = npyz::WriteOptions::<f32>::new()
                .default_dtype()
                .shape(&dims)
                .writer(&mut w)
                .begin_nd()?;
            npy.extend(data.iter().copied())?;
            npy.finish()?;
        }
        w.flush()?;
        w.get_ref().sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::Io {
            path: path.to_path_buf(),
            source: e,
        });
    }
    Ok(())
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.wgact-{}.tmp", std::process::id()))
}
