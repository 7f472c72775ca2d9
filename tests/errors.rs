//! Bad input gets a typed error with a clear message, never a panic.

mod common;
use common::ctx;
use wgact::{Activation, Error, Relu};

#[test]
fn shape_mismatch() {
    let e = ctx().upload(&[1.0, 2.0, 3.0], &[2, 2]).unwrap_err();
    assert!(
        matches!(
            e,
            Error::ShapeMismatch {
                expected: 4,
                got: 3,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("[2, 2]"));
}

#[test]
fn shape_overflow() {
    let e = ctx().upload::<f32>(&[], &[usize::MAX, 2]).unwrap_err();
    assert!(matches!(e, Error::TooLarge { .. }), "{e}");
}

#[test]
fn axis_out_of_range() {
    let c = ctx();
    let x = c.upload(&[0.0; 6], &[2, 3]).unwrap();
    for axis in [2isize, -3, 100, isize::MIN] {
        let e = c.softmax(&x, axis).unwrap_err();
        assert!(matches!(e, Error::AxisOutOfRange { rank: 2, .. }), "{e}");
    }
    assert!(
        wgact::cpu::apply(&wgact::Activation::Softmax { axis: 5 }, &[0.0; 6], &[2, 3]).is_err()
    );
}

#[test]
fn invalid_relu_parameters() {
    let c = ctx();
    let x = c.upload(&[0.0; 4], &[4]).unwrap();
    for p in [
        Relu::new().negative_slope(f32::NAN),
        Relu::new().alpha(f32::INFINITY),
        Relu::new().threshold(f32::NAN),
        Relu::new().threshold(f32::NEG_INFINITY),
        Relu::new().max_value(f32::NAN),
        Relu::new().max_value(-1.0),
    ] {
        let e = c.relu(&x, &p).unwrap_err();
        assert!(matches!(e, Error::InvalidParameter { .. }), "{e}");
    }
}

#[test]
fn output_shape_must_match() {
    let c = ctx();
    let x = c.upload(&[0.0; 6], &[2, 3]).unwrap();
    let out = c.zeros(&[3, 2]).unwrap();
    let e = c.apply_into(&Activation::Sigmoid, &x, &out).unwrap_err();
    assert!(matches!(e, Error::ShapesDiffer { .. }), "{e}");
}

#[test]
fn tensor_too_large_to_address() {
    let c = ctx();
    // Checked before any allocation.
    let e = c.zeros(&[usize::MAX / 2 + 1, 2]).unwrap_err();
    assert!(matches!(e, Error::TooLarge { .. }), "{e}");
    let e = c.upload::<f32>(&[], &[1 << 62, 8]).unwrap_err();
    assert!(matches!(e, Error::TooLarge { .. }), "{e}");
}

#[test]
fn unknown_activation_name() {
    let e = "nonsuch".parse::<Activation>().unwrap_err();
    assert!(matches!(e, Error::UnknownActivation(_)));
    // The message lists the whole table.
    for op in wgact::Op::ALL {
        assert!(e.to_string().contains(op.name()), "{e}");
    }
}

#[test]
fn parameters_are_checked_against_the_table() {
    use wgact::activation::Value;
    // Names and aliases, any case.
    assert_eq!(
        "SWISH".parse::<Activation>().unwrap(),
        Activation::Silu { beta: 1.0 }
    );
    assert_eq!(
        "hard_swish".parse::<Activation>().unwrap(),
        Activation::HardSilu
    );
    // A required parameter has no default.
    assert!(matches!(
        "threshold".parse::<Activation>(),
        Err(Error::MissingParameter {
            op: "threshold",
            name: "threshold"
        })
    ));
    // Each parameter's rule, on the GPU and the CPU alike.
    let c = ctx();
    let x = c.upload(&[1.0, -1.0], &[2]).unwrap();
    for bad in [
        Activation::Elu { alpha: f32::NAN },
        Activation::Elu {
            alpha: f32::INFINITY,
        },
        Activation::Celu { alpha: 0.0 },
        Activation::Celu { alpha: -1.0 },
        Activation::Squareplus { b: -1.0 },
        Activation::Silu { beta: f32::NAN },
        Activation::LeakyRelu {
            negative_slope: f32::NEG_INFINITY,
        },
        Activation::HardShrink {
            threshold: f32::NAN,
        },
        Activation::SoftShrink {
            threshold: f32::INFINITY,
        },
        Activation::Threshold {
            threshold: 0.0,
            default_value: f32::NAN,
        },
        Activation::Threshold {
            threshold: f32::INFINITY,
            default_value: 0.0,
        },
    ] {
        assert!(
            matches!(c.apply(&bad, &x), Err(Error::InvalidParameter { .. })),
            "{bad}"
        );
        assert!(wgact::cpu::apply(&bad, &[1.0], &[1]).is_err(), "{bad}");
    }
    // Setting by name: aliases work, unknown names and wrong types do not.
    let relu = Activation::from(wgact::Relu::new());
    assert_eq!(
        relu.with("alpha", 0.5f32).unwrap(),
        Activation::from(wgact::Relu::new().negative_slope(0.5))
    );
    assert!(matches!(
        relu.with("beta", 1.0f32),
        Err(Error::UnknownParameter { .. })
    ));
    assert!(matches!(
        relu.with("threshold", true),
        Err(Error::ParameterType { .. })
    ));
    assert!(matches!(
        wgact::Op::Elu.with_values(&[Value::Flag(true)]),
        Err(Error::ParameterType { .. })
    ));
}

#[test]
fn no_matching_adapter() {
    let e = wgact::Context::with_options(wgact::ContextOptions {
        adapter_name: Some("no such adapter 1234".into()),
        ..Default::default()
    })
    .err()
    .expect("no adapter matches");
    assert!(matches!(e, Error::NoAdapter { .. }), "{e}");
}

/// After the device is destroyed, every call returns a typed error at once:
/// no panic, no hang. Where wgpu has reported the loss (its device-lost
/// callback runs inside poll once the queue is idle: on llvmpipe GL at once,
/// on lavapipe not while submissions are pending), the error is
/// `Error::DeviceLost`. (Allocating alone, `zeros`, may still succeed on
/// lavapipe: wgpu reports nothing until the buffer is used.)
#[test]
fn a_destroyed_device_gives_typed_errors_not_panics() {
    let c = wgact::Context::new().unwrap();
    let x = c.upload(&[1.0, 2.0, 3.0, 4.0], &[2, 2]).unwrap();
    let y = c.apply(&Activation::Sigmoid, &x).unwrap();
    c.device().destroy();
    let t = std::time::Instant::now();
    let results: Vec<(&str, Result<(), Error>)> = vec![
        ("read", c.read(&y).map(|_| ())),
        ("upload", c.upload(&[1.0], &[1]).map(|_| ())),
        ("apply", c.apply(&Activation::Tanh, &x).map(|_| ())),
        ("softmax", c.softmax(&x, -1).map(|_| ())),
        (
            "glu",
            c.apply(&Activation::Glu { axis: -1 }, &x).map(|_| ()),
        ),
        (
            "sparsemax",
            c.apply(&Activation::Sparsemax { axis: 0 }, &x).map(|_| ()),
        ),
        ("read again", c.read(&x).map(|_| ())),
    ];
    assert!(
        t.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        t.elapsed()
    );
    for (what, r) in results {
        match r {
            Err(Error::DeviceLost(_)) => {}
            other => panic!("{what}: {other:?}"),
        }
    }
    assert!(c.is_lost());
}

/// Whichever call comes first after `device.destroy()`, it returns
/// `Error::DeviceLost` (a fresh context per call, so no earlier call has
/// seen the loss), and so does every call after it.
#[test]
fn any_first_call_after_destroy_is_device_lost() {
    type Call = fn(&wgact::Context, &wgact::Tensor) -> Result<(), Error>;
    let calls: Vec<(&str, Call)> = vec![
        ("upload", |c, _| c.upload(&[1.0; 8], &[8]).map(|_| ())),
        ("zeros", |c, _| c.zeros(&[8]).map(|_| ())),
        ("empty", |c, _| c.empty(&[8]).map(|_| ())),
        ("read", |c, x| c.read(x).map(|_| ())),
        ("read_async", |c, x| {
            pollster::block_on(c.read_async(x)).map(|_| ())
        }),
        ("apply", |c, x| {
            c.apply(&Activation::Gelu { approximate: false }, x)
                .map(|_| ())
        }),
        ("apply_inplace", |c, _| {
            let mut y = c.zeros(&[2, 2])?;
            c.apply_inplace(&Activation::Sigmoid, &mut y)
        }),
        ("softmax", |c, x| c.softmax(x, 0).map(|_| ())),
        ("chain", |c, x| {
            let mut ch = c.chain();
            let h = ch.apply(&Activation::Relu6, x)?;
            ch.read(&[&h]).map(|_| ())
        }),
        ("encode", |c, x| {
            let out = c.empty(x.shape())?;
            let mut enc = c.device().create_command_encoder(&Default::default());
            c.encode(&mut enc, &Activation::Tanh, x, Some(&out))
        }),
    ];
    for (what, call) in calls {
        let c = wgact::Context::new().unwrap();
        let x = c.upload(&[1.0, 2.0, 3.0, 4.0], &[2, 2]).unwrap();
        let _pending = c.apply(&Activation::Sigmoid, &x).unwrap();
        // A pooled buffer, so ops may not need a new one.
        drop(c.apply(&Activation::Sigmoid, &x).unwrap());
        c.device().destroy();
        let t = std::time::Instant::now();
        match call(&c, &x) {
            Err(Error::DeviceLost(_)) => {}
            other => panic!("{what} first after destroy: {other:?}"),
        }
        assert!(
            t.elapsed() < std::time::Duration::from_secs(3),
            "{what}: {:?}",
            t.elapsed()
        );
        match c.read(&x) {
            Err(Error::DeviceLost(_)) => {}
            other => panic!("read after {what}: {other:?}"),
        }
    }
}

/// A streamed file through a destroyed device: `Error::DeviceLost`, and no
/// output file.
#[cfg(feature = "npy")]
#[test]
fn streaming_through_a_destroyed_device_writes_nothing() {
    let dir = std::env::temp_dir().join(format!("wgact-lost-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("x.npy");
    wgact::npy::write_f32_atomic(&src, &[1.0, 2.0, 3.0], &[3]).unwrap();
    let out = dir.join("y.npy");
    let c = wgact::Context::new().unwrap();
    c.device().destroy();
    let opts = wgact::stream::StreamOptions {
        chunk_bytes: 4,
        ..Default::default()
    };
    let r = wgact::stream::apply_file(&c, &Activation::Tanh, &src, &out, &opts, &mut |_, _| {});
    assert!(matches!(r, Err(Error::DeviceLost(_))), "{r:?}");
    assert!(!out.exists(), "no output file from a lost device");
    std::fs::remove_dir_all(&dir).unwrap();
}
