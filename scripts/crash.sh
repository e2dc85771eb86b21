#!/usr/bin/env bash
# The SQLite crash loop at scale: runs the board's `crash` test RUNS times, KILLS SIGKILLs of the
# board per run, each run with its own seed and bounded by a timeout; prints each run's summary,
# then the totals. (`scripts/crash-pg.sh` is the same against PostgreSQL.)
#
# usage: scripts/crash.sh [RUNS=10] [KILLS=50] [TIMEOUT_S=600]
# (the defaults give 500 kills)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
kills=${2:-50}
limit=${3:-600}

cargo test -p saylau-board --test crash --no-run --quiet
acks=0
start=$(date +%s)
for run in $(seq 1 "$runs"); do
    seed=$((run * 7919))
    out=$(SAYLAU_CRASH_KILLS=$kills SAYLAU_CRASH_SEED=$seed \
          timeout "$limit" cargo test -q -p saylau-board --test crash crash_loop -- --nocapture 2>&1) || {
        echo "$out" | tail -n 40
        echo "crash: run $run FAILED (seed $seed)" >&2
        exit 1
    }
    line=$(echo "$out" | grep '^crash loop:')
    echo "run $run: $line"
    n=$(echo "$line" | sed -E 's/.*kills, ([0-9]+) acknowledged.*/\1/')
    acks=$((acks + n))
done
echo "crash: $runs runs, $((runs * kills)) board kills, $acks acknowledged entries, all kept," \
     "no holes, no checkpoint rolled back, $(( $(date +%s) - start )) s"
