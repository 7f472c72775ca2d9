#!/usr/bin/env python3
"""Measure TensorFlow 2.21 / Keras 3 activation gradients (float32, CPU).

Run (from the repository root, ~5-10 min on one CPU core):

    CUDA_VISIBLE_DEVICES= TF_CPP_MIN_LOG_LEVEL=3 nice -n 5 \
        /tmp/tfenv/bin/python tools/tf_grads/measure.py

Needs tensorflow 2.21, keras 3, numpy and mpmath (`/tmp/tfenv/bin/pip install mpmath`).
Writes, next to this file:

  kinks.json / kinks.md   TF gradient (dy = 1) at every kink and at its float32
                          neighbours, next to the analytic left / right derivatives.
  specials.json / .md     TF dx for special x (nan, +-inf, +-0, +-1e-45, +-3.4e38,
                          +-100) times special dy (1, nan, inf, -inf, 0), for every
                          elementwise op and variant; rows with nan/inf for softmax,
                          log_softmax, sparsemax and glu.
  random.md               max ULP error of TF's gradient on 100 000 x ~ N(0, 3)
                          (seed 0, dy = 1) against the exact derivative (mpmath,
                          100 bits, correctly rounded to float32); and a full-range
                          scan (every 1024th float32, boundaries refined to the exact
                          float32) of where TF's gradient is 0 / NaN / inf / far off
                          while the exact derivative is not.

The gradient is always `tape.gradient(reduce_sum(act(x) * dy), x)` with
`act = keras.activations.<name>(x, **params)`.  "eager" is the primary value;
every section also evaluates the same function under `tf.function` ("graph") and
`tf.function(jit_compile=True)` ("xla") and records where they differ.
"""

import json
import math
import os
import platform
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import mpmath as mp  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

tf.get_logger().setLevel("ERROR")
HERE = os.path.dirname(os.path.abspath(__file__))
F32 = np.float32
T0 = time.time()


def log(*a):
    print(f"[{time.time() - T0:7.1f}s]", *a, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# float helpers
# --------------------------------------------------------------------------

def enc(v):
    """JSON encoding of a float32 value: exact float, or string for nan/inf/-0."""
    v = float(F32(v))
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == 0.0 and math.copysign(1.0, v) < 0:
        return "-0.0"
    return v


def bits(v):
    return "0x%08x" % (int(np.array(F32(v)).view(np.uint32)))


def s32(v):
    """Shortest repr that round-trips as float32."""
    v = F32(v)
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == 0:
        return "-0.0" if np.signbit(v) else "0.0"
    return np.format_float_positional(v, unique=True, trim="-") if 1e-4 <= abs(v) < 1e7 \
        else np.format_float_scientific(v, unique=True, trim="-")


def ordered(a):
    b = np.asarray(a, F32).view(np.int32).astype(np.int64)
    return np.where(b < 0, -(b & 0x7FFFFFFF), b)


def from_ordered(o):
    o = np.asarray(o, np.int64)
    b = np.where(o < 0, (-o) | 0x80000000, o).astype(np.uint32)
    return b.view(F32)


def ulp_dist(a, b):
    """ULP distance; +0 and -0 are the same point.  nan vs non-nan -> -1 (flag)."""
    a = np.asarray(a, F32)
    b = np.asarray(b, F32)
    d = np.abs(ordered(a) - ordered(b))
    na, nb = np.isnan(a), np.isnan(b)
    d = np.where(na & nb, 0, d)
    d = np.where(na ^ nb, -1, d)
    return d


def same32(a, b):
    """Bitwise-equal float32 arrays (all nans equal)."""
    a = np.asarray(a, F32)
    b = np.asarray(b, F32)
    return bool(np.all((a.view(np.uint32) == b.view(np.uint32)) | (np.isnan(a) & np.isnan(b))))


# --------------------------------------------------------------------------
# exact math backends: the same derivative formula runs on mpmath scalars
# (exact reference) and on float64 numpy arrays (full-range scan)
# --------------------------------------------------------------------------

mp.mp.prec = 100


class MP:
    exp = staticmethod(mp.exp)
    tanh = staticmethod(mp.tanh)
    sqrt = staticmethod(mp.sqrt)
    erfc = staticmethod(mp.erfc)
    pi = mp.pi

    @staticmethod
    def c(s):
        return mp.mpf(s)

    @staticmethod
    def where(c, a, b):
        return a if c else b

    @staticmethod
    def sech2(x):
        return mp.sech(x) ** 2

    @staticmethod
    def softplus(x):
        return mp.log1p(mp.exp(x))


_erfc_vec = np.frompyfunc(math.erfc, 1, 1)


class NP:
    exp = staticmethod(np.exp)
    tanh = staticmethod(np.tanh)
    sqrt = staticmethod(np.sqrt)
    pi = math.pi

    @staticmethod
    def erfc(x):
        return _erfc_vec(np.asarray(x, np.float64)).astype(np.float64)

    @staticmethod
    def c(s):
        return float(s)

    @staticmethod
    def where(c, a, b):
        return np.where(c, a, b)

    @staticmethod
    def sech2(x):
        return 1.0 / np.cosh(x) ** 2

    @staticmethod
    def softplus(x):
        return np.logaddexp(0.0, x)


def sig(x, M):
    return 1 / (1 + M.exp(-x))


def mp_to_f32(v):
    """Round an mpf correctly (nearest-even) to float32, subnormals included."""
    v = mp.mpf(v)
    if mp.isnan(v):
        return F32(np.nan)
    if mp.isinf(v):
        return F32(np.inf if v > 0 else -np.inf)
    if v == 0:
        return F32(0.0)
    if abs(v) < mp.ldexp(1, -126):
        r = mp.nint(mp.ldexp(v, 149))
        return F32(float(mp.ldexp(r, -149)))
    with mp.workprec(24):
        r = +v
    with np.errstate(over="ignore"):
        return F32(float(r))


def exact_f32(deriv, x):
    """Exact derivative at float32 x, rounded to float32."""
    x = F32(x)
    if np.isnan(x):
        return F32(np.nan)
    try:
        return mp_to_f32(deriv(mp.mpf(float(x)), MP))
    except ZeroDivisionError:
        return F32(np.nan)


def exact_f32_vec(deriv, xs):
    return np.array([exact_f32(deriv, x) for x in np.asarray(xs, F32)], F32)


def f64_ref(deriv, xs):
    """float64 reference (for the full-range scan), rounded to float32."""
    x = np.asarray(xs, F32).astype(np.float64)
    with np.errstate(all="ignore"):
        r = deriv(x, NP)
        r = np.broadcast_to(np.asarray(r, np.float64), x.shape)
        return r.astype(F32)


# --------------------------------------------------------------------------
# op table
# --------------------------------------------------------------------------

SELU_S = "1.0507009873554804934193349852946"
SELU_A = "1.6732632423543772848170429916717"


def d_celu(a):
    return lambda x, M: M.where(x > 0, 1, M.exp(x / M.c(a)))


def d_elu(a):
    return lambda x, M: M.where(x > 0, 1, M.c(a) * M.exp(x))


def d_selu(x, M):
    s, a = M.c(SELU_S), M.c(SELU_A)
    return M.where(x > 0, s, s * a * M.exp(x))


def d_gelu(x, M):
    return M.erfc(-x / M.sqrt(M.c(2))) / 2 + x * M.exp(-x * x / 2) / M.sqrt(2 * M.pi)


def d_gelu_tanh(x, M):
    c = M.sqrt(M.c(2) / M.pi)
    k = M.c("0.044715")
    u = c * (x + k * x * x * x)
    s2 = sig(2 * u, M)          # (1 + tanh u) / 2
    sm = sig(-2 * u, M)         # (1 - tanh u) / 2
    return s2 + 2 * x * s2 * sm * c * (1 + 3 * k * x * x)


def d_shrink(t):
    return lambda x, M: M.where(abs(x) > M.c(t), 1, 0)


def d_hard_sigmoid(x, M):
    return M.where((x > -3) & (x < 3), M.c(1) / 6, 0)


def d_hard_silu(x, M):
    return M.where(x < -3, 0, M.where(x < 3, (2 * x + 3) / M.c(6), 1))


def d_hard_tanh(x, M):
    return M.where(abs(x) < 1, 1, 0)


def d_leaky(a):
    return lambda x, M: M.where(x > 0, 1, M.c(str(a)))


def d_mish(x, M):
    t = M.tanh(M.softplus(x))
    return t + x * sig(x, M) * (1 - t * t)


def d_relu_general(slope, thr, maxv):
    # f = x on (thr, maxv), slope*(x - thr) + const below thr, constant above maxv
    def d(x, M):
        below = M.c(str(slope))
        hi = M.c(maxv) if maxv is not None else None
        inner = 1 if hi is None else M.where(x < hi, 1, 0)
        return M.where(x > M.c(thr), inner, below)
    return d


def d_relu6(x, M):
    return M.where((x > 0) & (x < 6), 1, 0)


def d_sigmoid(x, M):
    return sig(x, M) * sig(-x, M)


def d_silu(x, M):
    return sig(x, M) * (1 + x * sig(-x, M))


def d_softsign(x, M):
    return 1 / (1 + abs(x)) ** 2


def d_sparse_plus(x, M):
    return M.where(x <= -1, 0, M.where(x < 1, (x + 1) / 2, 1))


def d_sparse_sigmoid(x, M):
    return M.where((x > -1) & (x < 1), M.c(1) / 2, 0)


def d_squareplus(b):
    def d(x, M):
        bb = M.c(b)
        s = M.sqrt(x * x + bb)
        den = M.where(x >= 0, 1, s - x)               # (both branches are evaluated)
        num = M.where(x >= 0, s + x, bb / den)        # s + x without cancellation
        return num / (2 * s)
    return d


def d_threshold(t):
    return lambda x, M: M.where(x > M.c(t), 1, 0)


INF = float("inf")
S = float(SELU_S)
SA = float(SELU_S) * float(SELU_A)


def op(name, params, deriv, lim, kinks, default=False):
    """lim = (derivative at -inf, derivative at +inf); kinks = [(p, left, right)]
    where left/right are the limits of f'(x) for x -> p from the left / right."""
    label = name if not params else name + "(" + ", ".join(f"{k}={v}" for k, v in params.items()) + ")"
    return dict(name=name, params=params, label=label, deriv=deriv, lim=lim,
                kinks=kinks, default=default)


def at0(l, r):
    return [(0.0, l, r), (-0.0, l, r)]


OPS = [
    op("celu", {"alpha": 1.0}, d_celu(1.0), (0, 1), at0(1, 1), True),
    op("celu", {"alpha": 0.5}, d_celu(0.5), (0, 1), at0(1, 1)),
    op("celu", {"alpha": 2.0}, d_celu(2.0), (0, 1), at0(1, 1)),
    op("elu", {"alpha": 1.0}, d_elu(1.0), (0, 1), at0(1, 1), True),
    op("elu", {"alpha": 0.5}, d_elu(0.5), (0, 1), at0(0.5, 1)),
    op("exponential", {}, lambda x, M: M.exp(x), (0, INF), [], True),
    op("gelu", {"approximate": False}, d_gelu, (0, 1), [], True),
    op("gelu", {"approximate": True}, d_gelu_tanh, (0, 1), []),
    op("hard_shrink", {"threshold": 0.5}, d_shrink(0.5), (1, 1), [(-0.5, 1, 0), (0.5, 0, 1)], True),
    op("hard_shrink", {"threshold": 0.0}, d_shrink(0.0), (1, 1), at0(1, 1)),
    op("hard_sigmoid", {}, d_hard_sigmoid, (0, 0), [(-3.0, 0, 1 / 6), (3.0, 1 / 6, 0)], True),
    op("hard_silu", {}, d_hard_silu, (0, 1), [(-3.0, 0, -0.5), (3.0, 1.5, 1)], True),
    op("hard_tanh", {}, d_hard_tanh, (0, 0), [(-1.0, 0, 1), (1.0, 1, 0)], True),
    op("leaky_relu", {"negative_slope": 0.2}, d_leaky(0.2), (0.2, 1), at0(0.2, 1), True),
    op("linear", {}, lambda x, M: M.where(x == x, 1, 1), (1, 1), [], True),
    op("log_sigmoid", {}, lambda x, M: sig(-x, M), (1, 0), [], True),
    op("mish", {}, d_mish, (0, 1), [], True),
    op("relu", {}, d_relu_general(0.0, 0.0, None), (0, 1), at0(0, 1), True),
    op("relu", {"negative_slope": 0.1}, d_relu_general(0.1, 0.0, None), (0.1, 1), at0(0.1, 1)),
    op("relu", {"max_value": 6}, d_relu_general(0.0, 0.0, 6), (0, 0), at0(0, 1) + [(6.0, 1, 0)]),
    op("relu", {"threshold": 1.0}, d_relu_general(0.0, 1.0, None), (0, 1), [(1.0, 0, 1)] + at0(0, 0)),
    op("relu", {"negative_slope": 0.1, "threshold": 1.0, "max_value": 6},
       d_relu_general(0.1, 1.0, 6), (0.1, 0), [(1.0, 0.1, 1), (6.0, 1, 0)] + at0(0.1, 0.1)),
    op("relu6", {}, d_relu6, (0, 0), at0(0, 1) + [(6.0, 1, 0)], True),
    op("selu", {}, d_selu, (0, S), at0(SA, S), True),
    op("sigmoid", {}, d_sigmoid, (0, 0), [], True),
    op("silu", {}, d_silu, (0, 1), [], True),
    op("soft_shrink", {"threshold": 0.5}, d_shrink(0.5), (1, 1), [(-0.5, 1, 0), (0.5, 0, 1)], True),
    op("soft_shrink", {"threshold": 0.0}, d_shrink(0.0), (1, 1), at0(1, 1)),
    op("softplus", {}, lambda x, M: sig(x, M), (0, 1), [], True),
    op("softsign", {}, d_softsign, (0, 0), at0(1, 1), True),
    op("sparse_plus", {}, d_sparse_plus, (0, 1), [(-1.0, 0, 0), (1.0, 1, 1)], True),
    op("sparse_sigmoid", {}, d_sparse_sigmoid, (0, 0), [(-1.0, 0, 0.5), (1.0, 0.5, 0)], True),
    op("squareplus", {"b": 4}, d_squareplus(4), (0, 1), [], True),
    op("squareplus", {"b": 0}, d_squareplus(0), (0, 1), at0(0, 1)),
    op("tanh", {}, lambda x, M: M.sech2(x), (0, 0), [], True),
    op("tanh_shrink", {}, lambda x, M: M.tanh(x) ** 2, (1, 1), [], True),
    op("threshold", {"threshold": 1.0, "default_value": -2.0}, d_threshold(1.0), (0, 1),
       [(1.0, 0, 1)], True),
]

NON_ELEMENTWISE = ["glu", "log_softmax", "softmax", "sparsemax"]


def keras_fn(name, params):
    f = getattr(keras.activations, name)
    if name == "threshold":
        return lambda x: f(x, params["threshold"], params["default_value"])
    if name in NON_ELEMENTWISE:
        return lambda x: f(x, axis=-1)
    return lambda x: f(x, **params)


_FN_CACHE = {}


def grad_fns(key, fn):
    if key not in _FN_CACHE:
        def g(x, dy):
            with tf.GradientTape() as t:
                t.watch(x)
                y = fn(x)
                loss = tf.reduce_sum(y * dy)
            return t.gradient(loss, x)
        _FN_CACHE[key] = {
            "eager": g,
            "graph": tf.function(g),
            "xla": tf.function(g, jit_compile=True),
        }
    return _FN_CACHE[key]


MODES = ("eager", "graph", "xla")


def tf_grad(key, fn, x, dy, modes=MODES):
    fns = grad_fns(key, fn)
    x = tf.constant(np.asarray(x, F32))
    dy = tf.constant(np.asarray(dy, F32))
    out = {}
    for m in modes:
        r = fns[m](x, dy)
        out[m] = r.numpy().astype(F32)
    return out


# --------------------------------------------------------------------------
# 1. kinks
# --------------------------------------------------------------------------

def side_verdict(v, left, right):
    lv, rv = F32(left), F32(right)
    if np.isnan(v):
        return "neither (NaN)"
    eq_l, eq_r = v == lv, v == rv
    if eq_l and eq_r:
        return "both"
    if eq_l:
        return "left"
    if eq_r:
        return "right"
    return "neither"


def neighbour_verdict(v, exact):
    if v == exact or (np.isnan(v) and np.isnan(exact)):
        return "exact"
    if np.isnan(v):
        return "NaN (wrong)"
    d = int(ulp_dist(v, exact))
    return "off by %d ulp" % d if d <= 1024 else "wrong"


def run_kinks():
    log("kinks")
    rows = []
    for o in OPS:
        if not o["kinks"]:
            continue
        fn = keras_fn(o["name"], o["params"])
        pts, meta = [], []
        for p, L, R in o["kinks"]:
            p32 = F32(p)
            lo = np.nextafter(p32, F32(-np.inf))
            hi = np.nextafter(p32, F32(np.inf))
            pts += [lo, p32, hi]
            meta += [("below", p, L, R), ("kink", p, L, R), ("above", p, L, R)]
        xs = np.array(pts, F32)
        g = tf_grad(o["label"], fn, xs, np.ones_like(xs))
        for i, (kind, p, L, R) in enumerate(meta):
            x = xs[i]
            v = g["eager"][i]
            if kind == "kink":
                left, right = F32(L), F32(R)
            else:
                left = right = exact_f32(o["deriv"], x)
            row = dict(op=o["name"], params=o["params"], label=o["label"], kink=enc(p),
                       where=kind, x=enc(x), x_bits=bits(x), tf=enc(v), tf_bits=bits(v),
                       left=enc(left), right=enc(right),
                       tf_is=side_verdict(v, left, right) if kind == "kink"
                       else neighbour_verdict(v, left))
            for m in ("graph", "xla"):
                if not same32(g[m][i], v):
                    row["tf_" + m] = enc(g[m][i])
            rows.append(row)
    with open(os.path.join(HERE, "kinks.json"), "w") as f:
        json.dump(dict(meta=META, rows=rows), f, indent=1)

    L = ["# TF 2.21 / Keras 3 gradients at kinks (float32, dy = 1)", "",
         "Generated by `measure.py` (see its header for the command). CPU, eager "
         "`tf.GradientTape` of `sum(act(x) * dy)`.", "",
         "* *left / right derivative*: limit of f'(x) as x -> point from below / above "
         "(for the discontinuous ops hard_shrink, threshold and relu(threshold=1) these are "
         "the slopes of the adjacent pieces). For the float32 neighbour rows "
         "(`nextafter(point, -inf)` / `nextafter(point, +inf)`) both columns hold the exact "
         "derivative at that neighbour, rounded to float32.",
         "* *TF is*: which one-sided derivative TF returned at the kink, or, for "
         "neighbours, whether TF equals the exact derivative.",
         "* *graph / XLA*: value under `tf.function` / `tf.function(jit_compile=True)` "
         "where it differs from eager (blank = identical).",
         "* Neighbours of 0 are +-1e-45 (subnormal): TF on CPU runs with denormals "
         "flushed to zero (FTZ/DAZ), so it treats them as 0.", "",
         "| op | params | point | TF gradient (dy=1) | left derivative | right derivative "
         "| TF is | graph / XLA |",
         "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        x = F32(r["x"] if not isinstance(r["x"], str) else float(r["x"]))
        if r["where"] == "kink":
            pt = "**%s**" % s32(x)
        else:
            pt = "%s (%s)" % (s32(x), "p⁻" if r["where"] == "below" else "p⁺")
        pstr = ", ".join(f"{k}={v}" for k, v in r["params"].items())

        def fv(v):
            return s32(F32(float(v)))
        diff = "; ".join(f"{m}: {fv(r['tf_' + m])}" for m in ("graph", "xla") if "tf_" + m in r)
        L.append(f"| {r['op']} | {pstr} | {pt} | {fv(r['tf'])} | {fv(r['left'])} | "
                 f"{fv(r['right'])} | {r['tf_is']} | {diff} |")
    with open(os.path.join(HERE, "kinks.md"), "w") as f:
        f.write("\n".join(L) + "\n")
    return rows


# --------------------------------------------------------------------------
# 2. special values
# --------------------------------------------------------------------------

SX = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-45, -1e-45, 3.4e38, -3.4e38, 100.0, -100.0]
SDY = [1.0, np.nan, np.inf, -np.inf, 0.0]


def ref_special(o, x, dy):
    x, dy = F32(x), F32(dy)
    if np.isnan(x):
        return F32(np.nan)
    if np.isinf(x):
        d = F32(o["lim"][1] if x > 0 else o["lim"][0])
    else:
        is_kink = any(F32(p) == x for p, _, _ in o["kinks"])
        if is_kink:
            return None
        d = exact_f32(o["deriv"], x)
    with np.errstate(all="ignore"):
        return F32(d * dy)


def run_specials():
    log("specials")
    out = {"meta": META, "x_values": [enc(v) for v in SX], "dy_values": [enc(v) for v in SDY],
           "note": ("ref = exact derivative (float32) times dy with IEEE rules "
                    "(so 0 * inf = nan); at x = +-inf the derivative's limit; null at "
                    "kinks (see kinks.json). dx_graph / dx_xla / dx_single: only present "
                    "where they differ from the eager batched dx."),
           "elementwise": {}, "non_elementwise": {}}
    xs = np.array([x for x in SX for _ in SDY], F32)
    dys = np.array([d for _ in SX for d in SDY], F32)
    for o in OPS:
        fn = keras_fn(o["name"], o["params"])
        g = tf_grad(o["label"], fn, xs, dys)
        # each element alone (scalar / non-vectorised code path)
        single = np.array([grad_fns(o["label"], fn)["eager"](
            tf.constant(xs[i:i + 1]), tf.constant(dys[i:i + 1])).numpy()[0]
            for i in range(len(xs))], F32)
        rows = []
        for i in range(len(xs)):
            v = g["eager"][i]
            ref = ref_special(o, xs[i], dys[i])
            row = dict(x=enc(xs[i]), dy=enc(dys[i]), dx=enc(v), dx_bits=bits(v),
                       ref=None if ref is None else enc(ref))
            row["matches_ref"] = None if ref is None else bool(same32(v, ref) or v == ref)
            # (+0 == -0 counts as a match)
            for m in ("graph", "xla"):
                if not same32(g[m][i], v):
                    row["dx_" + m] = enc(g[m][i])
            if not same32(single[i], v):
                row["dx_single"] = enc(single[i])
            rows.append(row)
        out["elementwise"][o["label"]] = dict(op=o["name"], params=o["params"], rows=rows)

    rng = np.random.default_rng(1)
    ne_rows = {
        "softmax": [[0.5, 1.25, -0.75, 2.0], [3.0, 0.0, -1.0, 0.5], [1, 2, 3, 4], [np.nan, 1, 2, 3], [np.inf, 1, 2, 3], [-np.inf, 1, 2, 3],
                    [np.inf, np.inf, 1, 2], [np.inf, -np.inf, 0, 1], [-np.inf] * 4,
                    [3.4e38, 3.4e38, 0, 0], [100, -100, 0, 0], [1e-45, -1e-45, 0, -0.0]],
    }
    ne_rows["log_softmax"] = ne_rows["softmax"]
    ne_rows["sparsemax"] = ne_rows["softmax"]
    # glu: first half a (values), second half b (gates): out = a * sigmoid(b)
    ne_rows["glu"] = [[1, 2, 3, -4], [np.nan, 2, 1, 3], [1, 2, np.nan, 3], [np.inf, -np.inf, 1, -1],
                      [1, 2, np.inf, -np.inf], [np.inf, np.inf, np.inf, -np.inf],
                      [0, 0, np.inf, -np.inf], [1, 2, 100, -100], [3.4e38, -3.4e38, 1, 1]]
    for name in NON_ELEMENTWISE:
        fn = keras_fn(name, {})
        X = np.array(ne_rows[name], F32)
        yshape = (X.shape[0], X.shape[1] // 2) if name == "glu" else X.shape   # dy has act(x)'s shape
        dy_rand = rng.normal(size=yshape).astype(F32)
        Y = fn(tf.constant(X)).numpy()
        res = []
        for dyname, DY in (("ones", np.ones(yshape, F32)), ("random", dy_rand)):
            g = tf_grad(name, fn, X, DY)
            for i in range(X.shape[0]):
                row = dict(x=[enc(v) for v in X[i]], y=[enc(v) for v in Y[i]], dy_kind=dyname,
                           dy=[enc(v) for v in DY[i]], dx=[enc(v) for v in g["eager"][i]])
                r = ne_ref(name, X[i], DY[i])
                if r is not None:
                    row["ref_f64"] = [enc(v) for v in r]
                for m in ("graph", "xla"):
                    if not same32(g[m][i], g["eager"][i]):
                        row["dx_" + m] = [enc(v) for v in g[m][i]]
                res.append(row)
        out["non_elementwise"][name] = res
    with open(os.path.join(HERE, "specials.json"), "w") as f:
        json.dump(out, f, indent=1)
    write_specials_md(out)
    return out


def ne_ref(name, x, dy):
    """float64 reference for finite rows (vector-Jacobian product)."""
    x = x.astype(np.float64)
    dy = dy.astype(np.float64)
    if not np.all(np.isfinite(x)):
        return None
    with np.errstate(all="ignore"):
        if name in ("softmax", "log_softmax"):
            e = np.exp(x - x.max())
            s = e / e.sum()
            if name == "softmax":
                return (s * (dy - np.sum(dy * s))).astype(F32)
            return (dy - s * dy.sum()).astype(F32)
        if name == "sparsemax":
            z = np.sort(x)[::-1]
            cs = np.cumsum(z)
            k = np.arange(1, len(z) + 1)
            supp = 1 + k * z > cs
            kz = k[supp][-1] if supp.any() else 1     # (f64 rounding at huge x)
            tau = (cs[kz - 1] - 1) / kz
            S_ = x > tau
            return np.where(S_, dy - dy[S_].sum() / S_.sum(), 0.0).astype(F32)
        if name == "glu":
            h = len(x) // 2
            a, b = x[:h], x[h:]
            sb = 1 / (1 + np.exp(-b))
            return np.concatenate([dy * sb, dy * a * sb * (1 - sb)]).astype(F32)
    return None


def specials_summary(out):
    """One line per op: the qualitative behaviours (dy = 1 unless stated)."""
    nd = len(SDY)
    L = ["## Summary", "",
         "dx with dy = 1 at the special x (exact value in brackets where TF differs); "
         "*dy = nan / +-inf where f' = 0*: TF's dx for dy = nan, inf, -inf at the finite, "
         "non-kink x among the special values whose exact derivative is 0 "
         "(IEEE product would be nan: `nan` = multiplicative gradient, `0` = select-based); "
         "*XLA differs*: number of the 55 (x, dy) cells where XLA differs from eager.", "",
         "| op | x = nan | x = +inf | x = -inf | x = 3.4e38 | x = -3.4e38 | x = 1e-45 | "
         "dy = nan / +-inf where f' = 0 | XLA differs |",
         "|---|---|---|---|---|---|---|---|---|"]
    for label, d in out["elementwise"].items():
        rows = d["rows"]

        def cell(xv):
            i = [j for j, x in enumerate(SX) if s32(x) == s32(xv)][0]
            r = rows[i * nd]
            c = s32(float(r["dx"]))
            if r["ref"] is not None and not r["matches_ref"] and not np.isnan(F32(xv)):
                c += " (%s)" % s32(float(r["ref"]))
            return c
        zero_pts = []
        for i, x in enumerate(SX):
            r = rows[i * nd]
            if np.isfinite(x) and r["ref"] is not None and float(r["ref"]) == 0.0:
                zero_pts.append(i)
        vals = set()
        for i in zero_pts:
            for j in (1, 2, 3):
                vals.add(s32(float(rows[i * nd + j]["dx"])))
        zs = "/".join(sorted(vals)) if vals else "—"
        nx = sum(1 for r in rows if "dx_xla" in r)
        L.append(f"| {label} | {cell(np.nan)} | {cell(np.inf)} | {cell(-np.inf)} | {cell(3.4e38)} | "
                 f"{cell(-3.4e38)} | {cell(1e-45)} | {zs} | {nx} |")
    return L + [""]


def write_specials_md(out):
    L = ["# TF 2.21 / Keras 3 gradients at special values (float32, CPU, eager)", "",
         "Generated by `measure.py`; full data in `specials.json`. Cell = TF's dx for "
         "(row x, column dy). `*` = differs from the reference "
         "(exact derivative times dy under IEEE rules, limit at +-inf; the reference is "
         "shown in brackets). `k` = x is a kink of the op (see kinks.md). "
         "`g:`/`x:`/`s:` = graph / XLA / single-element value where it differs from eager.", ""]
    L += specials_summary(out)
    for label, d in out["elementwise"].items():
        L += [f"## {label}", "", "| x \\ dy | " + " | ".join(s32(v) for v in SDY) + " |",
              "|---" * (len(SDY) + 1) + "|"]
        rows = d["rows"]
        for i, x in enumerate(SX):
            cells = []
            for j in range(len(SDY)):
                r = rows[i * len(SDY) + j]
                c = s32(float(r["dx"]))
                if r["ref"] is None:
                    c += " k"
                elif not r["matches_ref"]:
                    c += " * (%s)" % s32(float(r["ref"]))
                for m, t in (("graph", "g"), ("xla", "x"), ("single", "s")):
                    if "dx_" + m in r:
                        c += f" {t}:{s32(float(r['dx_' + m]))}"
                cells.append(c)
            L.append(f"| {s32(x)} | " + " | ".join(cells) + " |")
        L.append("")
    L += ["## non-elementwise (axis = -1)", ""]
    for name, rows in out["non_elementwise"].items():
        L += [f"### {name}", ""]
        if name == "sparsemax":
            L += ["Keras 3.15.1's sparsemax forward is itself wrong whenever the support has >= 2 "
                  "elements (tau uses the sum of all in-support cumulative sums instead of the "
                  "k-th one; keras-team/keras#23425, fixed by PR #23469): see the `act(x)` column, "
                  "e.g. [0.5, 1.25, -0.75, 2] gives all zeros instead of [0, 0.125, 0, 0.875]. "
                  "TF's dx is the gradient of that buggy graph; the f64 reference is the VJP of "
                  "the correct sparsemax. Integer rows such as [1, 2, 3, 4] also have an exact tie "
                  "x_i - tau = 0, where tf.maximum's gradient passes through.", ""]
        L += ["| x | act(x) | dy | TF dx | f64 reference | graph / XLA |", "|---|---|---|---|---|---|"]
        for r in rows:
            def vec(v):
                return "[" + ", ".join(s32(float(t)) for t in v) + "]"
            extra = "; ".join(f"{m}: {vec(r['dx_' + m])}" for m in ("graph", "xla") if "dx_" + m in r)
            L.append(f"| {vec(r['x'])} | {vec(r['y'])} | {r['dy_kind'] if r['dy_kind'] == 'ones' else vec(r['dy'])} | "
                     f"{vec(r['dx'])} | {vec(r['ref_f64']) if 'ref_f64' in r else ''} | {extra} |")
        L.append("")
    with open(os.path.join(HERE, "specials.md"), "w") as f:
        f.write("\n".join(L) + "\n")


# --------------------------------------------------------------------------
# 3. random accuracy + full-range scan
# --------------------------------------------------------------------------

N_RANDOM = 100_000
GRID_SHIFT = 10            # full-range scan: every 2**10-th float32
BIG_ULP = 64               # "far off" threshold for the full-range scan


def flags_for(tfv, ref, xv):
    """Category masks where TF deviates qualitatively from the exact derivative."""
    sub_x = (xv != 0) & (np.abs(xv) < F32(2.0 ** -126))
    fin_ref = np.isfinite(ref)
    normal = fin_ref & (np.abs(ref) >= F32(2.0 ** -126))
    sub = fin_ref & (ref != 0) & ~normal
    cats = {
        "zero_vs_normal": (tfv == 0) & normal,
        "zero_vs_subnormal": (tfv == 0) & sub,
        "nan": np.isnan(tfv) & ~np.isnan(ref),
        "inf": np.isinf(tfv) & fin_ref,
    }
    d = ulp_dist(tfv, ref)
    cats["ulp>%d" % BIG_ULP] = (d > BIG_ULP) & np.isfinite(tfv) & fin_ref & ~cats["zero_vs_normal"] \
        & ~cats["zero_vs_subnormal"] & ~sub_x
    return cats, d


def scan_op(o, fn):
    top = 0x7F7FFFFF
    k = np.arange(-(top >> GRID_SHIFT), (top >> GRID_SHIFT) + 1, dtype=np.int64) << GRID_SHIFT
    k = np.concatenate([[-top], k, [top]])
    xs = from_ordered(k)
    kink_pts = np.array([F32(p) for p, _, _ in o["kinks"]], F32)

    def evaluate(xv):
        tfv = grad_fns(o["label"], fn)["eager"](tf.constant(xv), tf.constant(np.ones_like(xv))).numpy()
        ref = f64_ref(o["deriv"], xv)
        if len(kink_pts):
            ref = np.where(np.isin(xv, kink_pts), F32(np.nan), ref)
        return flags_for(tfv, ref, xv) + (tfv, ref)

    cats, d, tfv, ref = evaluate(xs)
    res = {}
    sub_x = (xs != 0) & (np.abs(xs) < F32(2.0 ** -126))
    t0 = grad_fns(o["label"], fn)["eager"](tf.constant(np.array([0.0, -0.0], F32)),
                                          tf.constant(np.ones(2, F32))).numpy()
    same_as_zero = np.where(xs > 0, tfv == t0[0], tfv == t0[1]) | (np.isnan(tfv) & np.isnan(
        np.where(xs > 0, t0[0], t0[1])))
    res["subnormal_x_as_zero"] = bool(np.all(same_as_zero[sub_x]))
    valid = np.isfinite(tfv) & np.isfinite(ref) & ~sub_x & ~cats["zero_vs_normal"] & ~cats["zero_vs_subnormal"]
    dd = np.where(valid, d, -1)
    i = int(np.argmax(dd))
    res["max_ulp_full_range"] = (int(dd[i]), float(xs[i]), float(tfv[i]), float(ref[i]))
    for cname, mask in cats.items():
        idx = np.nonzero(mask)[0]
        if len(idx) == 0:
            continue
        # runs of consecutive grid points
        splits = np.nonzero(np.diff(idx) > 1)[0]
        starts = np.concatenate([[idx[0]], idx[splits + 1]])
        ends = np.concatenate([idx[splits], [idx[-1]]])
        runs = []
        for a, b in zip(starts, ends):
            lo, hi = xs[a], xs[b]
            if cname != "ulp>%d" % BIG_ULP and len(runs) < 12:
                # refine: exact first/last float32 of the contiguous flagged range
                if a > 0:
                    seg = from_ordered(np.arange(k[a - 1] + 1, k[a] + 1))
                    fl = evaluate(seg)[0][cname]
                    bad = np.nonzero(~fl)[0]
                    lo = seg[min(bad[-1] + 1, len(seg) - 1)] if len(bad) else seg[0]
                if b < len(xs) - 1:
                    seg = from_ordered(np.arange(k[b], k[b + 1]))
                    fl = evaluate(seg)[0][cname]
                    bad = np.nonzero(~fl)[0]
                    hi = seg[max(bad[0] - 1, 0)] if len(bad) else seg[-1]
            runs.append((float(lo), float(hi), int(b - a + 1)))
        res[cname] = runs
    return res


def fmt_runs(runs, maxn=3):
    """Per sign: the runs if there are few, else their envelope and count."""
    out = []
    for grp in ([r for r in runs if r[1] < 0], [r for r in runs if r[1] >= 0]):
        if not grp:
            continue
        if len(grp) <= maxn:
            out.append(" ∪ ".join(f"[{s32(lo)}, {s32(hi)}]" if lo != hi else f"{{{s32(lo)}}}"
                                  for lo, hi, n in grp))
        else:
            out.append(f"within [{s32(min(r[0] for r in grp))}, {s32(max(r[1] for r in grp))}] "
                       f"({len(grp)} separate runs)")
    return "; ".join(out)


def zero_threshold_table(scans):
    L = ["", "## Where TF's gradient becomes exactly 0 (exact derivative still a normal float32)", "",
         "From the full-range scan: both ends are exact float32 values (in between, checked on the "
         "1-in-1024 grid). For each end a: exact f'(a), and TF's gradient at the "
         "neighbouring float32 just outside the range.", "",
         "| op | TF gradient == 0 for x in [a, b] | exact f'(a) | TF just below a | exact f'(b) | "
         "TF just above b |",
         "|---|---|---|---|---|---|"]
    for o, sc in scans:
        runs = sc.get("zero_vs_normal", [])
        if not runs:
            continue
        fn = keras_fn(o["name"], o["params"])
        for grp in ([r for r in runs if r[1] < 0], [r for r in runs if r[1] >= 0]):
            if not grp:
                continue
            if len(grp) > 1:
                L.append(f"| {o['label']} | {fmt_runs(grp)} | | | | |")
                continue
            lo, hi, _ = grp[0]
            a_, b_ = F32(lo), F32(hi)
            out = np.array([np.nextafter(a_, F32(-np.inf)), np.nextafter(b_, F32(np.inf))], F32)
            tv = tf_grad(o["label"], fn, out, np.ones(2, F32), ("eager",))["eager"]
            L.append(f"| {o['label']} | [{s32(a_)}, {s32(b_)}] | {s32(exact_f32(o['deriv'], a_))} | "
                     f"{s32(tv[0])} at {s32(out[0])} | {s32(exact_f32(o['deriv'], b_))} | "
                     f"{s32(tv[1])} at {s32(out[1])} |")
    return L


def probes():
    """Targeted checks found while scanning."""
    L = ["", "## Targeted probes", ""]
    # selu: Eigen's selu computes scale*alpha*(exp(x) - 1); for tiny negative x exp(x) rounds to 1,
    # the output is 0, and SeluGrad (which branches on output < 0) returns `scale`, the
    # right-hand derivative.
    o = [o for o in OPS if o["name"] == "selu"][0]
    fn = keras_fn("selu", {})
    scale = F32(float(SELU_S))

    def is_right(xv):
        v = tf_grad("selu", fn, np.array([xv], F32), np.ones(1, F32), ("eager",))["eager"][0]
        return v == scale
    lo, hi = int(ordered(F32(-1e-3))), int(ordered(F32(-1e-45)))   # is_right(lo) False, (hi) True
    assert not is_right(from_ordered(lo)) and is_right(from_ordered(hi))
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if is_right(from_ordered(mid)):
            hi = mid
        else:
            lo = mid
    b = from_ordered(hi)[()]
    chk = -np.logspace(np.log10(-float(b)), -44.8, 2000).astype(F32)
    chk = chk[(chk >= b) & (chk < 0)]
    allr = all(v == scale for v in tf_grad("selu", fn, chk, np.ones_like(chk), ("eager",))["eager"])
    xla = tf_grad("selu", fn, np.array([b, from_ordered(lo)[()]], F32), np.ones(2, F32), ("xla",))["xla"]
    L += [f"* selu, small negative x: for x in [{s32(b)}, 0) TF (eager/graph) returns "
          f"{s32(scale)} (= scale, the right-hand derivative) instead of scale*alpha = "
          f"{s32(exact_f32(o['deriv'], b))}; at {s32(from_ordered(lo))} it returns "
          f"{s32(tf_grad('selu', fn, from_ordered(np.array([lo])), np.ones(1, F32), ('eager',))['eager'][0])}. "
          f"(The forward output there is 0 because exp(x) - 1 rounds to 0; SeluGrad branches on "
          f"output < 0.) Checked on 2000 log-spaced points in that range: "
          f"{'all' if allr else 'NOT all'} equal scale. XLA at those two points: "
          f"{s32(xla[0])}, {s32(xla[1])}."]
    return L


def run_random():
    log("random")
    x = np.random.default_rng(0).normal(0.0, 3.0, N_RANDOM).astype(F32)
    ones = np.ones_like(x)
    table, scans = [], []
    for o in OPS:
        fn = keras_fn(o["name"], o["params"])
        g = tf_grad(o["label"], fn, x, ones)
        t1 = time.time()
        ref = exact_f32_vec(o["deriv"], x)
        row = dict(label=o["label"], default=o["default"])
        for m in MODES:
            d = ulp_dist(g[m], ref)
            d = np.where(d < 0, 2 ** 32, d)          # nan vs number
            row[m] = int(d.max())
            if m == "eager":
                i = int(np.argmax(d))
                row["worst"] = (float(x[i]), float(g[m][i]), float(ref[i]))
                row["n_inexact"] = int(np.count_nonzero(d))
                core = np.abs(x) < 3
                row["core"] = int(d[core].max())
                z = (g[m] == 0) & (ref != 0)
                row["n_zero"] = int(np.count_nonzero(z))
                row["nz_max"] = int(d[~z].max())
                row["p999"] = int(np.percentile(d, 99.9, method="higher"))
                with np.errstate(invalid="ignore"):
                    ae = np.abs(g[m].astype(np.float64) - ref.astype(np.float64))
                row["abs"] = float(np.nanmax(ae))
        rc = ulp_dist(f64_ref(o["deriv"], x), ref)
        row["refcheck"] = int(np.where(rc < 0, 2 ** 32, rc).max())
        table.append(row)
        t2 = time.time()
        sc = scan_op(o, fn)
        scans.append((o, sc))
        log(f"  {o['label']}: eager {row['eager']} graph {row['graph']} xla {row['xla']} ulp"
            f" (mp {t2 - t1:.1f}s, scan {time.time() - t2:.1f}s)")

    L = ["# TF 2.21 / Keras 3 gradient accuracy (float32, CPU)", "",
         "Generated by `measure.py` (see its header for the command).", "",
         f"## Random inputs: x ~ Normal(0, 3), {N_RANDOM} float32 samples "
         "(`np.random.default_rng(0).normal(0, 3, 100000).astype(np.float32)`), dy = 1", "",
         "Reference: the exact derivative evaluated with mpmath at 100-bit precision at the "
         "float32 input, correctly rounded to float32. ULP distance = difference of the "
         "ordered integer representations (+0 = -0). eager = plain `tf.GradientTape`; "
         "graph = inside `tf.function`; XLA = `tf.function(jit_compile=True)`. "
         "Rows marked * are the Keras default parameters.", "",
         "Columns (eager unless named): *max ULP* over all samples; *|x| < 3*: max ULP over the "
         "samples with |x| < 3; *TF = 0*: samples where TF returns exactly 0 although the exact "
         "derivative is non-zero; *max ULP, TF != 0*: max ULP over the other samples; *p99.9*: "
         "99.9th percentile of the ULP error; *inexact*: samples not bit-equal to the exact value; "
         "*max abs err*: max |TF - exact|; *worst x*: the sample with the largest ULP error; "
         "*ref check*: max ULP between the mpmath reference and an independent float64 "
         "evaluation of the same formula (sanity check of the reference).", "",
         "| op | max ULP | \\|x\\| < 3 | TF = 0 | max ULP, TF != 0 | p99.9 | inexact | max abs err | "
         "worst x: TF vs exact | graph max ULP | XLA max ULP | ref check |",
         "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in table:
        wx, wt, we = r["worst"]
        worst = f"{s32(wx)}: {s32(wt)} vs {s32(we)}" if r["eager"] else "—"
        L.append(f"| {r['label']}{' *' if r['default'] else ''} | {r['eager']} | {r['core']} | "
                 f"{r['n_zero']} | {r['nz_max']} | {r['p999']} | {r['n_inexact']} | "
                 f"{r['abs']:.3g} | {worst} | {r['graph']} | {r['xla']} | {r['refcheck']} |")
    L += ["", "## Full-range scan (eager, dy = 1)", "",
          f"Every 2^{GRID_SHIFT}-th float32 over the whole finite range (both signs, subnormals "
          "included, kink points excluded); the start/end of each zero/NaN/inf range are then "
          "refined to the exact float32 by checking every float32 between the neighbouring grid "
          "points. Reference here: the exact derivative computed in float64 (stable formulas) "
          "and rounded to float32. Columns:", "",
          "* *TF = 0, exact normal*: x where TF's gradient is exactly 0 while the exact "
          "derivative is a normal float32 (|d| >= 2^-126);",
          "* *TF NaN* / *TF inf*: x where TF gives NaN / +-inf while the exact derivative is finite;",
          f"* *ULP > {BIG_ULP}* (grid resolution, not refined): TF finite and non-zero-vs-exact, "
          "subnormal x excluded;",
          "* *max ULP*: worst case over the grid excluding the TF = 0 cases and subnormal x;",
          "* *subnormal x = 0*: TF's gradient at every subnormal x equals its gradient at +-0 "
          "(CPU flush-to-zero / denormals-are-zero);",
          "* *TF = 0, exact subnormal*: exact derivative subnormal (a consequence of flush-to-zero).",
          "",
          "Ranges are listed per sign; `within [a, b] (N separate runs)` = the flagged points are "
          "not contiguous.", "",
          "| op | TF = 0, exact normal | TF NaN | TF inf | "
          f"ULP > {BIG_ULP} | max ULP at x (TF vs exact) | subnormal x = 0 | TF = 0, exact subnormal |",
          "|---|---|---|---|---|---|---|---|"]
    for o, sc in scans:
        mu = sc["max_ulp_full_range"]
        L.append(f"| {o['label']} | {fmt_runs(sc.get('zero_vs_normal', []))} | "
                 f"{fmt_runs(sc.get('nan', []))} | {fmt_runs(sc.get('inf', []))} | "
                 f"{fmt_runs(sc.get('ulp>%d' % BIG_ULP, []))} | {mu[0]} at {s32(mu[1])} "
                 f"({s32(mu[2])} vs {s32(mu[3])}) | {'yes' if sc['subnormal_x_as_zero'] else 'no'} | "
                 f"{fmt_runs(sc.get('zero_vs_subnormal', []))} |")
    L += zero_threshold_table(scans)
    L += probes()
    with open(os.path.join(HERE, "random.md"), "w") as f:
        f.write("\n".join(L) + "\n")
    return table, scans


# --------------------------------------------------------------------------

META = {
    "tensorflow": tf.__version__,
    "keras": keras.__version__,
    "numpy": np.__version__,
    "mpmath": mp.__version__,
    "python": platform.python_version(),
    "machine": platform.machine(),
    "cpu_flags_avx512f": "avx512f" in open("/proc/cpuinfo").read() if os.path.exists("/proc/cpuinfo") else None,
    "devices": [d.name for d in tf.config.list_logical_devices()],
    "TF_ENABLE_ONEDNN_OPTS": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "(unset: oneDNN on)"),
    "grad": "tape.gradient(reduce_sum(keras.activations.<name>(x, **params) * dy), x), float32",
}


def main():
    only = set(sys.argv[1:])
    if not only or "kinks" in only:
        run_kinks()
    if not only or "specials" in only:
        run_specials()
    if not only or "random" in only:
        run_random()
    log("done")


if __name__ == "__main__":
    main()
