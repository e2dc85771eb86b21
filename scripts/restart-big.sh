#!/usr/bin/env bash
# Restart after SIGKILL on a large board (issue 15's target: 1,000,000 leaves, serving again in
# at most 5 s). Fills a synthetic election's SQLite store with LEAVES synthetic leaves (the bulk
# loader, `saylau board load --bulk`), serves it, looks up a receipt with its proof, SIGKILLs the
# board, restarts it, and prints how long the restarted board took to answer /healthz and then a
# receipt with its inclusion proof. Each step is bounded in time; everything stays on 127.0.0.1.
#
# usage: scripts/restart-big.sh [LEAVES=1000000] [VOTERS=1000000] [DIR=(a temp dir, deleted)] [PORT=18300]
# (a release build: cargo build --release -p saylau-cli)
set -euo pipefail
cd "$(dirname "$0")/.."
leaves=${1:-1000000}
voters=${2:-1000000}
dir=${3:-}
port=${4:-18300}
bin=${SAYLAU_BIN:-target/release/saylau}
[ -x "$bin" ] || { echo "no $bin: run cargo build --release -p saylau-cli" >&2; exit 2; }
cleanup=0
if [ -z "$dir" ]; then dir=$(mktemp -d); cleanup=1; fi
pid=
finish() {
    if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null || true; fi
    if [ "$cleanup" = 1 ]; then rm -rf "$dir"; fi
}
trap finish EXIT
url=http://127.0.0.1:$port

if [ ! -f "$dir/board.db" ]; then
    timeout 3600 "$bin" board load --bulk "$leaves" --voters "$voters" --out "$dir" --json
fi
ls -l "$dir/board.db"

now() { date +%s.%N; }
# Waits (at most 60 s) until $1 answers 200; prints the seconds since $2.
wait_ok() {
    local deadline=$(( $(date +%s) + 60 ))
    until curl -sf -o /dev/null "$1"; do
        if [ "$(date +%s)" -ge "$deadline" ]; then echo "no answer from $1 within 60 s" >&2; exit 1; fi
        sleep 0.005
    done
    echo "$(now) - $2" | bc
}
serve() {
    "$bin" board serve --record "$dir/record" --db "sqlite:$dir/board.db" --listen "127.0.0.1:$port" \
        --per-ip-rps 0 >"$dir/serve.log" 2>&1 &
    pid=$!
}
# The tracking code of the cast ballot at a 1-based position, from a page of ballots.jsonl.
code_at() {
    curl -sf "$url/v1/ballots?after=$(( $1 - 1 ))&limit=1" | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["tracking_code"])'
}

t0=$(now); serve
first=$(wait_ok "$url/healthz" "$t0")
code=$(code_at $(( leaves / 2 )))
last=$(code_at "$leaves")
curl -sf "$url/v1/receipts/$code?proof=true" >/dev/null
echo "first start: healthz after ${first} s"
kill -9 "$pid"; wait "$pid" 2>/dev/null || true; pid=

t0=$(now); serve
health=$(wait_ok "$url/healthz" "$t0")
proof=$(wait_ok "$url/v1/receipts/$last?proof=true" "$t0")
bytes=$(curl -sf "$url/v1/receipts/$last?proof=true" | wc -c)
echo "restart after SIGKILL ($leaves leaves, $voters listed voters): healthz after ${health} s, a receipt with its proof (${bytes} bytes) after ${proof} s"
