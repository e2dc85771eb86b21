#!/usr/bin/env bash
# Issue 16's figures, SQLite and PostgreSQL side by side in one run, release build, loopback:
#   1. board alone, durable appends/s (crates/board/examples/appends.rs, --db both);
#   2. end to end ballots/s with full proof verification (`saylau board load`), on SQLite, on
#      PostgreSQL, and on PostgreSQL with a streaming read replica (--read-db);
#   3. receipt lookups with their proofs (`board load --lookups`) in each of those three setups.
# It starts a throwaway primary and a hot standby (pg_basebackup -R) as the postgres user.
#
# usage: scripts/bench-pg.sh [VOTERS=3000] [CONCURRENCY=32] [APPENDS=20000]
set -euo pipefail
cd "$(dirname "$0")/.."
voters=${1:-3000}
conc=${2:-32}
appends=${3:-20000}
pg=${SAYLAU_PG_BIN:-/usr/lib/postgresql/15/bin}
bin=$PWD/target/release/saylau
cargo build --release -q -p saylau-cli --bin saylau
cargo build --release -q -p saylau-board --example appends

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (2 cores, shared)"
echo "== board alone: durable appends/s ($appends entries, 64 submitters)"
target/release/examples/appends "$appends" 64 --db both

work=$(mktemp -d /tmp/saylau-bench-XXXXXX)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$work"
board_pid=
cleanup() {
    [ -n "$board_pid" ] && kill "$board_pid" 2>/dev/null || true
    for c in standby primary; do
        [ -f "$work/$c/postmaster.pid" ] && as_pg "$pg/pg_ctl" -D "$work/$c" -m immediate -w stop >/dev/null 2>&1 || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
as_pg "$pg/initdb" -D "$work/primary" -U postgres -A trust -E UTF8 --locale=C --no-sync >/dev/null
as_pg "$pg/pg_ctl" -D "$work/primary" -l "$work/primary.log" -w \
    -o "-k $work -p 5491 -c listen_addresses='' -c max_connections=200" start >/dev/null
as_pg "$pg/psql" -q -h "$work" -p 5491 -U postgres -c "CREATE DATABASE board_pg" -c "CREATE DATABASE board_replica"
as_pg "$pg/pg_basebackup" -D "$work/standby" -R -X stream -c fast --no-sync -h "$work" -p 5491 -U postgres
as_pg "$pg/pg_ctl" -D "$work/standby" -l "$work/standby.log" -w \
    -o "-k $work -p 5492 -c listen_addresses='' -c max_connections=200" start >/dev/null
url() { echo "postgres://postgres@/$1?host=$work&port=$2"; }

# One demo election: its SQLite board first, then the same record on PostgreSQL.
run() {  # name, then the serve arguments
    local name=$1; shift
    "$bin" board serve --listen 127.0.0.1:18716 --per-ip-rps 0 "$@" >"$work/$name.log" 2>&1 &
    board_pid=$!
    for _ in $(seq 1 600); do
        curl -sf http://127.0.0.1:18716/healthz >/dev/null 2>&1 && break
        sleep 0.1
    done
    echo "== $name: $voters ballots, $conc clients, then lookups with proofs"
    "$bin" board load http://127.0.0.1:18716 --credentials "$work/demo/credentials" \
        --voters "$voters" --concurrency "$conc" --lookups
    kill -INT "$board_pid"; wait "$board_pid" || true; board_pid=
    grep "read replica" "$work/$name.log" || true
    echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (2 cores, shared)"
}
run sqlite --demo --voters "$voters" --out "$work/demo"
run postgres --record "$work/demo/record" --db "$(url board_pg 5491)"
run "postgres + read replica" --record "$work/demo/record" --db "$(url board_replica 5491)" \
    --read-db "$(url board_replica 5492)"
