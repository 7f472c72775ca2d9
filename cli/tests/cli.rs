//! The `wgact` command line: apply on .npy files against the CPU reference,
//! one-line errors with a non-zero exit on bad input, atomic output.

#[path = "../../tests/common/mod.rs"]
mod common;
use std::path::{Path, PathBuf};
use std::process::Command;
use wgact::activation::Value;
use wgact::{Activation, Op, Relu, npy};

fn wgact() -> Command {
    Command::new(env!("CARGO_BIN_EXE_wgact"))
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("wgact-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A raw .npy file with any header, for formats wgact must refuse.
fn raw_npy(path: &Path, descr: &str, fortran: bool, shape: &str, body: &[u8]) {
    let mut header = format!(
        "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}",
        if fortran { "True" } else { "False" }
    );
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend((header.len() as u16).to_le_bytes());
    bytes.extend(header.as_bytes());
    bytes.extend(body);
    std::fs::write(path, bytes).unwrap();
}

/// Runs `wgact apply` for each (arguments, activation) case on `input`, which
/// holds `data` of `shape`, with `extra` arguments, and checks every output
/// against the CPU reference within the op's bound.
fn check_apply_cases(
    dir: &Path,
    input: &Path,
    data: &[f32],
    shape: &[usize],
    cases: Vec<(Vec<&str>, Activation)>,
    extra: &[&str],
) {
    for (args, act) in cases {
        let out = dir.join("out.npy");
        let mut full = vec![
            "apply",
            args[0],
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ];
        full.extend(&args[1..]);
        full.extend(extra);
        run_ok(&full);
        let (got, got_shape) = npy::read_f32(&out).unwrap();
        assert_eq!(got_shape, act.output_shape(shape).unwrap(), "{full:?}");
        let len = match act.axis() {
            Some(axis) => shape[axis.rem_euclid(shape.len() as isize) as usize],
            None => 1,
        };
        let stats = wgact::verify::compare(&act, data, shape, &got).unwrap();
        assert!(
            stats.max_ulp <= wgact::verify::bound(&act, len),
            "{act} {full:?}: {} ULP at {:?}",
            stats.max_ulp,
            stats.worst
        );
    }
}

fn run_ok(args: &[&str]) {
    let out = wgact().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "wgact {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn run_err(args: &[&str]) -> String {
    let out = wgact().args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "wgact {args:?} should fail");
    assert!(!err.contains("panicked"), "wgact {args:?} panicked: {err}");
    assert!(err.contains("error"), "no error message: {err}");
    err
}

#[test]
fn apply_matches_reference_for_every_op() {
    let d = tmpdir("apply");
    let shape = [3, 4, 5];
    let data = common::random(60, 5);
    let input = d.join("in.npy");
    npy::write_f32_atomic(&input, &data, &shape).unwrap();
    let cases: Vec<(Vec<&str>, Activation)> = vec![
        (vec!["sigmoid"], Activation::Sigmoid),
        (vec!["tanh"], Activation::Tanh),
        (vec!["relu"], Activation::from(Relu::new())),
        (
            vec![
                "relu",
                "--negative-slope",
                "0.2",
                "--max-value",
                "2",
                "--threshold",
                "-0.5",
            ],
            Activation::from(
                Relu::new()
                    .negative_slope(0.2)
                    .max_value(2.0)
                    .threshold(-0.5),
            ),
        ),
        (
            vec!["relu", "--alpha", "0.3"],
            Activation::from(Relu::new().alpha(0.3)),
        ),
        (vec!["softmax"], Activation::Softmax { axis: -1 }),
        (
            vec!["softmax", "--axis", "1"],
            Activation::Softmax { axis: 1 },
        ),
        (
            vec!["softmax", "--axis", "-3"],
            Activation::Softmax { axis: -3 },
        ),
    ];
    check_apply_cases(&d, &input, &data, &shape, cases, &[]);
}

/// Every op of the table through `wgact apply`, with flags named after its
/// Keras parameters (from the table), on a [3, 4, 6] tensor.
#[test]
fn apply_reaches_every_op_of_the_table() {
    let d = tmpdir("every-op");
    let shape = [3, 4, 6];
    let data = common::random(72, 8);
    let input = d.join("in.npy");
    npy::write_f32_atomic(&input, &data, &shape).unwrap();
    let mut args: Vec<Vec<String>> = Vec::new();
    let mut acts = Vec::new();
    for &op in Op::ALL {
        let act = wgact::verify::sample(op);
        let mut a = vec![op.name().to_string()];
        for (p, v) in op.info().params.iter().zip(act.values()) {
            let flag = format!("--{}", p.name.replace('_', "-"));
            match v {
                Value::Flag(true) => a.push(flag),
                Value::Flag(false) | Value::OptionalFloat(None) => {}
                Value::Float(f) | Value::OptionalFloat(Some(f)) => a.extend([flag, f.to_string()]),
                Value::Axis(x) => a.extend([flag, x.to_string()]),
            }
        }
        args.push(a);
        acts.push(act);
        // Aliases name the same op.
        for alias in op.info().aliases {
            args.push(vec![alias.to_string()]);
            acts.push(act);
        }
    }
    let cases = args
        .iter()
        .map(|a| a.iter().map(String::as_str).collect::<Vec<_>>())
        .zip(acts)
        .collect();
    check_apply_cases(&d, &input, &data, &shape, cases, &[]);
    // Non-default parameters, one per kind of flag.
    let cases: Vec<(Vec<&str>, Activation)> = vec![
        (
            vec!["elu", "--alpha", "0.5"],
            Activation::Elu { alpha: 0.5 },
        ),
        (
            vec!["gelu", "--approximate"],
            Activation::Gelu { approximate: true },
        ),
        (vec!["glu", "--axis", "1"], Activation::Glu { axis: 1 }),
        (
            vec!["log_softmax", "--axis", "-2"],
            Activation::LogSoftmax { axis: -2 },
        ),
        (
            vec!["sparsemax", "--axis", "1"],
            Activation::Sparsemax { axis: 1 },
        ),
        (
            vec!["swish", "--beta", "-1.5"],
            Activation::Silu { beta: -1.5 },
        ),
        (
            vec!["squareplus", "--b", "0"],
            Activation::Squareplus { b: 0.0 },
        ),
        (
            vec!["threshold", "--threshold", "-1.5", "--default-value", "7"],
            Activation::Threshold {
                threshold: -1.5,
                default_value: 7.0,
            },
        ),
        (
            vec!["leaky_relu", "--negative-slope", "0.01"],
            Activation::LeakyRelu {
                negative_slope: 0.01,
            },
        ),
        (
            vec!["hard_shrink", "--threshold", "1"],
            Activation::HardShrink { threshold: 1.0 },
        ),
    ];
    check_apply_cases(&d, &input, &data, &shape, cases, &[]);
    // The table, printed.
    let out = wgact().args(["apply", "--list"]).output().unwrap();
    assert!(out.status.success());
    let list = String::from_utf8_lossy(&out.stdout);
    for op in Op::ALL {
        assert!(
            list.lines().any(|l| l.starts_with(op.name())),
            "--list lacks {}",
            op.name()
        );
    }
}

#[test]
fn bad_inputs_fail_cleanly_and_leave_no_output() {
    let d = tmpdir("bad");
    let out = d.join("out.npy");
    let good = d.join("good.npy");
    npy::write_f32_atomic(&good, &[1.0, 2.0, 3.0, 4.0], &[2, 2]).unwrap();
    let odd_file = d.join("odd.npy");
    npy::write_f32_atomic(&odd_file, &[1.0, 2.0, 3.0], &[3]).unwrap();
    let odd = odd_file.to_str().unwrap();
    let f64_file = d.join("f64.npy");
    raw_npy(&f64_file, "<f8", false, "(2,)", &[0u8; 16]);
    let be_file = d.join("be.npy");
    raw_npy(&be_file, ">f4", false, "(2,)", &[0u8; 8]);
    let fortran = d.join("fortran.npy");
    raw_npy(&fortran, "<f4", true, "(2, 2)", &[0u8; 16]);
    let truncated = d.join("truncated.npy");
    raw_npy(&truncated, "<f4", false, "(1000, 1000)", &[0u8; 64]);
    let garbage = d.join("garbage.npy");
    std::fs::write(&garbage, b"this is not numpy").unwrap();
    let missing = d.join("missing.npy");
    let (o, g) = (out.to_str().unwrap(), good.to_str().unwrap());

    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["apply", "sigmoid", f64_file.to_str().unwrap(), "-o", o],
            "dtype",
        ),
        (
            vec!["apply", "sigmoid", be_file.to_str().unwrap(), "-o", o],
            "dtype",
        ),
        (
            vec!["apply", "sigmoid", fortran.to_str().unwrap(), "-o", o],
            "Fortran",
        ),
        (
            vec!["apply", "sigmoid", truncated.to_str().unwrap(), "-o", o],
            "truncated",
        ),
        (
            vec!["apply", "sigmoid", garbage.to_str().unwrap(), "-o", o],
            "npy",
        ),
        (
            vec!["apply", "sigmoid", missing.to_str().unwrap(), "-o", o],
            "missing.npy",
        ),
        (vec!["apply", "softmax", g, "-o", o, "--axis", "2"], "axis"),
        (vec!["apply", "softmax", g, "-o", o, "--axis", "-3"], "axis"),
        (
            vec!["apply", "relu", g, "-o", o, "--negative-slope", "nan"],
            "negative_slope",
        ),
        (
            vec!["apply", "relu", g, "-o", o, "--max-value", "-1"],
            "max_value",
        ),
        (vec!["apply", "nonsuch", g, "-o", o], "unknown activation"),
        (
            vec!["apply", "sigmoid", g, "-o", o, "--threshold", "1"],
            "does not apply to sigmoid",
        ),
        (
            vec!["apply", "elu", g, "-o", o, "--b", "1"],
            "does not apply to elu",
        ),
        (
            vec!["apply", "elu", g, "-o", o, "--approximate"],
            "does not apply to elu",
        ),
        (
            vec!["apply", "threshold", g, "-o", o],
            "needs parameter threshold",
        ),
        (
            vec!["apply", "threshold", g, "-o", o, "--threshold", "1"],
            "needs parameter default_value",
        ),
        (vec!["apply", "celu", g, "-o", o, "--alpha", "-1"], "alpha"),
        (
            vec!["apply", "squareplus", g, "-o", o, "--b", "-4"],
            "must be finite and >= 0",
        ),
        (
            vec![
                "apply",
                "relu",
                g,
                "-o",
                o,
                "--alpha",
                "1",
                "--negative-slope",
                "2",
            ],
            "twice",
        ),
        (vec!["apply", "glu", odd, "-o", o], "odd length"),
    ];
    for (args, needle) in cases {
        let err = run_err(&args);
        assert!(
            err.contains(needle),
            "wgact {args:?}: expected {needle:?} in {err:?}"
        );
        assert_eq!(
            err.trim().lines().count(),
            1,
            "one-line error expected: {err}"
        );
        assert!(!out.exists(), "wgact {args:?} left an output file");
    }
    // A failing run never touches an existing output.
    std::fs::write(&out, b"precious").unwrap();
    run_err(&["apply", "sigmoid", fortran.to_str().unwrap(), "-o", o]);
    assert_eq!(std::fs::read(&out).unwrap(), b"precious");
    // Writing into a directory that does not exist fails with no stray files.
    let nodir = d.join("nodir").join("out.npy");
    run_err(&["apply", "sigmoid", g, "-o", nodir.to_str().unwrap()]);
    let leftovers: Vec<_> = std::fs::read_dir(&d)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn apply_handles_empty_and_zero_d_arrays() {
    let d = tmpdir("edge");
    for shape in [vec![], vec![0usize], vec![2, 0, 3]] {
        let input = d.join("in.npy");
        let n: usize = shape.iter().product();
        let data = vec![0.25f32; n];
        npy::write_f32_atomic(&input, &data, &shape).unwrap();
        let out = d.join("out.npy");
        run_ok(&[
            "apply",
            "tanh",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]);
        let (got, s) = npy::read_f32(&out).unwrap();
        assert_eq!(s, shape);
        assert_eq!(got.len(), n);
        assert!(
            got.iter()
                .all(|&g| wgact::ulp::ulp_error(wgact::cpu::tanh(0.25), g) <= 4)
        );
    }
}

#[test]
fn demo_info_and_verify_run() {
    let out = wgact().arg("demo").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("adapter:") && text.contains("softmax([1.5, 4.4, 2.0])"),
        "{text}"
    );
    assert!(
        text.contains("[-17.0, -13.0, -9.0, -5.0, -1.0, 5.0]"),
        "{text}"
    );
    let out = wgact().arg("info").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("chosen:")
            && text.contains("max_storage_buffer_binding_size")
            && text.contains("workgroup size"),
        "{text}"
    );
    let out = wgact()
        .args(["verify", "--samples", "2000", "--short"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn apply_streams_in_chunks() {
    let d = tmpdir("stream");
    let shape = [7, 13, 11];
    let data = common::random(7 * 13 * 11, 31);
    let input = d.join("in.npy");
    npy::write_f32_atomic(&input, &data, &shape).unwrap();
    // 64-byte chunks: 16 elements, so dozens of chunks with both slots busy.
    let cases: Vec<(Vec<&str>, Activation)> = vec![
        (vec!["sigmoid"], Activation::Sigmoid),
        (
            vec!["relu", "--alpha", "0.1"],
            Activation::from(Relu::new().alpha(0.1)),
        ),
        (vec!["softmax"], Activation::Softmax { axis: -1 }),
        (
            vec!["softmax", "--axis", "1"],
            Activation::Softmax { axis: 1 },
        ),
        (
            vec!["softmax", "--axis", "0"],
            Activation::Softmax { axis: 0 },
        ),
    ];
    check_apply_cases(&d, &input, &data, &shape, cases, &["--chunk-bytes", "64"]);
    // The other axis ops and glu (whose output is half its input) stream
    // whole outer slices too.
    let shape = [6, 10, 4];
    let data = common::random(240, 32);
    npy::write_f32_atomic(&input, &data, &shape).unwrap();
    let cases: Vec<(Vec<&str>, Activation)> = vec![
        (
            vec!["log_softmax", "--axis", "1"],
            Activation::LogSoftmax { axis: 1 },
        ),
        (vec!["sparsemax"], Activation::Sparsemax { axis: -1 }),
        (vec!["glu", "--axis", "1"], Activation::Glu { axis: 1 }),
        (vec!["glu", "--axis", "0"], Activation::Glu { axis: 0 }),
        (vec!["gelu"], Activation::Gelu { approximate: false }),
    ];
    check_apply_cases(&d, &input, &data, &shape, cases, &["--chunk-bytes", "64"]);
}

#[test]
fn bench_writes_table_json_csv_and_plot() {
    let d = tmpdir("bench");
    let (j, c, p) = (d.join("b.json"), d.join("b.csv"), d.join("b.svg"));
    let out = wgact()
        .args([
            "bench",
            "--ops",
            "relu,softmax",
            "--sizes",
            "2^10,4096",
            "--rows",
            "64",
            "--budget-ms",
            "1",
        ])
        .args([
            "--json",
            j.to_str().unwrap(),
            "--csv",
            c.to_str().unwrap(),
            "--plot",
            p.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("/copy") && table.contains("softmax"),
        "{table}"
    );
    let json = std::fs::read_to_string(&j).unwrap();
    assert_eq!(
        json.matches("\"op\"").count(),
        5,
        "2 relu + 3 softmax rows: {json}"
    );
    assert_eq!(std::fs::read_to_string(&c).unwrap().lines().count(), 6);
    let svg = std::fs::read_to_string(&p).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("polyline"));
    let err = run_err(&["bench", "--sizes", "0"]);
    assert!(err.contains("bad size"));
}

/// On a headless machine without XDG_RUNTIME_DIR (or with a bad one), Mesa
/// would print "error: XDG_RUNTIME_DIR is invalid or not set" on every
/// command; wgact gives it a private directory first, so nothing is printed.
#[test]
fn no_mesa_runtime_dir_noise_on_headless_machines() {
    for value in [None, Some("/nonexistent/wgact-test")] {
        let mut cmd = wgact();
        cmd.arg("info");
        match value {
            None => cmd.env_remove("XDG_RUNTIME_DIR"),
            Some(v) => cmd.env("XDG_RUNTIME_DIR", v),
        };
        let out = cmd.output().unwrap();
        assert!(out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("XDG_RUNTIME_DIR"), "{value:?}: {err}");
    }
}

/// The temporary files in `d`.
fn temps(d: &Path) -> Vec<String> {
    std::fs::read_dir(d)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|f| f.ends_with(".tmp"))
        .collect()
}

/// `kill -9` of `wgact apply` at 20 random moments of a streaming run: the
/// target keeps its previous content or holds the whole result, never a
/// partial file; the temporaries the killed runs leave are removed by the
/// next run on the same target.
#[test]
fn killed_runs_leave_the_target_whole_and_are_cleaned_up() {
    let d = tmpdir("kill");
    let n = 1 << 22;
    let data = common::random(n, 77);
    let input = d.join("in.npy");
    npy::write_f32_atomic(&input, &data, &[n]).unwrap();
    let out = d.join("out.npy");
    let (i, o) = (input.to_str().unwrap(), out.to_str().unwrap());
    let args = ["apply", "sigmoid", i, "-o", o, "--chunk-bytes", "1048576"];
    // A full run, timed, to spread the kill points over one.
    let t = std::time::Instant::now();
    run_ok(&args);
    let full = t.elapsed();
    let want = wgact::cpu::apply(&Activation::Sigmoid, &data, &[n]).unwrap();
    let mut rng = wgact::verify::Rng::new(9);
    let (mut killed, mut finished, mut temps_seen) = (0, 0, 0);
    for _ in 0..20 {
        std::fs::write(&out, b"precious").unwrap();
        let mut child = wgact().args(args).spawn().unwrap();
        std::thread::sleep(full.mul_f64(1.2 * rng.unit()));
        let _ = child.kill(); // SIGKILL
        let status = child.wait().unwrap();
        if status.success() {
            finished += 1;
        } else {
            killed += 1;
        }
        // Each run removes the temporaries its killed predecessors left.
        let left = temps(&d);
        assert!(left.len() <= 1, "stale temporaries pile up: {left:?}");
        temps_seen += left.len();
        let bytes = std::fs::read(&out).unwrap();
        if bytes != b"precious" {
            // Only a run that got to its rename changes the target.
            let (got, shape) = npy::read_f32(&out).unwrap();
            assert_eq!(shape, [n]);
            let worst = got
                .iter()
                .zip(&want)
                .map(|(g, w)| wgact::ulp::ulp_error(*w, *g))
                .max()
                .unwrap();
            assert!(worst <= 4, "{worst} ULP");
        }
    }
    assert!(killed > 0, "no run was killed ({finished} finished)");
    assert!(temps_seen > 0, "no killed run got as far as its temporary");
    run_ok(&args);
    assert!(temps(&d).is_empty(), "stale temporaries: {:?}", temps(&d));
}

/// `wgact grad` for every op of the table (flags from the table), whole and
/// streamed in small chunks, against the reference backward within the op's
/// bound; mismatched shapes are a one-line error with no output.
#[test]
fn grad_reaches_every_op_and_streams() {
    let d = tmpdir("grad");
    let shape = [6usize, 4, 6];
    let data = common::random(144, 9);
    let x = d.join("x.npy");
    npy::write_f32_atomic(&x, &data, &shape).unwrap();
    for &op in Op::ALL {
        let act = wgact::verify::sample(op);
        let out_shape = act.output_shape(&shape).unwrap();
        let n: usize = out_shape.iter().product();
        let dyv = wgact::verify::grad_dy(op as u64, n, 0);
        let dy = d.join("dy.npy");
        npy::write_f32_atomic(&dy, &dyv, &out_shape).unwrap();
        let mut args = vec![
            "grad".to_string(),
            op.name().to_string(),
            x.to_str().unwrap().to_string(),
            dy.to_str().unwrap().to_string(),
        ];
        for (p, v) in op.info().params.iter().zip(act.values()) {
            let flag = format!("--{}", p.name.replace('_', "-"));
            match v {
                Value::Flag(true) => args.push(flag),
                Value::Flag(false) | Value::OptionalFloat(None) => {}
                Value::Float(f) | Value::OptionalFloat(Some(f)) => {
                    args.extend([flag, f.to_string()])
                }
                Value::Axis(a) => args.extend([flag, a.to_string()]),
            }
        }
        // Ops that read y recompute it on the GPU: the reference takes that
        // y (the same kernels on the same adapter give the same bits).
        let y = common::ctx()
            .read(
                &common::ctx()
                    .apply(&act, &common::ctx().upload(&data, &shape).unwrap())
                    .unwrap(),
            )
            .unwrap();
        for chunk in ["33554432", "96"] {
            let out = d.join("dx.npy");
            let mut full: Vec<&str> = args.iter().map(String::as_str).collect();
            full.extend(["-o", out.to_str().unwrap(), "--chunk-bytes", chunk]);
            run_ok(&full);
            let (got, got_shape) = npy::read_f32(&out).unwrap();
            assert_eq!(got_shape, shape, "{full:?}");
            let s = wgact::verify::compare_grad(&act, &data, Some(&y), &dyv, &shape, &got).unwrap();
            let bound = act.info().grad_bound.at(shape[2]);
            assert!(
                s.max_ulp <= bound,
                "{full:?}: {} ULP at {:?}",
                s.max_ulp,
                s.worst
            );
        }
    }
    // dy of the wrong shape: one line, non-zero exit, no output.
    let out = d.join("bad.npy");
    let e = run_err(&[
        "grad",
        "tanh",
        x.to_str().unwrap(),
        x.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--axis",
        "0",
    ]);
    assert!(e.contains("--axis"), "{e}");
    let dy = d.join("dy-bad.npy");
    npy::write_f32_atomic(&dy, &[1.0; 12], &[3, 4]).unwrap();
    let e = run_err(&[
        "grad",
        "tanh",
        x.to_str().unwrap(),
        dy.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(e.trim().lines().count(), 1, "{e}");
    assert!(e.contains("shapes differ"), "{e}");
    assert!(!out.exists());
}

/// A numpy float16 file through `wgact apply` (tools/f16_fixture.py made the
/// fixtures): the float16 output matches numpy's rounding of the f64
/// reference within 1 f16 ULP (special values exactly), and `--dtype f32`
/// writes float32 within the op's f32 bound.
#[test]
fn apply_reads_and_writes_numpy_float16() {
    let d = tmpdir("f16");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data");
    let x = data.join("f16_x.npy");
    let (_, info) = npy::open(&x).unwrap();
    assert_eq!(info.dtype, wgact::DType::F16);
    for (op, chunk) in [
        ("sigmoid", "64"),
        ("tanh", "33554432"),
        ("exponential", "6"),
        ("softmax", "100"),
    ] {
        let out = d.join(format!("{op}.npy"));
        run_ok(&[
            "apply",
            op,
            x.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--chunk-bytes",
            chunk,
        ]);
        let (_, oi) = npy::open(&out).unwrap();
        assert_eq!(
            (oi.dtype, &oi.shape[..]),
            (wgact::DType::F16, &[37, 29][..])
        );
        let (got, _) = npy::read_f32(&out).unwrap();
        let (want, _) = npy::read_f32(&data.join(format!("f16_{op}.npy"))).unwrap();
        let mut exact = 0;
        for (i, (w, g)) in want.iter().zip(&got).enumerate() {
            let e = wgact::DType::F16.ulp_error(*w, *g);
            assert!(e <= 1, "{op} element {i}: {g:e}, numpy {w:e}");
            if w.is_nan() || w.is_infinite() || *w == 0.0 {
                assert!(
                    e == 0 && (w.is_sign_negative() == g.is_sign_negative() || w.is_nan()),
                    "{op} element {i}: {g:e}, numpy {w:e}"
                );
            }
            exact += (e == 0) as usize;
        }
        eprintln!("{op}: {exact} of {} equal to numpy's float16", got.len());
    }
    let out = d.join("softmax32.npy");
    run_ok(&[
        "apply",
        "softmax",
        x.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--dtype",
        "f32",
    ]);
    let (_, oi) = npy::open(&out).unwrap();
    assert_eq!(oi.dtype, wgact::DType::F32);
    let (got, _) = npy::read_f32(&out).unwrap();
    let (want, _) = npy::read_f32(&data.join("f16_softmax_f32.npy")).unwrap();
    for (w, g) in want.iter().zip(&got) {
        assert!(
            wgact::ulp::ulp_error(*w, *g) <= 4,
            "softmax --dtype f32: {g:e}, numpy {w:e}"
        );
    }
    // And back: a float32 file written as float16.
    let out16 = d.join("back.npy");
    run_ok(&[
        "apply",
        "linear",
        out.to_str().unwrap(),
        "-o",
        out16.to_str().unwrap(),
        "--dtype",
        "f16",
    ]);
    let (back, _) = npy::read_f32(&out16).unwrap();
    let (want16, _) = npy::read_f32(&data.join("f16_softmax.npy")).unwrap();
    for (w, b) in want16.iter().zip(&back) {
        assert!(wgact::DType::F16.ulp_error(*w, *b) <= 1);
    }
}
