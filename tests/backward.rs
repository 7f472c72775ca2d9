//! Every op's backward against the f64 reference, within its documented
//! bound (the op table's `grad_bound`), on the adapter the environment
//! picks: the forward sweep's inputs, random and special upstream
//! gradients, kinks, special values; plus the paths (in place, chains,
//! caller's encoder, several bindings and buffers).

mod common;
use common::ctx;
use wgact::{Activation, Context, ContextOptions, Op, verify};

#[test]
fn every_backward_is_within_its_bound() {
    let reports = verify::run_grad(ctx(), Op::ALL, 2000, false).unwrap();
    let mut failed = Vec::new();
    for r in &reports {
        eprintln!(
            "{:<28} {:>4} ULP (bound {}) worst {:?}",
            r.name, r.stats.max_ulp, r.bound, r.stats.worst
        );
        if !r.passed() {
            failed.push(r.name.clone());
        }
    }
    assert!(failed.is_empty(), "over their bounds: {failed:?}");
}

/// `WGACT_GRAD_DEBUG=op cargo test --test backward debug -- --ignored`:
/// every element of `op`'s sweep past its bound, with its parameters.
#[test]
#[ignore]
fn debug() {
    let Ok(name) = std::env::var("WGACT_GRAD_DEBUG") else {
        return;
    };
    let op = Op::from_name(&name).expect("an op");
    let c = ctx();
    let sweep = verify::sweep_inputs(0x5eed, 2000);
    for act in verify::param_sets(op) {
        let mut x = verify::inputs_for(&act, &sweep);
        let mut dy = verify::grad_dy(x.len() as u64, x.len(), 37);
        let specials = verify::special_values();
        for &d in &verify::grad_dy(1, 12, 1) {
            x.extend(&specials);
            dy.extend(std::iter::repeat_n(d, specials.len()));
        }
        let got = verify::gpu_grad(c, &act, &x, None, &dy, &[x.len()]).unwrap();
        let want = wgact::cpu::backward(&act, &x, &dy, &[x.len()]).unwrap();
        let mut n = 0;
        for i in 0..x.len() {
            let e = wgact::ulp::ulp_error(want[i], got[i]);
            if e > act.info().grad_bound.short && n < 8 {
                n += 1;
                eprintln!(
                    "{act}: x {:e} dy {:e} want {:e} got {:e} ({e} ULP)",
                    x[i], dy[i], want[i], got[i]
                );
            }
        }
    }
}

/// `backward` on the GPU for `act` at `x` with upstream `dy`, against the
/// reference (with the reference's y for the ops that read it).
fn check_paths(c: &Context, act: &Activation, x: &[f32], dy: &[f32], shape: &[usize]) {
    let xt = c.upload(x, shape).unwrap();
    let out_shape = act.output_shape(shape).unwrap();
    let dyt = c.upload(dy, &out_shape).unwrap();
    let y = wgact::cpu::apply(act, x, shape).unwrap();
    let yt = c.upload(&y, &out_shape).unwrap();
    let ok = |got: &[f32], what: &str| {
        let s = verify::compare_grad(act, x, Some(&y), dy, shape, got).unwrap();
        let bound = act.info().grad_bound.at(shape.last().copied().unwrap_or(1));
        assert!(
            s.max_ulp <= bound,
            "{act} {shape:?} {what}: {} ULP at {:?}",
            s.max_ulp,
            s.worst
        );
    };
    // From y (the reference's) and, for the ops that read y, recomputed:
    // both must agree with the reference.
    ok(
        &c.read(&c.backward_from(act, &xt, &yt, &dyt).unwrap())
            .unwrap(),
        "backward_from",
    );
    let recomputed = c.read(&c.backward(act, &xt, &dyt).unwrap()).unwrap();
    if act.info().grad_from == wgact::activation::GradFrom::X {
        ok(&recomputed, "backward");
    }
    // Into a given tensor, and in place over dy (not glu).
    let dx = c.zeros(shape).unwrap();
    c.backward_into(act, &xt, &dyt, &dx).unwrap();
    assert_eq!(c.read(&dx).unwrap(), recomputed, "{act}: backward_into");
    if act.kind() != wgact::activation::Kind::Halves {
        let mut d = c.upload(dy, &out_shape).unwrap();
        c.backward_inplace(act, &xt, &mut d).unwrap();
        assert_eq!(c.read(&d).unwrap(), recomputed, "{act}: in place");
    } else {
        let mut d = c.upload(dy, &out_shape).unwrap();
        assert!(matches!(
            c.backward_inplace(act, &xt, &mut d),
            Err(wgact::Error::NotInPlace { .. })
        ));
    }
    // Forward then backward in one chain, one submission.
    let mut ch = c.chain();
    let yc = ch.apply(act, &xt).unwrap();
    let g = ch.backward(act, &xt, Some(&yc), &dyt).unwrap();
    let before = c.submissions();
    let out = ch.read(&[&g]).unwrap().remove(0);
    assert_eq!(c.submissions(), before + 1);
    assert_eq!(out.len(), x.len());
    // Into the caller's encoder.
    let dx2 = c.empty(shape).unwrap();
    let mut enc = c.device().create_command_encoder(&Default::default());
    let keep = c
        .encode_backward(&mut enc, act, &xt, None, &dyt, Some(&dx2))
        .unwrap();
    c.queue().submit([enc.finish()]);
    drop(keep);
    assert_eq!(c.read(&dx2).unwrap(), recomputed, "{act}: encode_backward");
}

#[test]
fn every_path_of_every_op() {
    // Its own context: the chain's submissions are counted.
    let c = &Context::new().unwrap();
    let mut r = verify::Rng::new(3);
    for &op in Op::ALL {
        let act = verify::sample(op);
        let shapes: Vec<Vec<usize>> = match act.kind() {
            wgact::activation::Kind::Elementwise => vec![vec![1031], vec![3, 5, 7], vec![]],
            _ => vec![vec![6, 10], vec![4, 6, 3], vec![2, 1030]],
        };
        for shape in shapes {
            for axis in [-1isize, 0, 1] {
                let a = act.with_axis(axis);
                if a.output_shape(&shape).is_err() || (axis != -1 && a.axis().is_none()) {
                    continue;
                }
                let n: usize = shape.iter().product();
                let x: Vec<f32> = (0..n).map(|_| r.normal(2.0)).collect();
                let out: usize = a.output_shape(&shape).unwrap().iter().product();
                let dy = verify::grad_dy(n as u64, out, 0);
                check_paths(c, &a, &x, &dy, &shape);
            }
        }
    }
}

/// Tensors split across bindings and buffers (small caps) give the same
/// results as one binding.
#[test]
fn split_across_bindings_and_buffers() {
    let capped = Context::with_options(ContextOptions {
        max_binding_size: Some(4096),
        max_buffer_size: Some(8192),
        ..Default::default()
    })
    .unwrap();
    let mut r = verify::Rng::new(5);
    for &op in Op::ALL {
        let act = verify::sample(op);
        // 12 x 300: planes of 300 (1200 bytes) for axis -1; glu halves them.
        let shape = [12usize, 300];
        let n = 12 * 300;
        let x: Vec<f32> = (0..n).map(|_| r.normal(2.0)).collect();
        let out: usize = act.output_shape(&shape).unwrap().iter().product();
        let dy = verify::grad_dy(7, out, 0);
        check_paths(&capped, &act, &x, &dy, &shape);
        assert!(capped.upload(&x, &shape).unwrap().parts().count() > 1);
    }
    // glu with planes larger than a binding (2400 elements, 9600 bytes) and
    // split across buffers mid-plane: the range path of its windows.
    let act = Activation::Glu { axis: -1 };
    let shape = [3usize, 2400];
    let x: Vec<f32> = (0..7200).map(|_| r.normal(2.0)).collect();
    let dy = verify::grad_dy(3, 3600, 0);
    check_paths(&capped, &act, &x, &dy, &shape);
}

#[test]
fn bad_shapes_are_typed_errors() {
    let c = ctx();
    let x = c.upload(&[1.0; 6], &[2, 3]).unwrap();
    let dy = c.upload(&[1.0; 6], &[3, 2]).unwrap();
    for op in Op::ALL {
        let act = verify::sample(*op);
        let Ok(out) = act.output_shape(x.shape()) else {
            continue;
        };
        if out == dy.shape() {
            continue;
        }
        let e = c.backward(&act, &x, &dy).unwrap_err();
        assert!(matches!(e, wgact::Error::ShapesDiffer { .. }), "{act}: {e}");
    }
    let glu = Activation::Glu { axis: -1 };
    let e = c
        .backward(&glu, &x, &c.upload(&[1.0; 6], &[2, 3]).unwrap())
        .unwrap_err();
    assert!(
        matches!(
            e,
            wgact::Error::OddHalves { .. } | wgact::Error::ShapesDiffer { .. }
        ),
        "{e}"
    );
}

/// At every kink the gradient is TensorFlow's (tests/data/tf_kinks.txt,
/// measured with TF 2.21), except where the derivative exists and TF's
/// differs (celu at 0; hard_shrink and soft_shrink with threshold 0 at 0),
/// where it is the derivative; at the float32 neighbours of every kink, the
/// exact derivative (TF is sometimes off there). Reference and GPU alike.
#[test]
fn kinks_take_tensorflows_values() {
    let text = include_str!("data/tf_kinks.txt");
    let c = ctx();
    let bits =
        |s: &str| f32::from_bits(u32::from_str_radix(s.trim_start_matches("0x"), 16).unwrap());
    let mut checked = 0;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (op, params, place) = (f[0], f[1], f[2]);
        let (x, tf, left, right) = (bits(f[3]), bits(f[4]), bits(f[5]), bits(f[6]));
        let mut act =
            Op::from_name(op)
                .unwrap()
                .default_activation()
                .unwrap_or(Activation::Threshold {
                    threshold: 0.0,
                    default_value: 0.0,
                });
        for kv in params.split(';').filter(|p| *p != "-") {
            let (k, v) = kv.split_once('=').unwrap();
            act = match v {
                "True" | "False" => act.with(k, v == "True").unwrap(),
                _ => match act.with(k, v.parse::<f32>().unwrap()) {
                    Ok(a) => a,
                    Err(_) => act.with(k, Some(v.parse::<f32>().unwrap())).unwrap(),
                },
            };
        }
        let exception = place == "kink"
            && x == 0.0
            && (op == "celu"
                || (op.ends_with("_shrink")
                    && act.values()[0] == wgact::activation::Value::Float(0.0)));
        let want = match place {
            "kink" if exception => left,
            "kink" => tf,
            "below" => left,
            _ => right,
        };
        let reference = wgact::cpu::backward(&act, &[x], &[1.0], &[1]).unwrap()[0];
        let gpu = verify::gpu_grad(c, &act, &[x], None, &[1.0], &[1]).unwrap()[0];
        // Neighbours: within the op's bound of the exact derivative (TF's
        // own neighbours of 0 are flushed subnormals).
        let bound = if place == "kink" {
            0
        } else {
            act.info().grad_bound.short
        };
        for (what, got) in [("reference", reference), ("gpu", gpu)] {
            let e = wgact::ulp::ulp_error(want, got);
            assert!(
                e <= bound || (want.is_nan() && got.is_nan()),
                "{act} at {x:e} ({place}): {what} {got:e}, want {want:e} (TF {tf:e})"
            );
        }
        checked += 1;
    }
    assert!(checked > 100, "{checked} rows");
}

/// forward_and_save: y as `apply` gives it, and the backward from the saved
/// derivative within one ULP more than the op's bound (the derivative is
/// rounded once before the product) wherever the derivative is a normal
/// f32; the other ops as backward_from.
#[test]
fn forward_and_save_then_backward_saved() {
    let c = ctx();
    let sweep = verify::sweep_inputs(0x5eed, 2000);
    for &op in Op::ALL {
        let act = verify::sample(op);
        let (x, shape): (Vec<f32>, Vec<usize>) = if act.is_elementwise() {
            let x = verify::inputs_for(&act, &sweep);
            let n = x.len();
            (x, vec![n])
        } else {
            let mut r = verify::Rng::new(2);
            ((0..600).map(|_| r.normal(3.0)).collect(), vec![20, 30])
        };
        let out_shape = act.output_shape(&shape).unwrap();
        let m: usize = out_shape.iter().product();
        let dyv = verify::grad_dy(9, m, 0);
        let xt = c.upload(&x, &shape).unwrap();
        let dy = c.upload(&dyv, &out_shape).unwrap();
        let (y, saved) = c.forward_and_save(&act, &xt).unwrap();
        let bits = |v: Vec<f32>| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        assert!(
            bits(c.read(&y).unwrap()) == bits(c.read(&c.apply(&act, &xt).unwrap()).unwrap()),
            "{act}: y differs from apply's"
        );
        assert_eq!(saved.derivative().is_some(), act.is_elementwise());
        let got = c
            .read(&c.backward_saved(&act, &xt, &y, &saved, &dy).unwrap())
            .unwrap();
        let yv = c.read(&y).unwrap();
        let bound = act.info().grad_bound.at(*shape.last().unwrap());
        if !act.is_elementwise() {
            let st = verify::compare_grad(&act, &x, Some(&yv), &dyv, &shape, &got).unwrap();
            assert!(
                st.max_ulp <= bound,
                "{act}: {} ULP at {:?}",
                st.max_ulp,
                st.worst
            );
            continue;
        }
        let v = match act.info().grad_from {
            wgact::activation::GradFrom::X => &x,
            wgact::activation::GradFrom::Y => &yv,
        };
        let want = wgact::cpu::backward(&act, v, &dyv, &shape).unwrap();
        let d = wgact::cpu::backward(&act, v, &vec![1.0; x.len()], &shape).unwrap();
        for i in 0..want.len() {
            // A derivative below the normal range keeps only f32's bits.
            if d[i] != 0.0 && d[i].abs() < f32::MIN_POSITIVE {
                continue;
            }
            let e = wgact::ulp::ulp_error(want[i], got[i]);
            assert!(
                e <= bound + 1,
                "{act} at x = {:e}, dy = {:e}: {} vs {} ({e} ULP)",
                x[i],
                dyv[i],
                got[i],
                want[i]
            );
        }
    }
}
