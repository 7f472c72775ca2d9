// Softmax over an axis of length `len`, with the tensor viewed as
// [outer, len, inner]: row r = (o, i) holds elements o*len*inner + k*inner + i.

struct SoftmaxParams {
    outer: u32,
    len: u32,
    inner: u32,
    // Elements in the tensor (outer * len * inner).
    total: u32,
}

// A sum in four levels of 64 terms: rounding error grows with the number of
// terms per level rather than with the row length (a plain running sum of
// 10^6 terms loses ~10 ULP).
struct Acc {
    s0: f32,
    s1: f32,
    s2: f32,
    s3: f32,
    c0: u32,
    c1: u32,
    c2: u32,
}

fn acc_new() -> Acc {
    return Acc(0.0, 0.0, 0.0, 0.0, 0u, 0u, 0u);
}

fn acc_add(a: ptr<function, Acc>, v: f32) {
    (*a).s0 += v;
    (*a).c0 += 1u;
    if ((*a).c0 == 64u) {
        (*a).s1 += (*a).s0;
        (*a).s0 = 0.0;
        (*a).c0 = 0u;
        (*a).c1 += 1u;
        if ((*a).c1 == 64u) {
            (*a).s2 += (*a).s1;
            (*a).s1 = 0.0;
            (*a).c1 = 0u;
            (*a).c2 += 1u;
            if ((*a).c2 == 64u) {
                (*a).s3 += (*a).s2;
                (*a).s2 = 0.0;
                (*a).c2 = 0u;
            }
        }
    }
}

fn acc_total(a: Acc) -> f32 {
    return a.s3 + (a.s2 + (a.s1 + a.s0));
}
