"""Taylor polynomials of the four derivatives that cross zero (gelu, gelu
approximate, silu in z = beta x, mish) around their roots, for the WGSL
backward kernels: near a root, d = f'(x) cancels in any f32 formula, so the
kernels evaluate p(delta), delta = x - x0 carried as an exact pair, instead.

    python3 tools/grad_roots.py        # prints the WGSL constants

Needs mpmath. Each polynomial is checked against the exact derivative over
its interval (relative error printed)."""
import struct
import mpmath as mp

mp.mp.dps = 60


def f32(x):
    return struct.unpack("f", struct.pack("f", float(x)))[0]


def sig(u):
    return 1 / (1 + mp.exp(-u))


def gelu_exact(x):
    return mp.ncdf(x) + x * mp.npdf(x)


def gelu_approx(x):
    c = 2 * mp.sqrt(2 / mp.pi)
    k = mp.mpf("0.044715")
    u = c * (x + k * x**3)
    du = c * (1 + 3 * k * x**2)
    return sig(u) + x * sig(u) * sig(-u) * du


def silu_z(z):
    return sig(z) * (1 + z * sig(-z))


def mish(x):
    sp = mp.log(1 + mp.exp(x))
    return mp.tanh(sp) + x * mp.sech(sp) ** 2 * sig(x)


FUNCS = [
    ("GELU", gelu_exact, -0.75),
    ("GELUA", gelu_approx, -0.75),
    ("SILU", silu_z, -1.28),
    ("MISH", mish, -1.19),
]
R = 0.5   # the interval |delta| <= R
N = 16    # degree


def main():
    for name, f, guess in FUNCS:
        x0 = mp.findroot(f, guess)
        hi = f32(x0)
        lo = f32(x0 - mp.mpf(hi))
        x0r = mp.mpf(hi) + mp.mpf(lo)
        # Taylor coefficients around the pair's value (not the exact root:
        # the constant term carries the difference).
        cs = mp.taylor(f, x0r, N)
        worst = 0
        for i in range(1, 401):
            d = -R + 2 * R * i / 401
            exact = f(x0r + d)
            approx = sum(mp.mpf(f32(c)) * d**k for k, c in enumerate(cs))
            # The f32 rounding of c1 is compensated by a pair below.
            approx += (cs[1] - mp.mpf(f32(cs[1]))) * d
            if exact != 0:
                worst = max(worst, abs((approx - exact) / exact))
        c1_lo = f32(cs[1] - mp.mpf(f32(cs[1])))
        print(f"// {name}: root {mp.nstr(x0, 12)}, |delta| <= {R}, degree {N}, "
              f"max rel err {mp.nstr(worst, 3)}")
        print(f"const {name}_ROOT_X0 = vec2<f32>({hi!r}, {lo!r});")
        print(f"const {name}_ROOT_C0: f32 = {f32(cs[0])!r};")
        print(f"const {name}_ROOT_C1 = vec2<f32>({f32(cs[1])!r}, {c1_lo!r});")
        body = ", ".join(repr(f32(c)) for c in cs[2:])
        print(f"const {name}_ROOT_C: array<f32, {N - 1}> = array<f32, {N - 1}>({body});")
        print()


main()
