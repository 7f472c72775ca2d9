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

// Backward: tanh(x)^2.
fn grad(x: f32, dy: f32) -> f32 {
    if (is_nan_bits(bitcast<u32>(x))) {
        return qnan();
    }
    let t = tanh_f32(x);
    if (t == 0.0) {
        return vjp(0.0, dy);
    }
    // t^2 from t's mantissa: exact as a pair, scaled once with dy (t^2
    // underflows below |x| = 2^-75).
    let f = ef_frexp(t);
    let sq = ef_two_prod(f.x, f.x);
    return vjp_scaled(sq.x, sq.y, 2.0 * f.y, dy);
}
