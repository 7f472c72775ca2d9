//! The accuracy sweep: the inputs every op is held to, the bounds, and the
//! comparison against the CPU reference. `wgact verify` and the test suite
//! both run it.

use crate::activation::{Kind, ParamKind, Reduce, Value};
use crate::ulp::is_flush;
use crate::{Activation, Context, DType, Op, Result, cpu};

/// The bound, in units in the last place of the dtype, of every op on f16
/// and bf16 tensors: the f32 result (within a few f32 ULPs) rounded once can
/// land one 16-bit step from the correctly rounded value next to a tie.
pub const HALF_BOUND: u64 = 1;

/// Documented bound, in ULPs, for `act` on rows of length `row_len`
/// (`row_len` matters for axis ops only), from the op table.
pub fn bound(act: &Activation, row_len: usize) -> u64 {
    act.info().bound.at(row_len)
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

/// Values tried for each float parameter (those its check accepts).
const PARAM_VALUES: [f32; 16] = [
    0.0, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.5, 6.0, -0.5, -1.0, -2.0, 1e-3, 1e-30, 3e38, -1e30,
];

/// The parameter sets of the sweep for `op`, from its table entry: the
/// defaults (required parameters take the first accepted value), each
/// parameter varied alone over `PARAM_VALUES` (flags both ways, optional
/// ones unset too), and random combinations for ops with several.
pub fn param_sets(op: Op) -> Vec<Activation> {
    let info = op.info();
    let choices: Vec<Vec<Value>> = info
        .params
        .iter()
        .map(|p| match p.kind {
            ParamKind::Float => PARAM_VALUES
                .iter()
                .filter(|&&v| p.check.reason(v).is_none())
                .map(|&v| Value::Float(v))
                .collect(),
            ParamKind::OptionalFloat => std::iter::once(Value::OptionalFloat(None))
                .chain(
                    PARAM_VALUES
                        .iter()
                        .filter(|&&v| p.check.reason(v).is_none())
                        .map(|&v| Value::OptionalFloat(Some(v))),
                )
                .collect(),
            ParamKind::Flag => vec![Value::Flag(false), Value::Flag(true)],
            ParamKind::Axis => vec![p.default.unwrap_or(Value::Axis(-1))],
        })
        .collect();
    let base: Vec<Value> = info
        .params
        .iter()
        .zip(&choices)
        .map(|(p, c)| p.default.unwrap_or(c[0]))
        .collect();
    let mut sets = vec![base.clone()];
    for (i, c) in choices.iter().enumerate() {
        for &v in c {
            let mut s = base.clone();
            s[i] = v;
            sets.push(s);
        }
    }
    if info.params.len() > 1 {
        let mut rng = Rng::new(info.name.len() as u64 * 7919);
        for _ in 0..12 {
            sets.push(
                choices
                    .iter()
                    .map(|c| c[(rng.next_u64() % c.len() as u64) as usize])
                    .collect(),
            );
        }
    }
    sets.dedup();
    sets.iter()
        .filter_map(|s| op.with_values(s).ok())
        .filter(|a| a.validate().is_ok())
        .collect()
}

/// An activation of `op` to measure or demonstrate: its default parameters
/// (required ones take the first value [`param_sets`] tries).
pub fn sample(op: Op) -> Activation {
    param_sets(op)
        .into_iter()
        .next()
        .expect("every op has a valid parameter set")
}

/// The inputs an elementwise `act` is held to: the sweep, plus the
/// neighbourhoods of its kinks and of its parameter values.
pub fn inputs_for(act: &Activation, sweep: &[f32]) -> Vec<f32> {
    let mut data = sweep.to_vec();
    for &k in act.info().kinks {
        data.extend(around(k, 2));
    }
    for v in act.values() {
        if let Value::Float(p) | Value::OptionalFloat(Some(p)) = v {
            if p.is_finite() {
                data.extend(around(p, 2));
                data.extend(around(-p, 2));
            }
        }
    }
    data
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
        self.add_in(DType::F32, input, reference, got)
    }
    /// [`Stats::add`] in units of `dtype` ([`DType::ulp_error`]), the
    /// reference rounded to it.
    pub fn add_in(&mut self, dtype: DType, input: &[f32], reference: &[f32], got: &[f32]) {
        for ((&x, &r), &g) in input.iter().zip(reference).zip(got) {
            let r = dtype.round(r);
            let e = dtype.ulp_error(r, g);
            self.count += 1;
            self.flushed += is_flush(r, g) as usize;
            if e > self.max_ulp || self.worst.is_none() {
                self.max_ulp = self.max_ulp.max(e);
                self.worst = Some((x, r, g));
            }
        }
    }
    /// As [`Stats::add`], but an error within `band` (absolute) counts as 0
    /// ULP: sparsemax, where x - tau cancels.
    pub fn add_banded(&mut self, input: &[f32], reference: &[f32], got: &[f32], band: &[f32]) {
        self.add_banded_in(DType::F32, input, reference, got, band)
    }
    /// [`Stats::add_banded`] in units of `dtype`: the band widened by the
    /// rounding of the result to it.
    pub fn add_banded_in(
        &mut self,
        dtype: DType,
        input: &[f32],
        reference: &[f32],
        got: &[f32],
        band: &[f32],
    ) {
        for (((&x, &r), &g), &b) in input.iter().zip(reference).zip(got).zip(band) {
            let rounding = (dtype.round(r) - r).abs();
            let e = if (g - r).abs() <= b + 2.0 * rounding {
                0
            } else {
                dtype.ulp_error(dtype.round(r), g)
            };
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

/// Runs `act` on the GPU over a tensor and compares with the CPU reference
/// (sparsemax with its band, see [`simplex_band`]).
pub fn check(ctx: &Context, act: &Activation, data: &[f32], shape: &[usize]) -> Result<Stats> {
    compare(act, data, shape, &gpu(ctx, act, data, shape)?)
}

/// `act` on the GPU: upload, apply, read back.
pub fn gpu(ctx: &Context, act: &Activation, data: &[f32], shape: &[usize]) -> Result<Vec<f32>> {
    let x = ctx.upload(data, shape)?;
    ctx.read(&ctx.apply(act, &x)?)
}

/// Compares `got`, the result of `act` on `data`, with the CPU reference.
pub fn compare(act: &Activation, data: &[f32], shape: &[usize], got: &[f32]) -> Result<Stats> {
    compare_in(DType::F32, act, data, shape, got)
}

/// [`compare`] for a result of `dtype`: the reference (correctly rounded to
/// f32) rounded to `dtype`, errors in its units.
pub fn compare_in(
    dtype: DType,
    act: &Activation,
    data: &[f32],
    shape: &[usize],
    got: &[f32],
) -> Result<Stats> {
    let want = cpu::apply(act, data, shape)?;
    if got.len() != want.len() {
        return Err(crate::Error::ShapeMismatch {
            shape: act.output_shape(shape)?,
            expected: want.len(),
            got: got.len(),
        });
    }
    let mut s = Stats::default();
    match act.kind() {
        Kind::Axis(Reduce::Simplex) => {
            let band = simplex_band(data, shape, act.axis().unwrap_or(-1))?;
            s.add_banded_in(dtype, data, &want, got, &band);
        }
        Kind::Halves => {
            // Report the b half's value as the input (it drives the result).
            let (outer, len, inner) = crate::shape::split_at_axis(shape, act.axis().unwrap_or(-1))?;
            let half = len / 2 * inner;
            let bs: Vec<f32> = (0..outer)
                .flat_map(|o| {
                    data[o * 2 * half + half..(o + 1) * 2 * half]
                        .iter()
                        .copied()
                })
                .collect();
            s.add_in(dtype, &bs, &want, got);
        }
        Kind::Elementwise | Kind::Axis(Reduce::MaxSumExp { .. }) => {
            s.add_in(dtype, data, &want, got)
        }
    }
    Ok(s)
}

/// sparsemax's accepted absolute error per element, where x - tau cancels:
/// 2^-22 times the largest finite |x| of the element's row.
pub fn simplex_band(data: &[f32], shape: &[usize], axis: isize) -> Result<Vec<f32>> {
    let (outer, len, inner) = crate::shape::split_at_axis(shape, axis)?;
    let mut band = vec![0.0f32; data.len()];
    for o in 0..outer {
        for i in 0..inner {
            let idx = |k: usize| o * len * inner + k * inner + i;
            let m = (0..len)
                .map(|k| data[idx(k)])
                .filter(|v| v.is_finite())
                .fold(0.0f32, |a, v| a.max(v.abs()));
            for k in 0..len {
                band[idx(k)] = m * 2f32.powi(-22);
            }
        }
    }
    Ok(band)
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

/// glu's sweep: [2, n] tensors split on axis 0, pairing every input with
/// others (the sweep against itself reversed and rotated, and every special
/// value against every other).
pub fn halves_cases(sweep: &[f32]) -> Vec<Vec<f32>> {
    let n = sweep.len();
    let mut rev = sweep.to_vec();
    rev.reverse();
    let rot: Vec<f32> = (0..n).map(|i| sweep[(i + n / 3) % n]).collect();
    let sp = special_values();
    let (a, b): (Vec<f32>, Vec<f32>) = sp
        .iter()
        .flat_map(|&a| sp.iter().step_by(7).map(move |&b| (a, b)))
        .unzip();
    vec![
        [sweep, &rev[..]].concat(),
        [sweep, &rot[..]].concat(),
        [&a[..], &b[..]].concat(),
    ]
}

/// The whole sweep on `ctx` for `ops`: one report per op (axis ops split by
/// row length). `n` random inputs per distribution; `long_rows` adds rows
/// past 1024.
pub fn run_ops(ctx: &Context, ops: &[Op], n: usize, long_rows: bool) -> Result<Vec<Report>> {
    run_ops_in(ctx, ops, n, long_rows, DType::F32)
}

/// [`run_ops`] on tensors of `dtype`: the inputs rounded to it (plus its
/// own boundary values), results against the reference rounded to it,
/// within [`HALF_BOUND`] for 16-bit dtypes.
pub fn run_ops_in(
    ctx: &Context,
    ops: &[Op],
    n: usize,
    long_rows: bool,
    dtype: DType,
) -> Result<Vec<Report>> {
    let max_simplex_row = crate::ops::simplex_max_row(ctx);
    run_with_in(
        ops,
        n,
        long_rows,
        max_simplex_row,
        dtype,
        &mut |act, data, shape| {
            let x = ctx.upload_as(data, shape, dtype)?;
            ctx.read(&ctx.apply(act, &x)?)
        },
    )
}

/// Boundary values of a 16-bit `dtype`: its subnormals, smallest normal,
/// largest finite and the values just past it, and neighbours of 1.
pub fn dtype_special_values(dtype: DType) -> Vec<f32> {
    let mut v = Vec::new();
    let bits: &[u16] = match dtype {
        DType::F32 => &[],
        DType::F16 => &[
            0x0001, 0x0002, 0x0003, 0x01ff, 0x0200, 0x03ff, 0x0400, 0x0401, 0x3bff, 0x3c00, 0x3c01,
            0x7bfe, 0x7bff, 0x7c00, 0x7e00, 0x7c01,
        ],
        DType::Bf16 => &[
            0x0001, 0x007f, 0x0080, 0x0081, 0x3f7f, 0x3f80, 0x3f81, 0x7f7e, 0x7f7f, 0x7f80, 0x7fc0,
            0x7f81,
        ],
    };
    for &b in bits {
        for sign in [0u16, 0x8000] {
            v.push(match dtype {
                DType::F16 => half::f16::from_bits(b | sign).to_f32(),
                _ => half::bf16::from_bits(b | sign).to_f32(),
            });
        }
    }
    v
}

/// The sweep of [`run_ops`] on the fast CPU path ([`cpu::fast`]).
pub fn run_fast(ops: &[Op], n: usize, long_rows: bool) -> Result<Vec<Report>> {
    run_with(ops, n, long_rows, usize::MAX, &mut |act, data, shape| {
        cpu::fast::apply(act, data, shape)
    })
}

/// The sweep of [`run_ops`] with any implementation `eval`.
pub fn run_with(
    ops: &[Op],
    n: usize,
    long_rows: bool,
    max_simplex_row: usize,
    eval: &mut Eval,
) -> Result<Vec<Report>> {
    run_with_in(ops, n, long_rows, max_simplex_row, DType::F32, eval)
}

/// Computes `act(data)` of a tensor of `shape`.
pub type Eval<'a> = dyn FnMut(&Activation, &[f32], &[usize]) -> Result<Vec<f32>> + 'a;

/// The sweep of [`run_ops_in`] with any implementation `eval` (given
/// inputs already rounded to `dtype`); sparsemax rows longer than
/// `max_simplex_row` (what `eval` takes) are left out.
pub fn run_with_in(
    ops: &[Op],
    n: usize,
    long_rows: bool,
    max_simplex_row: usize,
    dtype: DType,
    eval: &mut Eval,
) -> Result<Vec<Report>> {
    let mut check = |act: &Activation, data: &[f32], shape: &[usize]| -> Result<Stats> {
        let data: Vec<f32> = data.iter().map(|&v| dtype.round(v)).collect();
        compare_in(dtype, act, &data, shape, &eval(act, &data, shape)?)
    };
    let mut sweep = sweep_inputs(0x5eed, n);
    sweep.extend(dtype_special_values(dtype));
    let bound_of = |b: u64| if dtype == DType::F32 { b } else { HALF_BOUND };
    let mut reports = Vec::new();
    for &op in ops {
        let info = op.info();
        let report = |name: String, bound: u64, stats: Stats| Report { name, bound, stats };
        match info.kind {
            Kind::Elementwise => {
                let mut stats = Stats::default();
                for act in param_sets(op) {
                    let data = inputs_for(&act, &sweep);
                    stats.merge(&check(&act, &data, &[data.len()])?);
                }
                reports.push(report(
                    info.name.to_string(),
                    bound_of(info.bound.short),
                    stats,
                ));
            }
            Kind::Halves => {
                // [2, n] split on axis 0: a is the first row, b the second.
                let act = op.default_activation()?.with_axis(0);
                let mut stats = Stats::default();
                for data in halves_cases(&sweep) {
                    stats.merge(&check(&act, &data, &[2, data.len() / 2])?);
                }
                reports.push(report(
                    info.name.to_string(),
                    bound_of(info.bound.short),
                    stats,
                ));
            }
            Kind::Axis(_) => {
                let act = op.default_activation()?;
                reports.extend(axis_reports(
                    op,
                    crate::activation::Bound {
                        short: bound_of(info.bound.short),
                        long: bound_of(info.bound.long),
                    },
                    long_rows,
                    max_simplex_row,
                    &mut |_, len, data| check(&act, data, &[data.len() / len, len]),
                )?);
            }
        }
    }
    Ok(reports)
}

/// Upstream gradients for the backward sweep: N(0, 2), with every
/// `special_every`-th element (0: none) one of ±0, ±1e30, ±1e-30, a
/// subnormal, ±FLT_MAX, ±inf and NaN in turn.
pub fn grad_dy(seed: u64, n: usize, special_every: usize) -> Vec<f32> {
    const SPECIAL: [f32; 12] = [
        0.0,
        -0.0,
        1e30,
        -1e30,
        1e-30,
        -1e-30,
        1e-40,
        f32::MAX,
        -f32::MAX,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
    ];
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|i| {
            if special_every > 0 && i % special_every == special_every - 1 {
                SPECIAL[(i / special_every) % SPECIAL.len()]
            } else {
                rng.normal(2.0)
            }
        })
        .collect()
}

/// The backward's accepted absolute error per element where dx cancels:
/// 2^-22 times the size of the terms that cancel (softmax:
/// y_i (|dy_i| + |sum dy y|); log_softmax (from x): |dy_i| + softmax_i |sum dy|;
/// sparsemax: the row's largest |dy|); 0 for the other ops.
pub fn grad_band(act: &Activation, v: &[f32], dy: &[f32], shape: &[usize]) -> Result<Vec<f32>> {
    let mut band = vec![0.0f32; dy.len()];
    let Kind::Axis(_) = act.kind() else {
        return Ok(band);
    };
    let name = act.name();
    let (outer, len, inner) = crate::shape::split_at_axis(shape, act.axis().unwrap_or(-1))?;
    let eps = 2f64.powi(-22);
    for o in 0..outer {
        for i in 0..inner {
            let idx = |k: usize| o * len * inner + k * inner + i;
            let sum_dy: f64 = (0..len).map(|k| dy[idx(k)] as f64).sum();
            let sum_dyy: f64 = (0..len).map(|k| dy[idx(k)] as f64 * v[idx(k)] as f64).sum();
            // log_softmax reads x: its softmax, for the band.
            let m = (0..len)
                .map(|k| v[idx(k)] as f64)
                .fold(f64::NEG_INFINITY, f64::max);
            let total: f64 = (0..len).map(|k| (v[idx(k)] as f64 - m).exp()).sum();
            let max_dy = (0..len)
                .map(|k| dy[idx(k)].abs() as f64)
                .fold(0.0, f64::max);
            for k in 0..len {
                let (y, d) = (v[idx(k)] as f64, dy[idx(k)] as f64);
                let b = match name {
                    "softmax" => y * (d.abs() + sum_dyy.abs()),
                    "log_softmax" => d.abs() + (y - m).exp() / total * sum_dy.abs(),
                    _ => max_dy,
                };
                band[idx(k)] = (eps * b) as f32;
            }
        }
    }
    Ok(band)
}

/// Compares `got`, the backward of `act` at `x` (forward output `y` where
/// the op reads it) for upstream `dy`, with the CPU reference; the axis ops
/// within [`grad_band`]. The reported input is the element's `x`.
pub fn compare_grad(
    act: &Activation,
    x: &[f32],
    y: Option<&[f32]>,
    dy: &[f32],
    shape: &[usize],
    got: &[f32],
) -> Result<Stats> {
    let v = match act.info().grad_from {
        crate::activation::GradFrom::X => x,
        crate::activation::GradFrom::Y => y.ok_or(crate::Error::ShapeMismatch {
            shape: shape.to_vec(),
            expected: x.len(),
            got: 0,
        })?,
    };
    let want = cpu::backward(act, v, dy, shape)?;
    if got.len() != want.len() {
        return Err(crate::Error::ShapeMismatch {
            shape: shape.to_vec(),
            expected: want.len(),
            got: got.len(),
        });
    }
    let band = match act.kind() {
        Kind::Axis(_) => grad_band(act, v, dy, shape)?,
        _ => vec![0.0; want.len()],
    };
    let mut s = Stats::default();
    s.add_banded(x, &want, got, &band);
    Ok(s)
}

/// The backward on `ctx`: upload, [`Context::backward_from`] (with the
/// forward output `y` for the ops that read it), read back.
pub fn gpu_grad(
    ctx: &Context,
    act: &Activation,
    x: &[f32],
    y: Option<&[f32]>,
    dy: &[f32],
    shape: &[usize],
) -> Result<Vec<f32>> {
    let xt = ctx.upload(x, shape)?;
    let out_shape = act.output_shape(shape)?;
    let dyt = ctx.upload(dy, &out_shape)?;
    let dx = match y {
        Some(y) => ctx.backward_from(act, &xt, &ctx.upload(y, &out_shape)?, &dyt)?,
        None => ctx.backward(act, &xt, &dyt)?,
    };
    ctx.read(&dx)
}

/// Computes the backward of `act` at `x` (with `y` = act(x) from the
/// reference) for `dy`, over a tensor of `shape`.
pub type GradEval<'a> =
    dyn FnMut(&Activation, &[f32], Option<&[f32]>, &[f32], &[usize]) -> Result<Vec<f32>> + 'a;

/// The backward sweep: every op of `ops` over the forward sweep's inputs
/// (elementwise: every parameter set, kinks, special values), random `dy`
/// with special values mixed in, and every special `x` against every special
/// `dy`; axis ops over the softmax rows (sparsemax rows up to
/// `max_simplex_row`), glu over its halves. One report per op (axis ops by
/// row length), against the op's `grad_bound`.
pub fn run_grad_with(
    ops: &[Op],
    n: usize,
    long_rows: bool,
    max_simplex_row: usize,
    eval: &mut GradEval,
) -> Result<Vec<Report>> {
    let sweep = sweep_inputs(0x5eed, n);
    let mut reports = Vec::new();
    let mut check = |act: &Activation, x: &[f32], dy: &[f32], shape: &[usize]| -> Result<Stats> {
        let y = match act.info().grad_from {
            crate::activation::GradFrom::Y => Some(cpu::apply(act, x, shape)?),
            crate::activation::GradFrom::X => None,
        };
        let got = eval(act, x, y.as_deref(), dy, shape)?;
        compare_grad(act, x, y.as_deref(), dy, shape, &got)
    };
    let specials = special_values();
    for &op in ops {
        let info = op.info();
        let report = |name: String, bound: u64, stats: Stats| Report { name, bound, stats };
        match info.kind {
            Kind::Elementwise => {
                let mut stats = Stats::default();
                for act in param_sets(op) {
                    let mut x = inputs_for(&act, &sweep);
                    let mut dy = grad_dy(x.len() as u64, x.len(), 37);
                    for &d in &grad_dy(1, 12, 1) {
                        x.extend(&specials);
                        dy.extend(std::iter::repeat_n(d, specials.len()));
                    }
                    stats.merge(&check(&act, &x, &dy, &[x.len()])?);
                }
                reports.push(report(info.name.to_string(), info.grad_bound.short, stats));
            }
            Kind::Halves => {
                let act = op.default_activation()?.with_axis(0);
                let mut stats = Stats::default();
                for x in halves_cases(&sweep) {
                    let dy = grad_dy(x.len() as u64, x.len() / 2, 37);
                    stats.merge(&check(&act, &x, &dy, &[2, x.len() / 2])?);
                }
                reports.push(report(info.name.to_string(), info.grad_bound.short, stats));
            }
            Kind::Axis(_) => {
                let act = op.default_activation()?;
                reports.extend(axis_reports(
                    op,
                    info.grad_bound,
                    long_rows,
                    max_simplex_row,
                    &mut |k, len, x| {
                        // Special dy in one case in four (they poison their rows).
                        let every = if k % 4 == 3 { 5 * len } else { 0 };
                        let dy = grad_dy(k as u64, x.len(), every);
                        check(&act, x, &dy, &[x.len() / len, len])
                    },
                )?);
            }
        }
    }
    Ok(reports)
}

/// The backward sweep on `ctx` for `ops`.
pub fn run_grad(ctx: &Context, ops: &[Op], n: usize, long_rows: bool) -> Result<Vec<Report>> {
    let max_simplex_row = crate::ops::simplex_max_row(ctx);
    run_grad_with(
        ops,
        n,
        long_rows,
        max_simplex_row,
        &mut |act, x, y, dy, shape| gpu_grad(ctx, act, x, y, dy, shape),
    )
}

/// Checks one case of the softmax rows: (case index, row length, data).
type CaseCheck<'a> = dyn FnMut(usize, usize, &[f32]) -> Result<Stats> + 'a;

/// An axis op's reports over the softmax rows (sparsemax rows up to
/// `max_simplex_row`): `check(case index, row length, data)` per case, merged
/// into rows up to 1024 and, with `long_rows`, beyond, against `bound`.
fn axis_reports(
    op: Op,
    bound: crate::activation::Bound,
    long_rows: bool,
    max_simplex_row: usize,
    check: &mut CaseCheck,
) -> Result<Vec<Report>> {
    let info = op.info();
    let (mut short, mut long) = (Stats::default(), Stats::default());
    for (k, (_, len, data)) in softmax_cases(0xfeed, long_rows).into_iter().enumerate() {
        if info.kind == Kind::Axis(Reduce::Simplex) && len > max_simplex_row {
            continue;
        }
        let s = check(k, len, &data)?;
        if len <= 1024 {
            short.merge(&s)
        } else {
            long.merge(&s)
        }
    }
    let mut reports = vec![Report {
        name: format!("{} (rows <= 1024)", info.name),
        bound: bound.short,
        stats: short,
    }];
    if long_rows {
        reports.push(Report {
            name: format!("{} (rows > 1024)", info.name),
            bound: bound.long,
            stats: long,
        });
    }
    Ok(reports)
}

/// The whole sweep on `ctx`, every op of the table.
pub fn run(ctx: &Context, n: usize, long_rows: bool) -> Result<Vec<Report>> {
    run_ops(ctx, Op::ALL, n, long_rows)
}

/// An elementwise `act` over all 2^32 f32 bit patterns, on the GPU and on the
/// fast CPU path, against the reference, in chunks of 2^`chunk_bits`
/// patterns. `progress(done, total)` is called after each chunk. Returns the
/// (GPU, fast CPU) comparisons.
pub fn exhaustive(
    ctx: &Context,
    act: &Activation,
    chunk_bits: u32,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<(Stats, Stats)> {
    use rayon::prelude::*;
    act.validate()?;
    let crate::activation::RefFn::Map(reference) = act.reference_fn() else {
        return Err(crate::Error::NotElementwise { op: act.name() });
    };
    let n = 1usize << chunk_bits.clamp(10, 28);
    let total = 1u64 << 32;
    let x = ctx.zeros(&[n])?;
    let y = ctx.zeros(&[n])?;
    if x.parts().count() > 1 {
        return Err(crate::Error::TooLarge {
            what: "exhaustive chunk (bytes in one buffer)",
            needed: n as u64 * 4,
            limit: x.parts().next().map_or(0, |p| p.2 as u64 * 4),
        });
    }
    let (mut gpu, mut fast) = (Stats::default(), Stats::default());
    let mut data = vec![0.0f32; n];
    let mut want = vec![0.0f32; n];
    let mut quick = vec![0.0f32; n];
    let mut start = 0u64;
    while start < total {
        data.par_iter_mut()
            .enumerate()
            .for_each(|(i, v)| *v = f32::from_bits((start + i as u64) as u32));
        ctx.queue()
            .write_buffer(x.buffer(), x.offset(), bytemuck::cast_slice(&data));
        ctx.apply_into(act, &x, &y)?;
        want.par_iter_mut()
            .zip(&data)
            .for_each(|(w, &v)| *w = reference(v));
        cpu::fast::apply_into(act, &data, &[n], &mut quick)?;
        let got = ctx.read(&y)?;
        gpu.add(&data, &want, &got);
        fast.add(&data, &want, &quick);
        start += n as u64;
        progress(start, total);
    }
    Ok((gpu, fast))
}
