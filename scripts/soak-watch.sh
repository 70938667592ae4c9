#!/usr/bin/env bash
# Soak test of `rollgate watch` (not run in CI): one tick a second for SOAK_FOR (default 10m)
# against a real Prometheus on loopback that scrapes itself every second, with `max_age: 10s`
# gates. Samples the watch's CPU time and RSS every SAMPLE_EVERY seconds from /proc, then
# prints: ticks run / planned, late and skipped ticks, CPU per tick, RSS first / last / max,
# and the verdicts seen. docs/performance.md gives the figures of a run.
#
#   scripts/soak-watch.sh                  # 10 minutes, target/release/rollgate
#   SOAK_FOR=3m scripts/soak-watch.sh      # shorter
#   ROLLGATE=target/debug/rollgate scripts/soak-watch.sh
#
# Needs prometheus (Debian package `prometheus`), and a Linux /proc.
set -euo pipefail
cd "$(dirname "$0")/.."

SOAK_FOR=${SOAK_FOR:-10m}
SAMPLE_EVERY=${SAMPLE_EVERY:-10}
ROLLGATE=${ROLLGATE:-target/release/rollgate}
if [ ! -x "$ROLLGATE" ]; then
  cargo build --release --locked --bin rollgate
fi
command -v prometheus >/dev/null || { echo "prometheus is not installed" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rollgate-soak.XXXXXX")
PROM_PID=""
WATCH_PID=""
cleanup() {
  [ -n "$WATCH_PID" ] && kill "$WATCH_PID" 2>/dev/null || true
  [ -n "$PROM_PID" ] && kill "$PROM_PID" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$WORK/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: self
    static_configs:
      - targets: ["127.0.0.1:$PORT"]
EOF
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/data" \
  --web.listen-address="127.0.0.1:$PORT" >"$WORK/prometheus.log" 2>&1 &
PROM_PID=$!
for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$PORT/api/v1/query?query=up" 2>/dev/null | grep -q '"value"'; then
    break
  fi
  sleep 0.2
done
sleep 3 # a few scrapes, so that rates have two samples

cat >"$WORK/soak.yaml" <<'EOF'
version: 1
policy: soak
title: Prometheus scraping itself
owner: soak
environments: [production]
metrics:
  up:
    source:
      prometheus: 'up{job="self"}'
  request_rate:
    source:
      prometheus: 'sum(rate(prometheus_http_requests_total{job="self"}[15s]))'
  heap_mb:
    source:
      prometheus: 'max(go_memstats_heap_inuse_bytes{job="self"}) / 1048576'
gates:
  scraped:
    metric: up
    window: 30s
    aggregate: min
    min: 1
    max_age: 10s
  serving:
    metric: request_rate
    window: 30s
    aggregate: avg
    min: 0
    max_age: 10s
  heap:
    metric: heap_mb
    window: 1m
    aggregate: max
    max: 4096
    max_age: 10s
stages:
  - id: live
    gates: [scraped, serving, heap]
EOF

"$ROLLGATE" watch --policy "$WORK/soak.yaml" --env production --stage live \
  --prometheus-url "http://127.0.0.1:$PORT" --every 1s --for "$SOAK_FOR" \
  --ledger "$WORK/ledger.jsonl" --format json >"$WORK/ticks.jsonl" 2>"$WORK/watch.err" &
WATCH_PID=$!
HZ=$(getconf CLK_TCK)
echo "elapsed_s cpu_s rss_kib" >"$WORK/samples.txt"
START=$(date +%s.%N)
while kill -0 "$WATCH_PID" 2>/dev/null; do
  if read -r -a stat <"/proc/$WATCH_PID/stat" 2>/dev/null; then
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$WATCH_PID/status" 2>/dev/null || echo 0)
    now=$(date +%s.%N)
    # utime and stime are fields 14 and 15 (the command name has no spaces here).
    echo "$(echo "$now - $START" | bc) $(echo "scale=3; (${stat[13]} + ${stat[14]}) / $HZ" | bc) $rss" \
      >>"$WORK/samples.txt"
  fi
  sleep "$SAMPLE_EVERY"
done
set +e
wait "$WATCH_PID"
CODE=$?
set -e
WATCH_PID=""
END=$(date +%s.%N)

python3 - "$WORK" "$CODE" "$START" "$END" <<'EOF'
import json, sys
work, code, start, end = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
ticks = [json.loads(l) for l in open(f"{work}/ticks.jsonl")]
samples = [l.split() for l in open(f"{work}/samples.txt")][1:]
samples = [(float(a), float(b), int(c)) for a, b, c in samples if c != "0"]
late = [t for t in ticks if t["late_by_s"] is not None]
skipped = sum(t["skipped_ticks"] for t in ticks)
verdicts = {}
for t in ticks:
    verdicts[t["verdict"]] = verdicts.get(t["verdict"], 0) + 1
stamps = [t["evaluated_at"] for t in ticks]
cpu = samples[-1][1] if samples else float("nan")
rss = [s[2] for s in samples]
print(f"exit code              {code}")
print(f"wall time              {end - start:.1f} s")
print(f"ticks                  {len(ticks)} of {ticks[-1]['of'] if ticks else '?'} planned")
print(f"late ticks             {len(late)} (max {max((t['late_by_s'] for t in late), default=0):.2f} s)")
print(f"missed ticks skipped   {skipped}")
print(f"distinct evaluated_at  {len(set(stamps))} (strictly increasing: {all(a < b for a, b in zip(stamps, stamps[1:]))})")
print(f"verdicts               {verdicts}")
# Ticks run by the last sample: one a second from the start.
ticks_then = min(len(ticks), int(samples[-1][0]) + 1) if samples else 1
print(f"CPU (user+sys)         {cpu:.2f} s by the last sample ({ticks_then} ticks): {1000 * cpu / ticks_then:.1f} ms per tick")
if rss:
    print(f"RSS KiB                first {rss[0]}, last {rss[-1]}, max {max(rss)} ({len(rss)} samples)")
print(f"ledger entries         {sum(1 for _ in open(f'{work}/ledger.jsonl'))}")
print(f"files in               {work}")
EOF
trap - EXIT
cleanup
