// Helpers of the gelu-family ops (gelu, tanh_shrink, softsign, squareplus);
// any op may call them. Every name starts `gf_`; error terms are fenced
// with common.wgsl's `fence` (see below).
//
//   gf_two_sum(a, b) -> vec2<f32>      a + b = s + err exactly (any order).
//   gf_add_err(c, e, s) -> f32         the rounding error of s = c + e for
//                                      |e| <= |c| (Fast2Sum).
//   gf_two_prod(a, b) -> vec2<f32>     a * b = p + err exactly (unless err
//                                      underflows), without fma.
//   gf_exp_parts(dh, dl) -> vec3<f32>  exp(dh + dl) = (r.x + r.y) * 2^r.z, r.x
//                                      in [0.7, 1.42], for -120 <= dh <= 0 and
//                                      |dl| <= 2^-6.
//   gf_scale(v, n) -> f32              v * 2^n for an integer-valued n in
//                                      [-252, 252].
//
// A pair (hi, lo) stands for the unevaluated sum hi + lo: carrying rounding
// errors keeps each op close to one final rounding.

// Why the fences: WGSL cannot mark a float op exact, and Mesa's NIR
// (lavapipe, llvmpipe, and the other Mesa drivers) treats every unmarked one
// as reassociable (measured):
// - it rewrites (a + b) - a to b and 1 - (1 + e) to -e, so the textbook
//   error terms (2Sum, Fast2Sum) come out as 0;
// - it moves a constant added to a sum into that sum's own chain, so a
//   small constant added to the error term of a product lands next to a
//   large partial product inside it and is rounded away.
// common.wgsl's `fence` changes only one NaN bit pattern, which no
// arithmetic here yields, but the compiler cannot know that, and integer ops
// hide the value from every float rewrite (a select(v, 0.0, ...) fence did
// not: NIR pushes an add with a constant into a select with a constant arm).
// So error terms are computed from fenced sums, and fenced themselves before
// they join other sums.

// a + b = s + err exactly, whichever is larger (2Sum).
fn gf_two_sum(a: f32, b: f32) -> vec2<f32> {
    let s = fence(a + b);
    let bb = fence(s - a);
    return vec2<f32>(s, fence((a - (s - bb)) + (b - bb)));
}

// The rounding error of s = c + e for |e| <= |c| (Fast2Sum).
fn gf_add_err(c: f32, e: f32, s: f32) -> f32 {
    return fence(e - (fence(s) - c));
}

// x with the low 12 bits of its significand cleared: x and x - gf_hi12(x)
// each have at most 12 significant bits, so products of such halves are
// exact in f32.
fn gf_hi12(x: f32) -> f32 {
    return bitcast<f32>(bitcast<u32>(x) & 0xfffff000u);
}

// a * b = p + err exactly (Dekker's product), unless err underflows. WGSL's
// fma need not be fused (Mesa's llvmpipe and lavapipe round a * b first), so
// every exact product here is built from exact products of halves. The
// halves come from masking rather than Veltkamp's split, which holds for any
// finite operand and whether or not the compiler contracts a * b + c.
fn gf_two_prod(a: f32, b: f32) -> vec2<f32> {
    let p = a * b;
    let ah = gf_hi12(a);
    let al = a - ah;
    let bh = gf_hi12(b);
    let bl = b - bh;
    return vec2<f32>(p, fence((((ah * bh - p) + ah * bl) + al * bh) + al * bl));
}

// exp(r) - 1 for |r| <= 0.37 as a pair: Taylor to degree 8 (the rest is
// below 2^-31), the last step r + s r carried exactly.
fn gf_expm1(r: f32) -> vec2<f32> {
    var q = 2.48015873e-5;
    q = fma(q, r, 1.98412698e-4);
    q = fma(q, r, 1.38888889e-3);
    q = fma(q, r, 8.33333333e-3);
    q = fma(q, r, 4.16666667e-2);
    q = fma(q, r, 1.66666667e-1);
    q = fma(q, r, 0.5);
    // |s r| <= 0.2 |r|, so Fast2Sum applies.
    let p = gf_two_prod(q * r, r);
    let h = r + p.x;
    return vec2<f32>(h, gf_add_err(r, p.x, h) + p.y);
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
    let pl = gf_add_err(1.0, m.x, ph) + m.y + ph * r.y;
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
