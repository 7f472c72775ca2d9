// Helpers of the gelu-family ops (gelu, tanh_shrink, softsign, squareplus);
// any op may call them. Every name starts `gf_`.
//
//   gf_two_sum(a, b) -> vec2<f32>      a + b = s + err exactly (any order).
//   gf_two_prod(a, b) -> vec2<f32>     a * b = p + err exactly (unless err
//                                      underflows), without relying on fma.
//   gf_exp_parts(dh, dl) -> vec3<f32>  exp(dh + dl) = (r.x + r.y) * 2^r.z, r.x
//                                      in [0.7, 1.42], for -120 <= dh <= 0 and
//                                      |dl| <= 2^-6.
//   gf_scale(v, n) -> f32              v * 2^n for an integer-valued n in
//                                      [-252, 252].
//
// A pair (hi, lo) stands for the unevaluated sum hi + lo: carrying rounding
// errors keeps each op close to one final rounding.

// a + b = s + err exactly, whichever is larger (2Sum).
fn gf_two_sum(a: f32, b: f32) -> vec2<f32> {
    let s = a + b;
    let bb = s - a;
    return vec2<f32>(s, (a - (s - bb)) + (b - bb));
}

// x with the low 12 bits of its significand cleared: x and x - gf_hi12(x)
// each have at most 12 significant bits, so products of such halves are
// exact in f32.
fn gf_hi12(x: f32) -> f32 {
    return bitcast<f32>(bitcast<u32>(x) & 0xfffff000u);
}

// a * b = p + err exactly (Dekker's product), unless err underflows. Built
// from exact products of halves, so it holds whether the device fuses fma
// or not, and whether or not it contracts a * b + c: it serves where an
// error would be amplified (arguments of exp, residuals of quotients), while
// fma(a, b, -p) serves where a lost low part only costs a rounding.
fn gf_two_prod(a: f32, b: f32) -> vec2<f32> {
    let p = a * b;
    let ah = gf_hi12(a);
    let al = a - ah;
    let bh = gf_hi12(b);
    let bl = b - bh;
    return vec2<f32>(p, (((ah * bh - p) + ah * bl) + al * bh) + al * bl);
}

// exp(r) - 1 for |r| <= 0.37 as a pair: Taylor to degree 8 (the rest is
// below 2^-31), and the rounding error of the last step.
fn gf_expm1(r: f32) -> vec2<f32> {
    var q = 2.48015873e-5;
    q = fma(q, r, 1.98412698e-4);
    q = fma(q, r, 1.38888889e-3);
    q = fma(q, r, 8.33333333e-3);
    q = fma(q, r, 4.16666667e-2);
    q = fma(q, r, 1.66666667e-1);
    q = fma(q, r, 0.5);
    let s = q * r;
    let h = fma(s, r, r);
    // h lies within a factor 1.2 of r, so r - h is exact and this is the
    // rounding error of h (up to a rounding of its own).
    return vec2<f32>(h, fma(s, r, r - h));
}

// exp(dh + dl) as (r.x + r.y) * 2^r.z, good to about 2^-29 relative. The
// power of two is left to the caller, who multiplies first and scales last,
// so nothing underflows (or is flushed) before the final result.
fn gf_exp_parts(dh: f32, dl: f32) -> vec3<f32> {
    let n = round(dh * LOG2E);
    // dh - n * LN2_HI is exact (see LN2_HI); the reduced argument is kept as
    // a pair, since rounding it would cost up to a quarter of an ULP.
    let r = gf_two_sum(dh - n * LN2_HI, dl - n * LN2_LO);
    let m = gf_expm1(r.x);
    let ph = 1.0 + m.x;
    // exp(r.x + r.y) = (1 + m) (1 + r.y), to within r.y^2 < 2^-48.
    let pl = add_err(1.0, m.x, ph) + m.y + ph * r.y;
    return vec3<f32>(ph, pl, n);
}

// v * 2^n in two steps, so that each power of two stays normal. The first
// step is exact for every caller (v * 2^(n/2) stays normal), so a subnormal
// result is rounded once.
fn gf_scale(v: f32, n: f32) -> f32 {
    let k = i32(n);
    let k1 = k / 2;
    return (v * pow2i(k1)) * pow2i(k - k1);
}
