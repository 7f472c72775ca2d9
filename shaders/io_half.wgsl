// 16-bit storage: f16 and bf16 values as the low or high half of a u32, and
// the rounding of an f32 result to them, to nearest with ties to even, in
// integer code. pack2x16float is indeterminate outside f16's finite range
// (and f32 -> f16 conversions do not fix their rounding), so neither is
// used: overflow to ±inf, f16 subnormals, NaN and -0 come out right here.

// The f32 value of the f16 in the low 16 bits of `h` (exact, every class).
fn f16_to_f32(h: u32) -> f32 {
    let s = (h & 0x8000u) << 16u;
    let e = (h >> 10u) & 0x1fu;
    let m = h & 0x3ffu;
    if (e == 31u) {
        return bitcast<f32>(s | 0x7f800000u | (m << 13u));
    }
    if (e == 0u) {
        if (m == 0u) {
            return bitcast<f32>(s);
        }
        // A subnormal: shift its leading 1 up to bit 10 (an f32 normal).
        let sh = countLeadingZeros(m) - 21u;
        return bitcast<f32>(s | ((113u - sh) << 23u) | (((m << sh) & 0x3ffu) << 13u));
    }
    return bitcast<f32>(s | ((e + 112u) << 23u) | (m << 13u));
}

// The f16 bits (low 16 bits) of `x` rounded to nearest, ties to even.
fn f32_to_f16(x: f32) -> u32 {
    let b = bitcast<u32>(x);
    let s = (b >> 16u) & 0x8000u;
    let a = b & 0x7fffffffu;
    if (a > 0x7f800000u) {
        // NaN: quiet, keeping the top of the payload.
        return s | 0x7e00u | ((a >> 13u) & 0x3ffu);
    }
    if (a >= 0x477ff000u) {
        // From 65520 (half-way past 65504, odd) up: ±inf.
        return s | 0x7c00u;
    }
    if (a >= 0x38800000u) {
        // Normal: rebias the exponent, round off 13 mantissa bits.
        let r = a - 0x38000000u;
        return s | ((r + 0xfffu + ((r >> 13u) & 1u)) >> 13u);
    }
    if (a <= 0x33000000u) {
        // At most 2^-25 (half the least subnormal; the tie goes to 0).
        return s;
    }
    // Subnormal: multiples of 2^-24.
    let e = a >> 23u;
    let m = (a & 0x7fffffu) | 0x800000u;
    let sh = 126u - e;
    let q = m >> sh;
    let rem = m & ((1u << sh) - 1u);
    let half = 1u << (sh - 1u);
    return s | (q + select(0u, 1u, rem > half || (rem == half && (q & 1u) == 1u)));
}

// `x` rounded to f16 as the f32 holding it exactly (±inf past the range).
fn round_f16(x: f32) -> f32 {
    return f16_to_f32(f32_to_f16(x));
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
