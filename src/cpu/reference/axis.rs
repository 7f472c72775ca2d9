//! Axis ops over one row, and glu over a pair, in f64. A row holding a NaN
//! or `+inf`, or no finite entry, comes out all NaN; `-inf` entries take the
//! op's limit (0 for softmax and sparsemax, `-inf` for log_softmax).

/// The row in f64, its largest finite entry, and whether the row is dead
/// (all-NaN result).
fn prepare(row: &[f32]) -> (Vec<f64>, f64, bool) {
    let r: Vec<f64> = row.iter().map(|&v| v as f64).collect();
    let poisoned = r.iter().any(|v| v.is_nan() || *v == f64::INFINITY);
    let m = r
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(f64::NEG_INFINITY, f64::max);
    (r, m, poisoned || m == f64::NEG_INFINITY)
}

/// `t = sum(exp(x - m)) - 1`, without the cancellation of forming the sum
/// first: the entries equal to the max contribute exactly 1 each.
fn sum_minus_one(r: &[f64], m: f64) -> f64 {
    let at_max = r.iter().filter(|&&v| v == m).count() as f64;
    let rest: f64 = r
        .iter()
        .filter(|&&v| v.is_finite() && v < m)
        .map(|v| (v - m).exp())
        .sum();
    (at_max - 1.0) + rest
}

/// `exp(x - max) / sum(exp(x - max))`.
pub fn softmax(row: &[f32], out: &mut [f32]) {
    let (r, m, dead) = prepare(row);
    let s = 1.0 + sum_minus_one(&r, m);
    for (o, &v) in out.iter_mut().zip(&r) {
        *o = if dead {
            f32::NAN
        } else if v == f64::NEG_INFINITY {
            0.0
        } else {
            ((v - m).exp() / s) as f32
        };
    }
}

/// `x - max - log(sum(exp(x - max)))`.
pub fn log_softmax(row: &[f32], out: &mut [f32]) {
    let (r, m, dead) = prepare(row);
    let l = sum_minus_one(&r, m).ln_1p();
    for (o, &v) in out.iter_mut().zip(&r) {
        *o = if dead { f32::NAN } else { ((v - m) - l) as f32 };
    }
}

/// The Euclidean projection of the row onto the probability simplex:
/// `max(x - tau, 0)` with `tau` such that the row sums to 1.
pub fn sparsemax(row: &[f32], out: &mut [f32]) {
    let (r, m, dead) = prepare(row);
    if dead {
        out.fill(f32::NAN);
        return;
    }
    // Shifted by the max, so the large entries subtract exactly.
    let mut z: Vec<f64> = r.iter().filter(|v| v.is_finite()).map(|v| v - m).collect();
    z.sort_by(|a, b| b.total_cmp(a));
    // The support is the largest k with 1 + k z_k > sum_{j <= k} z_j.
    let (mut sum, mut tau) = (0.0, z[0] - 1.0);
    for (k, &v) in z.iter().enumerate() {
        sum += v;
        let kf = (k + 1) as f64;
        if 1.0 + kf * v > sum {
            tau = (sum - 1.0) / kf;
        } else {
            break;
        }
    }
    for (o, &v) in out.iter_mut().zip(&r) {
        *o = if v == f64::NEG_INFINITY {
            0.0
        } else {
            ((v - m) - tau).max(0.0) as f32
        };
    }
}

/// glu on one pair of the halves: `a * sigmoid(b)`.
pub fn glu(a: f32, b: f32) -> f32 {
    if a.is_infinite() && b > f32::NEG_INFINITY {
        // sigmoid(b) > 0 for every b above -inf (even where f64 underflows).
        return a;
    }
    let b = b as f64;
    // exp of a non-positive argument only.
    let e = (-b.abs()).exp();
    let s = if b >= 0.0 {
        1.0 / (1.0 + e)
    } else {
        e / (1.0 + e)
    };
    (a as f64 * if b.is_nan() { b } else { s }) as f32
}
