#!/usr/bin/env python3
"""Example snapshots for the policies in policies/: real evaluations users can run.

Writes examples/<policy-id>/<verdict>-<what>.json, one snapshot per scenario, and
examples/README.md, the table of every example with the command that evaluates it. A file's
name starts with the verdict rollgate must give it (`go-`, `hold-`, `no-go-`, `rollback-`);
tests/e2e/examples.rs holds every example to its name.

    python3 scripts/gen_examples.py           # (re)writes examples/
    python3 scripts/gen_examples.py --check   # exits 1 when examples/ differs from the output

Python 3 standard library only. Deterministic: each file draws its noise from its own
random.Random seeded with 42 and the file's path, so a rerun writes byte-identical files and
editing one scenario leaves every other file unchanged.

What a snapshot holds is what `rollgate fetch` records for that stage: the series and records
the stage's gates and the policy's guards read, sampled regularly (Prometheus range queries:
every 30 s or 60 s over short windows, every 5 or 10 min over windows of days, which keeps each
file well under 300 KB), and one `evidence` entry per metric or record set naming the source as
the policy declares it (query, URL or command, checked against the policy text below), when it
was fetched, the exit code or HTTP status, and the sha256 of the answer.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SEED = 42
UTC = timezone.utc
MIN = 60
HOUR = 3600

VERDICTS = {
    "go": ("GO", 0),
    "hold": ("HOLD", 3),
    "no-go": ("NO-GO", 1),
    "rollback": ("ROLLBACK", 4),
}


# --- time, noise, rounding --------------------------------------------------------------------


def T(text: str) -> int:
    """Unix seconds of an RFC 3339 UTC time (`2026-11-20T15:00:00Z`)."""
    return int(datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def traffic(t: float, utc_offset_h: int = -5) -> float:
    """Relative load at time t: a daily cycle peaking at 14:00 local time (0.44 at 02:00,
    1.0 at 14:00), 20 % lower on weekends."""
    local = t + utc_offset_h * HOUR
    hour = (local % 86400) / HOUR
    f = 0.72 + 0.28 * math.cos(2 * math.pi * (hour - 14) / 24)
    weekday = datetime.fromtimestamp(local, UTC).weekday()
    return f * (0.8 if weekday >= 5 else 1.0)


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw (Knuth's method; lam stays small here)."""
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def sig(x: float, digits: int = 4) -> float:
    """x rounded to `digits` significant digits (what a dashboard would show)."""
    if x == 0 or math.isnan(x):
        return x
    return float(f"{x:.{digits}g}")


def r1(x: float) -> float:
    return round(x, 1)


def r2(x: float) -> float:
    return round(x, 2)


def ident(rng: random.Random, n: int = 8) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


# --- sources, as the policies declare them ------------------------------------------------------


def prom(query: str) -> dict:
    return {"source": "prometheus", "query": query}


def http(url: str) -> dict:
    return {"source": "http", "url": url}


def command(argv: list[str]) -> dict:
    return {"source": "command", "command": argv}


def file_src(path: str) -> dict:
    # Evidence has no `path` field: a file source records its path as a `file:` URL.
    return {"source": "file", "url": f"file:{path}"}


FANOUT_URL = "https://runtime.openagents.com/internal/v1/khala/fanout/metrics?topic_limit=20"
KOCO_UI = "https://aikido-reviewer-kodosumi-ui-production.up.railway.app"

SOURCES = {
    "khala-ws-only": {
        "ws_auth_error_rate": prom(
            'sum(rate(khala_ws_errors_total{code=~"401|403"}[5m])) '
            "/ clamp_min(sum(rate(khala_ws_requests_total[5m])), 1e-9)"
        ),
        "ws_stale_cursor_rate": prom(
            'sum(rate(khala_ws_errors_total{code="410",reason="stale_cursor"}[5m])) '
            "/ clamp_min(sum(rate(khala_ws_requests_total[5m])), 1e-9)"
        ),
        "replay_bootstrap_latency_ms": prom(
            "histogram_quantile(0.95, sum by (surface, le) "
            "(rate(khala_replay_bootstrap_duration_ms_bucket[5m])))"
        ),
        "ws_reconnect_rate": prom("sum(rate(khala_ws_reconnects_total[5m]))"),
        "slow_consumer_eviction_rate": prom(
            '60 * sum(rate(khala_ws_disconnects_total{cause="slow_consumer_evicted"}[5m]))'
        ),
        "fanout_slow_consumer_evictions": http(FANOUT_URL),
        "duplicate_messages_total": prom("sum by (surface) (khala_client_duplicate_messages_total)"),
        "delivery_lag_ms": prom(
            "histogram_quantile(0.95, sum by (surface, le) "
            "(rate(khala_client_delivery_lag_ms_bucket[5m])))"
        ),
        "dependency_issues": {
            "source": "github_issues",
            "url": "https://api.github.com/repos/OpenAgentsInc/openagents/issues",
            "query": "numbers: 1858, 1859, 1860, 1861, 1862",
        },
        "ws_contract_tests": command(
            [
                "cargo",
                "test",
                "-p",
                "openagents-runtime-service",
                "server::tests::khala_topic_messages",
                "--",
                "--nocapture",
            ]
        ),
        "rollback_revisions": file_src("artifacts/khala-ws-only/rollback-revisions.json"),
        "fanout_topic_windows": http(FANOUT_URL),
    },
    "kodosumi-canary": {
        "job_duration_ms": prom(
            "histogram_quantile(0.5, sum by (cohort, le) "
            '(rate(aikido_reviewer_job_duration_ms_bucket{service="aikido-reviewer-api"}[5m])))'
        ),
        "kodosumi_fallback_ratio": prom(
            "sum(rate(aikido_reviewer_kodosumi_fallback_total[5m])) "
            "/ clamp_min(sum(rate(aikido_reviewer_kodosumi_jobs_total[5m])), 1e-9)"
        ),
        "awaiting_payment_stalls_total": prom("sum(aikido_reviewer_awaiting_payment_stalls_total)"),
        "jobs": file_src("artifacts/kodosumi-canary/jobs.json"),
        "koco_ui_health": http(f"{KOCO_UI}/health"),
        "koco_ui_openapi": http(f"{KOCO_UI}/openapi.json"),
        "koco_ui_form": http(f"{KOCO_UI}/"),
        "koco_ui_launch": file_src("artifacts/kodosumi-canary/ui-launch.json"),
    },
    "kodosumi-backends": {
        "job_duration_by_store_ms": prom(
            "histogram_quantile(0.95, sum by (backend, le) "
            "(rate(kodo_execution_duration_ms_bucket[5m])))"
        ),
        "job_error_rate_by_store": prom(
            'sum by (backend) (rate(kodo_executions_total{status="error"}[5m])) '
            "/ clamp_min(sum by (backend) (rate(kodo_executions_total[5m])), 1e-9)"
        ),
        "event_delivery_latency_ms": prom(
            "histogram_quantile(0.95, sum by (transport, le) "
            "(rate(kodo_event_delivery_latency_ms_bucket[5m])))"
        ),
        "redis_consumer_lag": prom('sum(kodo_redis_stream_pending_events{group="spooler"})'),
        "redis_redeliveries": prom('sum(kodo_redis_stream_redeliveries_total{group="spooler"})'),
        "job_duration_by_mode_ms": prom(
            "histogram_quantile(0.95, sum by (execution_mode, le) "
            "(rate(kodo_execution_duration_ms_bucket[5m])))"
        ),
        "job_error_rate_by_mode": prom(
            'sum by (execution_mode) (rate(kodo_executions_total{status="error"}[5m])) '
            "/ clamp_min(sum by (execution_mode) (rate(kodo_executions_total[5m])), 1e-9)"
        ),
        "temporal_activity_retry_ratio": prom(
            'sum(rate(kodo_temporal_activity_retries_total{activity="execute_agent"}[15m])) '
            '/ clamp_min(sum(rate(kodo_temporal_activity_started_total{activity="execute_agent"}[15m])), 1e-9)'
        ),
        "temporal_activity_attempts_max": prom(
            'max(kodo_temporal_activity_attempt{activity="execute_agent"})'
        ),
        "stuck_jobs": prom("sum by (backend) (kodo_executions_stalled)"),
        "default_install_tests": command(["python", "-m", "pytest", "-q", "tests"]),
        "panel_health": http("http://localhost:3370/health"),
    },
    "sisu-kodo-durability": {
        "shim_health": http("http://localhost:3001/healthz"),
        "wf_purity_scan": command(
            [
                "grep",
                "-rnE",
                "Date\\.now\\(|new Date\\(\\)|Math\\.random\\(|from [\"'](node:)?fs(/promises)?[\"']"
                "|require\\([\"'](node:)?fs",
                "src/workflow/wf/",
            ]
        ),
        "crashdemo_workflows": file_src("artifacts/sisu-kodo/crashdemo-workflow-status.json"),
        "crashdemo_marks": file_src("artifacts/sisu-kodo/crashdemo-marks.json"),
        "runs": file_src("artifacts/sisu-kodo/runs.json"),
        "queue_probes": file_src("artifacts/sisu-kodo/queue-probes.json"),
        "hitl_repair_flows": file_src("artifacts/sisu-kodo/hitl-repair.json"),
        "mock_receipts": file_src("artifacts/sisu-kodo/mock-receipts.json"),
        "opencode_calls": file_src("artifacts/sisu-kodo/opencode-calls.json"),
    },
    "weathervane-monitor": {
        "worker_error_rate": prom(
            'sum(rate(wvo_worker_operations_total{result="error", worker="active"}[1m])) '
            '/ clamp_min(sum(rate(wvo_worker_operations_total{worker="active"}[1m])), 1e-9)'
        ),
        "health_check_failed": prom('max(wvo_rollback_monitor_health_check_failed{worker="active"})'),
        "worker_memory_mb": prom(
            'max(process_resident_memory_bytes{job="wvo-worker", worker="active"}) / 1048576'
        ),
        "worker_fd_usage": prom(
            'max(process_open_fds{job="wvo-worker", worker="active"} '
            '/ process_max_fds{job="wvo-worker", worker="active"})'
        ),
    },
}


def check_sources_match_policies() -> None:
    """Every query, URL, path and argument above appears in its policy (whitespace folded as
    YAML's `>-` folds it): the evidence must name the source the policy declares."""
    problems = []
    for policy, sources in SOURCES.items():
        text = (ROOT / "policies" / f"{policy}.yaml").read_text()
        folded = re.sub(r"\s+", " ", text)
        for name, src in sources.items():
            if not re.search(rf"^  {re.escape(name)}:\s*$", text, re.M):
                problems.append(f"{policy}: `{name}` is not a metric or record set")
            wanted = []
            if "query" in src and src["source"] == "prometheus":
                wanted.append(src["query"])
            if src["source"] == "github_issues":
                wanted.append(src["url"].split("/repos/")[1].removesuffix("/issues"))
            elif "url" in src:
                wanted.append(src["url"].removeprefix("file:"))
            for arg in src.get("command", []):
                wanted.append(arg)
            for w in wanted:
                w_folded = re.sub(r"\s+", " ", w)
                forms = {w_folded, w_folded.replace("'", "''"), w_folded.rstrip("/")}
                if not any(f in folded for f in forms):
                    problems.append(f"{policy}: `{name}`: `{w}` is not in the policy")
    if problems:
        sys.exit("sources differ from the policies:\n  " + "\n  ".join(problems))


# --- the snapshot being built -------------------------------------------------------------------


class Snap:
    def __init__(self, policy, name, env, stage, entered, taken, shows):
        self.policy = policy
        self.name = name
        self.env = env
        self.stage = stage
        self.entered = T(entered) if entered else None
        self.now = T(taken)
        self.shows = shows
        self.rng = random.Random(f"{SEED}:{policy}/{name}")
        self.series: dict[str, list[tuple[dict, list]]] = {}
        self.records: dict[str, list[dict]] = {}
        self.status: dict[str, dict] = {}  # per-source evidence extras (exit code, HTTP status)

    # The sample times of a range query with `step` from `start` to shortly before the fetch
    # (Prometheus evaluates the end a few seconds back), aligned to the step.
    def grid(self, start: int, step: int, end: int | None = None) -> list[int]:
        end = (self.now - 15) // step * step if end is None else end
        first = -(-start // step) * step
        return list(range(first, end + 1, step))

    def put(self, metric: str, labels: dict | None, samples: list) -> None:
        self.series.setdefault(metric, []).append((labels or {}, samples))

    def curve(self, metric, labels, times, fn, rnd=sig):
        self.put(metric, labels, [[t, rnd(fn(t))] for t in times])

    def put_records(self, name: str, records: list[dict], **extra) -> None:
        self.records[name] = records
        if extra:
            self.status[name] = extra

    def document(self) -> dict:
        doc = {"version": 1, "taken_at": iso(self.now), "environment": self.env, "stage": self.stage}
        if self.entered is not None:
            doc["stage_entered_at"] = iso(self.entered)
        series = {}
        for metric, entries in self.series.items():
            objs = []
            for labels, samples in entries:
                o = {"labels": labels} if labels else {}
                o["samples"] = samples
                objs.append(o)
            series[metric] = objs[0] if len(objs) == 1 and not entries[0][0] else objs
        doc["series"] = series
        doc["records"] = self.records
        # One entry per metric and record set, in the order the fetch ran them (one second
        # apart, the last at taken_at).
        names = list(self.series) + list(self.records)
        evidence = {}
        for i, name in enumerate(names):
            src = dict(SOURCES[self.policy][name])
            src["fetched_at"] = iso(self.now - (len(names) - 1 - i))
            src.update(self.status.get(name, {}))
            data = series.get(name, self.records.get(name))
            raw = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
            src["sha256"] = hashlib.sha256(raw).hexdigest()
            evidence[name] = src
        doc["evidence"] = evidence
        return doc


# --- JSON layout: readable, compact samples ----------------------------------------------------


def scalar(v) -> str:
    if isinstance(v, float) and math.isnan(v):
        return '"NaN"'  # as Prometheus writes it
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return json.dumps(v, ensure_ascii=False)


def flat(o) -> str:
    if isinstance(o, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {flat(v)}" for k, v in o.items()) + "}"
    if isinstance(o, list):
        return "[" + ", ".join(flat(v) for v in o) + "]"
    return scalar(o)


def layout(o, indent: int = 0, key: str | None = None) -> str:
    pad, inner = "  " * indent, "  " * (indent + 1)
    if key == "samples":
        # One [time, value] pair per line.
        return "[\n" + ",\n".join(inner + flat(p) for p in o) + "\n" + pad + "]"
    one_line = flat(o)
    if not isinstance(o, (dict, list)) or len(one_line) + len(pad) <= 100:
        return one_line
    if isinstance(o, dict):
        parts = [f"{inner}{json.dumps(k)}: {layout(v, indent + 1, k)}" for k, v in o.items()]
        return "{\n" + ",\n".join(parts) + "\n" + pad + "}"
    parts = [inner + layout(v, indent + 1) for v in o]
    return "[\n" + ",\n".join(parts) + "\n" + pad + "]"


# === khala-ws-only (seed 001) ===================================================================

KHALA_SHARE = {
    "preflight": 0.004,  # no WS-only traffic yet: the existing lane's clients
    "internal-canary": 0.01,
    "external-5": 0.05,
    "broad-25": 0.25,
    "broad-50": 0.5,
    "full-100": 1.0,
}

KHALA_BASE = {
    "production": {
        "auth": 0.00022,
        "stale": 0.00052,
        "replay": {"web": 182, "desktop": 214, "ios": 263},
        "lag": {"web": 310, "desktop": 365, "ios": 540},
        "reconnect": 22.0,  # per second at 100 %
        "evict": 8.0,  # evictions per 5 minutes at 100 %
        "dups": {"web": 41, "desktop": 9, "ios": 17},
    },
    "staging": {
        "auth": 0.0011,
        "stale": 0.0021,
        "replay": {"web": 236, "desktop": 281, "ios": 352},
        "lag": {"web": 420, "desktop": 470, "ios": 690},
        "reconnect": 1.6,
        "evict": 3.0,
        "dups": {"web": 6, "desktop": 2, "ios": 3},
    },
}

SURFACES = ["web", "desktop", "ios"]

TOPICS = [
    "runtime.codex_worker_events",
    "runtime.run_summaries",
    "runtime.codex_worker_heartbeats",
    "sync.thread_messages",
    "sync.notifications",
]


def khala(name, env, stage, entered, taken, step, shows, **tw):
    """A khala-ws-only snapshot. `tw` overrides parts of the healthy picture:
    replay(t, surface, v), auth(t, v), reconnect(t, v), evict(t, count), dups(t, surface, v)
    take the healthy value and return the scenario's; `issues`, `tests`, `revisions`,
    `topics`, `fanout` replace records or values."""
    s = Snap("khala-ws-only", name, env, stage, entered, taken, shows)
    rng, base, share = s.rng, KHALA_BASE[env], KHALA_SHARE[stage]
    start = s.entered - tw.get("lead", 0)
    times = s.grid(start, step)
    ident_fn = lambda *a: a[-1]  # noqa: E731  (the healthy value, unchanged)

    def after_entry(t):
        return max(0.0, t - s.entered)

    # Guards, read at every stage: auth errors, reconnects, duplicates.
    auth = tw.get("auth", ident_fn)
    s.curve(
        "ws_auth_error_rate",
        None,
        times,
        lambda t: auth(t, max(base["auth"] * 0.1, base["auth"] * (0.6 + 0.4 * traffic(t)) * (1 + 0.35 * rng.gauss(0, 1)))),
        lambda v: sig(v, 3),
    )
    if stage != "preflight":
        s.curve(
            "ws_stale_cursor_rate",
            None,
            times,
            lambda t: max(base["stale"] * 0.1, base["stale"] * (1 + 0.3 * rng.gauss(0, 1))),
            lambda v: sig(v, 3),
        )
        replay = tw.get("replay", ident_fn)
        for surface in SURFACES:
            b = base["replay"][surface]

            def f(t, b=b, surface=surface):
                v = b * (0.95 + 0.1 * traffic(t)) * (1 + 0.05 * rng.gauss(0, 1))
                if rng.random() < 0.015:
                    v *= 1.3  # a cold-cache burst
                return replay(t, surface, v)

            s.curve("replay_bootstrap_latency_ms", {"surface": surface}, times, f, r1)
    reconnect = tw.get("reconnect", ident_fn)
    rb = base["reconnect"] * share

    def reconnects(t):
        # Clients that move to the WS-only lane reconnect once: a bump that decays in minutes.
        bump = 0.8 * rb * math.exp(-after_entry(t) / 600) if t >= s.entered and stage != "preflight" else 0
        return reconnect(t, max(0.0, rb * traffic(t) * (1 + 0.08 * rng.gauss(0, 1)) + bump))

    s.curve("ws_reconnect_rate", None, times, reconnects, lambda v: sig(v, 4))
    if stage != "preflight":
        evict = tw.get("evict", ident_fn)
        eb = base["evict"] * share + 0.3

        def evictions(t):
            count = evict(t, poisson(rng, eb * traffic(t)))
            return count / 5  # 60 * rate over 5 minutes
        s.curve("slow_consumer_eviction_rate", None, times, evictions, r2)
        s.put("fanout_slow_consumer_evictions", None, [[s.now - 2, tw.get("fanout", 11 + round(70 * share))]])
        s.status["fanout_slow_consumer_evictions"] = {"http_status": 200}
    dups = tw.get("dups", ident_fn)
    for surface in SURFACES:
        d0 = base["dups"][surface]
        s.curve("duplicate_messages_total", {"surface": surface}, times, lambda t, d0=d0, surface=surface: dups(t, surface, d0), int)
    if stage != "preflight":
        for surface in SURFACES:
            b = base["lag"][surface]

            def f(t, b=b, surface=surface):
                v = b * (0.9 + 0.15 * traffic(t)) * (1 + 0.07 * rng.gauss(0, 1))
                if rng.random() < 0.01:
                    v *= 1.4
                return tw.get("lag", ident_fn)(t, surface, v)

            s.curve("delivery_lag_ms", {"surface": surface}, times, f, r1)

    if stage == "preflight":
        s.put_records("dependency_issues", tw.get("issues", khala_issues()))
        tests = tw.get("tests", khala_contract_tests(0))
        s.put_records("ws_contract_tests", [tests], exit_code=tests["exit_code"])
        s.put_records("rollback_revisions", tw.get("revisions", khala_revisions()))
    else:
        topics = []
        for i, topic in enumerate(TOPICS):
            published = int((4000 - 600 * i) * max(share, 0.02) * traffic(s.now) * (1 + 0.1 * rng.gauss(0, 1)))
            topics.append(
                {
                    "topic": topic,
                    "window_seconds": 300,
                    "published": published,
                    "delivered": published - poisson(rng, 0.4),
                    "slow_consumer_evictions": poisson(rng, 0.3 * share * 4),
                    "stale_cursor_count": poisson(rng, 0.5),
                    "stale_cursor_budget_exceeded_count": 0,
                }
            )
        for topic, fields in tw.get("topics", {}).items():
            next(t for t in topics if t["topic"] == topic).update(fields)
        s.put_records("fanout_topic_windows", topics, http_status=200)
    return s


def khala_issues(open_numbers=()):
    titles = {
        1858: "OA-RUST-043: Khala WS auth token validation on the runtime service",
        1859: "OA-RUST-044: Topic ACL enforcement for Khala WS subscriptions",
        1860: "OA-RUST-045: Replay bootstrap from durable cursors (410 stale_cursor)",
        1861: "OA-RUST-046: Slow-consumer eviction and fanout backpressure",
        1862: "OA-RUST-047: Remove SSE/poll fallback lanes from web, desktop and iOS",
    }
    closed_at = {1858: "2026-11-09T18:22:41Z", 1859: "2026-11-11T15:03:12Z", 1860: "2026-11-12T21:47:05Z", 1861: "2026-11-16T17:30:58Z", 1862: "2026-11-17T14:12:36Z"}
    out = []
    for n, title in titles.items():
        is_open = n in open_numbers
        out.append(
            {
                "number": n,
                "title": title,
                "state": "open" if is_open else "closed",
                "state_reason": None if is_open else "completed",
                "closed_at": None if is_open else closed_at[n],
                "html_url": f"https://github.com/OpenAgentsInc/openagents/issues/{n}",
            }
        )
    return out


def khala_contract_tests(exit_code):
    names = [
        "khala_topic_messages_require_valid_token",
        "khala_topic_messages_reject_expired_token_with_401",
        "khala_topic_messages_reject_foreign_topic_with_403",
        "khala_topic_messages_replay_from_cursor",
        "khala_topic_messages_stale_cursor_returns_410",
        "khala_topic_messages_evict_slow_consumer",
    ]
    lines = ["running 6 tests"]
    for n in names:
        lines.append(f"test server::tests::{n} ... ok")
    lines += ["", "test result: ok. 6 passed; 0 failed; 0 ignored; 0 measured; 412 filtered out; finished in 3.84s"]
    return {"exit_code": exit_code, "duration_ms": 96412, "timed_out": False, "tail": lines}


def khala_revisions():
    return [
        {"service": "control", "revision": "openagents-control-service-00231-wq8", "captured_at": "2026-11-19T13:52:10Z"},
        {"service": "runtime", "revision": "openagents-runtime-service-00187-kq2", "captured_at": "2026-11-19T13:52:11Z"},
        {"service": "khala", "revision": "khala-fanout-00064-b7d", "captured_at": "2026-11-19T13:52:11Z"},
    ]


def khala_examples():
    out = []
    out.append(
        khala(
            "go-preflight",
            "production",
            "preflight",
            "2026-11-19T14:00:00Z",
            "2026-11-19T14:40:00Z",
            60,
            "Stage 0: OA-RUST-043..047 closed, WS contract tests green, rollback revisions of "
            "control, runtime and Khala captured; the guards read the existing lane",
            lead=10 * MIN,
        )
    )
    out.append(
        khala(
            "no-go-preflight-dependency-open",
            "production",
            "preflight",
            "2026-11-19T14:00:00Z",
            "2026-11-19T14:40:00Z",
            60,
            "dependency issue #1861 (OA-RUST-046, slow-consumer eviction) is still open: do not "
            "start the rollout",
            lead=10 * MIN,
            issues=khala_issues(open_numbers=(1861,)),
        )
    )
    out.append(
        khala(
            "hold-internal-canary",
            "production",
            "internal-canary",
            "2026-11-19T16:00:00Z",
            "2026-11-19T16:35:00Z",
            60,
            "every SLO gate green 35 minutes into the internal canary: hold until the 60-minute "
            "minimum has passed (25 min left)",
        )
    )
    out.append(
        khala(
            "go-internal-canary",
            "production",
            "internal-canary",
            "2026-11-19T16:00:00Z",
            "2026-11-19T17:05:00Z",
            60,
            "65 green minutes of internal canary: promote to the 5% external canary",
        )
    )
    out.append(
        khala(
            "hold-external-5-weekend",
            "production",
            "external-5",
            "2026-11-20T15:00:00Z",
            "2026-11-22T18:00:00Z",
            600,
            "entered Friday 10:00 New York time and green since; on Sunday only 14 of the 24 "
            "business hours have passed: hold until Monday 10:00 ET",
        )
    )
    out.append(
        khala(
            "go-external-5",
            "production",
            "external-5",
            "2026-11-20T15:00:00Z",
            "2026-11-23T16:30:00Z",
            600,
            "one business day at 5% (Friday 10:00 to Monday 10:00 ET, the weekend not counted) "
            "with every SLO green: promote to 25%; a restart of the desktop telemetry aggregator "
            "resets its duplicate counter, which is not an increase",
            dups=lambda t, surface, v: 0 if surface == "desktop" and t >= T("2026-11-21T09:20:00Z") else v,
        )
    )

    t_rel = T("2026-11-23T22:00:00Z")  # autopilot-ios 1.14.0 reaches users

    def ios_regression(t, surface, v):
        if surface != "ios" or t < t_rel:
            return v
        adoption = min(1.0, (t - t_rel) / (3 * HOUR))
        return v * (1 + 0.85 * adoption)

    out.append(
        khala(
            "no-go-replay-regression-ios",
            "production",
            "broad-25",
            "2026-11-23T17:00:00Z",
            "2026-11-24T13:00:00Z",
            300,
            "after autopilot-ios 1.14.0 reached users, the ios surface's p95 replay bootstrap "
            "latency climbed from ~265 ms to ~490 ms, over its 400 ms budget; web and desktop "
            "stay green; one topic over its stale-cursor budget is a warning",
            replay=ios_regression,
            lag=lambda t, surface, v: v * (1.25 if surface == "ios" and t >= t_rel + HOUR else 1.0),
            topics={"sync.thread_messages": {"stale_cursor_count": 14, "stale_cursor_budget_exceeded_count": 2}},
        )
    )
    out.append(
        khala(
            "hold-broad-50-thanksgiving",
            "production",
            "broad-50",
            "2026-11-25T15:00:00Z",
            "2026-11-26T17:00:00Z",
            600,
            "entered Wednesday 10:00 ET; Thursday is Thanksgiving (a holiday in the policy's "
            "calendar), so 26 hours later only 14 business hours count: hold until Friday 10:00 ET",
        )
    )

    t_grow = T("2026-12-01T19:30:00Z")

    def growing_evictions(t, count):
        # A topic's consumers fall behind a little more every minute: evictions climb steadily.
        return count + poisson(random.Random(t), max(0.0, (t - t_grow) / HOUR * 5.0))

    out.append(
        khala(
            "no-go-slow-consumer-growth",
            "staging",
            "full-100",
            "2026-12-01T19:00:00Z",
            "2026-12-01T23:00:00Z",
            60,
            "slow_consumer_evicted climbs steadily from ~0.6 to ~4/min over three and a half hours: still "
            "under the 10/min threshold, but the trend gate (Mann-Kendall) blocks; the runtime's "
            "own eviction counter is over its bound (warning)",
            evict=growing_evictions,
            fanout=236,
        )
    )

    t_rot = T("2026-11-30T22:58:00Z")  # the WS token signing key rotates; clients keep old tokens

    def auth_surge(t, v):
        if t < t_rot:
            return v
        return 0.021 + 0.012 * math.exp(-(t - t_rot) / 900) + 0.002 * random.Random(t).gauss(0, 1)

    out.append(
        khala(
            "rollback-auth-error-surge",
            "production",
            "full-100",
            "2026-11-30T19:00:00Z",
            "2026-11-30T23:10:00Z",
            60,
            "at 100%, a token signing key rotation sends WS 401s to 2-3.5% of requests for 12 "
            "checks in a row (limit: 5 over 1%): traffic rollback",
            auth=auth_surge,
        )
    )

    t_dup = T("2026-12-02T20:40:00Z")

    def desktop_dups(t, surface, v):
        if surface != "desktop" or t < t_dup:
            return v
        return v + int((t - t_dup) / 180)  # one more duplicate every ~3 minutes

    out.append(
        khala(
            "rollback-duplicate-messages-desktop",
            "staging",
            "broad-25",
            "2026-12-02T16:00:00Z",
            "2026-12-02T21:30:00Z",
            60,
            "autopilot-desktop clients receive messages twice after a reconnect (16 duplicates "
            "in 50 minutes): roll back the desktop release",
            dups=desktop_dups,
        )
    )
    return out


# === kodosumi-canary (seed 000) =================================================================

KOCO_FLOW = "fid_"


def kodo_jobs(s: Snap, start: int, n_canary: int, n_control: int, slow=1.0, fallback=()):
    """Jobs the canary driver submitted, alternating control and canary about every 3.5
    minutes, as their MIP-003 /status records; `fallback` lists canary job indexes that fell
    back to the default backend after a worker timeout."""
    rng = s.rng
    jobs = []
    t = start
    kinds = []
    c = k = 0
    while c < n_control or k < n_canary:
        if c < n_control and (c <= k or k >= n_canary):
            kinds.append("control")
            c += 1
        else:
            kinds.append("canary")
            k += 1
    canary_i = 0
    for cohort in kinds:
        t += int(rng.uniform(150, 270))
        duration = int(38500 * math.exp(0.11 * rng.gauss(0, 1)))
        job = {"id": f"job_{ident(rng, 12)}", "cohort": cohort, "status": "completed"}
        if cohort == "canary":
            fell_back = canary_i in fallback
            canary_i += 1
            if fell_back:
                # KODOSUMI_REQUEST_TIMEOUT_SECONDS (60) passed, then the default backend ran it.
                duration = 60000 + int(38500 * math.exp(0.11 * rng.gauss(0, 1)))
                job.update(execution_backend="default", payment_status="completed")
                job["execution_meta"] = {
                    "fallback_used": True,
                    "fallback_reason": "kodosumi worker timeout after 60s",
                }
            else:
                duration = int(duration * slow)
                job.update(execution_backend="kodosumi", payment_status="completed")
                job["execution_meta"] = {
                    "worker_request_id": f"wrk_{ident(rng, 16)}",
                    "fallback_used": False,
                    "worker": "aikido-reviewer-kodosumi-worker",
                }
        else:
            job.update(execution_backend="default", payment_status="completed")
            job["execution_meta"] = {"fallback_used": False}
        job["duration_ms"] = duration
        job["submitted_at"] = iso(t)
        job["completed_at"] = iso(t + duration // 1000)
        assert t + duration // 1000 < s.now, f"{s.name}: job {job['id']} completes after taken_at"
        jobs.append(job)
    return jobs


def job_duration_series(s: Snap, jobs, start, step=60):
    """What the p50 histogram query gives for each cohort: the median duration of the jobs
    that completed in the 5 minutes before each step, NaN when none did."""
    times = s.grid(start, step)
    for cohort in ["canary", "control"]:
        done = [(T(j["completed_at"]), j["duration_ms"]) for j in jobs if j["cohort"] == cohort]
        samples = []
        for t in times:
            inside = sorted(d for c, d in done if t - 300 < c <= t)
            if not inside:
                samples.append([t, math.nan])
                continue
            m = len(inside)
            med = inside[m // 2] if m % 2 else (inside[m // 2 - 1] + inside[m // 2]) / 2
            samples.append([t, round(med * (1 + 0.01 * s.rng.gauss(0, 1)))])
        s.put("job_duration_ms", {"cohort": cohort}, samples)


def koco_response(s: Snap, path: str, status=200, content_type="application/json"):
    rec = {
        "url": f"{KOCO_UI}{path}",
        "status": status,
        "latency_ms": int(s.rng.uniform(90, 260)),
        "content_type": content_type,
    }
    return rec


def koco_launch_ok(s: Snap):
    return {"status": 200, "result": f"{KOCO_FLOW}{ident(s.rng, 24)}", "error": None}


def koco_launch_ray_timeout():
    return {
        "status": 500,
        "result": None,
        "error": "The current node timed out during startup. This could happen because some of "
        "the Ray processes failed to startup.",
    }


def kodo(name, stage, entered, taken, shows, **tw):
    s = Snap("kodosumi-canary", name, "production", stage, entered, taken, shows)
    rng = s.rng
    if stage == "control-path":
        jobs = kodo_jobs(s, s.entered, 0, tw.get("control", 2))
        s.put_records("jobs", jobs)
    if stage == "koco-onboarding":
        s.put_records("koco_ui_health", [koco_response(s, "/health")], http_status=200)
        s.put_records("koco_ui_openapi", [koco_response(s, "/openapi.json")], http_status=200)
        s.put_records("koco_ui_form", [koco_response(s, "/", content_type="text/html; charset=utf-8")], http_status=200)
    if stage == "canary":
        jobs = kodo_jobs(s, s.entered, tw.get("canary", 6), tw.get("control", 6), tw.get("slow", 1.0), tw.get("fallback", ()))
        job_duration_series(s, jobs, s.entered)
    if stage == "widened":
        times = s.grid(s.entered, 60)
        slow = tw.get("slow", 1.03)
        for cohort, f in [("canary", slow), ("control", 1.0)]:
            s.curve(
                "job_duration_ms",
                {"cohort": cohort},
                times,
                lambda t, f=f: 38500 * f * (0.93 + 0.1 * traffic(t)) * (1 + 0.035 * rng.gauss(0, 1)),
                round,
            )
        # fallback-rate reads the last hour
        s.curve(
            "kodosumi_fallback_ratio",
            None,
            s.grid(s.now - 70 * MIN, 60),
            lambda t: max(0.0, 0.006 + 0.004 * rng.gauss(0, 1)) if rng.random() < 0.6 else 0.0,
            lambda v: sig(v, 3),
        )
    if stage in ("canary", "widened"):
        stalls = tw.get("stalls", lambda t: 3)
        s.curve("awaiting_payment_stalls_total", None, s.grid(s.entered, 60), stalls, int)
    if stage == "canary":
        s.put_records("jobs", jobs)
    if stage in ("koco-onboarding", "canary", "widened"):
        launch = tw.get("launch", koco_launch_ok(s))
        s.put_records("koco_ui_launch", [launch])
    return s


def kodosumi_canary_examples():
    out = []
    out.append(
        kodo(
            "go-control-path",
            "control-path",
            "2026-02-28T15:00:00Z",
            "2026-02-28T15:12:00Z",
            "KODOSUMI_ENABLED=false on both services: the control jobs ran on the default backend",
        )
    )
    out.append(
        kodo(
            "go-koco-onboarding",
            "koco-onboarding",
            "2026-02-28T15:30:00Z",
            "2026-02-28T15:45:00Z",
            "the Kodosumi UI answers /health, /openapi.json and / and the launch probe returns a "
            "result flow id: Koco registration verified, the API canary may be enabled",
        )
    )
    out.append(
        kodo(
            "no-go-koco-ui-ray-timeout",
            "koco-onboarding",
            "2026-02-28T15:30:00Z",
            "2026-02-28T15:45:00Z",
            "the known blocker: POST / on the UI fails with Ray's 'The current node timed out "
            "during startup'; keep KODOSUMI_ENABLED=false and shrink the Ray footprint",
            launch=koco_launch_ray_timeout(),
        )
    )
    out.append(
        kodo(
            "go-canary",
            "canary",
            "2026-02-28T16:00:00Z",
            "2026-02-28T16:50:00Z",
            "6 canary and 6 control jobs: every canary job ran on Kodosumi with a worker request "
            "id and completed payment, latency on par with control, no payment stall",
        )
    )
    out.append(
        kodo(
            "no-go-canary-only-4-jobs",
            "canary",
            "2026-02-28T16:00:00Z",
            "2026-02-28T16:35:00Z",
            "only 4 canary jobs so far (5 + 5 needed before widening): the canary gates are "
            "inconclusive, and inconclusive blocks",
            canary=4,
            control=5,
        )
    )
    out.append(
        kodo(
            "no-go-canary-latency-regression",
            "canary",
            "2026-02-28T16:00:00Z",
            "2026-02-28T17:05:00Z",
            "canary jobs take ~40% longer than control (p50), and Mann-Whitney says it is not "
            "chance (p < 0.05)",
            canary=8,
            control=8,
            slow=1.4,
        )
    )
    out.append(
        kodo(
            "no-go-canary-fallback",
            "canary",
            "2026-02-28T16:00:00Z",
            "2026-02-28T16:55:00Z",
            "one canary job timed out on the worker and fell back to the default backend "
            "(execution_meta.fallback_used=true)",
            canary=7,
            fallback=(4,),
        )
    )
    out.append(
        kodo(
            "hold-widened",
            "widened",
            "2026-03-02T14:00:00Z",
            "2026-03-02T20:00:00Z",
            "6 hours into widened traffic, fallback under 5%, latency on par, no stalls: hold "
            "for the rest of the 24 h",
        )
    )
    out.append(
        kodo(
            "go-widened",
            "widened",
            "2026-03-02T14:00:00Z",
            "2026-03-03T14:30:00Z",
            "24 h of widened traffic with every gate green: GO (the last stage)",
        )
    )
    t_stall = T("2026-03-04T11:20:00Z")
    out.append(
        kodo(
            "no-go-widened-payment-stalls",
            "widened",
            "2026-03-04T09:00:00Z",
            "2026-03-04T13:00:00Z",
            "4 more jobs stalled in awaiting_payment since the stage began (counter 3 -> 7)",
            stalls=lambda t: 3 + (0 if t < t_stall else 1 + min(3, int((t - t_stall) / (25 * MIN)))),
        )
    )
    return out


# === kodosumi-backends (seed 002) ===============================================================


def pytest_record(exit_code: int, lines: list[str], duration_ms: int):
    return {"exit_code": exit_code, "duration_ms": duration_ms, "timed_out": False, "tail": lines}


PYTEST_OK = [
    "........................................................................ [ 17%]",
    "........................................................................ [ 34%]",
    "........................................................................ [ 52%]",
    "........................................................................ [ 69%]",
    "........................................................................ [ 87%]",
    "....................................................                     [100%]",
    "412 passed, 23 skipped in 187.31s (0:03:07)",
]

PYTEST_ASYNCPG = [
    "==================================== ERRORS ====================================",
    "_____________________ ERROR collecting tests/test_spooler.py _____________________",
    "ImportError while importing test module '/build/kodosumi/tests/test_spooler.py'.",
    "tests/test_spooler.py:9: in <module>",
    "    from kodosumi.spooler import Spooler",
    "kodosumi/spooler.py:14: in <module>",
    "    from kodosumi.service.execution_db import make_engine",
    "kodosumi/service/execution_db.py:6: in <module>",
    "    import asyncpg",
    "E   ModuleNotFoundError: No module named 'asyncpg'",
    "=========================== short test summary info ============================",
    "ERROR tests/test_spooler.py",
    "!!!!!!!!!!!!!!!!!!!! Interrupted: 1 error during collection !!!!!!!!!!!!!!!!!!!!",
    "1 error in 4.12s",
]

BACKEND_STAGE_METRICS = {
    "default-embedded": ["job_error_rate_by_store"],
    "postgres-canary": ["job_duration_by_store_ms", "job_error_rate_by_store"],
    "redis-canary": ["event_delivery_latency_ms", "redis_consumer_lag", "redis_redeliveries"],
    "temporal-canary": [
        "job_duration_by_mode_ms",
        "job_error_rate_by_mode",
        "temporal_activity_retry_ratio",
        "temporal_activity_attempts_max",
    ],
}


def backends(name, env, stage, entered, taken, step, shows, **tw):
    s = Snap("kodosumi-backends", name, env, stage, entered, taken, shows)
    rng = s.rng
    times = s.grid(s.entered, step)
    idf = lambda *a: a[-1]  # noqa: E731
    metrics = BACKEND_STAGE_METRICS[stage]
    if stage == "default-embedded":
        s.put_records(
            "default_install_tests",
            [tw.get("tests", pytest_record(0, PYTEST_OK, 187310))],
            exit_code=tw.get("tests", {"exit_code": 0})["exit_code"],
        )
    panel = {"url": "http://localhost:3370/health", "status": 200, "latency_ms": int(rng.uniform(3, 12)), "content_type": "application/json"}
    s.put_records("panel_health", [panel], http_status=200)
    err = 0.004 if env == "production" else 0.011

    def error_rate(t, b):
        return max(0.0, b * (1 + 0.5 * rng.gauss(0, 1)))

    if "job_error_rate_by_store" in metrics:
        stores = ["sqlite"] + (["postgres"] if stage != "default-embedded" else [])
        for store in stores:
            s.curve("job_error_rate_by_store", {"backend": store}, times, lambda t: error_rate(t, err * (1.1 if store == "postgres" else 1)), lambda v: sig(v, 3))
    if "job_duration_by_store_ms" in metrics:
        for store, f in [("sqlite", 1.0), ("postgres", tw.get("pg_slow", 1.02))]:
            s.curve("job_duration_by_store_ms", {"backend": store}, times, lambda t, f=f: 41800 * f * (0.95 + 0.08 * traffic(t, 1)) * (1 + 0.04 * rng.gauss(0, 1)), round)
    if "event_delivery_latency_ms" in metrics:
        # Ray queue polling every 0.25 s vs push-based XREADGROUP: Redis is faster.
        for transport, b in [("ray", 318.0), ("redis", 41.0)]:
            s.curve("event_delivery_latency_ms", {"transport": transport}, times, lambda t, b=b: b * (1 + 0.09 * rng.gauss(0, 1)), r1)
    if "redis_consumer_lag" in metrics:
        lag = tw.get("lag", idf)
        s.curve("redis_consumer_lag", None, times, lambda t: lag(t, max(0, poisson(rng, 35 * traffic(t, 1)))), int)
        redeliv = tw.get("redeliveries", lambda t: 120 + int((t - s.entered) / 1800))
        s.curve("redis_redeliveries", None, times, redeliv, int)
    if "job_duration_by_mode_ms" in metrics:
        for mode, f in [("direct", 1.0), ("temporal", 1.06)]:
            s.curve("job_duration_by_mode_ms", {"execution_mode": mode}, times, lambda t, f=f: 41800 * f * (0.95 + 0.08 * traffic(t, 1)) * (1 + 0.04 * rng.gauss(0, 1)), round)
        for mode, f in [("direct", 1.0), ("temporal", 1.08)]:
            s.curve("job_error_rate_by_mode", {"execution_mode": mode}, times, lambda t, f=f: error_rate(t, err * f), lambda v: sig(v, 3))
        s.curve("temporal_activity_retry_ratio", None, times, lambda t: max(0.0, 0.012 + 0.006 * rng.gauss(0, 1)), lambda v: sig(v, 3))
        s.curve("temporal_activity_attempts_max", None, times, lambda t: 1 if rng.random() < 0.85 else 2, int)
    # Guard no-stuck-jobs: the last 30 minutes (and a little more), by execution store.
    stuck = tw.get("stuck", lambda t, store: 0)
    stores = ["sqlite"] + (["postgres"] if stage not in ("default-embedded",) else [])
    for store in stores:
        s.curve("stuck_jobs", {"backend": store}, s.grid(s.now - 35 * MIN, 60), lambda t, store=store: stuck(t, store), int)
    return s


def kodosumi_backends_examples():
    out = []
    out.append(
        backends(
            "go-default-embedded",
            "production",
            "default-embedded",
            "2026-03-02T09:00:00Z",
            "2026-03-03T10:00:00Z",
            300,
            "nothing installed but kodosumi, no KODO_* backend set: the test suite passes, the "
            "panel is healthy, SQLite errors stay under 2% for 25 h",
        )
    )
    out.append(
        backends(
            "no-go-default-embedded-asyncpg-required",
            "production",
            "default-embedded",
            "2026-03-02T09:00:00Z",
            "2026-03-03T10:00:00Z",
            300,
            "a default install fails: kodosumi imports asyncpg unconditionally (ModuleNotFoundError),"
            " so PR 1 added a required dependency",
            tests=pytest_record(2, PYTEST_ASYNCPG, 4120),
        )
    )
    out.append(
        backends(
            "hold-postgres-canary",
            "production",
            "postgres-canary",
            "2026-03-04T10:00:00Z",
            "2026-03-05T08:00:00Z",
            300,
            "PostgreSQL canary at parity with SQLite (latency +2%, errors equal) after 22 h: hold "
            "for the rest of the production 2-day hold",
        )
    )
    t_lag = T("2026-03-06T10:00:00Z")
    out.append(
        backends(
            "no-go-redis-consumer-lag-growing",
            "staging",
            "redis-canary",
            "2026-03-06T09:00:00Z",
            "2026-03-06T15:00:00Z",
            60,
            "the spooler consumer group falls further behind every minute (lag ~35 -> ~900 "
            "events, still under the 5,000 bound): the trend gate blocks; redeliveries over 100 "
            "in the last hour are a warning",
            lag=lambda t, v: v + (int((t - t_lag) / 20) if t > t_lag else 0),
            redeliveries=lambda t: 120 + (int((t - T("2026-03-06T13:40:00Z")) / 30) if t > T("2026-03-06T13:40:00Z") else 0),
        )
    )
    out.append(
        backends(
            "go-temporal-canary-staging",
            "staging",
            "temporal-canary",
            "2026-03-10T12:00:00Z",
            "2026-03-11T12:30:00Z",
            300,
            "Temporal durable execution within 15% of direct (+6%), error rates on par, retries "
            "~1%, no activity past attempt 3, 24 h held: promote to wider",
        )
    )
    t_stuck = T("2026-03-12T15:41:00Z")
    out.append(
        backends(
            "rollback-temporal-stuck-paid-job",
            "production",
            "temporal-canary",
            "2026-03-12T09:00:00Z",
            "2026-03-12T16:05:00Z",
            300,
            "a paid job has had no event for over 10 minutes on the PostgreSQL store (its "
            "escrowed payment is stuck): roll the canary back to the default path",
            stuck=lambda t, store: 1 if store == "postgres" and t >= t_stuck else 0,
        )
    )
    return out


# === sisu-kodo-durability (seed 003) ============================================================


def sisu(name, stage, taken, shows, **tw):
    s = Snap("sisu-kodo-durability", name, "ci", stage, None, taken, shows)
    if stage == "bootstrap":
        s.put_records(
            "shim_health",
            [{"url": "http://localhost:3001/healthz", "status": 200, "latency_ms": 4, "content_type": "application/json"}],
            http_status=200,
        )
        scan = tw.get("scan", {"exit_code": 1, "duration_ms": 38, "timed_out": False, "tail": []})
        s.put_records("wf_purity_scan", [scan], exit_code=scan["exit_code"])
    if stage == "crash-demo":
        wfs = tw.get("workflows")
        marks = tw.get("marks")
        s.put_records("crashdemo_workflows", wfs)
        s.put_records("crashdemo_marks", marks)
    if stage in ("intent-run-loop", "queue-knobs", "hitl-dlq", "chaos-audit"):
        s.put_records("runs", tw.get("runs"))
    if stage == "queue-knobs":
        s.put_records("queue_probes", tw.get("probes"))
    if stage == "hitl-dlq":
        s.put_records("hitl_repair_flows", tw.get("flows"))
    if stage == "chaos-audit":
        s.put_records("mock_receipts", tw.get("receipts"))
        s.put_records("opencode_calls", tw.get("calls"))
    return s


CHAIN = ["CompileST", "ApplyPatchST", "DecideST", "ExecuteST"]


def sisu_run(rng, trace, status="succeeded", steps=CHAIN, next_action=None, same_id=True):
    intent = f"it_{ident(rng, 20)}"
    return {
        "run_id": f"run_{ident(rng, 20)}",
        "intent_id": intent,
        "workflow_id": intent if same_id else f"wf_{ident(rng, 20)}",
        "trace_id": trace,
        "status": status,
        "next_action": next_action,
        "step_ids": list(steps),
    }


def sisu_examples():
    out = []
    out.append(sisu("go-bootstrap", "bootstrap", "2026-03-12T10:04:00Z", "api-shim /healthz answers 200 and src/workflow/wf/ has no clock, randomness or fs (grep finds nothing: exit 1)"))
    out.append(
        sisu(
            "no-go-bootstrap-purity-date-now",
            "bootstrap",
            "2026-03-12T10:04:00Z",
            "grep finds Date.now() and Math.random() in src/workflow/wf/intentWorkflow.ts: workflow "
            "code must stay replay-deterministic",
            scan={
                "exit_code": 0,
                "duration_ms": 41,
                "timed_out": False,
                "tail": [
                    "src/workflow/wf/intentWorkflow.ts:58:    const startedAt = Date.now();",
                    "src/workflow/wf/intentWorkflow.ts:61:    const jitterMs = Math.floor(Math.random() * 250);",
                ],
            },
        )
    )
    wf_id = "it_5b1f0c9e7a2d4c81b3e6"
    out.append(
        sisu(
            "go-crash-demo",
            "crash-demo",
            "2026-03-12T10:09:00Z",
            "after kill -9 mid-sleep and a restart, the crash-demo workflow reached SUCCESS with "
            "exactly one s1 and one s2 marker",
            workflows=[{"workflow_uuid": wf_id, "status": "SUCCESS", "recovery_attempts": 2, "application_version": "v1"}],
            marks=[{"workflow_uuid": wf_id, "s1": 1, "s2": 1}],
        )
    )
    out.append(
        sisu(
            "no-go-crash-demo-double-marker",
            "crash-demo",
            "2026-03-12T10:09:00Z",
            "the workflow reached SUCCESS but s2 left two markers: the step ran again after the "
            "restart (not exactly once)",
            workflows=[{"workflow_uuid": wf_id, "status": "SUCCESS", "recovery_attempts": 2, "application_version": "v1"}],
            marks=[{"workflow_uuid": wf_id, "s1": 1, "s2": 2}],
        )
    )
    rng = random.Random(f"{SEED}:sisu-runs")
    ops01 = sisu_run(rng, "ops-01")
    out.append(
        sisu(
            "go-intent-run-loop",
            "intent-run-loop",
            "2026-03-12T10:15:00Z",
            "the ops-01 intent ran Compile -> ApplyPatch -> Decide -> Execute across api-shim and "
            "worker and succeeded, with workflowID == intentId",
            runs=[ops01],
        )
    )
    out.append(
        sisu(
            "no-go-intent-run-stuck-queued",
            "intent-run-loop",
            "2026-03-12T10:15:00Z",
            "the run never left `queued` (worker down or DBOS__APPVERSION mismatch)",
            runs=[dict(ops01, status="queued", step_ids=[])],
        )
    )
    runs_c = [ops01] + [sisu_run(rng, f"ops-02-batch-{i:02d}") for i in range(1, 11)] + [sisu_run(rng, "ops-02-interactive")]
    probes = [
        {"probe": "dedupe", "deduplication_id": "dedupe-ops-02", "first_http_status": 202, "second_http_status": 409, "workflows_created": 1},
        {"probe": "priority", "batch_enqueued": 10, "interactive_priority": 10, "interactive_start_position": 1, "interactive_started_before_queued_batch": True},
        {"probe": "fail_closed", "request": {"concurrency": 999}, "http_status": 400, "error": "queue_policy_violation", "rows_before": 47, "rows_after": 47, "db_rows_written": 0},
    ]
    out.append(
        sisu(
            "go-queue-knobs",
            "queue-knobs",
            "2026-03-12T10:22:00Z",
            "a duplicate deduplicationID gets 409, the priority-10 interactive job jumps 10 batch "
            "jobs, and concurrency 999 is refused (400 queue_policy_violation) with zero DB writes",
            runs=runs_c,
            probes=probes,
        )
    )
    bad_probes = [dict(p) for p in probes]
    bad_probes[2].update(http_status=400, rows_after=49, db_rows_written=2)
    out.append(
        sisu(
            "no-go-queue-fail-closed-writes",
            "queue-knobs",
            "2026-03-12T10:22:00Z",
            "the invalid queue policy is refused with 400, but only after two rows were written: "
            "fail closed means zero writes",
            runs=runs_c,
            probes=bad_probes,
        )
    )
    hitl = sisu_run(rng, "ops-03-hitl")
    repair = sisu_run(rng, "ops-03-repair")
    flows = [
        {"flow": "hitl", "run_id": hitl["run_id"], "statuses": ["queued", "running", "waiting_input", "running", "succeeded"], "reached_waiting_input": True, "final_status": "succeeded"},
        {
            "flow": "repair",
            "run_id": repair["run_id"],
            "statuses": ["queued", "running", "retries_exceeded", "running", "succeeded"],
            "reached_retries_exceeded": True,
            "next_action_at_failure": "REPAIR",
            "final_status": "succeeded",
            "steps_before_retry": ["CompileST", "ApplyPatchST", "DecideST"],
            "steps_after_retry": ["ExecuteST"],
            "steps_reexecuted": 0,
        },
    ]
    out.append(
        sisu(
            "go-hitl-dlq",
            "hitl-dlq",
            "2026-03-12T10:31:00Z",
            "the HITL run waits for input and succeeds after the event; the failing run reaches "
            "retries_exceeded / REPAIR and resumes at ExecuteST without re-running earlier steps",
            runs=runs_c + [hitl, repair],
            flows=flows,
        )
    )
    chaos = sisu_run(rng, "ops-04-chaos")
    receipts = []
    for r in [ops01, chaos] + runs_c[1:6]:
        receipts.append({"receipt_id": f"rcpt_{ident(rng, 16)}", "workflow_id": r["workflow_id"], "step_id": "ExecuteST", "seen_count": 1})
    calls = []
    for step in CHAIN[:3]:
        calls.append({"step_id": step, "request": {"model": "opencode-mock", "run_id": chaos["run_id"], "step": step}, "response": {"status": "ok", "tokens": int(rng.uniform(300, 1800))}})
    out.append(
        sisu(
            "go-chaos-audit",
            "chaos-audit",
            "2026-03-12T10:40:00Z",
            "worker killed during ExecuteST: every mock receipt seen once, every opencode call "
            "persisted its request and response",
            runs=runs_c + [hitl, repair, chaos],
            receipts=receipts,
            calls=calls,
        )
    )
    dup = [dict(r) for r in receipts]
    dup[1]["seen_count"] = 2  # the chaos run's ExecuteST receipt
    out.append(
        sisu(
            "no-go-chaos-duplicate-receipt",
            "chaos-audit",
            "2026-03-12T10:40:00Z",
            "after the worker was killed during ExecuteST, the chaos run's receipt was seen twice: "
            "a duplicate side effect",
            runs=runs_c + [hitl, repair, chaos],
            receipts=dup,
            calls=calls,
        )
    )
    return out


# === weathervane-monitor (seed 004) =============================================================


def weathervane(name, env, promoted, checks, shows, **tw):
    """Checks every 30 s since the promotion; `checks` of them so far; taken 6 s after the last."""
    entered = T(promoted)
    now = entered + 30 * checks + 6
    s = Snap("weathervane-monitor", name, env, "post-promotion", promoted, iso(now), shows)
    rng = s.rng
    times = [entered + 30 * k for k in range(1, checks + 1)]
    err = tw.get("err", lambda k, v: v)
    base_err = tw.get("base_err", 0.012)
    s.curve("worker_error_rate", None, times, lambda t: err((t - entered) // 30, max(0.0, base_err * (1 + 0.4 * rng.gauss(0, 1)))), lambda v: round(v, 4))
    failed = tw.get("failed", set())
    s.curve("health_check_failed", None, times, lambda t: 1 if (t - entered) // 30 in failed else 0, int)
    mem = tw.get("mem", lambda k, v: v)
    s.curve("worker_memory_mb", None, times, lambda t: mem((t - entered) // 30, 286 + 6 * rng.gauss(0, 1)), r1)
    s.curve("worker_fd_usage", None, times, lambda t: 0.118 + 0.004 * rng.gauss(0, 1), lambda v: round(v, 4))
    return s


def weathervane_examples():
    out = []
    out.append(
        weathervane(
            "hold-production-monitoring",
            "production",
            "2026-04-14T14:02:00Z",
            8,
            "4 minutes after promotion, every check healthy: keep monitoring until the 10-minute "
            "window ends (HOLD, about 6 minutes left)",
        )
    )
    out.append(
        weathervane(
            "go-production-healthy",
            "production",
            "2026-04-14T14:02:00Z",
            20,
            "20 healthy checks (error rate ~1%, memory ~290 MB, file handles 12%): the monitoring "
            "window is over, the promotion stands",
        )
    )
    out.append(
        weathervane(
            "go-staging-degraded",
            "staging",
            "2026-04-13T16:30:00Z",
            21,
            "staging error rate 5-15%: 'degraded' (a warning, more monitoring), but under "
            "staging's 25% threshold and with no failed health check: GO with a warning",
            base_err=0.08,
        )
    )
    out.append(
        weathervane(
            "no-go-staging-health-checks",
            "staging",
            "2026-04-13T18:00:00Z",
            14,
            "2 consecutive failed health checks in staging (after a single earlier one that "
            "recovered): escalate, set the kill switch DISABLE_NEW=1",
            failed={5, 13, 14},
            err=lambda k, v: v + (0.06 if k >= 13 else 0.0),
        )
    )
    out.append(
        weathervane(
            "rollback-production-error-rate",
            "production",
            "2026-04-15T09:10:00Z",
            12,
            "the new worker's error rate climbs past 20% and stays there for 7 checks in a row: "
            "automatic rollback to the previous worker",
            err=lambda k, v: v if k < 5 else (0.09 if k == 5 else 0.24 + 0.03 * (k - 6) + v),
        )
    )
    out.append(
        weathervane(
            "rollback-development-error-with-failures",
            "development",
            "2026-04-12T11:00:00Z",
            9,
            "error rate 38% with 3 failed health checks in the last 5 (the RollbackMonitor's "
            "'error rate > 20% AND failure count >= 3' trigger), before 5 checks over 20% in a row",
            err=lambda k, v: v + (0.17 if k == 8 else 0.0) + (0.36 if k == 9 else 0.0),
            failed={5, 7, 9},
        )
    )
    out.append(
        weathervane(
            "no-go-production-memory-leak",
            "production",
            "2026-04-16T13:00:00Z",
            16,
            "worker memory climbs steadily from 290 MB to over 512 MB: blocked (resource usage "
            "not normal), with the memory-growth warning",
            mem=lambda k, v: v + 17.5 * k,
        )
    )
    return out


# --- output ------------------------------------------------------------------------------------


def all_examples():
    return khala_examples() + kodosumi_canary_examples() + kodosumi_backends_examples() + sisu_examples() + weathervane_examples()


def verdict_of(name: str) -> str:
    for prefix in ["no-go", "go", "hold", "rollback"]:
        if name.startswith(prefix + "-"):
            return prefix
    raise SystemExit(f"{name}: the name must start with go-, hold-, no-go- or rollback-")


def command_line(s: Snap, fmt="text") -> str:
    return (
        f"rollgate eval --policy policies/{s.policy}.yaml --env {s.env} --stage {s.stage} "
        f"--snapshot examples/{s.policy}/{s.name}.json --format {fmt} --no-report"
    )


FIRST = ("khala-ws-only", "no-go-replay-regression-ios")


def readme(examples) -> str:
    first = next(s for s in examples if (s.policy, s.name) == FIRST)
    lines = [
        "# Example snapshots",
        "",
        "Real evaluations to run on bundled data: one directory per policy in `policies/`, one",
        "snapshot per scenario, named for the verdict rollgate gives it (`go-`, `hold-`, `no-go-`,",
        "`rollback-`). Each snapshot holds what `rollgate fetch` would have recorded for that stage:",
        "the series and records the stage's gates and the policy's guards read, sampled regularly",
        "over the gate windows, and an `evidence` entry (source, query, URL or command, fetch time,",
        "digest) for each. `now` is the snapshot's `taken_at` and the stage entry time its",
        "`stage_entered_at`, so every run gives the same decision.",
        "",
        "Start here, a NO-GO with the failing surface named:",
        "",
        "```sh",
        "cargo build",
        "./target/debug/" + command_line(first),
        "```",
        "",
        "Drop `--no-report` to also write the markdown report under `docs/sync/status/`; use",
        "`--format json` for the decision JSON. The exit code is the verdict: 0 GO, 1 NO-GO,",
        "3 HOLD, 4 ROLLBACK.",
        "",
        "The files are generated: edit `scripts/gen_examples.py` and run",
        "`python3 scripts/gen_examples.py` (standard library only, deterministic).",
        "`tests/e2e/examples.rs` evaluates every file and checks its verdict against its name.",
        "",
        "| policy | env | stage | file | verdict | what it shows |",
        "|---|---|---|---|---|---|",
    ]
    for s in examples:
        v = VERDICTS[verdict_of(s.name)][0]
        shows = s.shows.replace("|", "\\|")
        lines.append(f"| {s.policy} | {s.env} | {s.stage} | [`{s.name}.json`]({s.policy}/{s.name}.json) | {v} | {shows} |")
    lines += ["", "## Commands", "", "From the repository root, after `cargo build` (exit code in the comment):", ""]
    policy = None
    for s in examples:
        if s.policy != policy:
            if policy is not None:
                lines += ["```", ""]
            policy = s.policy
            lines += [f"### {policy}", "", "```sh"]
        label, code = VERDICTS[verdict_of(s.name)]
        lines.append(f"# {s.name}: {label} (exit {code})")
        lines.append("./target/debug/" + command_line(s))
    lines += ["```", ""]
    return "\n".join(lines)


def main() -> int:
    check = "--check" in sys.argv[1:]
    check_sources_match_policies()
    examples = all_examples()
    files: dict[Path, str] = {}
    for s in examples:
        verdict_of(s.name)
        text = layout(s.document()) + "\n"
        if len(text) > 300_000:
            raise SystemExit(f"{s.policy}/{s.name}.json is {len(text)} bytes: over 300 KB")
        files[EXAMPLES / s.policy / f"{s.name}.json"] = text
    files[EXAMPLES / "README.md"] = readme(examples)
    if len(files) != len(examples) + 1:
        raise SystemExit("two examples share a name")
    stale = sorted(p for p in EXAMPLES.glob("*/*.json") if p not in files)
    if check:
        differ = [p for p, text in files.items() if not p.exists() or p.read_text() != text]
        for p in differ + stale:
            print(f"out of date: {p.relative_to(ROOT)}", file=sys.stderr)
        return 1 if differ or stale else 0
    for p in stale:
        p.unlink()
    for p, text in files.items():
        p.parent.mkdir(parents=True, exist_ok=True)
        if not p.exists() or p.read_text() != text:
            p.write_text(text)
    print(f"{len(examples)} examples written to {EXAMPLES.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
