#!/usr/bin/env bash
# Ledger costs on a 1,000,000-entry ledger and per-tick cost of `watch` as its ledger grows
# (docs/performance.md, "The ledger"). Not run in CI: timings are only compared by a person.
#
#   scripts/ledger_bench.sh ROLLGATE_BINARY [WORKDIR]
#
# Run from the repository root (it uses tests/fixtures/ledger). Prints one line per command:
# label, wall seconds, CPU seconds (user + system), peak RSS in KiB (GNU time). On a shared
# machine the CPU time is the steadier figure (each append also waits for its fsync). The 1,000,000-entry ledger is generated
# once by scripts/gen_ledger.py (about 1 min, 339 MB) and copied for each run.
set -euo pipefail
BIN=$(realpath "$1")
W=${2:-/tmp/rollgate-ledger-bench}
mkdir -p "$W"
[ -f "$W/ledger-1m.jsonl" ] || python3 scripts/gen_ledger.py "$W/ledger-1m.jsonl" 1000000

measure() {
    local label=$1
    shift
    /usr/bin/time -f "%e %U %S %M" -o "$W/time" "$@" >/dev/null 2>"$W/stderr" || true
    read -r secs user sys kib < <(tail -n 1 "$W/time")
    cpu=$(python3 -c "print(f'{$user + $sys:.2f}')")
    printf '%-44s %8s s %8s s CPU %10s KiB\n' "$label" "$secs" "$cpu" "$kib"
}

NOTE=(ledger note "$W/L.jsonl" --policy ledger-demo --env production --stage s01
    --at 2026-01-01T00:00:00Z --by bench --text bench)

cp "$W/ledger-1m.jsonl" "$W/L.jsonl"
rm -rf "$W/L.jsonl.idx"
measure "ledger verify (1,000,000 entries)" "$BIN" ledger verify "$W/L.jsonl"
measure "ledger note: first append (no index yet)" "$BIN" "${NOTE[@]}"
measure "ledger note: next append" "$BIN" "${NOTE[@]}"
measure "ledger note: next append" "$BIN" "${NOTE[@]}"
measure "eval --ledger (stage holds 1 entry)" "$BIN" eval \
    --policy tests/fixtures/ledger/policy.yaml --env production --stage canary \
    --snapshot tests/fixtures/ledger/green.json --now 2026-01-01T03:00:00Z \
    --ledger "$W/L.jsonl" --no-report --format json

# watch: 100 ticks on an empty ledger, then 100 ticks once the watched stage holds 3,600
# decisions (an hour of ticks at 1 s). `--now` runs the ticks back to back.
WATCH=(watch --policy tests/fixtures/ledger/run-policy.yaml --env production --stage canary
    --every 1s --ledger "$W/W.jsonl")
rm -rf "$W/W.jsonl" "$W/W.jsonl.idx"
measure "watch: 100 ticks, empty ledger" "$BIN" "${WATCH[@]}" --now 2026-01-01T00:00:00Z --for 99s
"$BIN" "${WATCH[@]}" --now 2026-01-01T01:00:00Z --for 3499s >/dev/null 2>&1 || true
measure "watch: 100 ticks after 3,600 entries" "$BIN" "${WATCH[@]}" --now 2026-01-01T02:00:00Z --for 99s
wc -l "$W/W.jsonl"
