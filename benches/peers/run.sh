#!/usr/bin/env bash
# Side by side, in one run: one ballot selection in ElectionGuard's Python reference and in saylau.
# Alternates the two three times so machine noise hits both. Needs Python 3.10 with electionguard
# (`python3.10 -m venv v && v/bin/pip install electionguard`); pass that python as $PYTHON.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python3}
cargo build --release --example selection_timing -q
for round in 1 2 3; do
  echo "round $round"
  "$PYTHON" benches/peers/electionguard_selection.py
  target/release/examples/selection_timing
done
