//! Kernel-shape probe: vec4 copy kernels of different shapes at 2^24 f32
//! elements on the adapter `WGPU_BACKEND` picks, wall time per dispatch +
//! wait (median, `wgact_peers::medians`). Finds what separates wgact's elementwise kernel
//! from burn's on CPU adapters.
use wgact::Context;
use wgact_peers::{Probe, median_ms, uniform};

const HEAD: &str = "
struct P { len: u32, a: u32, b: u32, c: u32 }
@group(0) @binding(0) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4<f32>>;
@group(0) @binding(2) var<uniform> params: P;
";

fn main() {
    let ctx = Context::new().unwrap();
    let n = 1usize << 24;
    let data: Vec<f32> = (0..n).map(|i| (i as f32).sin()).collect();
    let x = ctx.upload(&data, &[n]).unwrap();
    let y = ctx.empty(&[n]).unwrap();
    let vecs = (n / 4) as u32;
    let ubuf = uniform(&ctx, bytemuck::cast_slice(&[vecs, 0, 0, 0]));
    // (name, workgroup size, elements (vec4s) per invocation, body)
    let strided = |per: u32| {
        format!(
            "let t = (wid.x + wid.y * nwg.x) * WG * {per}u + lidx;\n for (var k = 0u; k < {per}u; k++) {{ let i = t + k * WG; if (i < params.len) {{ dst[i] = src[i]; }} }}"
        )
    };
    let variants: Vec<(String, u32, u32, String)> = vec![
        ("gid 1d, wg256".into(), 256, 1, "let i = gid.x + gid.y * nwg.x * WG;\n if (i < params.len) { dst[i] = src[i]; }".into()),
        ("strided 2, wg256".into(), 256, 2, strided(2)),
        ("strided 4, wg256".into(), 256, 4, strided(4)),
        ("strided 8, wg256".into(), 256, 8, strided(8)),
        ("strided 16, wg256".into(), 256, 16, strided(16)),
        ("strided 4, wg64".into(), 64, 4, strided(4)),
        ("strided 16, wg64".into(), 64, 16, strided(16)),
        ("strided 8, wg128".into(), 128, 8, strided(8)),
        ("uniform chunk 64, wg1".into(), 1, 64, "let t = (wid.x + wid.y * nwg.x) * 64u;\n for (var k = 0u; k < 64u; k++) { let i = t + k; if (i < params.len) { dst[i] = src[i]; } }".into()),
        ("uniform chunk 256, wg1".into(), 1, 256, "let t = (wid.x + wid.y * nwg.x) * 256u;\n for (var k = 0u; k < 256u; k++) { let i = t + k; if (i < params.len) { dst[i] = src[i]; } }".into()),
        ("adjacent 4, wg256".into(), 256, 4, "let t = ((wid.x + wid.y * nwg.x) * WG + lidx) * 4u;\n for (var k = 0u; k < 4u; k++) { let i = t + k; if (i < params.len) { dst[i] = src[i]; } }".into()),
    ];
    for (name, wg, per, body) in variants {
        let src = format!(
            "{HEAD}\nconst WG: u32 = {wg}u;\n@compute @workgroup_size({wg})\nfn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {{\n{body}\n}}\n"
        );
        let probe = Probe::new(&ctx, &src, &[], &[x.buffer(), y.buffer(), &ubuf]);
        let groups = (vecs / per).div_ceil(wg);
        let t = median_ms(|| probe.run(&ctx, groups));
        let got = ctx.read(&y).unwrap();
        let ok = got
            .iter()
            .zip(&data)
            .all(|(a, b)| a == b || (name.starts_with("relu") && *a == b.max(0.0)));
        println!(
            "{name:<28} {t:7.2} ms  {:5.2} GB/s  {}",
            8.0 * n as f64 / t / 1e6,
            if ok { "ok" } else { "WRONG" }
        );
        let z = vec![0f32; n];
        ctx.queue()
            .write_buffer(y.buffer(), 0, bytemuck::cast_slice(&z));
    }
}
