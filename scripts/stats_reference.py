#!/usr/bin/env python3
"""Reference values for rollgate's statistics module (engine/src/stats/).

The Rust unit tests embed the numbers this script prints; they never run it. Rerun it to
regenerate or audit them:

    pip install numpy scipy pymannkendall
    python3 scripts/stats_reference.py

Library versions the committed numbers were produced with:
    Python 3.11.7, numpy 2.4.6, scipy 1.17.1, pymannkendall 1.4.3

Every float is printed with repr() (shortest round-trip form), so Rust parses the exact
same f64. Large inputs come from closed formulas the tests regenerate, not from files.
"""

import math
import sys

import numpy as np
import pymannkendall as mk
import scipy
import scipy.special
import scipy.stats


def r(x):
    """A Rust f64 literal for x."""
    x = float(x)
    if math.isnan(x):
        return "f64::NAN"
    if math.isinf(x):
        return "f64::INFINITY" if x > 0 else "f64::NEG_INFINITY"
    s = repr(x)
    return s if ("." in s or "e" in s) else s + ".0"


def arr(xs):
    return "[" + ", ".join(r(x) for x in xs) + "]"


def wave(n, step, slope):
    """sin(i*step) + i*slope, the formula the Rust tests regenerate."""
    return [math.sin(i * step) + i * slope for i in range(n)]


def header(title):
    print()
    print("// ---- " + title + " ----")


# ------------------------------------------------------------------ aggregates
PCTS = [0, 25, 50, 90, 95, 99, 99.9, 100, 33.3]


def prom_increase(v):
    """Prometheus counter increase: last - first, a drop adds the previous value back."""
    inc = v[-1] - v[0]
    for a, b in zip(v, v[1:]):
        if b < a:
            inc += a
    return inc


def aggregates(times, values):
    v = np.array(values, dtype=float)
    out = [v[-1], v[0], v.min(), v.max(), v.mean(), v.sum(), len(v), v.std()]
    out += [np.percentile(v, q) for q in PCTS]
    inc = prom_increase(values)
    span = times[-1] - times[0]
    out += [inc, inc / span if span > 0 else float("nan")]
    return out


def aggregate_cases():
    header("aggregate: [last, first, min, max, avg, sum, count, stddev, p0, p25, p50, p90, "
           "p95, p99, p99.9, p100, p33.3, increase, rate]; rate NaN = None")
    cases = [
        ("one", [100.0], [42.5]),
        ("two", [0.0, 30.0], [3.0, -1.5]),
        ("all_equal", [0.0, 1.0, 2.0, 3.0], [7.0, 7.0, 7.0, 7.0]),
        ("negative", [10.0, 20.0, 30.0, 40.0, 50.0], [-5.5, -1.0, -3.25, -10.0, -0.5]),
        ("counter_resets", [0.0, 15.0, 30.0, 45.0, 60.0, 75.0, 90.0],
         [10.0, 20.0, 35.0, 5.0, 15.0, 3.0, 8.0]),
        ("five_boundary", [1.0, 2.0, 3.0, 4.0, 5.0], [1.0, 2.0, 3.0, 4.0, 5.0]),
        ("large", [1.7e9 + 15.0 * i for i in range(1000)], wave(1000, 0.1, 0.001)),
    ]
    for name, t, v in cases:
        print(f"// {name}: times {arr(t) if len(t) < 20 else '1.7e9 + 15 i'}")
        print(f"// values {arr(v) if len(v) < 20 else 'sin(0.1 i) + 0.001 i, n = 1000'}")
        print(f"({name!r}, {arr(aggregates(t, v))}),".replace("'", '"'))


# ---------------------------------------------------------------- Mann-Kendall
def mk_cases():
    header("mann_kendall: [s, var_s, z, tau, p_pymannkendall, p_accurate = 2*norm.sf(|z|)]")
    cases = [
        ("two", [1.0, 2.0]),
        ("two_equal", [3.0, 3.0]),
        ("all_equal", [5.0] * 10),
        ("four_increasing", [1.0, 2.0, 3.0, 4.0]),
        ("ties", [1.0, 2.0, 2.0, 3.0, 1.0, 4.0, 4.0, 4.0, 5.0, 2.0]),
        ("negative", [-3.5, -2.0, -2.5, -1.0, -1.5, 0.5, -0.25, 1.0]),
        ("decreasing_noisy", [9.0, 7.5, 8.0, 6.0, 6.5, 5.0, 5.5, 3.0, 4.0, 2.0, 2.5, 1.0]),
        ("large_trend", wave(1000, 0.1, 0.001)),
        ("large_weak", wave(1000, 0.1, 0.00001)),
        ("large_ties", [float(round(3.0 * math.sin(i * 0.1))) for i in range(1000)]),
    ]
    for name, x in cases:
        res = mk.original_test(x)
        accurate = 2.0 * scipy.stats.norm.sf(abs(res.z))
        vals = [res.s, res.var_s, res.z, res.Tau, res.p, accurate]
        print(f'("{name}", {arr(vals)}),')


# ------------------------------------------------------------------- Theil-Sen
def lcg_noise(n, seed):
    """Deterministic noise in [-0.5, 0.5) the Rust tests regenerate (64-bit LCG, top 53 bits)."""
    out, s = [], seed
    for _ in range(n):
        s = (s * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        out.append((s >> 11) / float(1 << 53) - 0.5)
    return out


def theil_cases():
    header("theil_sen: slope = scipy.stats.theilslopes(y, x)[0]")
    n50 = lcg_noise(50, 7)
    cases = [
        ("two", [0.0, 10.0], [1.0, 3.0]),
        ("three_odd_pairs", [0.0, 1.0, 2.0], [0.0, 5.0, 4.0]),
        ("four_even_pairs", [0.0, 1.0, 2.0, 3.0], [1.0, 0.0, 4.0, 2.0]),
        ("all_equal", [0.0, 1.0, 2.0, 3.0, 4.0], [2.0, 2.0, 2.0, 2.0, 2.0]),
        ("duplicate_x", [0.0, 0.0, 1.0, 2.0, 2.0, 3.0], [1.0, 4.0, 2.0, 3.0, -1.0, 5.0]),
        ("negative_outliers", [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
         [-1.0, -3.0, -5.5, 40.0, -9.0, -11.0, -60.0, -15.0]),
        ("unix_times", [1.7e9 + 60.0 * i for i in range(50)],
         [100.0 + 0.02 * i + e for i, e in enumerate(n50)]),
        ("large", [1.7e9 + 15.0 * i for i in range(1000)], wave(1000, 0.1, 0.001)),
        ("bisection_3000", [1.7e9 + 10.0 * i for i in range(3000)], wave(3000, 0.01, 0.0002)),
    ]
    for name, x, y in cases:
        s = scipy.stats.theilslopes(y, x)[0]
        short = len(x) < 20
        print(f'("{name}", {arr(x) if short else "formula"}, '
              f'{arr(y) if short else "formula"}, {r(s)}),')


# --------------------------------------------------------------- Mann-Whitney
def mwu_cases():
    header("mann_whitney: (x, y, u1, p_greater, p_less, method auto picked)")
    big_x = [math.sin(i * 0.37) * 10.0 + 0.5 for i in range(1000)]
    big_y = [math.cos(i * 0.23) * 10.0 for i in range(800)]
    cases = [
        ("one_each", [1.0], [2.0]),
        ("docs_males_females", [19.0, 22.0, 16.0, 29.0, 24.0], [20.0, 11.0, 17.0, 12.0]),
        ("exact_8_vs_9", [1.5, 3.2, 4.8, 7.7, 9.1, 10.4, 12.6, 15.0],
         [0.5, 2.1, 2.7, 3.9, 5.5, 6.1, 6.8, 8.4, 11.3]),
        ("asymptotic_9_vs_9", [1.5, 3.2, 4.8, 7.7, 9.1, 10.4, 12.6, 15.0, 16.2],
         [0.5, 2.1, 2.7, 3.9, 5.5, 6.1, 6.8, 8.4, 11.3]),
        ("ties_small", [1.0, 2.0, 2.0, 5.0], [2.0, 3.0, 4.0]),
        ("all_equal", [4.0, 4.0, 4.0], [4.0, 4.0]),
        ("negative", [-1.0, -2.5, -0.5, -7.0, -3.0], [-4.0, -6.0, -5.5, -8.0, -2.0, -9.5]),
        ("exact_5_vs_300", [100.5, 50.25, 150.75, 260.5, 299.5],
         [float(i) for i in range(300)]),
        ("large", "sin(0.37 i) * 10 + 0.5, n = 1000", "cos(0.23 i) * 10, n = 800"),
    ]
    print("// auto method as implemented by scipy " + scipy.__version__ + ":")
    for name, x, y in cases:
        if name == "large":
            x, y = big_x, big_y
        g = scipy.stats.mannwhitneyu(x, y, alternative="greater", method="auto")
        l_ = scipy.stats.mannwhitneyu(x, y, alternative="less", method="auto")
        ties = len(set(x) | set(y)) < len(x) + len(y)
        exact = (min(len(x), len(y)) <= 8) and not ties
        if exact:
            # The rule the project follows must agree with what scipy did.
            e = scipy.stats.mannwhitneyu(x, y, alternative="greater", method="exact")
            assert e.pvalue == g.pvalue
        else:
            a = scipy.stats.mannwhitneyu(x, y, alternative="greater", method="asymptotic")
            assert a.pvalue == g.pvalue
        short = len(x) < 20 and len(y) < 20
        print(f'("{name}", {arr(x) if short else "formula"}, {arr(y) if short else "formula"}, '
              f"{r(g.statistic)}, {r(g.pvalue)}, {r(l_.pvalue)}, {str(exact).lower()}),")


# ----------------------------------------------------------------- normal/erfc
def normal_cases():
    header("normal: (x, erfc(x), ndtr(x) = Phi(x))")
    xs = [0.0, 1e-10, 0.1, 0.46875, 0.5, 1.0, 2.0, 3.9, 4.0, 4.1, 5.0, 10.0, 20.0, 26.0,
          26.5, -0.3, -1.0, -3.0, -10.0]
    for x in xs:
        print(f"({r(x)}, {r(scipy.special.erfc(x))}, {r(scipy.special.ndtr(x))}),")


# --------------------------------------------------------- stddev, extreme range
def stddev_extreme_inputs():
    """The stddev cases at the edges of the f64 range (the Rust test lists the same)."""
    return [
        ("e155", [1e155, 3e155]),
        ("e300_tiny", [1e-300, 3e-300, 2e-300]),
        ("subnormal", [1e-320, 3e-320, 2e-320, 5e-321]),
        ("near_max_mixed", [1.5e308, -1.5e308, 1e308]),
        ("max_twice", [1.7976931348623157e308, 1.7976931348623157e308]),
        ("mixed_e150", [-1e150, 1e150, 3e150, -2e150]),
        ("offset_1e9", [1e9 + 0.001 * math.sin(i) for i in range(10)]),
        ("offset_1e15", [1e15 + 0.5, 1e15 + 1.5, 1e15 + 2.5, 1e15 - 0.5]),
        ("wide_range", [1e-300, 1e300, -1e300, 0.0]),
        ("e200_noise", [1e200 * (1 + 1e-10 * i) for i in range(6)]),
    ]


def stddev_extreme_cases():
    """np.std (ddof=0) of x scaled by an exact power of two, scaled back: what np.std gives
    without its overflow (squares of 1e155 are inf) and underflow (squares of 1e-300 are 0).
    Scaling by 2^k is exact, so this is numpy's own arithmetic. Cross-checked against
    statistics.pstdev, which computes in exact rationals."""
    import statistics
    header("stddev at the edges: (name, np.std(x * 2^-k) * 2^k with k the exponent of max |x|, statistics.pstdev(x))")
    for name, xs in stddev_extreme_inputs():
        peak = max(abs(x) for x in xs)
        k = math.frexp(peak)[1]
        scaled = np.array([math.ldexp(x, -k) for x in xs])
        want = math.ldexp(float(np.std(scaled)), k)
        exact = statistics.pstdev(xs)
        # numpy's plain two-pass loses digits to a large offset (1e9 + noise: 1.6e-10
        # relative); it is within 1e-9 of the exact answer everywhere here.
        assert want == exact or abs(want - exact) <= 1e-9 * exact, (name, want, exact)
        print(f'("{name}", {r(want)}, {r(exact)}),')


if __name__ == "__main__":
    print(f"// python {sys.version.split()[0]}, numpy {np.__version__}, scipy {scipy.__version__}, "
          f"pymannkendall {getattr(mk, '__version__', 'unknown')}")
    aggregate_cases()
    mk_cases()
    theil_cases()
    mwu_cases()
    normal_cases()
    stddev_extreme_cases()
