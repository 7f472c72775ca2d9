//! GPU results against the f64 CPU reference over the whole sweep: special
//! values, subnormals, +-FLT_MAX, the exp and tanh saturation ranges, N(0,3),
//! U(-20,20) and random finite bit patterns. Bounds are in ULPs.

mod common;
use common::ctx;
use wgact::ulp::ulp_error;
use wgact::verify;
use wgact::{Activation, Op, Relu};

#[test]
fn sweep_within_documented_bounds() {
    let reports = verify::run(ctx(), 20_000, true).expect("sweep runs");
    for r in &reports {
        eprintln!(
            "{:<24} max {} ULP (bound {}), {} values",
            r.name, r.stats.max_ulp, r.bound, r.stats.count
        );
    }
    for r in &reports {
        assert!(
            r.passed(),
            "{}: {} ULP > {} at {:?}",
            r.name,
            r.stats.max_ulp,
            r.bound,
            r.stats.worst
        );
    }
    // One report per op, two (short and long rows) per axis op: every op of
    // the table is reachable from verify.
    let axis_ops = Op::ALL
        .iter()
        .filter(|op| matches!(op.info().kind, wgact::Kind::Axis(_)))
        .count();
    assert_eq!(reports.len(), Op::ALL.len() + axis_ops);
    for op in Op::ALL {
        assert!(
            reports
                .iter()
                .any(|r| r.name == op.name() || r.name.starts_with(&format!("{} (", op.name()))),
            "verify has no report for {}",
            op.name()
        );
    }
}

fn gpu(act: Activation, xs: &[f32]) -> Vec<f32> {
    let c = ctx();
    c.read(&c.apply(&act, &c.upload(xs, &[xs.len()]).unwrap()).unwrap())
        .unwrap()
}

#[test]
fn tanh_special_values_exact() {
    let xs = [
        f32::INFINITY,
        f32::NEG_INFINITY,
        1e4,
        -1e4,
        -0.0,
        0.0,
        1e-8,
        -1e-8,
        9.5,
        88.8,
        -100.0,
        f32::MAX,
    ];
    let y = gpu(Activation::Tanh, &xs);
    let want = [
        1.0, -1.0, 1.0, -1.0, -0.0, 0.0, 1e-8, -1e-8, 1.0, 1.0, -1.0, 1.0,
    ];
    for ((x, g), w) in xs.iter().zip(&y).zip(want) {
        assert_eq!(
            g.to_bits(),
            f32::to_bits(w),
            "tanh({x:e}) = {g:e}, want {w:e}"
        );
    }
}

#[test]
fn sigmoid_special_values() {
    let xs = [
        f32::NEG_INFINITY,
        f32::INFINITY,
        -f32::MAX,
        f32::MAX,
        -1e4,
        1e4,
        0.0,
        -0.0,
        -88.8,
        88.8,
    ];
    let y = gpu(Activation::Sigmoid, &xs);
    assert_eq!(&y[..8], &[0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.5, 0.5]);
    // sigmoid(-88.8) ~ 2.7e-39 is subnormal: the exact value or a flush to 0.
    let r = wgact::cpu::sigmoid(-88.8);
    assert!(
        y[8] == 0.0 || wgact::ulp::ulp_error(r, y[8]) <= 4,
        "sigmoid(-88.8) = {:e}",
        y[8]
    );
    assert_eq!(y[9], 1.0);
}

#[test]
fn no_nan_for_any_finite_input_and_nan_propagates() {
    let mut xs = verify::sweep_inputs(7, 5_000);
    xs.retain(|x| x.is_finite());
    for act in [
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::from(Relu::new().negative_slope(0.3).threshold(1.0)),
    ] {
        let y = gpu(act, &xs);
        assert!(
            y.iter().all(|v| !v.is_nan()),
            "{act} gave NaN for a finite input"
        );
        let nan = gpu(act, &[f32::NAN, -f32::NAN, f32::from_bits(0x7f80_0001)]);
        assert!(nan.iter().all(|v| v.is_nan()), "{act}(NaN) = {nan:?}");
    }
    let c = ctx();
    let s = c
        .read(
            &c.softmax(&c.upload(&[1.0, f32::NAN, 2.0], &[3]).unwrap(), -1)
                .unwrap(),
        )
        .unwrap();
    assert!(s.iter().all(|v| v.is_nan()));
}

#[test]
fn softmax_special_rows() {
    let (inf, max) = (f32::INFINITY, f32::MAX);
    let rows: [[f32; 3]; 6] = [
        [-inf, 0.0, 0.0],
        [-inf, -inf, -inf],
        [inf, 0.0, 1.0],
        [max, max, -max],
        [1e30, 0.0, 1e30],
        [-max, -max, -max],
    ];
    let c = ctx();
    let x = c.upload(&rows.concat(), &[6, 3]).unwrap();
    let y = c.read(&c.softmax(&x, -1).unwrap()).unwrap();
    assert_eq!(&y[0..3], &[0.0, 0.5, 0.5]);
    assert!(
        y[3..9].iter().all(|v| v.is_nan()),
        "all -inf and +inf rows give NaN: {:?}",
        &y[3..9]
    );
    assert_eq!(&y[9..12], &[0.5, 0.5, 0.0]);
    assert_eq!(&y[12..15], &[0.5, 0.0, 0.5]);
    for v in &y[15..18] {
        assert!(wgact::ulp::ulp_error(1.0 / 3.0, *v) <= 8);
    }
}

#[test]
fn softmax_long_row_sums_to_one() {
    // A 2^20-element row: the sum of the outputs is 1 to f32 precision.
    let n = 1 << 20;
    let data = common::random(n, 3);
    let got = common::assert_close(&Activation::Softmax { axis: -1 }, &data, &[n], 16);
    let s: f64 = got.iter().map(|&v| v as f64).sum();
    assert!((s - 1.0).abs() < 1e-5, "sum = {s}");
}

#[test]
fn single_pass_softmax_within_bounds() {
    // The one-read kernel GPUs use for short rows, forced on this adapter.
    let c = wgact::Context::with_options(wgact::ContextOptions {
        softmax_single_pass: Some(true),
        ..Default::default()
    })
    .expect("adapter");
    let act = Activation::Softmax { axis: -1 };
    for (name, len, data) in verify::softmax_cases(0xfeed, false) {
        let s = verify::check(&c, &act, &data, &[data.len() / len, len]).unwrap();
        assert!(
            s.max_ulp <= verify::bound(&act, len),
            "{name}: {} ULP at {:?}",
            s.max_ulp,
            s.worst
        );
    }
    // Longest fused row, one past it, and many rows across 1 MiB windows.
    let capped = wgact::Context::with_options(wgact::ContextOptions {
        softmax_single_pass: Some(true),
        max_binding_size: Some(1 << 20),
        ..Default::default()
    })
    .expect("adapter");
    let mut rng = verify::Rng::new(3);
    for (rows, len) in [
        (5usize, 3072usize),
        (5, 3073),
        (700, 1000),
        (3, 5000),
        (40, 255),
    ] {
        let data: Vec<f32> = (0..rows * len).map(|_| rng.normal(3.0)).collect();
        let s = verify::check(&capped, &act, &data, &[rows, len]).unwrap();
        assert!(s.max_ulp <= 8, "[{rows}, {len}]: {} ULP", s.max_ulp);
        // In place: past the fused kernel, a workgroup per row in both passes.
        let mut t = capped.upload(&data, &[rows, len]).unwrap();
        capped.softmax_inplace(&mut t, -1).unwrap();
        let want = wgact::cpu::apply(&act, &data, &[rows, len]).unwrap();
        let got = capped.read(&t).unwrap();
        let e = got
            .iter()
            .zip(&want)
            .map(|(g, w)| ulp_error(*w, *g))
            .max()
            .unwrap_or(0);
        assert!(e <= 8, "in place [{rows}, {len}]: {e} ULP");
    }
}

/// Every elementwise op, with every parameter set of the sweep, at the
/// special values: where the reference is ±inf or NaN the GPU gives exactly
/// that (an ULP bound would let FLT_MAX pass for inf), and the values the
/// Keras-family issue names come out exactly.
#[test]
fn special_values_exact_for_every_op() {
    let (inf, max) = (f32::INFINITY, f32::MAX);
    let xs = [
        0.0,
        -0.0,
        inf,
        -inf,
        f32::NAN,
        -f32::NAN,
        max,
        -max,
        1e30,
        -1e30,
        1e-45,
        -1e-45,
        88.8,
        -88.8,
        104.0,
        -104.0,
    ];
    for &op in Op::ALL.iter().filter(|op| op.info().on_textures()) {
        for act in verify::param_sets(op) {
            let got = gpu(act, &xs);
            let want = wgact::cpu::apply(&act, &xs, &[xs.len()]).unwrap();
            for ((x, g), w) in xs.iter().zip(&got).zip(&want) {
                if w.is_nan() || w.is_infinite() {
                    assert!(
                        g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()),
                        "{act}({x}) = {g}, want {w}"
                    );
                } else {
                    assert!(g.is_finite(), "{act}({x}) = {g}, want {w}");
                }
            }
        }
    }
    let named = [
        (Activation::Gelu { approximate: false }, -inf, 0.0),
        (Activation::Gelu { approximate: true }, -inf, 0.0),
        (Activation::Silu { beta: 1.0 }, -inf, 0.0),
        (Activation::Mish, -inf, 0.0),
        (Activation::HardSilu, -inf, 0.0),
        (Activation::Squareplus { b: 4.0 }, -inf, 0.0),
        (Activation::Softsign, inf, 1.0),
        (Activation::Softsign, -inf, -1.0),
        (Activation::LogSigmoid, -inf, -inf),
        (Activation::Exponential, -inf, 0.0),
        (Activation::Squareplus { b: 4.0 }, 1e30, 1e30),
        (Activation::Softplus, max, max),
        (Activation::Mish, 1e30, 1e30),
        (Activation::Sigmoid, -0.0, 0.5),
        (Activation::Tanh, -0.0, -0.0),
    ];
    for (act, x, want) in named {
        let g = gpu(act, &[x])[0];
        // -0 where the op's sign says so; a limit of 0 may come as either.
        let sign_ok = want != 0.0 || !want.is_sign_negative() || g.is_sign_negative();
        assert!(g == want && sign_ok, "{act}({x}) = {g}, want {want}");
    }
    // NaN in, NaN out, for every op (TensorFlow returns numbers for some).
    for &op in Op::ALL {
        let act = verify::sample(op);
        let shape = [2, 2];
        let got = verify::gpu(ctx(), &act, &[f32::NAN, 1.0, 2.0, 3.0], &shape).unwrap();
        assert!(got[0].is_nan(), "{act}(NaN) = {}", got[0]);
    }
}

/// sparsemax rows sum to 1 within 1e-6, with exact zeros below the
/// threshold, over the sweep's rows.
#[test]
fn sparsemax_rows_sum_to_one() {
    let act = Activation::Sparsemax { axis: -1 };
    for (name, len, data) in verify::softmax_cases(0xfeed, true) {
        if len > 100_000 {
            continue;
        }
        let shape = [data.len() / len, len];
        let got = verify::gpu(ctx(), &act, &data, &shape).unwrap();
        let want = wgact::cpu::apply(&act, &data, &shape).unwrap();
        for (r, (row, wrow)) in got.chunks(len).zip(want.chunks(len)).enumerate() {
            if wrow[0].is_nan() {
                // A row with NaN or +inf, or no finite entry: all NaN.
                assert!(row.iter().all(|v| v.is_nan()), "{name} row {r}");
                continue;
            }
            let s: f64 = row.iter().map(|&v| v as f64).sum();
            assert!((s - 1.0).abs() <= 1e-6, "{name} row {r}: sum {s}");
            assert!(
                row.iter().all(|&v| v >= 0.0),
                "{name} row {r}: negative entry"
            );
        }
    }
}

/// Found by tests/fuzz_api.rs on both backends: Mesa regrouped relu's
/// `(slope * d) * 2` as `(slope * 2) * d`, inf * 0 = NaN at slope = threshold =
/// x = FLT_MAX.
#[test]
fn relu_with_extreme_parameters() {
    let act = Activation::Relu {
        negative_slope: f32::MAX,
        max_value: None,
        threshold: f32::MAX,
    };
    let xs = [f32::MAX, 1.0, -f32::MAX, 3e38];
    let want = wgact::cpu::apply(&act, &xs, &[4]).unwrap();
    let got = gpu(act, &xs);
    for ((x, g), w) in xs.iter().zip(&got).zip(&want) {
        assert!(ulp_error(*w, *g) <= 1, "relu({x}) = {g}, want {w}");
    }
}

#[test]
fn softmax_long_rows_special_values() {
    // Rows past a thread's walk: on CPU adapters softmax and log_softmax
    // take them in groups of 32 held in registers (any length a multiple of
    // 4); softmax stores the terms against each group's max and rescales
    // them to the row's. Special values, groups far below the row's max,
    // subnormal results, a partial last group, in place and out of place,
    // each against the f64 reference.
    for act in [
        Activation::Softmax { axis: -1 },
        Activation::LogSoftmax { axis: -1 },
    ] {
        long_rows_special_values(act);
    }
}

fn long_rows_special_values(act: Activation) {
    let c = ctx();
    let mut rng = verify::Rng::new(0x5eed);
    let (inf, nan) = (f32::INFINITY, f32::NAN);
    let len = 65_540;
    let mut rows: Vec<(&str, Vec<f32>)> = vec![
        ("bits", (0..len).map(|_| rng.finite_bits()).collect()),
        ("N(0,3)", (0..len).map(|_| rng.normal(3.0)).collect()),
    ];
    let mut r: Vec<f32> = (0..len).map(|_| rng.normal(3.0)).collect();
    r[..1000].fill(-inf);
    r[len - 7..].fill(-inf);
    rows.push(("-inf runs", r));
    let mut r: Vec<f32> = (0..len).map(|_| rng.normal(3.0)).collect();
    r[50_001] = nan;
    rows.push(("one NaN", r));
    let mut r: Vec<f32> = (0..len).map(|_| rng.normal(3.0)).collect();
    r[len - 1] = inf;
    rows.push(("+inf last", r));
    rows.push(("all -inf", vec![-inf; len]));
    // Results down to the subnormals and below: exp(-87 ... -105).
    let mut r: Vec<f32> = (0..len)
        .map(|i| -87.0 - 18.0 * i as f32 / len as f32)
        .collect();
    r[40_000] = 0.0;
    rows.push(("subnormal results", r));
    let mut r = vec![-1e30f32; len];
    r[3] = 1e30;
    r[len - 2] = 1e30;
    rows.push(("two at the max", r));
    for (name, row) in &rows {
        for shape in [vec![len], vec![1, len]] {
            let s = verify::check(c, &act, row, &shape).unwrap();
            assert!(
                s.max_ulp <= verify::bound(&act, len),
                "{act} {name}: {} ULP at {:?}",
                s.max_ulp,
                s.worst
            );
        }
        let mut t = c.upload(row, &[len]).unwrap();
        c.apply_inplace(&act, &mut t).unwrap();
        let got = c.read(&t).unwrap();
        let s = verify::compare(&act, row, &[len], &got).unwrap();
        assert!(
            s.max_ulp <= verify::bound(&act, len),
            "in place {act} {name}: {} ULP at {:?}",
            s.max_ulp,
            s.worst
        );
    }
    // Two rows of such data at once, and a length not a multiple of the group.
    let two: Vec<f32> = rows[0].1.iter().chain(&rows[2].1).copied().collect();
    let s = verify::check(c, &act, &two, &[2, len]).unwrap();
    assert!(
        s.max_ulp <= verify::bound(&act, len),
        "two rows: {} ULP",
        s.max_ulp
    );
    let odd: Vec<f32> = (0..10_002).map(|_| rng.normal(3.0)).collect();
    let s = verify::check(c, &act, &odd, &[10_002]).unwrap();
    assert!(
        s.max_ulp <= verify::bound(&act, 10_002),
        "len 10002: {} ULP",
        s.max_ulp
    );
}
