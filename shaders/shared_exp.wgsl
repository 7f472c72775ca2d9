// Exponential-family helpers (elu, celu, selu, exponential, softplus,
// log_sigmoid, silu, mish); any op may call them. Every name starts `ef_`.
//
//   ef_softplus(x) -> f32            log(1 + exp(x)) for every f32 x (NaN, +-inf
//                                    included); <= 1 ULP, never overflows.
//   ef_log1p(x) -> f32               log(1 + x) for x in [0, 1].
//   ef_log1p_hl(xh, xl) -> vec2<f32> log(1 + xh + xl) for xh in [0, 1],
//                                    |xl| <= ulp(xh): a pair (hi, lo).
//   ef_exp(x) -> f32                 exp(x) for finite x <= 88.72283, correctly
//                                    scaled into subnormals, 0 below -104.
//   ef_exp_parts(dh, dl) -> vec3<f32> exp(dh + dl) = (p.x + p.y) * 2^p.z with
//                                    p.x in [0.7, 1.42], for |dh| <= 1000, |dl| <= 2^-8.
//   ef_expm1_hl(xh, xl) -> vec2<f32> exp(xh + xl) - 1 as a pair, for finite
//                                    xh <= 0.34, |xl| <= ulp(xh).
//   ef_exp_red(dh, dl) -> vec3<f32>  exp(dh + dl) = 2^r.z (1 + r.x + r.y).
//   ef_scale(v, n) -> f32            v * 2^n (n an integer-valued f32), one
//                                    rounding when the result is subnormal.
//   ef_two_sum(a, b) -> vec2<f32>    a + b as an exact pair (any order).
//   ef_two_prod(a, b) -> vec2<f32>   a * b as an exact pair, a b finite and far
//                                    from underflow.
//   ef_split(a) -> vec2<f32>         a = hi + lo, 12 significant bits each.
//   ef_div2(nh, nl, dh, dl) -> f32   (nh + nl) / (dh + dl), corrected; moderate
//                                    operands (see below).
//   ef_frexp(a) -> vec2<f32>         a = m 2^k as (m, k), |m| in [1, 2) (m = a
//                                    for a = +-0), for finite a.
//   ef_mul(ah, al, bh, bl) -> f32    (ah + al) (bh + bl) rounded once (twice
//                                    for subnormal results), for any finite
//                                    ah, bh, |al| <= ulp(ah), |bl| <= ulp(bh).
//
// A pair (hi, lo) stands for the unevaluated sum hi + lo: carrying the
// rounding error of intermediate results keeps each op to one final rounding.
// WGSL's fma need not be fused (Mesa's llvmpipe and lavapipe round the
// product first), so fma appears only as a plain multiply-add; exact products
// come from Dekker's algorithm (ef_two_prod), whose partial products must
// neither overflow nor underflow: operands of any size go through ef_frexp
// first. Error-free sums are written as (c - s) + e, never as e - (s - c):
// see ef_add_err.

// ln(2) split again below LN2_LO (common.wgsl): Cody–Waite reduction for
// arguments up to 1000 stays exact to 2^-40.
const EF_LN2_LO2: f32 = 1.646595e-12;
// ln(2) to f32, and the rest.
const EF_LN2_H: f32 = 0.6931472;
const EF_LN2_L: f32 = -1.9046542e-9;

// The rounding error of s = c + e for |e| <= |c| (Fast2Sum), written as
// (c - s) + e: Mesa's NIR rewrites (c + e) - c to e for any float op not
// marked exact (and WGSL cannot mark one), which turns the textbook
// e - (s - c) into 0; it has no rule for c - (c + e). With c a literal
// both forms fold (constants are reassociated), so sums with a literal go
// through ef_two_sum, whose operands the compiler cannot see.
fn ef_add_err(c: f32, e: f32, s: f32) -> f32 {
    return (c - s) + e;
}

// a + b = s + err exactly, whichever is larger: Fast2Sum on the operands
// ordered by magnitude (2Sum's s - a is just what NIR folds away).
fn ef_two_sum(a: f32, b: f32) -> vec2<f32> {
    let big = abs(a) >= abs(b);
    let hi = select(b, a, big);
    let lo = select(a, b, big);
    let s = hi + lo;
    return vec2<f32>(s, ef_add_err(hi, lo, s));
}

// a = hi + lo exactly, each with at most 12 significant bits, by masking
// the low 12 bits of the significand. Unlike Veltkamp's c - (c - a) with
// c = 4097 a, it cannot overflow, and no compiler can rewrite it: on Mesa's
// lavapipe, Veltkamp's split was measured to come out as (a, 0) in some
// contexts (NIR treats float ops as reassociable).
fn ef_split(a: f32) -> vec2<f32> {
    let hi = bitcast<f32>(bitcast<u32>(a) & 0xfffff000u);
    return vec2<f32>(hi, a - hi);
}

// a * b = p + err exactly (Dekker), for finite a, b with a b finite and far
// from underflow (below, the error is off by a few 2^-150).
fn ef_two_prod(a: f32, b: f32) -> vec2<f32> {
    let p = a * b;
    let sa = ef_split(a);
    let sb = ef_split(b);
    let e = ((sa.x * sb.x - p) + sa.x * sb.y + sa.y * sb.x) + sa.y * sb.y;
    return vec2<f32>(p, e);
}

// (nh + nl) / (dh + dl), nl and dl the low parts of pairs, to within about
// half an ULP whatever the device's division: one correction with the exact
// residual nh - q dh. For |dh| in [2^-60, 2^60] and a quotient far from
// overflow and underflow (the exp-family callers stay within [2^-45, 8]).
fn ef_div2(nh: f32, nl: f32, dh: f32, dl: f32) -> f32 {
    if (DIV_EXACT) {
        // Division rounds correctly: common.wgsl's first-order div2.
        return div2(nh, nl, dh, dl);
    }
    let q = nh / dh;
    let p = ef_two_prod(q, dh);
    let r = ((nh - p.x) - p.y) + (nl - q * dl);
    return q + r / dh;
}

// a = m 2^k as (m, k), |m| in [1, 2), for finite a; +-0 gives (a, -191).
// Subnormals are scaled by 2^64 first, so they too come out normalised.
fn ef_frexp(a: f32) -> vec2<f32> {
    let sub = (bitcast<u32>(a) & F32_INF_BITS) == 0u;
    let s = select(a, a * 1.84467441e19, sub);
    let b = bitcast<u32>(s);
    let m = bitcast<f32>((b & 0x807fffffu) | 0x3f800000u);
    let k = f32(i32((b >> 23u) & 0xffu) - 127) - select(0.0, 64.0, sub);
    return vec2<f32>(select(m, s, (b & F32_ABS_MASK) == 0u), k);
}

// (ah + al) (bh + bl) for any finite ah, bh, |al| <= ulp(ah), |bl| <= ulp(bh):
// the mantissas (in [1, 2)) multiply exactly whatever the exponents, and one
// scaling by 2^(ka + kb) is exact unless the result is subnormal (then it
// rounds a second time: at most 1 ULP).
fn ef_mul(ah: f32, al: f32, bh: f32, bl: f32) -> f32 {
    let fa = ef_frexp(ah);
    let fb = ef_frexp(bh);
    let p = ef_two_prod(fa.x, fb.x);
    let t = fa.x * ef_scale(bl, -fb.y) + ef_scale(al, -fa.y) * fb.x;
    return ef_scale(p.x + (p.y + t), fa.y + fb.y);
}

// v * 2^n for an integer-valued n, clamped to [-252, 254] (beyond, the
// result is 0 or past the range anyway). Two steps, so that 2^k stays normal;
// the first keeps v normal whenever the result is at least 2^-150, so a
// subnormal result is rounded only once.
fn ef_scale(v: f32, n: f32) -> f32 {
    let k = i32(clamp(n, -252.0, 254.0));
    let k1 = k / 2;
    return (v * pow2i(k1)) * pow2i(k - k1);
}

// exp(r) - 1 for |r| <= 0.36 as a pair: Taylor to degree 9 (truncation
// below 2^-30 relative to the result); r enters exactly, the r^2 term as an
// exact product.
fn ef_expm1_poly_hl(r: f32) -> vec2<f32> {
    var q = 2.7557319e-6;
    q = fma(q, r, 2.4801588e-5);
    q = fma(q, r, 1.984127e-4);
    q = fma(q, r, 1.3888889e-3);
    q = fma(q, r, 8.333334e-3);
    q = fma(q, r, 4.1666668e-2);
    q = fma(q, r, 0.16666667);
    q = fma(q, r, 0.5);
    // r + (q r) r: |q r| <= 0.2, so the sum is ordered for ef_add_err.
    let t = ef_two_prod(q * r, r);
    let h = r + t.x;
    return vec2<f32>(h, ef_add_err(r, t.x, h) + t.y);
}

// exp(dh + dl) = 2^r.z (1 + r.x + r.y), |r.x| <= 0.42, for |dh| <= 1000 and
// a small correction |dl| <= 2^-8; relative error near 2^-30. Keeping the
// reduced expm1 apart lets expm1 near 0 come out without cancellation.
fn ef_exp_red(dh: f32, dl: f32) -> vec3<f32> {
    let n = round(dh * LOG2E);
    // Exact: n * LN2_HI has at most 24 bits and lies within a factor two of dh.
    let r0 = dh - n * LN2_HI;
    // r0 - n * (LN2_LO + EF_LN2_LO2) + dl as a pair (s.x, rl).
    let c = ef_two_prod(n, LN2_LO);
    let s = ef_two_sum(r0, -c.x);
    let rl = (s.y - (c.y + n * EF_LN2_LO2)) + dl;
    let m = ef_expm1_poly_hl(s.x);
    // exp(rh + rl) - 1 = m + rl (1 + m) to within rl^2.
    return vec3<f32>(m.x, m.y + rl * (1.0 + m.x), n);
}

// exp(dh + dl) = (p.x + p.y) * 2^p.z, p.x in [0.7, 1.42], for |dh| <= 1000
// and |dl| <= 2^-8. The caller scales, so that results far below the normal
// range keep their precision.
fn ef_exp_parts(dh: f32, dl: f32) -> vec3<f32> {
    let m = ef_exp_red(dh, dl);
    let ph = ef_two_sum(1.0, m.x);
    return vec3<f32>(ph.x, ph.y + m.y, m.z);
}

// exp(x) for finite x <= 88.72283 (the caller handles larger x and +-inf):
// one rounding, also for subnormal results; 0 below -104.
fn ef_exp(x: f32) -> f32 {
    let p = ef_exp_parts(max(x, -104.5), 0.0);
    return ef_scale(p.x + p.y, p.z);
}

// exp(xh + xl) - 1 as a pair, for finite xh <= 0.34 and |xl| <= ulp(xh):
// 2^n (1 + m) - 1 = (2^n - 1) + 2^n m, with 2^n - 1 and the sum carried
// exactly, so that nothing cancels (for n = 0 it is m itself). Below -80 the
// pair is -1 to within 2^-115.
fn ef_expm1_hl(xh: f32, xl: f32) -> vec2<f32> {
    let low = xh < -80.0;
    let m = ef_exp_red(select(xh, -80.0, low), select(xl, 0.0, low));
    let t = pow2i(i32(m.z));
    // |t m| <= 0.42 t <= |t - 1| for n < 0 (and t - 1 = 0 for n = 0), so
    // the second sum is ordered.
    let c = ef_two_sum(t, -1.0);
    let a = t * m.x;
    let h = c.x + a;
    return vec2<f32>(h, ef_add_err(c.x, a, h) + (c.y + t * m.y));
}

// log(1 + xh + xl) as a pair, for xh in [0, 1] and |xl| <= ulp(xh).
// 1 + x = 2^k (1 + u) with k = 0, u = x for x <= 0.5, and k = 1,
// u = (x - 1) / 2 (exact) above; then log(1 + u) = 2 atanh(s) with
// s = u / (2 + u), |s| <= 0.2, and the odd series to s^11 (truncation below
// 2^-31 relative). s is carried as a pair; ln(2) too.
fn ef_log1p_hl(xh: f32, xl: f32) -> vec2<f32> {
    let big = xh > 0.5;
    let k = select(0.0, 1.0, big);
    let u = select(xh, (xh - 1.0) * 0.5, big);
    let ul = select(xl, xl * 0.5, big);
    let dp = ef_two_sum(2.0, u);
    let d = dp.x;
    let dl = dp.y + ul;
    let s = u / d;
    // The residual u - s d is exact (s d as a pair; u - p.x by Sterbenz), so
    // sl corrects s to the pair's quotient whatever the division's error.
    let p = ef_two_prod(s, d);
    let sl = (((u - p.x) - p.y) + (ul - s * dl)) / d;
    let s2 = s * s;
    var q = 9.090909e-2;
    q = fma(q, s2, 0.11111111);
    q = fma(q, s2, 0.14285715);
    q = fma(q, s2, 0.2);
    q = fma(q, s2, 0.33333334);
    // 2 atanh(s) = 2s + 2s s^2 q; k ln2 + 2s is an exact pair (|2s| < ln2).
    let t = 2.0 * s;
    let h = k * EF_LN2_H + t;
    let l = ef_add_err(k * EF_LN2_H, t, h) + (k * EF_LN2_L + (2.0 * sl + t * (s2 * q)));
    return vec2<f32>(h, l);
}

// log(1 + x) for x in [0, 1].
fn ef_log1p(x: f32) -> f32 {
    let r = ef_log1p_hl(x, 0.0);
    return r.x + r.y;
}

// log(1 + exp(x)) for every f32 x: max(x, 0) + log1p(exp(-|x|)), with
// exp(-|x|) and the log carried as pairs; exp(x) itself below -20, where the
// log1p correction is under 2^-30 relative. Never overflows.
fn ef_softplus(x: f32) -> f32 {
    let b = bitcast<u32>(x);
    if (!is_finite_bits(b)) {
        if (is_nan_bits(b)) {
            return x;
        }
        // +inf -> +inf, -inf -> 0.
        return select(x, 0.0, b == F32_NEG_INF_BITS);
    }
    if (x < -20.0) {
        return ef_exp(x);
    }
    // Past 20, log1p(exp(-x)) < 2^-28 is below half an ULP of x.
    let a = min(abs(x), 20.0);
    let p = ef_exp_parts(-a, 0.0);
    let l = ef_log1p_hl(ef_scale(p.x, p.z), ef_scale(p.y, p.z));
    if (x <= 0.0) {
        return l.x + l.y;
    }
    let s = ef_two_sum(x, l.x);
    return s.x + (s.y + l.y);
}
