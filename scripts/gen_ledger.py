#!/usr/bin/env python3
"""Writes a valid, hash-chained rollgate ledger of N entries, for the ledger benchmarks in
docs/performance.md (standard library only; the same arguments give byte-identical files).

    python3 scripts/gen_ledger.py OUT.jsonl [N]

The entries are what a long rollout leaves: for policy `ledger-demo` (the policy of
tests/fixtures/ledger), 1 `enter` of production/canary at the start, then notes and decisions
spread over 50 other stages, one a minute from 2025-01-01. The canary itself holds only its
`enter`, so an evaluation of it reads one entry whatever N is.

An entry's hash is the sha256 of its compact JSON without `hash` (field order: seq, time, kind,
policy, env, stage, actor, payload, prev), as rollgate writes it.
"""

import hashlib
import json
import sys
from datetime import datetime, timedelta, timezone

GENESIS = "0" * 64


def line(seq, time, kind, stage, payload, prev):
    e = {
        "seq": seq,
        "time": time,
        "kind": kind,
        "policy": "ledger-demo",
        "env": "production",
        "stage": stage,
        "actor": "bench",
        # serde_json keeps object keys sorted: write them so, or the hash would differ.
        "payload": dict(sorted(payload.items())),
        "prev": prev,
    }
    text = json.dumps(e, separators=(",", ":"), ensure_ascii=False)
    h = hashlib.sha256(text.encode()).hexdigest()
    return text[:-1] + ',"hash":"' + h + '"}\n', h


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    prev = GENESIS
    with open(out, "w", encoding="utf-8") as f:
        for seq in range(1, n + 1):
            t = (start + timedelta(minutes=seq)).strftime("%Y-%m-%dT%H:%M:%SZ")
            if seq == 1:
                text, prev = line(seq, t, "enter", "canary", {}, prev)
            elif seq % 2:
                text, prev = line(seq, t, "note", f"s{seq % 50:02}", {"text": f"note {seq}"}, prev)
            else:
                payload = {"verdict": "hold", "exit_code": 3, "gates": {"errors": "pass"}, "report": None}
                text, prev = line(seq, t, "decision", f"s{seq % 50:02}", payload, prev)
            f.write(text)


if __name__ == "__main__":
    main()
