//! Every op of the table against the CPU reference over ranks 0-4, lengths
//! that are not multiples of the workgroup size, 1xN, Nx1, every axis, in
//! place and chained, and the relu parameter combinations.

mod common;
use common::{assert_close, ctx, random};
use wgact::{Activation, Context, ContextOptions, Kind, Op, Relu, verify};

/// Every elementwise op of the table, with its sample parameters.
fn elementwise() -> Vec<Activation> {
    Op::ALL
        .iter()
        .map(|&op| verify::sample(op))
        .filter(|a| a.is_elementwise())
        .collect()
}

/// Every op of the table, axis ops on `axis`; glu only where the axis has
/// even length in `shape` (any other op must accept the shape).
fn every_op(shape: &[usize], axis: isize) -> Vec<Activation> {
    Op::ALL
        .iter()
        .map(|&op| verify::sample(op).with_axis(axis))
        .filter(|a| match a.output_shape(shape) {
            Ok(_) => true,
            Err(wgact::Error::OddHalves { .. }) => false,
            Err(e) => panic!("{a} {shape:?}: {e}"),
        })
        .collect()
}

fn shapes() -> Vec<Vec<usize>> {
    vec![
        vec![],
        vec![1],
        vec![7],
        vec![255],
        vec![256],
        vec![257],
        vec![1000],
        vec![65_537],
        vec![1, 300],
        vec![300, 1],
        vec![3, 5],
        vec![2, 3, 4],
        vec![3, 1, 129],
        vec![2, 3, 4, 5],
        vec![1, 1, 1, 1],
        vec![4, 1, 33, 2],
    ]
}

#[test]
fn elementwise_ops_over_shapes() {
    for shape in shapes() {
        let n: usize = shape.iter().product();
        let data = random(n, n as u64);
        for act in elementwise() {
            assert_close(&act, &data, &shape, verify::bound(&act, 1));
        }
    }
}

#[test]
fn axis_ops_every_axis() {
    for shape in shapes().into_iter().filter(|s| !s.is_empty()) {
        let n: usize = shape.iter().product();
        let data = random(n, 11 + n as u64);
        let rank = shape.len() as isize;
        for axis in -rank..rank {
            let len = shape[axis.rem_euclid(rank) as usize];
            for act in every_op(&shape, axis)
                .iter()
                .filter(|a| !a.is_elementwise())
            {
                assert_close(act, &data, &shape, verify::bound(act, len));
            }
        }
    }
}

#[test]
fn glu_halves_every_even_axis() {
    let glu = Activation::Glu { axis: -1 };
    for shape in [
        vec![2],
        vec![4, 6],
        vec![6, 4],
        vec![2, 3, 8],
        vec![2, 2, 2, 2],
        vec![1, 1000],
    ] {
        let n: usize = shape.iter().product();
        let data = random(n, 3 + n as u64);
        let rank = shape.len() as isize;
        for axis in -rank..rank {
            if shape[axis.rem_euclid(rank) as usize] % 2 != 0 {
                continue;
            }
            let act = glu.with_axis(axis);
            let mut want = shape.clone();
            want[axis.rem_euclid(rank) as usize] /= 2;
            assert_eq!(act.output_shape(&shape).unwrap(), want);
            let got = assert_close(&act, &data, &shape, verify::bound(&act, 1));
            assert_eq!(got.len(), n / 2);
        }
    }
    // An odd axis is a typed error, on the GPU and the CPU alike.
    let c = ctx();
    let x = c.upload(&[1.0; 6], &[2, 3]).unwrap();
    assert!(matches!(
        c.apply(&glu, &x),
        Err(wgact::Error::OddHalves { axis: -1, len: 3 })
    ));
    assert!(matches!(
        wgact::cpu::apply(&glu, &[1.0; 6], &[2, 3]),
        Err(wgact::Error::OddHalves { .. })
    ));
    // glu cannot run in place: its output is smaller.
    let mut y = c.upload(&[1.0; 4], &[4]).unwrap();
    assert!(matches!(
        c.apply_inplace(&glu, &mut y),
        Err(wgact::Error::NotInPlace { .. })
    ));
}

#[test]
fn softmax_wide_rows_and_columns() {
    for shape in [
        vec![1, 5000],
        vec![5000, 1],
        vec![3, 4097],
        vec![4097, 3],
        vec![70_000, 2],
    ] {
        let n: usize = shape.iter().product();
        let data = random(n, 5);
        for axis in [0isize, 1] {
            let act = Activation::Softmax { axis };
            assert_close(
                &act,
                &data,
                &shape,
                verify::bound(&act, shape[axis as usize]),
            );
        }
    }
}

#[test]
fn zero_sized_tensors() {
    let c = ctx();
    for shape in [vec![0], vec![3, 0], vec![0, 4, 2]] {
        let x = c.upload::<f32>(&[], &shape).unwrap();
        for act in every_op(&shape, -1) {
            let y = c.apply(&act, &x).unwrap();
            assert_eq!(y.shape(), &act.output_shape(&shape).unwrap()[..]);
            assert!(c.read(&y).unwrap().is_empty());
        }
    }
}

#[test]
fn zero_d_tensor() {
    let c = ctx();
    let x = c.upload(&[0.5], &[]).unwrap();
    assert_eq!(
        c.read(&c.sigmoid(&x).unwrap()).unwrap(),
        vec![wgact::cpu::sigmoid(0.5)]
    );
    assert!(matches!(
        c.softmax(&x, -1),
        Err(wgact::Error::AxisOutOfRange { axis: -1, rank: 0 })
    ));
}

#[test]
fn relu_parameter_combinations() {
    let base = random(3000, 42);
    for slope in [0.0f32, 0.1, 2.0, -0.5] {
        for max in [None, Some(0.0f32), Some(1.0), Some(6.0)] {
            for t in [0.0f32, 0.5, -1.0, 3.5] {
                let mut p = Relu::new().negative_slope(slope).threshold(t);
                p.max_value = max;
                let mut data = base.clone();
                // Exactly at, and one ULP around, the threshold and max_value.
                for c in [Some(t), max].into_iter().flatten() {
                    data.extend([
                        c,
                        f32::from_bits(c.to_bits() + 1),
                        f32::from_bits(c.to_bits().wrapping_sub(1)),
                    ]);
                }
                data.extend([
                    0.0,
                    -0.0,
                    f32::INFINITY,
                    f32::NEG_INFINITY,
                    f32::MAX,
                    -f32::MAX,
                ]);
                assert_close(&Activation::from(p), &data, &[data.len()], 1);
            }
        }
    }
}

#[test]
fn relu_keras_examples() {
    let c = ctx();
    let x = c.upload(&[-5.0, -3.0, -1.0, 1.0, 3.0, 5.0], &[6]).unwrap();
    let run = |p: Relu| c.read(&c.relu(&x, &p).unwrap()).unwrap();
    assert_eq!(
        run(Relu::new().negative_slope(2.0).threshold(3.5)),
        [-17.0, -13.0, -9.0, -5.0, -1.0, 5.0]
    );
    assert_eq!(
        run(Relu::new().alpha(0.5)),
        [-2.5, -1.5, -0.5, 1.0, 3.0, 5.0]
    );
    assert_eq!(
        run(Relu::new().max_value(4.0)),
        [0.0, 0.0, 0.0, 1.0, 3.0, 4.0]
    );
    assert_eq!(
        run(Relu::new().threshold(2.0)),
        [0.0, 0.0, 0.0, 0.0, 3.0, 5.0]
    );
    // With a negative threshold and no max_value, values above it pass through.
    let y = c.read(
        &c.relu(
            &c.upload(&[-0.5, -1.0, -2.0], &[3]).unwrap(),
            &Relu::new().threshold(-1.0),
        )
        .unwrap(),
    );
    assert_eq!(y.unwrap(), [-0.5, 0.0, 0.0]);
}

#[test]
fn softmax_keras_example() {
    let c = ctx();
    let y = c
        .read(
            &c.softmax(&c.upload(&[1.5, 4.4, 2.0], &[1, 3]).unwrap(), -1)
                .unwrap(),
        )
        .unwrap();
    let want = wgact::cpu::apply(
        &wgact::Activation::Softmax { axis: -1 },
        &[1.5, 4.4, 2.0],
        &[1, 3],
    )
    .unwrap();
    for (g, w) in y.iter().zip(&want) {
        assert!(wgact::ulp::ulp_error(*w, *g) <= 8);
    }
    approx::assert_relative_eq!(y[1], 0.8727975, max_relative = 1e-6);
}

#[test]
fn in_place_matches_out_of_place() {
    let c = ctx();
    let data = random(5000, 9);
    // 5000 elements fill whole vec4s; 1001 leave a scalar tail of 1.
    for shape in [[50usize, 100], [7, 143]] {
        let data = &data[..shape[0] * shape[1]];
        let acts = every_op(&shape, 0)
            .into_iter()
            .chain(every_op(&shape, -1))
            .chain([Activation::from(
                Relu::new().negative_slope(0.1).max_value(2.0),
            )])
            .filter(|a| a.kind() != Kind::Halves);
        for act in acts {
            let x = c.upload(data, &shape).unwrap();
            let out = c.read(&c.apply(&act, &x).unwrap()).unwrap();
            let mut y = c.upload(data, &shape).unwrap();
            c.apply_inplace(&act, &mut y).unwrap();
            assert_eq!(c.read(&y).unwrap(), out, "{act} {shape:?}");
        }
    }
}

#[test]
fn chained_ops_stay_on_the_gpu() {
    let c = ctx();
    let data = random(4 * 1000, 13);
    let shape = [4, 1000];
    let x = c.upload(&data, &shape).unwrap();
    let p = Relu::new().negative_slope(0.1);
    let y = c.softmax(&c.relu(&x, &p).unwrap(), -1).unwrap();
    let got = c.read(&y).unwrap();
    let mid = wgact::cpu::apply(&Activation::from(p), &data, &shape).unwrap();
    let want = wgact::cpu::apply(&wgact::Activation::Softmax { axis: -1 }, &mid, &shape).unwrap();
    for (g, w) in got.iter().zip(&want) {
        assert!(wgact::ulp::ulp_error(*w, *g) <= 8);
    }
}

#[test]
fn one_encoder_many_ops() {
    let c = ctx();
    let data = random(3000, 17);
    let x = c.upload(&data, &[3000]).unwrap();
    let a = c.zeros(&[3000]).unwrap();
    let b = c.zeros(&[3000]).unwrap();
    let mut enc = c.device().create_command_encoder(&Default::default());
    c.encode(&mut enc, &Activation::Tanh, &x, Some(&a)).unwrap();
    c.encode(&mut enc, &Activation::Sigmoid, &a, Some(&b))
        .unwrap();
    c.queue().submit([enc.finish()]);
    let got = c.read(&b).unwrap();
    for (g, &v) in got.iter().zip(&data) {
        let w = wgact::cpu::sigmoid(c_tanh(v));
        assert!(wgact::ulp::ulp_error(w, *g) <= 8);
    }
}

fn c_tanh(v: f32) -> f32 {
    wgact::cpu::tanh(v)
}

#[test]
fn split_across_bindings() {
    // A 1 MiB binding cap forces elementwise ops to split a 4.5 MiB tensor.
    let c = Context::with_options(ContextOptions {
        max_binding_size: Some(1 << 20),
        ..Default::default()
    })
    .expect("adapter");
    let n = (1 << 18) * 4 + 1000;
    let data = random(n, 21);
    for act in elementwise() {
        let worst = verify::check(&c, &act, &data, &[n]).unwrap().max_ulp;
        assert!(worst <= verify::bound(&act, 1), "{act}: {worst} ULP");
    }
    // Softmax takes windows of whole outer slices: 4.5x the binding, on
    // every axis of a 3-D view, in place too. On axis 0 one outer slice (1.2M
    // elements) exceeds the binding, so rows are reduced in blocks of
    // strided elements and normalised in windows.
    let shape = [1000, 12, 101];
    let m: usize = shape.iter().product();
    let data = random(m, 22);
    for axis in [-1isize, 1, 0] {
        let len = shape[axis.rem_euclid(3) as usize];
        for act in every_op(&shape, axis)
            .into_iter()
            .filter(|a| !a.is_elementwise())
        {
            check_split(&c, &act, &data, &shape, len);
        }
    }
    // Rows longer than one workgroup takes, across many 1 MiB windows.
    let n = (1 << 23) + 12_345;
    let row = random(2 * n, 23);
    let worst = verify::check(&c, &Activation::Softmax { axis: -1 }, &row, &[2, n]).unwrap();
    assert!(worst.max_ulp <= 16, "long rows: {} ULP", worst.max_ulp);
}

/// An axis op or glu over a tensor split across bindings or buffers, out of
/// place and (but glu) in place, within its bound; sparsemax may refuse an
/// outer slice larger than a binding or a buffer with a typed error.
fn check_split(c: &Context, act: &Activation, data: &[f32], shape: &[usize], len: usize) {
    let stats = match verify::check(c, act, data, shape) {
        Err(wgact::Error::TooLarge { .. }) if matches!(act, Activation::Sparsemax { .. }) => return,
        r => r.unwrap_or_else(|e| panic!("{act} {shape:?}: {e}")),
    };
    assert!(
        stats.max_ulp <= verify::bound(act, len),
        "{act} {shape:?}: {} ULP at {:?}",
        stats.max_ulp,
        stats.worst
    );
    if act.kind() == Kind::Halves {
        return;
    }
    let mut t = c.upload(data, shape).unwrap();
    c.apply_inplace(act, &mut t).unwrap();
    let got = c.read(&t).unwrap();
    let stats = verify::compare(act, data, shape, &got).unwrap();
    assert!(
        stats.max_ulp <= verify::bound(act, len),
        "in place {act} {shape:?}: {} ULP",
        stats.max_ulp
    );
}

/// Every op of the table (axis ops over `axis`) and relu(alpha 0.2) on
/// `data` on `c`, each within its bound.
fn check_every_op(c: &Context, data: &[f32], shape: &[usize], axis: isize, what: &str) {
    let acts = every_op(shape, axis)
        .into_iter()
        .chain([Activation::from(Relu::new().alpha(0.2))]);
    for act in acts {
        let len = shape[axis.rem_euclid(shape.len() as isize) as usize];
        let worst = verify::check(c, &act, data, shape).unwrap().max_ulp;
        assert!(
            worst <= verify::bound(&act, len),
            "{what}: {act} {shape:?}: {worst} ULP"
        );
    }
}

#[test]
fn workgroup_sizes_from_32_to_256() {
    assert!(ctx().workgroup_size().is_power_of_two() && ctx().workgroup_size() <= 256);
    for wg in [32, 64, 128] {
        let c = Context::with_options(ContextOptions {
            workgroup_size: Some(wg),
            ..Default::default()
        })
        .expect("adapter");
        assert_eq!(c.workgroup_size(), wg);
        for (shape, axis) in [
            (vec![4097], 0isize),
            (vec![33, 300], -1),
            (vec![300, 33], 0),
        ] {
            let n: usize = shape.iter().product();
            let data = random(n, wg as u64 + n as u64);
            check_every_op(&c, &data, &shape, axis, &format!("wg {wg}"));
        }
    }
    for bad in [0, 16, 48, 512] {
        let r = Context::with_options(ContextOptions {
            workgroup_size: Some(bad),
            ..Default::default()
        });
        assert!(
            matches!(r, Err(wgact::Error::InvalidParameter { .. })),
            "workgroup_size {bad}"
        );
    }
}

#[test]
fn long_strided_rows_reduce_in_blocks() {
    // At 32 threads a workgroup takes rows of up to 2^19; these rows (2^20)
    // on the last axis or strided are reduced in blocks. Given to one
    // workgroup, each thread would loop 2^16 times, past llvmpipe's cap: the
    // sums came back wrong, silently.
    let c = Context::with_options(ContextOptions {
        workgroup_size: Some(32),
        ..Default::default()
    })
    .expect("adapter");
    let len = (1 << 20) + 77;
    let data = random(3 * len, 31);
    for (shape, axis) in [
        (vec![len, 3], 0isize),
        (vec![3, len], 1),
        (vec![1, len, 3], 1),
    ] {
        let act = Activation::Softmax { axis };
        let r = verify::check(&c, &act, &data, &shape).unwrap();
        assert!(
            r.max_ulp <= verify::bound(&act, len),
            "{shape:?} axis {axis}: {} ULP",
            r.max_ulp
        );
    }
}

#[test]
fn folded_dispatches_cover_every_element() {
    // With at most 11 workgroups per dimension every op folds its dispatch
    // into y, and the kernels must rebuild the linear index exactly.
    let c = Context::with_options(ContextOptions {
        max_workgroups_per_dimension: Some(11),
        ..Default::default()
    })
    .expect("adapter");
    let data = random(30 * 1000 + 3, 29);
    for (shape, axis) in [
        (vec![30_003], 0isize),
        (vec![10_001, 3], -1),
        (vec![3, 10_001], 0),
        (vec![3, 10_001], 1),
    ] {
        check_every_op(&c, &data, &shape, axis, "folded");
    }
    // The wide elementwise kernels take 4 vec4s a thread: 120 003 elements
    // are 30 workgroups there, folded into 11 x 3.
    let wide = random(120_003, 30);
    for act in every_op(&[120_003], 0) {
        if act.kind() == wgact::Kind::Elementwise {
            let worst = verify::check(&c, &act, &wide, &[120_003]).unwrap().max_ulp;
            assert!(
                worst <= verify::bound(&act, 1),
                "folded wide: {act}: {worst} ULP"
            );
        }
    }
    // Past 11 x 11 workgroups (of 256 threads, each taking WIDE_ITEMS = 4
    // vec4s) the dispatch cannot be expressed: a typed error.
    let n = 4 * 4 * 256 * 200;
    let big = c.upload(&vec![0.0; n], &[n]).unwrap();
    assert!(matches!(
        c.sigmoid(&big),
        Err(wgact::Error::TooLarge { .. })
    ));
}

#[test]
fn many_short_rows() {
    // 70 000 rows of 2 (and the transposed layout).
    let data = random(140_000, 23);
    assert_close(&Activation::Softmax { axis: -1 }, &data, &[70_000, 2], 8);
    assert_close(&Activation::Softmax { axis: 0 }, &data, &[2, 70_000], 8);
}

#[test]
fn tensors_span_several_buffers() {
    // A 256 KiB buffer cap (64 KiB bindings): tensors of 4.5x the cap span
    // five buffers; every op, in place and chained, must match the reference.
    let c = Context::with_options(ContextOptions {
        max_buffer_size: Some(256 << 10),
        max_binding_size: Some(64 << 10),
        ..Default::default()
    })
    .expect("adapter");
    let n = (1 << 16) * 4 + (1 << 15) + 3;
    let data = random(n, 41);
    let t = c.upload(&data, &[n]).unwrap();
    assert_eq!(t.parts().count(), 5);
    assert_eq!(t.parts().map(|p| p.2).sum::<usize>(), n);
    assert_eq!(
        c.read(&t).unwrap(),
        data,
        "upload and read back across buffers"
    );
    for act in elementwise() {
        let worst = verify::check(&c, &act, &data, &[n]).unwrap().max_ulp;
        assert!(worst <= verify::bound(&act, 1), "{act}: {worst} ULP");
    }
    let mut t = c.upload(&data, &[n]).unwrap();
    c.tanh_inplace(&mut t).unwrap();
    let want = wgact::cpu::apply(&Activation::Tanh, &data, &[n]).unwrap();
    assert!(
        c.read(&t)
            .unwrap()
            .iter()
            .zip(&want)
            .all(|(g, w)| wgact::ulp::ulp_error(*w, *g) <= 4)
    );
    // Softmax: [50, 30, 201] splits between blocks of 10 outer slices, so
    // axes 1 and 2 stay within a buffer and axis 0 spans all of them (as in
    // [40, 7001]); a 1-D row and rows of [3, 100003] cross buffers mid-row.
    let cases: Vec<(Vec<usize>, isize)> = vec![
        (vec![50, 30, 201], 2),
        (vec![50, 30, 201], 1),
        (vec![50, 30, 201], 0),
        (vec![n], 0),
        (vec![3, 100_003], -1),
        (vec![40, 7001], 0),
    ];
    for (shape, axis) in cases {
        let m: usize = shape.iter().product();
        let data = random(m, 43 + m as u64);
        let len = shape[axis.rem_euclid(shape.len() as isize) as usize];
        assert!(c.upload(&data, &shape).unwrap().parts().count() > 1);
        for act in every_op(&shape, axis)
            .into_iter()
            .filter(|a| !a.is_elementwise())
        {
            check_split(&c, &act, &data, &shape, len);
        }
    }
    // A chain over split tensors, read together with one submission.
    let x = c.upload(&data, &[n]).unwrap();
    let mut chain = c.chain();
    let h = chain.apply(&Activation::Sigmoid, &x).unwrap();
    let p = chain.apply(&Activation::Softmax { axis: 0 }, &h).unwrap();
    let out = chain.read(&[&h, &p]).unwrap();
    let hw = wgact::cpu::apply(&Activation::Sigmoid, &data, &[n]).unwrap();
    let pw = wgact::cpu::apply(&Activation::Softmax { axis: 0 }, &out[0], &[n]).unwrap();
    assert!(
        out[0]
            .iter()
            .zip(&hw)
            .all(|(g, w)| wgact::ulp::ulp_error(*w, *g) <= 4)
    );
    assert!(
        out[1]
            .iter()
            .zip(&pw)
            .all(|(g, w)| wgact::ulp::ulp_error(*w, *g) <= 16)
    );
    // A caller's buffer past the cap cannot be one part: a typed error.
    let big = c.device().create_buffer(&wgact::wgpu::BufferDescriptor {
        label: None,
        size: 512 << 10,
        usage: wgact::wgpu::BufferUsages::STORAGE,
        mapped_at_creation: false,
    });
    assert!(matches!(
        c.wrap(&big, 0, &[(512 << 10) / 4]),
        Err(wgact::Error::TooLarge { .. })
    ));
}
