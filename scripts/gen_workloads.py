#!/usr/bin/env python3
"""Writes the performance workloads of docs/performance.md (Python 3 stdlib only, deterministic).

    python3 scripts/gen_workloads.py [DIR]      # default DIR: /tmp/rollgate-bench

Files:
  large.json          50 metrics m00..m49, one labelled series each, 86,400 samples at 1 s
                      spacing ending at taken_at (about 90 MB, written compactly)
  large.yaml          100 threshold gates: for each metric, p95 over 1h and max over 1d
  large-scripts.yaml  the same 100 gates as script gates
  small.json          10 metrics x 240 samples at 15 s (about 50 KB)
  small.yaml          40 threshold gates on it

Every bound is above the data, so the decision is GO and every gate is fully evaluated.
The same arguments always give byte-identical files.
"""

import os
import sys

TAKEN_AT = 1795348800  # 2026-11-22T12:00:00Z
TAKEN_AT_TEXT = "2026-11-22T12:00:00Z"
ENTERED_AT_TEXT = "2026-11-20T12:00:00Z"
ENV = "production"
STAGE = "full"

LARGE_METRICS = 50
LARGE_SAMPLES = 86_400
SMALL_METRICS = 10
SMALL_SAMPLES = 240
SMALL_STEP = 15

# Values stay in [100, 229) ms, below every bound.
P95_BOUND = 250.0
MAX_BOUND = 400.0


def metric_name(i):
    return f"m{i:02d}"


def lcg(seed):
    """A 32-bit linear congruential generator (Numerical Recipes constants)."""
    state = (seed * 2654435761 + 12345) & 0xFFFFFFFF
    while True:
        state = (1664525 * state + 1013904223) & 0xFFFFFFFF
        yield state


def values(metric, n):
    """Deterministic latency-like values: a slow triangle wave plus noise, printed with 3
    decimals. Integer arithmetic in thousandths, so the text depends on no float library.
    """
    rng = lcg(metric + 1)
    base = 100_000 + 1_000 * metric  # 100.000 .. 149.000 ms
    period = 3_600 + 97 * metric
    out = []
    for i in range(n):
        phase = i % period
        wave = 40_000 * min(phase, period - phase) // period  # triangle, 0 .. 20 ms
        noise = next(rng) % 60_000  # 0 .. 60 ms
        v = base + wave + noise
        out.append(f"{v // 1000}.{v % 1000:03d}")
    return out


def write_snapshot(path, metrics, samples, step):
    first = TAKEN_AT - (samples - 1) * step
    with open(path, "w", encoding="ascii", newline="\n") as f:
        f.write(
            '{"version":1,"taken_at":"%s","environment":"%s","stage":"%s",'
            '"stage_entered_at":"%s","series":{' % (TAKEN_AT_TEXT, ENV, STAGE, ENTERED_AT_TEXT)
        )
        for m in range(metrics):
            if m:
                f.write(",")
            f.write('"%s":{"labels":{"service":"api"},"samples":[' % metric_name(m))
            vals = values(m, samples)
            f.write(
                ",".join(f"[{first + i * step},{v}]" for i, v in enumerate(vals))
            )
            f.write("]}")
        f.write("}}\n")


def policy_head(policy_id, title, metrics):
    lines = [
        "version: 1",
        f"policy: {policy_id}",
        f"title: {title}",
        "owner: perf",
        f"environments: [{ENV}]",
        "metrics:",
    ]
    for m in range(metrics):
        lines.append(f"  {metric_name(m)}: {{ unit: ms }}")
    lines.append("gates:")
    return lines


def policy_tail(gate_ids):
    lines = ["stages:", f"  - id: {STAGE}", "    gates:"]
    lines.extend(f"      - {g}" for g in gate_ids)
    return "\n".join(lines) + "\n"


def large_gates():
    """(id, metric, window, aggregate, script method, bound) for the 100 large gates."""
    out = []
    for m in range(LARGE_METRICS):
        name = metric_name(m)
        out.append((f"{name}-p95-1h", name, "1h", "p95", "p(95)", P95_BOUND))
        out.append((f"{name}-max-1d", name, "1d", "max", "max()", MAX_BOUND))
    return out


def write_threshold_policy(path, policy_id, title, metrics, gates):
    lines = policy_head(policy_id, title, metrics)
    for gid, metric, window, agg, _, bound in gates:
        lines += [
            f"  {gid}:",
            f"    metric: {metric}",
            f"    window: {window}",
            f"    aggregate: {agg}",
            f"    max: {bound:.1f}",
        ]
    with open(path, "w", encoding="ascii", newline="\n") as f:
        f.write("\n".join(lines) + "\n" + policy_tail([g[0] for g in gates]))


def write_script_policy(path, policy_id, title, metrics, gates):
    lines = policy_head(policy_id, title, metrics)
    for gid, metric, window, _, method, bound in gates:
        lines += [
            f"  {gid}:",
            f"    window: {window}",
            f"    script: 'series(\"{metric}\").{method} <= {bound:.1f}'",
        ]
    with open(path, "w", encoding="ascii", newline="\n") as f:
        f.write("\n".join(lines) + "\n" + policy_tail([g[0] for g in gates]))


def small_gates():
    """40 gates on 10 metrics: p95 and max over 1h, avg over 15m, p50 over 30m."""
    out = []
    for m in range(SMALL_METRICS):
        name = metric_name(m)
        out.append((f"{name}-p95-1h", name, "1h", "p95", "p(95)", P95_BOUND))
        out.append((f"{name}-max-1h", name, "1h", "max", "max()", MAX_BOUND))
        out.append((f"{name}-avg-15m", name, "15m", "avg", "avg()", P95_BOUND))
        out.append((f"{name}-p50-30m", name, "30m", "p50", "p(50)", P95_BOUND))
    return out


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "/tmp/rollgate-bench"
    os.makedirs(out_dir, exist_ok=True)
    p = lambda name: os.path.join(out_dir, name)  # noqa: E731

    write_snapshot(p("large.json"), LARGE_METRICS, LARGE_SAMPLES, 1)
    write_threshold_policy(
        p("large.yaml"), "perf-large", "100 threshold gates", LARGE_METRICS, large_gates()
    )
    write_script_policy(
        p("large-scripts.yaml"), "perf-large-scripts", "100 script gates", LARGE_METRICS,
        large_gates(),
    )
    write_snapshot(p("small.json"), SMALL_METRICS, SMALL_SAMPLES, SMALL_STEP)
    write_threshold_policy(
        p("small.yaml"), "perf-small", "40 threshold gates", SMALL_METRICS, small_gates()
    )
    for name in ["large.json", "large.yaml", "large-scripts.yaml", "small.json", "small.yaml"]:
        print(f"{p(name)}: {os.path.getsize(p(name))} bytes")


if __name__ == "__main__":
    main()
