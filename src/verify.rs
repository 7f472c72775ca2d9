//! The accuracy sweep: the inputs every op is held to, the bounds, and the
//! comparison against the CPU reference. `wgact verify` and the test suite
//! both run it.

use crate::ulp::{is_flush, ulp_error};
use crate::{Activation, Context, Relu, Result, cpu};

/// Documented bound, in ULPs, for `act` on rows of length `row_len`
/// (`row_len` matters for softmax only).
pub fn bound(act: &Activation, row_len: usize) -> u64 {
    match act {
        Activation::Relu(_) => 1,
        Activation::Sigmoid | Activation::Tanh => 4,
        Activation::Softmax { .. } if row_len <= 1024 => 8,
        Activation::Softmax { .. } => 16,
    }
}

/// A small deterministic generator (SplitMix64), so sweeps are repeatable.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f32, hi: f32) -> f32 {
        (lo as f64 + (hi as f64 - lo as f64) * self.unit()) as f32
    }
    /// Normal with mean 0 and standard deviation `sd` (Box–Muller).
    pub fn normal(&mut self, sd: f32) -> f32 {
        let u1 = 1.0 - self.unit();
        let u2 = self.unit();
        ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos() * sd as f64) as f32
    }
    /// A random finite f32, uniform over bit patterns.
    pub fn finite_bits(&mut self) -> f32 {
        loop {
            let x = f32::from_bits(self.next_u64() as u32);
            if x.is_finite() {
                return x;
            }
        }
    }
}

/// `x` and its `k` neighbours on each side.
fn around(x: f32, k: u32) -> impl Iterator<Item = f32> {
    let b = x.to_bits() as i64;
    (-(k as i64)..=k as i64).map(move |d| f32::from_bits((b + d) as u32))
}

/// The special and boundary values every op is tested at.
pub fn special_values() -> Vec<f32> {
    let mut v = vec![
        0.0,
        -0.0,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        -f32::NAN,
        f32::from_bits(0x7f80_0001), // signalling-NaN pattern
        f32::MAX,
        -f32::MAX,
        f32::MIN_POSITIVE,
        -f32::MIN_POSITIVE,
        1e-8,
        -1e-8,
        1e30,
        -1e30,
        1e4,
        -1e4,
        0.5,
        -0.5,
        1.0,
        -1.0,
        2.0,
        -2.0,
    ];
    // Subnormals: smallest, largest and a few between.
    for b in [1u32, 2, 3, 1000, 0x0040_0000, 0x007f_ffff] {
        v.push(f32::from_bits(b));
        v.push(-f32::from_bits(b));
    }
    // Branch and saturation boundaries of the kernels, and the ranges where
    // exp underflows (about -87.3 to -103.9) and overflows (88.72).
    for c in [
        2f32.powi(-12),
        0.35,
        9.1,
        88.72283,
        87.33654,
        103.97208,
        104.0,
        17.0,
        16.6355,
    ] {
        v.extend(around(c, 2));
        v.extend(around(-c, 2));
    }
    for i in 0..=400 {
        let x = 86.0 + i as f32 * 0.01; // 86 .. 90
        v.extend([x, -x]);
        let y = 8.5 + i as f32 * 0.0025; // 8.5 .. 9.5, tanh saturation
        v.extend([y, -y]);
    }
    v
}

/// Special values plus `n` random values from each of N(0, 3), U(-20, 20)
/// and uniformly random finite bit patterns.
pub fn sweep_inputs(seed: u64, n: usize) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    let mut v = special_values();
    v.extend((0..n).map(|_| rng.normal(3.0)));
    v.extend((0..n).map(|_| rng.uniform(-20.0, 20.0)));
    v.extend((0..n).map(|_| rng.finite_bits()));
    v
}

/// Relu parameter sets of the sweep.
pub fn relu_params() -> Vec<Relu> {
    vec![
        Relu::new(),
        Relu::new().negative_slope(0.1),
        Relu::new().negative_slope(2.0).threshold(3.5),
        Relu::new().max_value(6.0),
        Relu::new().max_value(0.0),
        Relu::new().threshold(-1.0),
        Relu::new().threshold(1.5).max_value(4.0),
        Relu::new()
            .negative_slope(0.2)
            .threshold(0.5)
            .max_value(1.0),
        Relu::new()
            .negative_slope(-0.5)
            .threshold(2.0)
            .max_value(3.0),
        Relu::new().negative_slope(1e-3).threshold(-1e30),
        Relu::new().negative_slope(3.0).threshold(3e38),
    ]
}

/// How one comparison went.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Elements compared.
    pub count: usize,
    /// Largest ULP error.
    pub max_ulp: u64,
    /// (input, reference, got) at the largest error.
    pub worst: Option<(f32, f32, f32)>,
    /// Subnormal results that came back as ±0.
    pub flushed: usize,
}

impl Stats {
    /// Adds a comparison of `got` against `reference` for inputs `input`.
    pub fn add(&mut self, input: &[f32], reference: &[f32], got: &[f32]) {
        for ((&x, &r), &g) in input.iter().zip(reference).zip(got) {
            let e = ulp_error(r, g);
            self.count += 1;
            self.flushed += is_flush(r, g) as usize;
            if e > self.max_ulp || self.worst.is_none() {
                self.max_ulp = self.max_ulp.max(e);
                self.worst = Some((x, r, g));
            }
        }
    }
    /// Merges another comparison.
    pub fn merge(&mut self, o: &Stats) {
        self.count += o.count;
        self.flushed += o.flushed;
        if o.max_ulp > self.max_ulp || self.worst.is_none() {
            self.max_ulp = o.max_ulp;
            self.worst = o.worst;
        }
    }
}

/// One row of the accuracy table.
#[derive(Clone, Debug)]
pub struct Report {
    pub name: String,
    pub bound: u64,
    pub stats: Stats,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.stats.max_ulp <= self.bound
    }
}

/// Runs `act` on the GPU over a tensor and compares with the CPU reference.
pub fn check(ctx: &Context, act: &Activation, data: &[f32], shape: &[usize]) -> Result<Stats> {
    let x = ctx.upload(data, shape)?;
    let got = ctx.read(&ctx.apply(act, &x)?)?;
    let want = cpu::apply(act, data, shape)?;
    let mut s = Stats::default();
    s.add(data, &want, &got);
    Ok(s)
}

/// Softmax rows of the sweep: (name, row length, data) for several
/// distributions and lengths; each becomes a [rows, len] tensor.
pub fn softmax_cases(seed: u64, long_rows: bool) -> Vec<(String, usize, Vec<f32>)> {
    let mut rng = Rng::new(seed);
    let mut cases = Vec::new();
    let mut lens = vec![1usize, 2, 3, 7, 64, 255, 256, 257, 1000, 1024];
    if long_rows {
        lens.extend([4097, 100_000, 1_000_000]);
    }
    for &len in &lens {
        let rows = (4096 / len).clamp(1, 8);
        let n = rows * len;
        cases.push((
            format!("N(0,3) len {len}"),
            len,
            (0..n).map(|_| rng.normal(3.0)).collect(),
        ));
        cases.push((
            format!("U(-20,20) len {len}"),
            len,
            (0..n).map(|_| rng.uniform(-20.0, 20.0)).collect(),
        ));
        if len <= 4097 {
            cases.push((
                format!("N(0,100) len {len}"),
                len,
                (0..n).map(|_| rng.normal(100.0)).collect(),
            ));
            cases.push((
                format!("bits len {len}"),
                len,
                (0..n).map(|_| rng.finite_bits()).collect(),
            ));
            cases.push((
                format!("1e30+N len {len}"),
                len,
                (0..n).map(|_| 1e30 + rng.normal(1e24)).collect(),
            ));
            let mut s: Vec<f32> = (0..n)
                .map(|i| -5.0 + 10.0 * (i % len) as f32 / len as f32)
                .collect();
            s.iter_mut().for_each(|v| *v *= 3.0);
            cases.push((format!("ramp len {len}"), len, s));
        }
    }
    // Special rows, each padded to length 4.
    let (inf, nan, max) = (f32::INFINITY, f32::NAN, f32::MAX);
    let special: Vec<[f32; 4]> = vec![
        [1.5, 4.4, 2.0, -inf],
        [-inf, -inf, -inf, -inf],
        [nan, 0.0, 1.0, 2.0],
        [inf, 0.0, 1.0, 2.0],
        [inf, -inf, 0.0, 0.0],
        [max, max, 0.0, -max],
        [-max, -max, -max, -max],
        [1e30, 1e30, 0.0, -1e30],
        [f32::from_bits(1), -f32::from_bits(1), 0.0, -0.0],
        [88.0, -88.0, 0.0, 20.0],
        [-inf, 3.0, -inf, -inf],
    ];
    cases.push(("special rows".to_string(), 4, special.concat()));
    cases
}

/// The whole sweep on `ctx`: one report per op (softmax split by row length).
/// `n` random inputs per distribution; `long_rows` adds softmax rows past 1024.
pub fn run(ctx: &Context, n: usize, long_rows: bool) -> Result<Vec<Report>> {
    let inputs = sweep_inputs(0x5eed, n);
    let mut reports = Vec::new();
    for act in [Activation::Sigmoid, Activation::Tanh] {
        reports.push(Report {
            name: act.name().to_string(),
            bound: bound(&act, 1),
            stats: check(ctx, &act, &inputs, &[inputs.len()])?,
        });
    }
    let mut relu = Stats::default();
    for p in relu_params() {
        let mut data = inputs.clone();
        data.extend(around(p.threshold, 2));
        if let Some(m) = p.max_value {
            data.extend(around(m, 2));
        }
        relu.merge(&check(ctx, &Activation::Relu(p), &data, &[data.len()])?);
    }
    reports.push(Report {
        name: "relu".to_string(),
        bound: 1,
        stats: relu,
    });
    let act = Activation::Softmax { axis: -1 };
    let (mut short, mut long) = (Stats::default(), Stats::default());
    for (_, len, data) in softmax_cases(0xfeed, long_rows) {
        let s = check(ctx, &act, &data, &[data.len() / len, len])?;
        if len <= 1024 {
            short.merge(&s)
        } else {
            long.merge(&s)
        }
    }
    reports.push(Report {
        name: "softmax (rows <= 1024)".to_string(),
        bound: 8,
        stats: short,
    });
    if long_rows {
        reports.push(Report {
            name: "softmax (rows <= 10^6)".to_string(),
            bound: 16,
            stats: long,
        });
    }
    Ok(reports)
}
