//! Property-based fuzzing of the library API (proptest): random ops with
//! random parameters (NaN, ±inf, negative, subnormal, huge included), random
//! ranks 0–5 with zero-sized and odd dimensions, every axis in and out of
//! range, wrapped buffers at random offsets and usages, and mismatched
//! outputs. Every call either returns a typed error or a result that matches
//! the CPU reference within the op's bound: a fuzzer that only looked for
//! panics would miss silently wrong answers. `WGACT_FUZZ_CASES` sets the
//! number of cases per target (default 256; CI runs the default) and
//! `WGACT_FUZZ_SEED` the seed (default fixed, so CI is repeatable; any other
//! seed explores new inputs). Failures found are kept in
//! `fuzz_api.proptest-regressions` and replayed first.

mod common;
use common::ctx;
use proptest::prelude::*;
use wgact::activation::{ParamKind, Value};
use wgact::wgpu;
use wgact::{Activation, Error, Op, verify};

fn config() -> ProptestConfig {
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    ProptestConfig {
        cases: env("WGACT_FUZZ_CASES").unwrap_or(256) as u32,
        rng_seed: proptest::test_runner::RngSeed::Fixed(env("WGACT_FUZZ_SEED").unwrap_or(0x5eed)),
        ..ProptestConfig::default()
    }
}

/// Parameter values a caller might pass, valid or not.
fn float_value() -> impl Strategy<Value = f32> {
    prop_oneof![
        Just(f32::NAN),
        Just(f32::INFINITY),
        Just(f32::NEG_INFINITY),
        Just(0.0f32),
        Just(-0.0f32),
        Just(f32::MIN_POSITIVE / 8.0),
        Just(f32::MAX),
        Just(-f32::MAX),
        -10.0f32..10.0,
        any::<f32>(),
    ]
}

/// An activation of any op with arbitrary parameter values of the right
/// types (validation decides whether they are acceptable).
fn activation() -> impl Strategy<Value = Activation> {
    (
        0..Op::ALL.len(),
        prop::collection::vec((float_value(), any::<bool>(), -7isize..7), 4),
    )
        .prop_map(|(i, raw)| {
            let op = Op::ALL[i];
            let values: Vec<Value> = op
                .info()
                .params
                .iter()
                .zip(raw)
                .map(|(p, (f, b, a))| match p.kind {
                    ParamKind::Float => Value::Float(f),
                    ParamKind::OptionalFloat => Value::OptionalFloat(b.then_some(f)),
                    ParamKind::Flag => Value::Flag(b),
                    ParamKind::Axis => Value::Axis(a),
                })
                .collect();
            op.with_values(&values)
                .expect("values of the table's types")
        })
}

/// Shapes of rank 0 to 5, with zero-sized and odd dimensions, at most 4096
/// elements.
fn shape() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(
        prop_oneof![Just(0usize), Just(1), 1usize..9, Just(64), Just(257)],
        0..6,
    )
    .prop_filter("at most 4096 elements", |s| {
        s.iter().product::<usize>() <= 4096
    })
}

fn data(n: usize) -> impl Strategy<Value = Vec<f32>> {
    prop::collection::vec(
        prop_oneof![4 => -30.0f32..30.0, 1 => any::<f32>(), 1 => float_value()],
        n,
    )
}

/// Whether `e` is one of the errors bad input may give (never a GPU
/// validation error: wgact checks before it records).
fn expected_error(e: &Error) -> bool {
    matches!(
        e,
        Error::InvalidParameter { .. }
            | Error::AxisOutOfRange { .. }
            | Error::OddHalves { .. }
            | Error::NotInPlace { .. }
            | Error::ShapesDiffer { .. }
            | Error::ShapeMismatch { .. }
            | Error::TooLarge { .. }
    )
}

fn check_result(
    act: &Activation,
    x: &[f32],
    shape: &[usize],
    got: &[f32],
) -> Result<(), TestCaseError> {
    let len = match act.axis() {
        Some(a) if !shape.is_empty() => shape[a.rem_euclid(shape.len() as isize) as usize],
        _ => 1,
    };
    let stats =
        verify::compare(act, x, shape, got).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert!(
        stats.max_ulp <= verify::bound(act, len),
        "{act} {shape:?}: {} ULP at {:?}",
        stats.max_ulp,
        stats.worst
    );
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    /// Any op, any parameters, any shape: a typed error, or the right answer
    /// (out of place and in place), on the GPU and the fast CPU path alike.
    #[test]
    fn any_call_is_a_typed_error_or_right(
        act in activation(),
        (shape, x) in shape().prop_flat_map(|s| { let n = s.iter().product(); (Just(s), data(n)) }),
        inplace in any::<bool>(),
    ) {
        let c = ctx();
        let t = c.upload(&x, &shape).unwrap();
        let want = wgact::cpu::apply(&act, &x, &shape);
        let got = if inplace {
            let mut t = t;
            c.apply_inplace(&act, &mut t).and_then(|()| c.read(&t))
        } else {
            c.apply(&act, &t).and_then(|y| c.read(&y))
        };
        match (got, want) {
            (Ok(g), Ok(_)) => check_result(&act, &x, &shape, &g)?,
            (Err(e), Ok(_)) => {
                // Only glu in place (its output is smaller) and sparsemax past
                // its row limit fail where the reference succeeds.
                prop_assert!(
                    matches!(e, Error::NotInPlace { .. } | Error::TooLarge { .. }),
                    "{act} {shape:?}: GPU error {e} where the reference succeeds"
                );
            }
            (Ok(_), Err(e)) => prop_assert!(false, "{act} {shape:?}: GPU ok where the reference fails: {e}"),
            (Err(e), Err(_)) => prop_assert!(expected_error(&e), "{act} {shape:?}: {e:?}"),
        }
        match wgact::cpu::fast::apply(&act, &x, &shape) {
            Ok(f) => check_result(&act, &x, &shape, &f)?,
            Err(e) => prop_assert!(expected_error(&e), "fast {act} {shape:?}: {e:?}"),
        }
    }

    /// The backward of any op with any parameters over any shape, with any
    /// dy (special values included): a typed error, or the reference's
    /// answer within the op's backward bound (in place too), and the CPU
    /// backward alike.
    #[test]
    fn any_backward_is_a_typed_error_or_right(
        act in activation(),
        (shape, x, dy) in shape().prop_flat_map(|s| {
            let n = s.iter().product();
            (Just(s), data(n), data(n))
        }),
        inplace in any::<bool>(),
    ) {
        let c = ctx();
        let t = c.upload(&x, &shape).unwrap();
        let out_shape = act.output_shape(&shape).map_err(|e| e.to_string());
        let dy_shape = out_shape.clone().unwrap_or(shape.clone());
        let m: usize = dy_shape.iter().product();
        // Axis ops' bounds hold for |dy| <= 2^64: beyond, a row's dy can
        // cancel across more than the 48 bits its compensated sums carry
        // (f64 itself fails past 53), so larger finite values are clamped
        // there (NaN and infinities stay).
        let dy: Vec<f32> = if matches!(act.kind(), wgact::activation::Kind::Axis(_)) {
            dy.iter().map(|&v| if v.is_finite() { v.clamp(-1.8446744e19, 1.8446744e19) } else { v }).collect()
        } else {
            dy
        };
        let dyv = &dy[..m.min(dy.len())];
        let g = c.upload(dyv, &dy_shape[..]).unwrap();
        let y = match act.info().grad_from {
            wgact::activation::GradFrom::Y => wgact::cpu::apply(&act, &x, &shape).ok(),
            wgact::activation::GradFrom::X => None,
        };
        let got = if inplace {
            let mut g = g;
            c.backward_inplace(&act, &t, &mut g).and_then(|()| c.read(&g))
        } else {
            match &y {
                Some(y) => c
                    .upload(y, &dy_shape)
                    .and_then(|yt| c.backward_from(&act, &t, &yt, &c.upload(dyv, &dy_shape)?))
                    .and_then(|d| c.read(&d)),
                None => c.backward(&act, &t, &g).and_then(|d| c.read(&d)),
            }
        };
        let reference = || -> Result<(), String> {
            act.validate().map_err(|e| e.to_string())?;
            out_shape.clone()?;
            Ok(())
        };
        match (got, reference()) {
            (Ok(d), Ok(())) => {
                // In place, ops that read y recompute it on the GPU: the
                // backward is held to the reference from that y (a rounded
                // y moves sums that cancel: the problem's conditioning).
                let y = match (&y, inplace) {
                    (Some(_), true) => Some(c.read(&c.apply(&act, &t).unwrap()).unwrap()),
                    _ => y.clone(),
                };
                let st = verify::compare_grad(&act, &x, y.as_deref(), dyv, &shape, &d)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                let len = match act.axis() {
                    Some(a) if !shape.is_empty() => shape[a.rem_euclid(shape.len() as isize) as usize],
                    _ => 1,
                };
                let bound = act.info().grad_bound.at(len);
                if st.max_ulp > bound {
                    // The row of the worst element, for the report.
                    let v = y.clone().unwrap_or_else(|| x.clone());
                    let want = wgact::cpu::backward(&act, &v, dyv, &shape).unwrap();
                    let worst = (0..d.len())
                        .max_by_key(|&i| wgact::ulp::ulp_error(want[i], d[i]))
                        .unwrap_or(0);
                    let row = match (act.axis(), act.kind()) {
                        (Some(a), wgact::activation::Kind::Axis(_)) => {
                            let (_, len, inner) = wgact::shape::split_at_axis(&shape, a).unwrap();
                            let o = worst / (len * inner);
                            let i = worst % inner;
                            (0..len)
                                .map(|k| o * len * inner + k * inner + i)
                                .map(|j| (x[j], dyv[j], want[j], d[j]))
                                .collect::<Vec<_>>()
                        }
                        _ => vec![(x[worst], dyv.get(worst).copied().unwrap_or(0.0), want[worst], d[worst])],
                    };
                    prop_assert!(
                        false,
                        "{act} {shape:?} (in place: {inplace}): {} ULP; row (x, dy, want, got): {row:?}",
                        st.max_ulp
                    );
                }
            }
            (Err(e), Ok(())) => prop_assert!(
                matches!(e, Error::NotInPlace { .. } | Error::TooLarge { .. }),
                "{act} {shape:?}: backward error {e} where the reference succeeds"
            ),
            (Ok(_), Err(e)) => prop_assert!(false, "{act} {shape:?}: backward ok where it should fail: {e}"),
            (Err(e), Err(_)) => prop_assert!(expected_error(&e), "{act} {shape:?}: {e:?}"),
        }
        if let (Ok(()), Ok(_)) = (reference(), &out_shape) {
            let v = y.clone().unwrap_or_else(|| x.clone());
            let fast = wgact::cpu::fast::backward(&act, &v, dyv, &shape)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let want = wgact::cpu::backward(&act, &v, dyv, &shape)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(
                fast.iter().map(|f| f.to_bits()).eq(want.iter().map(|f| f.to_bits())),
                "{act} {shape:?}: CPU backward differs from the reference"
            );
        }
    }

    /// Outputs of the wrong shape, and tensors from another context's
    /// device, are refused up front.
    #[test]
    fn mismatched_outputs_are_refused(
        act in activation(),
        shape in shape(),
        other in shape(),
    ) {
        let c = ctx();
        let n: usize = shape.iter().product();
        let x = c.upload(&vec![0.5; n], &shape).unwrap();
        let y = c.zeros(&other).unwrap();
        match c.apply_into(&act, &x, &y) {
            Ok(()) => prop_assert_eq!(act.output_shape(&shape).ok(), Some(other.clone())),
            Err(e) => prop_assert!(expected_error(&e), "{act} {shape:?} -> {other:?}: {e:?}"),
        }
    }

    /// Caller buffers at random offsets and with random usages: wrap either
    /// refuses them (typed) or the op computes the right answer in them.
    #[test]
    fn wrapped_buffers_at_any_offset_and_usage(
        offset_words in 0u64..300,
        usage_bits in 0u8..8,
        (shape, x) in shape().prop_flat_map(|s| { let n = s.iter().product(); (Just(s), data(n)) }),
    ) {
        let c = ctx();
        let mut usage = wgpu::BufferUsages::empty();
        if usage_bits & 1 != 0 { usage |= wgpu::BufferUsages::STORAGE; }
        if usage_bits & 2 != 0 { usage |= wgpu::BufferUsages::COPY_SRC; }
        if usage_bits & 4 != 0 { usage |= wgpu::BufferUsages::COPY_DST; }
        if usage.is_empty() { usage = wgpu::BufferUsages::UNIFORM; }
        let n: usize = shape.iter().product();
        let bytes = offset_words * 4 + n as u64 * 4 + 16;
        let buf = c.device().create_buffer(&wgpu::BufferDescriptor {
            label: Some("fuzz"),
            size: bytes.next_multiple_of(4),
            usage: usage | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        c.queue().write_buffer(&buf, offset_words * 4, bytemuck::cast_slice(&x));
        match c.wrap(&buf, offset_words * 4, &shape) {
            Err(e) => prop_assert!(
                matches!(e, Error::Misaligned { .. } | Error::MissingUsage { .. } | Error::BufferTooSmall { .. }),
                "{e:?}"
            ),
            Ok(mut t) => {
                let act = Activation::Tanh;
                match c.apply_inplace(&act, &mut t).and_then(|()| c.read(&t)) {
                    Ok(g) => check_result(&act, &x, &shape, &g)?,
                    Err(e) => prop_assert!(matches!(e, Error::MissingUsage { .. }), "{e:?}"),
                }
            }
        }
    }
}
