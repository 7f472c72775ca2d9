// Softmax over an axis of length `len`, with the tensor viewed as
// [outer, len, inner]: row r = (o, i) holds elements o*len*inner + k*inner + i.

struct SoftmaxParams {
    // Outer slices (planes) in this window.
    outer: u32,
    len: u32,
    inner: u32,
    // Elements in this window.
    count: u32,
    // Index of the window's first element, counted from the first element the
    // stats buffer describes (normalisation of long rows: the offset in the row).
    first: u32,
    // Index of the window's first element within the binding (bindings start
    // at aligned offsets).
    base: u32,
    // Long rows: elements per block.
    block: u32,
    // Long rows: index of the window's first block in the partials.
    pbase: u32,
}

// A sum kept in levels of 8 terms each (8, 64, 512, 4096, then the rest): its
// rounding error grows like that of a pairwise sum, not with the row length
// (a plain running sum of 1024 terms can lose several ULP).
struct Acc {
    s: array<f32, 5>,
    c: array<u32, 4>,
}

fn acc_new() -> Acc {
    return Acc(array<f32, 5>(0.0, 0.0, 0.0, 0.0, 0.0), array<u32, 4>(0u, 0u, 0u, 0u));
}

fn acc_add(a: ptr<function, Acc>, v: f32) {
    (*a).s[0] += v;
    // Carry full levels upward (unrolled: no loop trips counted by llvmpipe).
    (*a).c[0] += 1u;
    if ((*a).c[0] == 8u) {
        (*a).c[0] = 0u;
        (*a).s[1] += (*a).s[0];
        (*a).s[0] = 0.0;
        (*a).c[1] += 1u;
        if ((*a).c[1] == 8u) {
            (*a).c[1] = 0u;
            (*a).s[2] += (*a).s[1];
            (*a).s[1] = 0.0;
            (*a).c[2] += 1u;
            if ((*a).c[2] == 8u) {
                (*a).c[2] = 0u;
                (*a).s[3] += (*a).s[2];
                (*a).s[2] = 0.0;
                (*a).c[3] += 1u;
                if ((*a).c[3] == 8u) {
                    (*a).c[3] = 0u;
                    (*a).s[4] += (*a).s[3];
                    (*a).s[3] = 0.0;
                }
            }
        }
    }
}

fn acc_total(a: Acc) -> f32 {
    return a.s[4] + (a.s[3] + (a.s[2] + (a.s[1] + a.s[0])));
}

// Folds x into the running max `m` of a row's finite entries; a NaN or +inf
// sets `bad` (the row comes out all NaN); -inf changes nothing.
fn track(x: f32, m: ptr<function, f32>, bad: ptr<function, u32>) {
    let b = bitcast<u32>(x);
    if (is_finite_bits(b)) {
        *m = max(*m, x);
    } else if (b != F32_NEG_INF_BITS) {
        *bad = 1u;
    }
}

// A row's statistics are (m, t): m its largest finite entry and
// t = sum(exp(x - m)) - 1, kept apart from the 1 so that log_softmax's
// log1p(t) keeps the small terms. Entries equal to m add exactly 1 each and
// are counted in `ones` (integers, exact in f32); the rest go to `acc`. A row
// with no finite entry has t = -1; t = -1 also marks a row that comes out all
// NaN.

// Adds exp(x - mx) for a finite x (-inf adds nothing).
fn add_exp(acc: ptr<function, Acc>, ones: ptr<function, f32>, x: f32, mx: f32) {
    let b = bitcast<u32>(x);
    if (b == bitcast<u32>(mx)) {
        *ones += 1.0;
    } else if (is_finite_bits(b)) {
        acc_add(acc, exp_diff(x, mx));
    }
}

// t from the count of entries at the max and the sum of the others.
fn excess(ones: f32, rest: f32) -> f32 {
    return (ones - 1.0) + rest;
}

// Whether (m, t) marks a row that comes out all NaN.
fn dead_row(t: f32) -> bool {
    return bitcast<u32>(t) == bitcast<u32>(-1.0);
}

// 1 + t as an exact pair (hi, lo) (2Sum: t may exceed 1).
fn one_plus(t: f32) -> vec2<f32> {
    return two_sum(1.0, t);
}

// Index of the first element of row `row` (= o * inner + i) in the binding.
fn row_base(row: u32) -> u32 {
    let o = row / sp.inner;
    return sp.base + o * sp.len * sp.inner + (row - o * sp.inner);
}
