// Keras relu(x, negative_slope, max_value, threshold):
//   pos = x if x > threshold else 0;  pos = clip(pos, 0, max_value) if set;
//   result = pos - negative_slope * max(threshold - x, 0)
// max_value is NaN in its slot when unset (tested by bits). Branch-free:
// every case is formed and the right one selected (a CPU adapter would run
// each branch anyway).
fn activate(x: f32) -> f32 {
    let b = bitcast<u32>(x);
    let t = p_threshold();
    let slope = p_negative_slope();
    let m = p_max_value();
    let neg_inf = b == F32_NEG_INF_BITS;
    let above = !neg_inf && (b == F32_INF_BITS || x > t);
    let pos0 = select(0.0, x, above);
    let pos = select(pos0, min(max(pos0, 0.0), m), !is_nan_bits(bitcast<u32>(m)));
    // Below the threshold pos == 0 (max_value >= 0 is checked on the host).
    // Halved first when t - x could overflow; scaling by 2 is exact. Both
    // steps are fenced: Mesa's compiler otherwise regroups the product as
    // (slope * 2) * d, which is inf * 0 = NaN at slope = t = x = FLT_MAX
    // (found by the fuzzer), or distributes it over the difference.
    let big = max(abs(t), abs(x)) >= 1.0e38;
    let h = select(1.0, 0.5, big);
    let below = pos - fence(slope * fence(h * t - h * x)) * select(1.0, 2.0, big);
    // -slope * inf at -inf.
    let at_neg_inf = select(bitcast<f32>(F32_NEG_INF_BITS), bitcast<f32>(F32_INF_BITS), slope < 0.0);
    let r = select(select(below, at_neg_inf, neg_inf), pos, above || slope == 0.0);
    return select(r, x, is_nan_bits(b));
}

// Backward, as Keras 3 composes relu (each kink takes TensorFlow's value):
// with a slope, no max_value and threshold 0 it is leaky_relu (the slope at
// 0); otherwise x * (x > threshold) when threshold != 0, else relu6 when
// max_value == 6, else relu (0 at their kinks), then clipped to
// [0, max_value] (the gradient passes at both ends), minus
// slope * relu(threshold - x) (0 at x = threshold).
fn grad(x: f32, dy: f32) -> f32 {
    if (is_nan_bits(bitcast<u32>(x))) {
        return qnan();
    }
    let t = p_threshold();
    let s = p_negative_slope();
    let m = p_max_value();
    let has_max = !is_nan_bits(bitcast<u32>(m));
    if (s != 0.0 && !has_max && t == 0.0) {
        return vjp(select(s, 1.0, x > 0.0), dy);
    }
    let relu6_path = t == 0.0 && has_max && m == 6.0;
    var p = 0.0;
    var dp = 0.0;
    if (t != 0.0) {
        if (x > t) {
            p = x;
            dp = 1.0;
        }
    } else if (relu6_path) {
        p = clamp(x, 0.0, 6.0);
        dp = select(0.0, 1.0, x > 0.0 && x < 6.0);
    } else if (x > 0.0) {
        p = x;
        dp = 1.0;
    }
    if (has_max && !relu6_path && !(p >= 0.0 && p <= m)) {
        dp = 0.0;
    }
    let dn = select(0.0, s, s != 0.0 && x < t);
    return vjp(dp + dn, dy);
}
