// Keras relu(x, negative_slope, max_value, threshold):
//   pos = x if x > threshold else 0;  pos = clip(pos, 0, max_value) if set;
//   result = pos - negative_slope * max(threshold - x, 0)
// max_value is NaN in its slot when unset (tested by bits).
fn activate(x: f32) -> f32 {
    let b = bitcast<u32>(x);
    if (is_nan_bits(b)) {
        return x;
    }
    let t = p_threshold();
    let slope = p_negative_slope();
    let neg_inf = b == F32_NEG_INF_BITS;
    let above = !neg_inf && (b == F32_INF_BITS || x > t);
    var pos = select(0.0, x, above);
    if (!is_nan_bits(bitcast<u32>(p_max_value()))) {
        pos = min(max(pos, 0.0), p_max_value());
    }
    if (above || slope == 0.0) {
        return pos;
    }
    // x <= threshold, so pos == 0 (max_value >= 0 is checked on the host).
    if (neg_inf) {
        // -slope * inf
        return select(bitcast<f32>(F32_NEG_INF_BITS), bitcast<f32>(F32_INF_BITS), slope < 0.0);
    }
    // Halve first when t - x could overflow; scaling by 2 is exact. Both
    // steps are fenced: Mesa's compiler otherwise regroups the product as
    // (slope * 2) * d, which is inf * 0 = NaN at slope = t = x = FLT_MAX
    // (found by the fuzzer), or distributes it over the difference.
    if (max(abs(t), abs(x)) >= 1.0e38) {
        return pos - fence(slope * fence(0.5 * t - 0.5 * x)) * 2.0;
    }
    return pos - slope * fence(t - x);
}

// Backward: 1 on the identity piece (strictly inside [0, max_value] when it
// is set), the slope below the threshold, 0 elsewhere and at the threshold
// and max_value themselves.
fn grad(x: f32, dy: f32) -> f32 {
    if (is_nan_bits(bitcast<u32>(x))) {
        return qnan();
    }
    let t = p_threshold();
    let m = p_max_value();
    var d = 0.0;
    if (x > t) {
        let capped = !is_nan_bits(bitcast<u32>(m)) && (x >= m || x <= 0.0);
        d = select(1.0, 0.0, capped);
    } else if (x < t) {
        d = p_negative_slope();
    }
    return vjp(d, dy);
}
