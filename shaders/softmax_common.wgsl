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

// A compensated sum: s plus the exact rounding error of each addition (2Sum)
// gathered in c. Its error stays near one rounding of the total whatever the
// row length (a plain running sum of 1024 terms can lose several ULP), with
// no branches (a CPU adapter would run every side of them).
struct Acc {
    s: f32,
    c: f32,
}

fn acc_new() -> Acc {
    return Acc(0.0, 0.0);
}

fn acc_add(a: ptr<function, Acc>, v: f32) {
    let t = two_sum((*a).s, v);
    (*a).s = t.x;
    (*a).c += t.y;
}

fn acc_total(a: Acc) -> f32 {
    return a.s + a.c;
}

// Folds x into the running max `m` of a row's finite entries; a NaN or +inf
// sets `bad` (the row comes out all NaN); -inf changes nothing.
fn track(x: f32, m: ptr<function, f32>, bad: ptr<function, u32>) {
    let b = bitcast<u32>(x);
    let finite = is_finite_bits(b);
    *m = max(*m, select(-F32_MAX, x, finite));
    *bad |= u32(!finite && b != F32_NEG_INF_BITS);
}

// A row's statistics are (m, t): m its largest finite entry and
// t = sum(exp(x - m)) - 1, kept apart from the 1 so that log_softmax's
// log1p(t) keeps the small terms. Entries equal to m add exactly 1 each and
// are counted in `ones` (integers, exact in f32); the rest go to `acc`. A row
// with no finite entry has t = -1; t = -1 also marks a row that comes out all
// NaN.

// exp(x - m) for a finite x, 0 for -inf (1 for NaN and +inf, whose row
// comes out all NaN): the term the stats pass sums, and what softmax keeps.
fn exp_term(x: f32, m: f32) -> f32 {
    let b = bitcast<u32>(x);
    return select(exp_diff(select(m, x, is_finite_bits(b)), m), 0.0, b == F32_NEG_INF_BITS);
}

// Adds x's term to a row's sum and returns it (exp_term): entries at the
// max count in `ones`, the rest go to `acc`.
fn add_exp(acc: ptr<function, Acc>, ones: ptr<function, f32>, x: f32, mx: f32) -> f32 {
    let at_max = bitcast<u32>(x) == bitcast<u32>(mx);
    *ones += select(0.0, 1.0, at_max);
    let e = exp_term(x, mx);
    acc_add(acc, select(e, 0.0, at_max));
    return e;
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
