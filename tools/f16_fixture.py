"""numpy float16 fixtures for `wgact apply` (cli/tests/cli.rs
`apply_reads_and_writes_numpy_float16`).

x: float16 [37, 29] (odd length, odd rows): N(0, 3) values plus f16's special
and boundary values (±0, subnormals, smallest normal, 65504, ±inf, NaN).
Expected outputs: each op evaluated in float64 by numpy on x, then rounded
once to float16 by numpy (`astype(np.float16)`, round to nearest even), and
for softmax also kept as float64 rounded to float32 (the `--dtype f32` run).

Run from the repository root: python3 tools/f16_fixture.py
"""
import numpy as np

rng = np.random.default_rng(1602)
x = rng.normal(0.0, 3.0, size=37 * 29)
special = np.array(
    [0.0, -0.0, np.inf, -np.inf, np.nan, 65504.0, -65504.0, 6.1035156e-05,
     5.9604645e-08, -5.9604645e-08, 6.0975552e-05, 1.0, -1.0, 11.0, -11.0, 12.0],
    dtype=np.float64,
)
x[: len(special)] = special
x = x.astype(np.float16).reshape(37, 29)
xf = x.astype(np.float64)

with np.errstate(all="ignore"):
    sigmoid = 1.0 / (1.0 + np.exp(-xf))
    tanh = np.tanh(xf)
    exponential = np.exp(xf)
    # softmax over the last axis; rows with NaN or +inf give NaN (Keras).
    m = np.max(xf, axis=-1, keepdims=True)
    e = np.exp(xf - m)
    softmax = e / np.sum(e, axis=-1, keepdims=True)

np.save("tests/data/f16_x.npy", x)
for name, v in [("sigmoid", sigmoid), ("tanh", tanh), ("exponential", exponential),
                ("softmax", softmax)]:
    np.save(f"tests/data/f16_{name}.npy", v.astype(np.float16))
np.save("tests/data/f16_softmax_f32.npy", softmax.astype(np.float32))
