//! Shared test setup: one context per test binary, on the adapter chosen by
//! WGPU_BACKEND / WGPU_ADAPTER_NAME. No adapter is a hard failure, never a skip.
#![allow(dead_code)]

use std::sync::OnceLock;
use wgact::{Activation, Context, wgpu};

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

/// Records a hand-written kernel into `enc`, as a caller's own pass would:
/// entry point `main`, layout from the shader, `resources` at bindings
/// 0, 1, ..., `groups` workgroups.
pub fn encode_kernel(
    c: &Context,
    enc: &mut wgpu::CommandEncoder,
    wgsl: &str,
    resources: &[wgpu::BindingResource],
    groups: u32,
) {
    let d = c.device();
    let module = d.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some("test kernel"),
        source: wgpu::ShaderSource::Wgsl(wgsl.into()),
    });
    let pipeline = d.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some("test kernel"),
        layout: None,
        module: &module,
        entry_point: Some("main"),
        compilation_options: Default::default(),
        cache: None,
    });
    let entries: Vec<wgpu::BindGroupEntry> = resources
        .iter()
        .enumerate()
        .map(|(i, r)| wgpu::BindGroupEntry {
            binding: i as u32,
            resource: r.clone(),
        })
        .collect();
    let group = d.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some("test kernel"),
        layout: &pipeline.get_bind_group_layout(0),
        entries: &entries,
    });
    let mut pass = enc.begin_compute_pass(&Default::default());
    pass.set_pipeline(&pipeline);
    pass.set_bind_group(0, &group, &[]);
    pass.dispatch_workgroups(groups, 1, 1);
}
