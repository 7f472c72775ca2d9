//! Shared test setup: one context per test binary, on the adapter chosen by
//! WGPU_BACKEND / WGPU_ADAPTER_NAME. No adapter is a hard failure, never a skip.
#![allow(dead_code)]

use std::sync::OnceLock;
use wgact::{Activation, Context};

pub fn ctx() -> &'static Context {
    static CTX: OnceLock<Context> = OnceLock::new();
    CTX.get_or_init(|| match Context::new() {
        Ok(c) => {
            eprintln!("wgact tests on: {}", c.describe());
            c
        }
        Err(e) => panic!(
            "NO GPU ADAPTER: {e}. GPU tests never skip themselves; install Mesa \
             (mesa-vulkan-drivers for lavapipe, libegl-mesa0 for llvmpipe GL) or set WGPU_BACKEND."
        ),
    })
}

/// Runs `act` on the GPU and compares with the CPU reference
/// (`verify::compare`: sparsemax within its band); asserts the error is
/// within `bound` ULP and returns the GPU result.
pub fn assert_close(act: &Activation, data: &[f32], shape: &[usize], bound: u64) -> Vec<f32> {
    let c = ctx();
    let x = c.upload(data, shape).expect("upload");
    let got = c.read(&c.apply(act, &x).expect("apply")).expect("read");
    let stats = wgact::verify::compare(act, data, shape, &got).expect("reference");
    assert!(
        stats.max_ulp <= bound,
        "{act} shape {shape:?}: {} ULP > {bound} at (input, reference, gpu) {:?}",
        stats.max_ulp,
        stats.worst
    );
    got
}

pub fn random(n: usize, seed: u64) -> Vec<f32> {
    let mut r = wgact::verify::Rng::new(seed);
    (0..n).map(|_| r.normal(3.0)).collect()
}
