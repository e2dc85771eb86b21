#!/usr/bin/env bash
# The PostgreSQL crash loop at scale: runs the board's `crash_pg` test RUNS times, each with its own
# throwaway cluster, KILLS SIGKILLs of the board and KILLS of the postmaster per run (alternately),
# each run with its own seed and bounded by a timeout. Prints each run's summary, then the totals.
#
# usage: scripts/crash-pg.sh [RUNS=10] [KILLS=20] [TIMEOUT_S=900]
# (the defaults give 200 kills of each kind)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
kills=${2:-20}
limit=${3:-900}

cargo test -p saylau-board --test crash_pg --no-run --quiet
acks=0
start=$(date +%s)
for run in $(seq 1 "$runs"); do
    out=$(SAYLAU_CRASH_KILLS=$kills SAYLAU_CRASH_SEED=$((run * 7919)) \
          timeout "$limit" cargo test -q -p saylau-board --test crash_pg -- --nocapture 2>&1) || {
        echo "$out" | tail -n 40
        echo "crash-pg: run $run FAILED (seed $((run * 7919)))" >&2
        exit 1
    }
    line=$(echo "$out" | grep '^crash loop (PostgreSQL)')
    echo "run $run: $line"
    n=$(echo "$line" | sed -E 's/.*postmaster kills, ([0-9]+) acknowledged.*/\1/')
    acks=$((acks + n))
done
echo "crash-pg: $runs runs, $((runs * kills)) board kills, $((runs * kills)) postmaster kills," \
     "$acks acknowledged entries, all kept, no holes, no checkpoint rolled back," \
     "$(( $(date +%s) - start )) s"
