//! A long run on one `Context`: mixed calls — every op of the table, random
//! sizes (log-uniform up to 2^max_log2 elements), chains, wrapped buffers,
//! textures, async readback, in place — with the host's resident memory and
//! wgpu's count of live buffers, bytes and bind groups sampled every
//! `every` calls. Every result of a sampled call is checked against the CPU
//! reference. After warm-up both series should stay flat.
//!
//! `cargo run --release --example soak -- [calls] [max_log2] [every]`
//! (default 100 000 calls, sizes to 2^22, a sample every 10 000).

use wgact::{Activation, Context, Op, verify};

pub struct Sample {
    pub calls: usize,
    pub rss_mib: f64,
    pub live: wgact::LiveResources,
    /// wgact's own ledger ([`Context::memory_in_use`]), in bytes.
    pub wgact_bytes: u64,
}

/// Resident set size of this process, in MiB (Linux; 0 elsewhere).
fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map_or(0.0, |pages| pages * 4096.0 / (1 << 20) as f64)
}

pub fn run(
    ctx: &Context,
    calls: usize,
    max_log2: u32,
    every: usize,
    on_sample: &mut dyn FnMut(&Sample),
) -> wgact::Result<Vec<Sample>> {
    let mut rng = verify::Rng::new(0x50a4);
    let acts: Vec<Activation> = Op::ALL.iter().map(|&op| verify::sample(op)).collect();
    let mut samples = Vec::new();
    // One pool of inputs, sliced per call (drawing normals per element would
    // cost more than the GPU work).
    let pool: Vec<f32> = (0..1usize << max_log2).map(|_| rng.normal(3.0)).collect();
    let tex = ctx
        .device()
        .create_texture(&wgact::wgpu::TextureDescriptor {
            label: Some("soak"),
            size: wgact::wgpu::Extent3d {
                width: 64,
                height: 16,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgact::wgpu::TextureDimension::D2,
            format: wgact::wgpu::TextureFormat::Rgba32Float,
            usage: wgact::wgpu::TextureUsages::STORAGE_BINDING
                | wgact::wgpu::TextureUsages::TEXTURE_BINDING
                | wgact::wgpu::TextureUsages::COPY_SRC
                | wgact::wgpu::TextureUsages::COPY_DST,
            view_formats: &[],
        });
    for call in 1..=calls {
        // Log-uniform size, rows of 64 so that axis ops and glu take it.
        let n = ((2f64).powf(rng.unit() * max_log2 as f64) as usize).max(64) / 64 * 64;
        let shape = [n / 64, 64];
        let off = (rng.next_u64() as usize) % (pool.len() - n + 1);
        let data = pool[off..off + n].to_vec();
        let act = acts[(rng.next_u64() % acts.len() as u64) as usize];
        let check = call % every == 0 || call <= 8;
        let got = match rng.next_u64() % 6 {
            0 => {
                // A chain of two ops, one readback.
                let x = ctx.upload(&data, &shape)?;
                let mut chain = ctx.chain();
                let h = chain.apply(&Activation::Tanh, &x)?;
                let y = chain.apply(&act, &h)?;
                let mut outs = chain.read(&[&h, &y])?;
                let out = outs.pop().unwrap_or_default();
                let mid = outs.pop().unwrap_or_default();
                if check {
                    // The second op against the reference on the first's
                    // GPU result (the ops' own errors do not compound).
                    let s = verify::compare(&act, &mid, &shape, &out)?;
                    assert!(s.max_ulp <= verify::bound(&act, 64), "{act}: {}", s.max_ulp);
                }
                None
            }
            1 if act.kind() != wgact::Kind::Halves => {
                // In place on a wrapped caller buffer.
                let buf = ctx.device().create_buffer(&wgact::wgpu::BufferDescriptor {
                    label: Some("soak wrap"),
                    size: n as u64 * 4,
                    usage: wgact::wgpu::BufferUsages::STORAGE
                        | wgact::wgpu::BufferUsages::COPY_SRC
                        | wgact::wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                });
                ctx.queue().write_buffer(&buf, 0, bytemuck_bytes(&data));
                let mut t = ctx.wrap(&buf, 0, &shape)?;
                ctx.apply_inplace(&act, &mut t)?;
                Some(ctx.read(&t)?)
            }
            2 => {
                let x = ctx.upload(&data, &shape)?;
                let y = ctx.apply(&act, &x)?;
                Some(pollster::block_on(ctx.read_async(&y))?)
            }
            3 if act.is_elementwise() && n >= 256 => {
                // Rows of 64 rgba32float texels (256 floats each).
                let rows = (n / 256).min(16);
                ctx.queue().write_texture(
                    tex.as_image_copy(),
                    bytemuck_bytes(&data[..rows * 256]),
                    wgact::wgpu::TexelCopyBufferLayout {
                        offset: 0,
                        bytes_per_row: Some(64 * 16),
                        rows_per_image: None,
                    },
                    wgact::wgpu::Extent3d {
                        width: 64,
                        height: rows as u32,
                        depth_or_array_layers: 1,
                    },
                );
                ctx.apply_texture(&act, &tex, None, false)?;
                None
            }
            _ => {
                let x = ctx.upload(&data, &shape)?;
                Some(ctx.read(&ctx.apply(&act, &x)?)?)
            }
        };
        if let (Some(got), true) = (got, check) {
            let s = verify::compare(&act, &data, &shape, &got)?;
            assert!(
                s.max_ulp <= verify::bound(&act, 64),
                "{act}: {} ULP",
                s.max_ulp
            );
        }
        if call % every == 0 {
            ctx.device()
                .poll(wgact::wgpu::PollType::wait_indefinitely())
                .ok();
            let sample = Sample {
                calls: call,
                rss_mib: rss_mib(),
                live: ctx.live_resources(),
                wgact_bytes: ctx.memory_in_use(),
            };
            on_sample(&sample);
            samples.push(sample);
        }
    }
    Ok(samples)
}

fn bytemuck_bytes(x: &[f32]) -> &[u8] {
    bytemuck::cast_slice(x)
}

/// One line of the series, as soon as it is sampled.
fn print_sample(s: &Sample, start: std::time::Instant) {
    println!(
        "{:>8} {:>9.1} {:>8} {:>12.1} {:>11} {:>11.1} {:>6.0}",
        s.calls,
        s.rss_mib,
        s.live.buffers,
        s.live.buffer_bytes as f64 / (1 << 20) as f64,
        s.live.bind_groups,
        s.wgact_bytes as f64 / (1 << 20) as f64,
        start.elapsed().as_secs_f64()
    );
}

#[allow(dead_code)]
fn main() -> wgact::Result<()> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let calls = args.first().copied().unwrap_or(100_000);
    let max_log2 = args.get(1).copied().unwrap_or(22) as u32;
    let every = args.get(2).copied().unwrap_or(10_000);
    let ctx = Context::new()?;
    println!("adapter: {}", ctx.describe());
    let t = std::time::Instant::now();
    println!(
        "{:>8} {:>9} {:>8} {:>12} {:>11} {:>11} {:>6}",
        "calls", "RSS MiB", "buffers", "buffer MiB", "bind groups", "wgact MiB", "s"
    );
    run(&ctx, calls, max_log2, every, &mut |s| print_sample(s, t))?;
    println!("{calls} calls in {:.0} s", t.elapsed().as_secs_f64());
    Ok(())
}
