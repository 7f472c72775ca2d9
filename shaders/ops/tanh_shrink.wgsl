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
        let sh = x * x;
        let sl = fma(x, x, -sh);
        var r = TANH_SHRINK_C7;
        r = fma(r, sh, TANH_SHRINK_C6);
        r = fma(r, sh, TANH_SHRINK_C5);
        r = fma(r, sh, TANH_SHRINK_C4);
        r = fma(r, sh, TANH_SHRINK_C3);
        r = fma(r, sh, TANH_SHRINK_C2);
        r = fma(r, sh, TANH_SHRINK_C1);
        // P = c0 + s r; |s r| < c0, so Fast2Sum applies.
        let ph = sh * r;
        let qh = TANH_SHRINK_C0_HI + ph;
        let ql = add_err(TANH_SHRINK_C0_HI, ph, qh)
            + ((fma(sh, r, -ph) + TANH_SHRINK_C0_LO) + sl * r);
        let th = x * sh;
        let tl = fma(x, sh, -th) + x * sl;
        let rh = th * qh;
        return rh + (fma(th, qh, -rh) + (th * ql + tl * qh));
    }
    // a - 1 is exact. Past a = 16, 2e / (1 + e) is below an ULP of a - 1.
    let e = gf_exp_parts(-2.0 * min(a, 16.0), 0.0);
    let eh = gf_scale(e.x, e.z);
    let el = gf_scale(e.y, e.z);
    let dh = 1.0 + eh;
    let dl = add_err(1.0, eh, dh) + el;
    // g = 2e / (1 + e) as a pair: the corrected quotient and its residual.
    let gh = div2(2.0 * eh, 2.0 * el, dh, dl);
    let gl = (fma(-gh, dh, 2.0 * eh) + (2.0 * el - gh * dl)) / dh;
    let s = gf_two_sum(a - 1.0, gh);
    let r = s.x + (s.y + gl);
    return bitcast<f32>(bitcast<u32>(r) | (b & F32_SIGN_MASK));
}
