// 16-bit storage: f16 and bf16 values as the low or high half of a u32, and
// the rounding of an f32 result to them, to nearest with ties to even, in
// integer code. pack2x16float is indeterminate outside f16's finite range
// (and f32 -> f16 conversions do not fix their rounding), so neither is
// used: overflow to ±inf, f16 subnormals, NaN and -0 come out right here.

// Branch-free: every lane of a SIMD batch (CPU adapters run 8 or 16
// invocations as one) takes the same instructions.

// The f32 value of the f16 in the low 16 bits of `h` (exact, every class).
fn f16_to_f32(h: u32) -> f32 {
    let em = h & 0x7fffu;
    // Normal: rebias the exponent (15 -> 127).
    var r = (em << 13u) + 0x38000000u;
    // Zero and subnormals: em counts 2^-24; 0.5 + em * 2^-24 has em as its
    // low mantissa bits, and taking 0.5 off is exact.
    r = select(r, bitcast<u32>(bitcast<f32>(0x3f000000u | em) - 0.5), em < 0x400u);
    // ±inf and NaN (payload kept).
    r = select(r, (em << 13u) | 0x7f800000u, em >= 0x7c00u);
    return bitcast<f32>(r | ((h & 0x8000u) << 16u));
}

// `x` rounded to f16 (to nearest, ties to even) as the f32 holding it
// exactly: ±inf from 65520 up (half-way past 65504, whose last bit is odd),
// multiples of 2^-24 below 2^-14, NaN quiet.
fn round_f16(x: f32) -> f32 {
    let b = bitcast<u32>(x);
    let a = b & 0x7fffffffu;
    // Normal range: round off 13 mantissa bits.
    var r = (a + 0xfffu + ((a >> 13u) & 1u)) & 0xffffe000u;
    // Below 2^-14: adding 0.5 rounds to a multiple of 2^-24 (to nearest
    // even, one IEEE add); taking 0.5 off again is exact (fenced, or the
    // compiler folds the pair away).
    r = select(r, bitcast<u32>(fence(bitcast<f32>(a) + 0.5) - 0.5), a < 0x38800000u);
    r = select(r, 0x7f800000u, a >= 0x477ff000u);
    r = select(r, a | 0x00400000u, a > 0x7f800000u);
    return bitcast<f32>(r | (b & 0x80000000u));
}

// The f16 bits (low 16 bits) of `x` rounded to nearest, ties to even.
fn f32_to_f16(x: f32) -> u32 {
    let b = bitcast<u32>(x);
    let a = b & 0x7fffffffu;
    // Normal: rebias (127 -> 15) and round off 13 mantissa bits; a carry
    // into the exponent is the right result.
    var h = (a - 0x38000000u + 0xfffu + ((a >> 13u) & 1u)) >> 13u;
    // Below 2^-14: the count of 2^-24, to nearest even (up to 0x400, the
    // least normal): adding 0.5 rounds to a multiple of 2^-24, which the
    // low mantissa bits of the sum then count.
    h = select(h, bitcast<u32>(bitcast<f32>(a) + 0.5) - 0x3f000000u, a < 0x38800000u);
    h = select(h, 0x7c00u, a >= 0x477ff000u);
    // NaN: quiet, the top of the payload kept.
    h = select(h, 0x7e00u | ((a >> 13u) & 0x3ffu), a > 0x7f800000u);
    return h | ((b >> 16u) & 0x8000u);
}

// The f32 value of the bf16 in the low 16 bits of `h` (exact).
fn bf16_to_f32(h: u32) -> f32 {
    return bitcast<f32>(h << 16u);
}

// The bf16 bits (low 16 bits) of `x` rounded to nearest, ties to even.
fn f32_to_bf16(x: f32) -> u32 {
    let b = bitcast<u32>(x);
    if ((b & 0x7fffffffu) > 0x7f800000u) {
        return (b >> 16u) | 0x40u;
    }
    return (b + 0x7fffu + ((b >> 16u) & 1u)) >> 16u;
}

fn unpack2_f16(w: u32) -> vec2<f32> {
    return vec2<f32>(f16_to_f32(w & 0xffffu), f16_to_f32(w >> 16u));
}
fn pack2_f16(v: vec2<f32>) -> u32 {
    return f32_to_f16(v.x) | (f32_to_f16(v.y) << 16u);
}
fn unpack2_bf16(w: u32) -> vec2<f32> {
    return vec2<f32>(bitcast<f32>(w << 16u), bitcast<f32>(w & 0xffff0000u));
}
fn pack2_bf16(v: vec2<f32>) -> u32 {
    return f32_to_bf16(v.x) | (f32_to_bf16(v.y) << 16u);
}

fn round_f16_4(v: vec4<f32>) -> vec4<f32> {
    return vec4<f32>(round_f16(v.x), round_f16(v.y), round_f16(v.z), round_f16(v.w));
}
