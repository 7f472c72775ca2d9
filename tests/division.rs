//! The device's f32 division, which the kernels take as correctly rounded
//! where the context says so (`ContextOptions::exact_division`, on by default
//! on CPU adapters): quotients of random operands over the whole exponent
//! range the kernels divide in, normal and subnormal, against the f64
//! quotient rounded to f32. Elsewhere WGSL's 2.5 ULP is what is asserted.
//! And the other path, the corrected division every quotient takes where
//! division is not trusted, forced on this adapter: every op within bounds.

mod common;
use common::{ctx, encode_kernel};
use wgact::ulp::ulp_error;
use wgact::{Context, ContextOptions, verify, wgpu};

const SHADER: &str = "
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> q: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
    if (g.x < arrayLength(&q)) {
        q[g.x] = a[g.x] / b[g.x];
    }
}
";

fn bind(t: &wgact::Tensor) -> wgpu::BufferBinding<'_> {
    wgpu::BufferBinding {
        buffer: t.buffer(),
        offset: t.offset(),
        size: wgpu::BufferSize::new(t.byte_len()),
    }
}

fn divide(c: &Context, a: &[f32], b: &[f32]) -> Vec<f32> {
    let ta = c.upload(a, &[a.len()]).unwrap();
    let tb = c.upload(b, &[b.len()]).unwrap();
    let tq = c.zeros(&[a.len()]).unwrap();
    let mut enc = c.device().create_command_encoder(&Default::default());
    encode_kernel(
        c,
        &mut enc,
        SHADER,
        &[&ta, &tb, &tq].map(|t| wgpu::BindingResource::Buffer(bind(t))),
        a.len().div_ceil(64) as u32,
    );
    c.queue().submit([enc.finish()]);
    c.read(&tq).unwrap()
}

#[test]
fn division_is_correctly_rounded_where_the_kernels_assume_it() {
    let c = ctx();
    let mut rng = verify::Rng::new(0xd1d);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for i in 0..(1 << 16) {
        // Numerators from 2^-149 (subnormal) to 2^100, denominators from
        // 2^-20 to 2^40, both signs: quotients normal and subnormal.
        let m = 1.0 + rng.uniform(0.0, 1.0);
        let ea = i % 250 - 149;
        let eb = i * 7 % 61 - 20;
        let x = (m * 2f32.powi(ea.max(-126))) * 2f32.powi((ea + 126).min(0));
        let y = (1.0 + rng.uniform(0.0, 1.0)) * 2f32.powi(eb);
        a.push(if i % 3 == 0 { -x } else { x });
        b.push(if i % 5 == 0 { -y } else { y });
    }
    // Quotients near 1 and of the forms the kernels divide most: 1 / (1 + e).
    for i in 0..4096 {
        let e = rng.uniform(0.0, 1.0);
        a.push(if i % 2 == 0 { 1.0 } else { e });
        b.push(1.0 + e);
    }
    let got = divide(c, &a, &b);
    let worst = a
        .iter()
        .zip(&b)
        .zip(&got)
        .map(|((x, y), q)| {
            (
                ulp_error(((*x as f64) / (*y as f64)) as f32, *q),
                *x,
                *y,
                *q,
            )
        })
        .max_by_key(|w| w.0)
        .unwrap();
    let bound = if c.exact_division() { 0 } else { 3 };
    eprintln!(
        "{}: exact_division {}, worst {} ULP at {} / {} = {}",
        c.describe(),
        c.exact_division(),
        worst.0,
        worst.1,
        worst.2,
        worst.3
    );
    assert!(
        worst.0 <= bound,
        "division off by {} ULP (bound {bound}) at {} / {} = {}",
        worst.0,
        worst.1,
        worst.2,
        worst.3
    );
}

#[test]
fn corrected_division_keeps_every_op_within_bounds() {
    let c = Context::with_options(ContextOptions {
        exact_division: Some(false),
        ..Default::default()
    })
    .expect("adapter");
    assert!(!c.exact_division());
    let reports = verify::run(&c, 5_000, true).expect("sweep runs");
    for r in &reports {
        assert!(
            r.passed(),
            "{} with corrected division: {} ULP > {} at {:?}",
            r.name,
            r.stats.max_ulp,
            r.bound,
            r.stats.worst
        );
    }
}
