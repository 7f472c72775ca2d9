//! Real sizes: a tensor past the device's storage-binding limit and a
//! 2^26-element softmax row, against the CPU reference. One test, run in
//! sequence: on wgpu's GL backend a submission this large holds the context
//! lock for seconds, and a second thread waiting on it would give up.

mod common;
use common::{ctx, random};
use wgact::{Activation, verify};

#[test]
fn large_tensors() {
    tensor_past_the_binding_limit();
    softmax_rows_of_2_pow_24_and_2_pow_26();
}

fn tensor_past_the_binding_limit() {
    let c = ctx();
    // More than 2^25 elements and more than the binding limit (128 MiB on lavapipe).
    let n =
        ((c.limits().max_storage_buffer_binding_size / 4) as usize + 1000).max((1 << 25) + 1000);
    let data = random(n, 41);
    for act in [
        Activation::Sigmoid,
        Activation::from(wgact::Relu::new().alpha(0.1)),
    ] {
        let s = verify::check(c, &act, &data, &[n]).unwrap();
        assert!(
            s.max_ulp <= verify::bound(&act, 1),
            "{act}: {} ULP",
            s.max_ulp
        );
    }
    let act = Activation::Softmax { axis: -1 };
    let s = verify::check(c, &act, &data[..n / 1000 * 1000], &[n / 1000, 1000]).unwrap();
    assert!(s.max_ulp <= 8, "softmax: {} ULP", s.max_ulp);
}

fn softmax_rows_of_2_pow_24_and_2_pow_26() {
    let c = ctx();
    for n in [1usize << 24, 1 << 26] {
        let data = random(n, n as u64);
        let x = c.upload(&data, &[n]).unwrap();
        let got = c.read(&c.softmax(&x, -1).unwrap()).unwrap();
        let sum: f64 = got.iter().map(|&v| v as f64).sum();
        assert!((sum - 1.0).abs() < 1e-6, "row of {n}: sum {sum}");
        let want =
            wgact::cpu::apply(&wgact::Activation::Softmax { axis: -1 }, &data, &[n]).unwrap();
        let worst = got
            .iter()
            .zip(&want)
            .map(|(g, w)| wgact::ulp::ulp_error(*w, *g))
            .max()
            .unwrap();
        assert!(worst <= 16, "row of {n}: {worst} ULP");
    }
}
