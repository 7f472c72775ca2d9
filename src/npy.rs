//! `.npy` input and output for float32 and float16 (numpy's `<f4`, `<f2`)
//! little-endian, C-order arrays, with typed errors and atomic writes.

use crate::shape::numel;
use crate::{DType, Error, Result};
use npyz::WriterBuilder;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
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

/// Where the data of a checked `.npy` file lies, and its dtype.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NpyInfo {
    /// The array's shape.
    pub shape: Vec<usize>,
    /// `F32` (`<f4`) or `F16` (`<f2`).
    pub dtype: DType,
    /// Byte offset of element 0 in the file.
    pub data_offset: u64,
}

impl NpyInfo {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }
    /// Whether the array holds no element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Opens a float32 little-endian C-order `.npy` file and checks its header
/// against its size, without reading the data. Any other dtype, Fortran
/// order, a malformed header or a truncated body is an [`Error::Npy`].
pub fn open_f32(path: &Path) -> Result<(File, NpyInfo)> {
    let (file, info) = open(path)?;
    if info.dtype != DType::F32 {
        return Err(npy_err(
            path,
            "dtype <f2 (float16) is not supported here: this reads float32 little-endian ('<f4'); convert with x.astype('<f4')",
        ));
    }
    Ok((file, info))
}

/// [`open_f32`] for float32 or float16 (`<f4`, `<f2`) files.
pub fn open(path: &Path) -> Result<(File, NpyInfo)> {
    let mut file = File::open(path).map_err(io_err(path))?;
    let file_len = file.metadata().map_err(io_err(path))?.len();
    // The preamble gives the data offset: magic, version, header length.
    let mut pre = [0u8; 12];
    let got = read_up_to(&mut file, &mut pre).map_err(io_err(path))?;
    if got < 10 || &pre[..6] != b"\x93NUMPY" {
        return Err(npy_err(path, "not a valid .npy file (bad magic)"));
    }
    let data_offset = match pre[6] {
        1 => 10 + u16::from_le_bytes([pre[8], pre[9]]) as u64,
        2 | 3 if got == 12 => 12 + u32::from_le_bytes([pre[8], pre[9], pre[10], pre[11]]) as u64,
        v => {
            return Err(npy_err(
                path,
                format!("not a valid .npy file (version {v})"),
            ));
        }
    };
    file.seek(SeekFrom::Start(0)).map_err(io_err(path))?;
    let npy = npyz::NpyFile::new(BufReader::new(&file))
        .map_err(|e| npy_err(path, format!("not a valid .npy file ({e})")))?;
    let dtype = match npy.dtype() {
        npyz::DType::Plain(ts) if ts.to_string() == "<f4" => DType::F32,
        npyz::DType::Plain(ts) if ts.to_string() == "<f2" => DType::F16,
        other => {
            return Err(npy_err(
                path,
                format!(
                    "dtype {} is not supported: wgact reads float32 or float16 little-endian ('<f4', '<f2'); convert with x.astype('<f4')",
                    other.descr()
                ),
            ));
        }
    };
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
    let need = (n as u64).saturating_mul(dtype.size() as u64);
    if data_offset.saturating_add(need) > file_len {
        return Err(npy_err(
            path,
            format!(
                "truncated: shape {shape:?} needs {need} bytes of data after a {data_offset}-byte header, the file has {file_len} bytes in all"
            ),
        ));
    }
    drop(npy);
    file.seek(SeekFrom::Start(0)).map_err(io_err(path))?;
    Ok((
        file,
        NpyInfo {
            shape,
            dtype,
            data_offset,
        },
    ))
}

fn read_up_to(f: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Reads a float32 or float16 little-endian C-order `.npy` file as f32
/// (float16 widens exactly): (data, shape), with the checks of [`open`].
pub fn read_f32(path: &Path) -> Result<(Vec<f32>, Vec<usize>)> {
    let (mut file, info) = open(path)?;
    let mut bytes = vec![0u8; info.len() * info.dtype.size()];
    file.seek(SeekFrom::Start(info.data_offset))
        .map_err(io_err(path))?;
    file.read_exact(&mut bytes)
        .map_err(|e| npy_err(path, format!("truncated or unreadable data ({e})")))?;
    let mut data = vec![0f32; info.len()];
    crate::dtype::widen(info.dtype, &bytes, &mut data);
    Ok((data, info.shape))
}

/// Writes `data` of `shape` as a float32 `.npy` file, atomically: it goes to a
/// temporary file beside `path` that is renamed over `path` only once complete,
/// so a failure never leaves a partial file at `path`.
pub fn write_f32_atomic(path: &Path, data: &[f32], shape: &[usize]) -> Result<()> {
    write_atomic(path, data, shape, DType::F32)
}

/// [`write_f32_atomic`] as float16 (`<f2`) when `dtype` is `F16`: `data`
/// rounded to nearest, ties to even. numpy has no bf16: `Bf16` is refused.
pub fn write_atomic(path: &Path, data: &[f32], shape: &[usize], dtype: DType) -> Result<()> {
    if dtype == DType::Bf16 {
        return Err(npy_err(
            path,
            "numpy has no bfloat16 dtype: write f32 or f16",
        ));
    }
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
            if dtype == DType::F16 {
                let mut npy = npyz::WriteOptions::<half::f16>::new()
                    .default_dtype()
                    .shape(&dims)
                    .writer(&mut w)
                    .begin_nd()?;
                npy.extend(data.iter().map(|&v| half::f16::from_f32(v)))?;
                npy.finish()?;
            } else {
                let mut npy = npyz::WriteOptions::<f32>::new()
                    .default_dtype()
                    .shape(&dims)
                    .writer(&mut w)
                    .begin_nd()?;
                npy.extend(data.iter().copied())?;
                npy.finish()?;
            }
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

/// The temporary file beside `path` that [`write_f32_atomic`] and streaming
/// write first.
pub(crate) fn temp_path(path: &Path) -> PathBuf {
    path.with_file_name(format!("{}{}.tmp", temp_prefix(path), std::process::id()))
}

/// `.{name}.wgact-`: the start of every temporary file of a write to `path`.
fn temp_prefix(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!(".{name}.wgact-")
}

/// Removes the temporary files that writes to `path` by processes no longer
/// running left behind (a run killed with SIGKILL cannot clean up after
/// itself). Temporaries of live processes (a concurrent write to the same
/// target) stay. Best effort: errors are ignored. On systems without /proc
/// no process is known to be dead, so nothing is removed.
pub(crate) fn remove_stale_temps(path: &Path) {
    let prefix = temp_prefix(path);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(&prefix)
            .and_then(|r| r.strip_suffix(".tmp"))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let proc_dir = Path::new("/proc");
        let dead = pid != std::process::id()
            && proc_dir.is_dir()
            && !proc_dir.join(pid.to_string()).exists();
        if dead {
            let _ = std::fs::remove_file(e.path());
        }
    }
}
