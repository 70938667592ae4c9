#!/usr/bin/env bash
# A longer fuzzing campaign: each target in turn (one at a time: the machine's cores are
# shared), RUNS executions each, new inputs kept in fuzz/scratch/<target> (not committed),
# crashes in fuzz/artifacts/<target>. Prints one line per target: executions, seconds, result.
#
#   scripts/fuzz-campaign.sh                 # every target, 1,000,000 runs each
#   RUNS=100000 scripts/fuzz-campaign.sh notation policy
#
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz --locked`). Built without
# a sanitizer (`-s none`): the project forbids `unsafe`, so AddressSanitizer finds nothing the
# Rust checks do not, and costs 2-3x the speed; debug assertions (overflow checks) stay on.
# docs/fuzzing.md describes the targets, their oracles and what to do with a crash.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
RUNS="${RUNS:-1000000}"
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
  mapfile -t TARGETS < <(cargo +nightly fuzz list)
fi
mkdir -p scratch/logs
cargo +nightly fuzz build -s none >/dev/null
status=0
for t in "${TARGETS[@]}"; do
  mkdir -p "scratch/$t"
  start=$(date +%s)
  if cargo +nightly fuzz run -s none "$t" "scratch/$t" "corpus/$t" -- \
      -runs="$RUNS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      >"scratch/logs/$t.log" 2>&1; then
    result=ok
  else
    result="FAILED (see fuzz/scratch/logs/$t.log and fuzz/artifacts/$t)"
    status=1
  fi
  secs=$(($(date +%s) - start))
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "scratch/logs/$t.log" | grep -o '[0-9]*$' || echo "?")
  corpus=$(ls "scratch/$t" | wc -l)
  echo "$t: $execs executions in ${secs}s, $corpus new corpus inputs: $result"
done
exit $status
