// Keras tanh_shrink(x) = x - tanh(x). Near 0 it cancels to x^3 / 3, so
// |x| < 1 takes x^3 P(x^2); from 1 on, (|x| - 1) + 2e / (1 + e) with
// e = exp(-2|x|), a sum of two non-negative terms.
// tanh_shrink(+-inf) = +-inf.

// P(s) = (x - tanh(x)) / x^3 for s = x^2 in [0, 1]: degree 7, within 0.1 ULP,
// the constant term (1/3) a pair.
const TANH_SHRINK_C0_HI: f32 = 0.33333334;
const TANH_SHRINK_C0_LO: f32 = -9.934108e-9;
const TANH_SHRINK_C1: f32 = -0.13333318;
const TANH_SHRINK_C2: f32 = 0.053964183;
const TANH_SHRINK_C3: f32 = -0.021833232;
const TANH_SHRINK_C4: f32 = 0.008706874;
const TANH_SHRINK_C5: f32 = -0.003218629;
const TANH_SHRINK_C6: f32 = 0.00093138317;
const TANH_SHRINK_C7: f32 = -0.00014489381;

fn activate(x: f32) -> f32 {
    let b = bitcast<u32>(x);
    let ab = b & F32_ABS_MASK;
    // NaN; and |x| > 2^24 (infinities included), where x - sign(x) is at or
    // past a tie between neighbours and the exact result rounds to x.
    if (ab > 0x4b800000u) {
        return x;
    }
    let a = bitcast<f32>(ab);
    if (a < 1.0) {
        // x^2, P and x^3 as pairs; one rounding at the end.
        let s = gf_two_prod(x, x);
        var r = TANH_SHRINK_C7;
        r = fma(r, s.x, TANH_SHRINK_C6);
        r = fma(r, s.x, TANH_SHRINK_C5);
        r = fma(r, s.x, TANH_SHRINK_C4);
        r = fma(r, s.x, TANH_SHRINK_C3);
        r = fma(r, s.x, TANH_SHRINK_C2);
        r = fma(r, s.x, TANH_SHRINK_C1);
        // P = c0 + s r; |s r| < c0, so Fast2Sum applies.
        let p = gf_two_prod(s.x, r);
        let qh = TANH_SHRINK_C0_HI + p.x;
        let ql = gf_add_err(TANH_SHRINK_C0_HI, p.x, qh) + ((p.y + TANH_SHRINK_C0_LO) + s.y * r);
        // x^3 P scaled by 2^40 below |x| = 2^-20, so that the low parts of
        // the products stay normal while the result is; one rounding when
        // scaling back.
        let tiny = a < 0x1p-20f;
        let xs = x * select(1.0, 0x1p40f, tiny);
        let t = gf_two_prod(xs, s.x);
        let tl = t.y + xs * s.y;
        let u = gf_two_prod(t.x, qh);
        let v = (u.x + (u.y + (t.x * ql + tl * qh))) * select(1.0, 0x1p-40f, tiny);
        // The sign of x also where the result rounds to 0.
        return bitcast<f32>(bitcast<u32>(v) | (b & F32_SIGN_MASK));
    }
    // a - 1 is exact. Past a = 16, 2e / (1 + e) is below an ULP of a - 1.
    let e = gf_exp_parts(-2.0 * min(a, 16.0), 0.0);
    let eh = gf_scale(e.x, e.z);
    let el = gf_scale(e.y, e.z);
    let dh = 1.0 + eh;
    let dl = gf_add_err(1.0, eh, dh) + el;
    // g = 2e / (1 + e) as a pair: the corrected quotient and its residual.
    let gh = div2(2.0 * eh, 2.0 * el, dh, dl);
    let p = gf_two_prod(gh, dh);
    let gl = (((2.0 * eh - p.x) - p.y) + (2.0 * el - gh * dl)) / dh;
    let s = gf_two_sum(a - 1.0, gh);
    let r = s.x + (s.y + gl);
    return bitcast<f32>(bitcast<u32>(r) | (b & F32_SIGN_MASK));
}

// Backward: tanh(x)^2. Below |x| = 0.35, x^2 P(x^2) with P the series of
// (tanh(x) / x)^2 to degree 9 (within 2^-28) and x^2 from x's mantissa
// (exact; scaled once with dy, so tiny x keeps its bits); above, with
// e = exp(-2|x|) as a pair, (1 - e)^2 / (1 + e)^2 from exact pairs.
fn grad(x: f32, dy: f32) -> f32 {
    let b = bitcast<u32>(x);
    if (is_nan_bits(b)) {
        return qnan();
    }
    let a = abs(x);
    if (a < 0.35) {
        if (a == 0.0) {
            return vjp(0.0, dy);
        }
        let u = x * x;
        var q = -0.0020352229;
        q = fma(q, u, 0.004543453);
        q = fma(q, u, -0.010030466);
        q = fma(q, u, 0.021837516);
        q = fma(q, u, -0.046697665);
        q = fma(q, u, 0.097495593);
        q = fma(q, u, -0.1968254);
        q = fma(q, u, 0.37777779);
        q = fma(q, u, -0.66666669);
        let pl = q * u;
        let ph = 1.0 + pl;
        let f = ef_frexp(x);
        let sq = two_prod(f.x, f.x);
        let m = two_prod(sq.x, ph);
        return vjp_scaled(m.x, m.y + (sq.y * ph + sq.x * add_err(1.0, pl, ph)), 2.0 * f.y, dy);
    }
    if (!(a <= 45.0)) {
        return vjp(1.0, dy);
    }
    let e = ef_exp_parts(-2.0 * a, 0.0);
    let eh = ef_scale(e.x, e.z);
    let el = ef_scale(e.y, e.z);
    let n = two_sum(1.0, -eh);
    let nl = n.y - el;
    let d = two_sum(1.0, eh);
    let dl = d.y + el;
    let n2 = two_prod(n.x, n.x);
    let d2 = two_prod(d.x, d.x);
    return vjp(div2(n2.x, n2.y + 2.0 * n.x * nl, d2.x, d2.y + 2.0 * d.x * dl), dy);
}
