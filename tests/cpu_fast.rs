//! The fast CPU path meets the same ULP bounds as the GPU, against the f64
//! reference, on the same sweep (no adapter needed).

use wgact::cpu::{fast, reference};
use wgact::ulp::ulp_error;
use wgact::{Activation, Op, Relu, verify};

fn worst(act: &Activation, data: &[f32], shape: &[usize]) -> (u64, f32) {
    let got = fast::apply(act, data, shape).unwrap();
    let want = reference::apply(act, data, shape).unwrap();
    got.iter()
        .zip(&want)
        .zip(data)
        .map(|((g, w), x)| (ulp_error(*w, *g), *x))
        .max_by_key(|p| p.0)
        .unwrap_or((0, 0.0))
}

#[test]
fn every_op_sweep_within_bounds() {
    let reports = verify::run_fast(Op::ALL, 100_000, true).unwrap();
    for r in &reports {
        eprintln!(
            "fast {:<28} max {} ULP (bound {})",
            r.name, r.stats.max_ulp, r.bound
        );
    }
    for r in &reports {
        assert!(
            r.passed(),
            "fast {}: {} ULP > {} at {:?}",
            r.name,
            r.stats.max_ulp,
            r.bound,
            r.stats.worst
        );
    }
}

#[test]
fn softmax_every_axis_and_special_rows() {
    let mut rng = verify::Rng::new(5);
    let data: Vec<f32> = (0..2 * 3 * 40 * 5).map(|_| rng.normal(3.0)).collect();
    for axis in -4..4isize {
        let act = Activation::Softmax { axis };
        let (e, _) = worst(&act, &data, &[2, 3, 40, 5]);
        assert!(e <= 8, "axis {axis}: {e} ULP");
    }
    let inf = f32::INFINITY;
    let rows = [
        1.0,
        -inf,
        2.0,
        f32::NAN,
        0.0,
        0.0,
        -inf,
        -inf,
        -inf,
        inf,
        1.0,
        1.0,
    ];
    let got = fast::apply(&Activation::Softmax { axis: -1 }, &rows, &[4, 3]).unwrap();
    assert_eq!(got[1], 0.0);
    assert!(got[3..].iter().all(|v| v.is_nan()));
}

#[test]
fn large_inputs_use_every_core_and_agree() {
    let mut rng = verify::Rng::new(9);
    let data: Vec<f32> = (0..1_000_003).map(|_| rng.uniform(-30.0, 30.0)).collect();
    for act in [
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::from(Relu::new().alpha(0.1)),
    ] {
        let (e, _) = worst(&act, &data, &[data.len()]);
        assert!(e <= verify::bound(&act, 1));
    }
    let (e, _) = worst(
        &Activation::Softmax { axis: -1 },
        &data[..1_000_000],
        &[1000, 1000],
    );
    assert!(e <= 8);
}

#[test]
fn dense_bit_pattern_sweep() {
    // Every 251st f32 bit pattern, both signs: ~17M inputs covering every
    // binade (subnormals, each branch point, the saturated tails).
    let xs: Vec<f32> = (0u32..0x7f80_0000)
        .step_by(251)
        .flat_map(|b| [f32::from_bits(b), -f32::from_bits(b)])
        .collect();
    for act in [Activation::Sigmoid, Activation::Tanh] {
        let (e, x) = worst(&act, &xs, &[xs.len()]);
        eprintln!("fast {act}, dense: max {e} ULP at {x:e}");
        assert!(e <= verify::bound(&act, 1), "fast {act}: {e} ULP at {x:e}");
    }
}

/// The CPU backward on every core gives the reference's results bit for bit,
/// whatever the split (elementwise chunks, outer slices of strided rows, glu).
#[test]
fn fast_backward_is_the_reference_in_parallel() {
    use wgact::activation::GradFrom;
    let mut r = wgact::verify::Rng::new(11);
    for &op in wgact::Op::ALL {
        let act = wgact::verify::sample(op);
        for (shape, axis) in [
            (vec![70_000usize], -1isize),
            (vec![33, 8, 12], 1),
            (vec![40, 64], -1),
            (vec![12, 6], 0),
        ] {
            let a = act.with_axis(axis);
            let Ok(out_shape) = a.output_shape(&shape) else {
                continue;
            };
            if a.axis().is_none() && shape.len() > 1 {
                continue;
            }
            let n: usize = shape.iter().product();
            let x: Vec<f32> = (0..n).map(|_| r.normal(3.0)).collect();
            let m: usize = out_shape.iter().product();
            let dy = wgact::verify::grad_dy(n as u64, m, 0);
            let v = match a.info().grad_from {
                GradFrom::X => x.clone(),
                GradFrom::Y => wgact::cpu::apply(&a, &x, &shape).unwrap(),
            };
            let want = wgact::cpu::backward(&a, &v, &dy, &shape).unwrap();
            let got = wgact::cpu::fast::backward(&a, &v, &dy, &shape).unwrap();
            assert_eq!(
                want.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                "{a} {shape:?}"
            );
        }
    }
}
