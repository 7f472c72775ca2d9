fn activate(x: f32) -> f32 {
    if (x < 1.0) {
        return add_err(1.0, x, 1.0 + x);
    }
    if (x < 2.0) {
        return split(x).y;
    }
    if (x < 3.0) {
        return two_prod(x, x).y;
    }
    if (x < 4.0) {
        let p = x * x;
        return x * x - p;
    }
    if (x < 5.0) {
        return fma(x, x, -(x * x));
    }
    if (x < 6.0) {
        return ef_two_sum(x, x * 1e-9).y;
    }
    if (x < 7.0) {
        let c = 4097.0 * x;
        return c - (c - x);
    }
    return ef_mul(x, 0.0, x, 0.0);
}
