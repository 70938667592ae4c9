#!/usr/bin/env python3
"""Expands series notation with the real promtool, to check rollgate's table of promtool cases.

Usage: python3 scripts/promtool-notation.py [STRING ...]
With no arguments, reads the cases of engine/src/notation_promtool_tests.rs and compares each
with promtool's expansion, printing a line per case and exiting 1 on any difference.

promtool shows an expansion only through queries, so for each string this loads the series
`n` (1m interval) and, at each step k, asks `last_over_time(n[59s])` (the sample at k, if
any) and `n` (which looks back up to 5m, but not past a staleness marker). A step is then a
value, `_` (no sample; an earlier one still visible), `stale` (no sample, and the sample of
the previous five steps hidden by a staleness marker) or `.` (nothing before it). Trailing
`_` and `.` are dropped: promtool cannot show a trailing gap. Needs promtool on PATH
(Debian's `prometheus` package; the table was checked with promtool 2.42.0).
"""
import json
import math
import os
import re
import subprocess
import sys
import tempfile

STEPS = 20


def run(values):
    tests = []
    for k in range(STEPS):
        for expr in ("last_over_time(n[59s])", "n"):
            tests.append({"expr": expr, "eval_time": f"{k}m"})
    doc = {
        "rule_files": [],
        "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": [{"series": "n", "values": values}],
                   "promql_expr_test": tests}],
    }
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        json.dump(doc, f)  # JSON is YAML
        path = f.name
    try:
        out = subprocess.run(["promtool", "test", "rules", path], capture_output=True, text=True)
    finally:
        os.unlink(path)
    text = out.stdout + out.stderr
    if "parse error" in text or "invalid" in text.lower() and "got:" not in text:
        return "error"
    got = {}
    for m in re.finditer(r'expr: "([^"]+)", time: ([0-9hms]+),\s+exp: nil\s+got: \{[^}]*\} (\S+)', text):
        got[(m.group(1), minutes(m.group(2)))] = m.group(3)
    steps = []
    last_value_at = None
    for k in range(STEPS):
        v = got.get(("last_over_time(n[59s])", k))
        if v is not None:
            steps.append(fmt(float(v)))
            last_value_at = k
        elif ("n", k) in got:
            steps.append("_")
        elif last_value_at is not None and k - last_value_at <= 5:
            steps.append("stale")
        else:
            steps.append(".")
    while steps and steps[-1] in ("_", "."):
        steps.pop()
    return " ".join(steps)


def minutes(t):
    m = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", t)
    h, mi, s = (int(x or 0) for x in m.groups())
    return h * 60 + mi + s // 60


def fmt(v):
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Inf" if v > 0 else "-Inf"
    return repr(v).removesuffix(".0") if v == int(v) and abs(v) < 1e16 else repr(v)


def comparable(expected):
    """The rollgate expectation as promtool can show it (see the module doc)."""
    if expected == "error":
        return "error"
    steps = expected.split()
    steps += ["_"] * (STEPS - len(steps))  # past the end: no sample
    out = []
    for k, s in enumerate(steps):
        if s not in ("_", "stale"):
            out.append(fmt(float(s.replace("Inf", "inf"))))
            continue
        window = steps[max(0, k - 5):k + 1]
        samples = [w for w in window if w != "_"]
        if not samples:
            out.append(".")
        elif samples[-1] != "stale":
            out.append("_")
        else:
            out.append("stale" if any(w not in ("_", "stale") for w in window) else ".")
    while out and out[-1] in ("_", "."):
        out.pop()
    return " ".join(out)


def main():
    if sys.argv[1:]:
        for s in sys.argv[1:]:
            print(f"{s!r}: {run(s)}")
        return 0
    src = open(os.path.join(os.path.dirname(__file__), "..", "engine", "src",
                            "notation_promtool_tests.rs")).read()
    cases = re.findall(r'^\s*\(\s*"[^"]*",\s*("(?:[^"\\]|\\.)*"),\s*"([^"]*)"\s*\),', src, re.M)
    bad = 0
    for raw, expected in cases:
        values = json.loads(raw)
        got = run(values)
        want = comparable(expected)
        ok = got == want
        bad += not ok
        print(f"{'ok  ' if ok else 'DIFF'} {values!r}: promtool {got!r}, rollgate table {want!r}")
    print(f"{len(cases)} cases, {bad} differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
