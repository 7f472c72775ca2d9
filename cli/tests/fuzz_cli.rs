//! Property-based fuzzing (proptest) of what users hand the command line:
//! `.npy` files (preambles of every version, header lengths, dicts with any
//! descr, order and shape, shapes whose element count overflows or exceeds
//! the file, truncated and padded bodies) and argument vectors for
//! `wgact apply`. The reader and the CLI must answer every input with a
//! result or a one-line error: no panic, no hang, no partial output; and a
//! file the reader accepts must read back its own body. `WGACT_FUZZ_CASES`
//! and `WGACT_FUZZ_SEED` as in tests/fuzz_api.rs.

#[path = "../../tests/common/mod.rs"]
mod common;
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use wgact::npy;

fn config(default_cases: u64) -> ProptestConfig {
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    ProptestConfig {
        cases: env("WGACT_FUZZ_CASES").unwrap_or(default_cases) as u32,
        rng_seed: proptest::test_runner::RngSeed::Fixed(env("WGACT_FUZZ_SEED").unwrap_or(0x5eed)),
        ..ProptestConfig::default()
    }
}

fn dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("wgact-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A header dict: mostly well-formed with odd values, sometimes garbage.
fn dict() -> impl Strategy<Value = String> {
    let descr = prop_oneof![
        Just("'<f4'".to_string()),
        Just("'>f4'".to_string()),
        Just("'<f8'".to_string()),
        Just("'|u1'".to_string()),
        Just("'<f2'".to_string()),
        "'[a-z<>|0-9]{0,5}'",
    ];
    let order = prop_oneof![Just("False"), Just("True"), Just("None"), Just("0")];
    let dim = prop_oneof![
        0u64..5,
        Just(u64::MAX),
        Just(1u64 << 62),
        Just(1u64 << 31),
        any::<u64>()
    ];
    let shape = prop::collection::vec(dim, 0..5).prop_map(|d| match d.len() {
        1 => format!("({},)", d[0]),
        _ => format!(
            "({})",
            d.iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    });
    prop_oneof![
        8 => (descr, order, shape).prop_map(|(d, o, s)| format!(
            "{{'descr': {d}, 'fortran_order': {o}, 'shape': {s}, }}"
        )),
        1 => "[ -~]{0,80}",
        1 => Just("{'shape': (-1,), 'descr': '<f4', 'fortran_order': False}".to_string()),
    ]
}

/// A whole file: preamble (version, header length as written or wrong),
/// dict, padding, and a body of some length.
fn npy_file() -> impl Strategy<Value = Vec<u8>> {
    (
        prop_oneof![Just(1u8), Just(2), Just(3), any::<u8>()],
        dict(),
        prop_oneof![3 => Just(None), 1 => any::<u32>().prop_map(Some)],
        0usize..64,
        prop::collection::vec(any::<u8>(), 0..96),
        any::<bool>(),
    )
        .prop_map(|(version, dict, len_override, pad, body, bad_magic)| {
            let mut header = dict.into_bytes();
            header.extend(std::iter::repeat_n(b' ', pad));
            header.push(b'\n');
            let mut f = if bad_magic {
                b"\x93NUMPX".to_vec()
            } else {
                b"\x93NUMPY".to_vec()
            };
            f.push(version);
            f.push(0);
            let len = len_override.unwrap_or(header.len() as u32);
            if version == 1 {
                f.extend((len as u16).to_le_bytes());
            } else {
                f.extend(len.to_le_bytes());
            }
            f.extend(header);
            f.extend(body);
            f
        })
}

fn wgact() -> Command {
    Command::new(env!("CARGO_BIN_EXE_wgact"))
}

proptest! {
    #![proptest_config(config(512))]

    /// The reader answers every file with a result or a typed error, and a
    /// file it accepts reads back exactly its own body.
    #[test]
    fn npy_reader_never_panics_and_reads_what_it_accepts(bytes in npy_file()) {
        let path = dir().join("f.npy");
        std::fs::write(&path, &bytes).unwrap();
        match npy::open(&path) {
            Err(e) => prop_assert!(matches!(e, wgact::Error::Npy { .. } | wgact::Error::Io { .. }), "{e:?}"),
            Ok((_, info)) => {
                let n = info.len();
                let off = info.data_offset as usize;
                let size = info.dtype.size();
                prop_assert!(off + size * n <= bytes.len());
                let (data, shape) = npy::read_f32(&path).unwrap();
                prop_assert_eq!(shape, info.shape);
                let want: Vec<f32> = bytes[off..off + size * n]
                    .chunks(size)
                    .map(|c| match size {
                        4 => f32::from_le_bytes([c[0], c[1], c[2], c[3]]),
                        _ => wgact::half::f16::from_le_bytes([c[0], c[1]]).to_f32(),
                    })
                    .collect();
                prop_assert_eq!(
                    data.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    want.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
                );
            }
        }
    }
}

/// Arguments for `wgact apply` from a vocabulary of names, flags and values,
/// right and wrong: shuffled words, or an op with its input and output and
/// then random flags and values (which get past argument parsing to the op's
/// checks and the GPU).
fn argv() -> impl Strategy<Value = Vec<String>> {
    let op = prop::sample::select(
        wgact::Op::ALL
            .iter()
            .map(|o| o.name().to_string())
            .collect::<Vec<_>>(),
    );
    let flag = prop::sample::select(flags());
    let value = prop_oneof![
        Just("nan"),
        Just("-1"),
        Just("0"),
        Just("1"),
        Just("2"),
        Just("-2"),
        Just("1e39"),
        Just("-inf"),
        Just("3.5"),
        Just("0.25"),
        Just("x"),
        Just("64"),
    ];
    let structured = (
        op,
        prop::collection::vec((flag, prop::option::of(value)), 0..4),
    )
        .prop_map(|(op, flags)| {
            let mut v = vec![op, "IN".into(), "-o".into(), "OUT".into()];
            for (f, val) in flags {
                v.push(f);
                if let Some(x) = val {
                    v.push(x.to_string());
                }
            }
            v
        });
    prop_oneof![3 => structured, 1 => shuffled()]
}

/// Every parameter flag of the op table (names and aliases), and
/// `--chunk-bytes`.
fn flags() -> Vec<String> {
    let mut f: Vec<String> = wgact::Op::ALL
        .iter()
        .flat_map(|op| op.info().params)
        .flat_map(|p| std::iter::once(&p.name).chain(p.aliases))
        .map(|n| format!("--{}", n.replace('_', "-")))
        .chain(["--chunk-bytes".to_string()])
        .collect();
    f.sort();
    f.dedup();
    f
}

fn shuffled() -> impl Strategy<Value = Vec<String>> {
    let word = prop_oneof![
        3 => prop::sample::select(flags()),
        7 => prop_oneof![
        Just("relu"),
        Just("gelu"),
        Just("glu"),
        Just("softmax"),
        Just("sparsemax"),
        Just("threshold"),
        Just("swish"),
        Just("nonsuch"),
        Just("--list"),
        Just("-o"),
        Just("IN"),
        Just("OUT"),
        Just("BAD"),
        Just("nan"),
        Just("-1"),
        Just("0"),
        Just("2"),
        Just("1e39"),
        Just("-inf"),
        Just("3.5"),
        Just("x"),
        Just("--"),
        Just("-"),
    ]
        .prop_map(String::from),
    ];
    prop::collection::vec(word, 0..9)
}

proptest! {
    #![proptest_config(config(64))]

    /// Any argument vector: success with a whole, correct output, or a
    /// one-line error and no output file; never a panic.
    #[test]
    fn apply_arguments_never_panic(args in argv()) {
        let d = dir();
        let input = d.join("in.npy");
        let out = d.join("out.npy");
        let _ = std::fs::remove_file(&out);
        let data = common::random(4 * 6, 3);
        npy::write_f32_atomic(&input, &data, &[4, 6]).unwrap();
        let sub = |a: &String| -> String {
            match a.as_str() {
                "IN" => input.to_string_lossy().into_owned(),
                "OUT" => out.to_string_lossy().into_owned(),
                "BAD" => d.join("missing.npy").to_string_lossy().into_owned(),
                s => s.to_string(),
            }
        };
        let full: Vec<String> = std::iter::once("apply".to_string()).chain(args.iter().map(sub)).collect();
        let o = wgact().args(&full).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        prop_assert!(!err.contains("panicked"), "{full:?}: {err}");
        if o.status.success() {
            if out.exists() {
                let (got, _) = npy::read_f32(&out).unwrap();
                prop_assert!(!got.is_empty() || data.is_empty());
            }
        } else {
            prop_assert!(!out.exists() || is_whole(&out), "{full:?} left a partial output");
            prop_assert!(err.contains("error"), "{full:?}: {err}");
        }
    }
}

fn is_whole(p: &Path) -> bool {
    npy::read_f32(p).is_ok()
}
