// Shared numerics, prepended to every kernel (WGSL has no #include).
//
// WGSL lets the compiler assume that no value is infinite or NaN, and Mesa's
// drivers act on it. So special values are recognised by their bit patterns,
// and no formula here relies on exp() overflowing or on NaN comparisons.
// The driver's own exp() is allowed an error of 3 + 2|x| ULP; it is not used.

const F32_INF_BITS: u32 = 0x7f800000u;
const F32_ABS_MASK: u32 = 0x7fffffffu;
const F32_SIGN_MASK: u32 = 0x80000000u;
const F32_NEG_INF_BITS: u32 = 0xff800000u;
const F32_QNAN_BITS: u32 = 0x7fc00000u;
const F32_MAX: f32 = 3.40282347e38;

// Threads per workgroup for every kernel: a power of two, set by the host
// from the adapter's limits (pipeline constant), at most WG_MAX.
override WG_SIZE: u32 = 256u;
const WG_MAX: u32 = 256u;

// ln(2) split for Cody–Waite reduction: LN2_HI has 9 significant bits, so
// n * LN2_HI is exact for |n| < 2^15 and d - n * LN2_HI is exact.
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
const LOG2E: f32 = 1.44269504;

fn is_nan_bits(b: u32) -> bool {
    return (b & F32_ABS_MASK) > F32_INF_BITS;
}

fn is_finite_bits(b: u32) -> bool {
    return (b & F32_ABS_MASK) < F32_INF_BITS;
}

fn qnan() -> f32 {
    return bitcast<f32>(F32_QNAN_BITS);
}

// 2^k for -126 <= k <= 127, built from its bits.
fn pow2i(k: i32) -> f32 {
    return bitcast<f32>(u32(k + 127) << 23u);
}

// WGSL's fma(a, b, c) need not be fused, and on Mesa's llvmpipe and lavapipe
// it is not (a * b rounds before c is added: measured). So exact products
// come from Dekker's algorithm with Veltkamp's split, never from fma.

// a = hi + lo exactly, hi with 12 significant bits: the low 12 bits of the
// significand masked off (Veltkamp's `c - (c - a)` with c = 4097 a would do
// it too, but a compiler that contracts 4097 a - a into an fma breaks it,
// and 4097 a overflows past 2^115).
fn split(a: f32) -> vec2<f32> {
    let hi = bitcast<f32>(bitcast<u32>(a) & 0xfffff000u);
    return vec2<f32>(hi, a - hi);
}

// a * b = p + e exactly, for a * b well inside the normal range (Dekker).
fn two_prod(a: f32, b: f32) -> vec2<f32> {
    let p = fence(a * b);
    let sa = split(a);
    let sb = split(b);
    let e = ((sa.x * sb.x - p) + sa.x * sb.y + sa.y * sb.x) + sa.y * sb.y;
    return vec2<f32>(p, fence(e));
}

// Set by the host where the adapter's f32 division is correctly rounded, as
// LLVM's is on Mesa's CPU adapters (tests/division.rs checks it on each
// adapter the tests run on): a quotient then needs no correction step, the
// costliest part of most ops there. WGSL itself allows 2.5 ULP.
override DIV_EXACT: bool = false;

// (nh + nl) / (dh + dl), where nl and dl carry the rounding errors of nh and
// dh, to within about half an ULP whatever the device's division does (WGSL
// allows 2.5 ULP; several drivers compute a * (1 / b)): one correction step
// with the residual nh - q dh, formed exactly with two_prod. Operands past
// 1e30 are scaled by 2^-64 first (exactly), so q * dh cannot overflow.
fn div2_corrected(nh: f32, nl: f32, dh: f32, dl: f32) -> f32 {
    let big_d = abs(dh) >= 1.0e30;
    let sd = select(1.0, 5.42101086e-20, big_d);
    let d = dh * sd;
    let e = dl * sd;
    let q0 = (nh * sd) / d;
    let big_q = abs(q0) >= 1.0e30;
    let sq = select(1.0, 5.42101086e-20, big_q) * sd;
    let q = select(q0, q0 * 5.42101086e-20, big_q);
    let p = two_prod(q, d);
    let r = ((nh * sq - p.x) - p.y) + (nl * sq - q * e);
    return (q + r / d) * select(1.0, 1.84467441e19, big_q);
}

// (nh + nl) / (dh + dl) as div2_corrected, or where division is correctly
// rounded (DIV_EXACT) nh / dh with the low parts to first order: within
// 1 ULP (two roundings) instead of about half an ULP, for a fraction of the
// work.
fn div2(nh: f32, nl: f32, dh: f32, dl: f32) -> f32 {
    if (DIV_EXACT) {
        let q = nh / dh;
        return q + (nl - q * dl) / dh;
    }
    return div2_corrected(nh, nl, dh, dl);
}

// a / b, corrected as in div2.
fn div(a: f32, b: f32) -> f32 {
    return div2(a, 0.0, b, 0.0);
}

// WGSL cannot mark a float operation exact, and Mesa's compiler (NIR) treats
// every add and multiply as reassociable: it rewrites (a + b) - a to b, so a
// textbook error term comes out 0, and moves constants into other sums
// (measured). `fence` is the identity through an integer op on the bits (an
// unsigned min that changes only the NaN pattern 0xffffffff, which no
// arithmetic here yields), which no float rewrite sees through: error-free
// transforms fence their sums. One vector min: on lavapipe a fence built
// from a compare and a shift cost 2-6 ms per use per 2^24 elements
// (peers/probes/sigmoid.txt).
fn fence(v: f32) -> f32 {
    return bitcast<f32>(min(bitcast<u32>(v), 0xfffffffeu));
}

// fence on each component.
fn fence4(v: vec4<f32>) -> vec4<f32> {
    return bitcast<vec4<f32>>(min(bitcast<vec4<u32>>(v), vec4<u32>(0xfffffffeu)));
}

// The rounding error of c + e for |e| <= |c| (Fast2Sum): c + e = fl(c + e) + err.
fn add_err(c: f32, e: f32, sum: f32) -> f32 {
    return fence((c - fence(sum)) + e);
}

// a + b = s + err exactly, whatever their magnitudes (2Sum).
fn two_sum(a: f32, b: f32) -> vec2<f32> {
    let s = fence(a + b);
    let bb = fence(s - a);
    return vec2<f32>(s, fence((a - (s - bb)) + (b - bb)));
}

// exp(r) - 1 for |r| <= 0.375, the range exp_hl's reduction leaves (with a
// correction up to 0.03): Taylor to degree 7, the first term dropped below
// 0.1 ULP there (the CPU path's expm1_reduced).
fn expm1_reduced(r: f32) -> f32 {
    var q = 1.984126984e-04;
    q = fma(q, r, 1.388888889e-03);
    q = fma(q, r, 8.333333333e-03);
    q = fma(q, r, 4.166666667e-02);
    q = fma(q, r, 1.666666667e-01);
    q = fma(q, r, 5.000000000e-01);
    return fma(q * r, r, r);
}

// Cody–Waite reduction for exp(dh + dl): n = round(dh / ln 2) and
// m = expm1(r) on the reduced argument r = dh - n ln 2 + dl (|r| <= 0.375),
// so exp(dh + dl) = 2^n (1 + m). Returned as (m, n). dh - n * LN2_HI is
// exact (see LN2_HI); the rest carries a tiny error. For |dh| <= 300 and a
// small correction |dl| <= 0.03.
fn exp_reduce(dh: f32, dl: f32) -> vec2<f32> {
    let n = round(dh * LOG2E);
    return vec2<f32>(expm1_reduced(((dh - n * LN2_HI) - n * LN2_LO) + dl), n);
}

// exp(dh + dl), where dl is a small correction (|dl| <= 0.03) carrying the
// bits of the argument that do not fit in dh. Valid for dh <= 88; 0 below
// -104 (beneath the smallest subnormal). About 1 ULP. Branch-free: a CPU
// adapter runs both sides of every divergent branch.
fn exp_hl(dh: f32, dl: f32) -> f32 {
    // From -150 down the two-step scaling below underflows to 0 anyway.
    let e = exp_reduce(max(dh, -150.0), dl);
    // Scale by 2^n in two exact steps so that 2^n itself never leaves the
    // normal range (n runs from -217 to 127).
    let ni = i32(e.y);
    let n1 = ni >> 1u;
    return ((1.0 + e.x) * pow2i(n1)) * pow2i(ni - n1);
}

// exp(dh + dl) = (p.x + p.y) 2^p.z with p.x = 1 + m (exp_reduce) and p.y
// the rounding error of that sum: for -200 <= dh <= 88 and |dl| <= 2^-8. The
// caller scales (results far below the normal range keep their precision).
fn exp_pair(dh: f32, dl: f32) -> vec3<f32> {
    let e = exp_reduce(dh, dl);
    let p = 1.0 + e.x;
    return vec3<f32>(p, add_err(1.0, e.x, p), e.y);
}

// exp(a - b) for finite a, b with a <= b + 64, accurate to about 1 ULP even
// where a - b is not representable in f32 (exp would amplify that rounding
// by |a - b|, e.g. 16 ULP at a - b = -24).
fn exp_diff(a: f32, b: f32) -> f32 {
    // |b| >= 256: within 128 of b, a lies within a factor of two of b, so the
    // halves subtract exactly (Sterbenz) and doubling is exact; further
    // below, exp underflows anyway. Halving first keeps a - b from
    // overflowing.
    let big = abs(b) >= 256.0;
    // Otherwise anything more than 128 below b underflows; clamping bounds
    // |a1| < 384. Each is split into a multiple of 2^-8 and an exact
    // remainder: the high parts subtract exactly, the low parts carry an
    // error near 2^-34. Both argument pairs are formed, one exp taken.
    let a1 = max(a, b - 128.0);
    let ah = round(a1 * 256.0) * 0.00390625;
    let bh = round(b * 256.0) * 0.00390625;
    let dh = select(ah - bh, max(0.5 * a - 0.5 * b, -64.0) * 2.0, big);
    let dl = select((a1 - ah) - (b - bh), 0.0, big);
    return exp_hl(dh, dl);
}

// Set by the host for an elementwise kernel whose op runs with its default
// parameters: each `p_<name>()` then returns the default as a constant and
// the compiler folds the parameter logic away (kernels::param_prelude).
override DEFAULT_PARAMS: bool = false;

// Items (vec4s, or groups of eight 16-bit elements) each invocation of a
// wide elementwise kernel takes, WG_SIZE apart so that neighbouring threads
// still touch neighbouring items: on Mesa's CPU adapters several items per
// invocation move a vec4 copy at 1.55x the speed of one (measured on
// lavapipe and llvmpipe GL). Set by the host (kernels::WIDE_ITEMS).
override WIDE_ITEMS: u32 = 4u;

// Item k of this invocation in a wide kernel; dispatches wider than the
// per-dimension limit are folded into y.
fn wide_index(wid: vec3<u32>, nwg: vec3<u32>, lid: u32, k: u32) -> u32 {
    return ((wid.x + wid.y * nwg.x) * WIDE_ITEMS + k) * WG_SIZE + lid;
}

// Linear invocation index; dispatches wider than the per-dimension workgroup
// limit are folded into y.
fn flat_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * WG_SIZE;
}
