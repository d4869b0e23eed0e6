#!/usr/bin/env bash
# run_simulate.sh: how long `ticketd simulate` takes on a day (bench/README.md "Simulation"):
# workgen writes a day of TICKETS tickets and AGENTS agents (default 50,000 and 100), then the
# simulator replays it against bench/simulate.yaml RUNS times; prints each run's wall time,
# the ticketd and redis-server CPU time, and the report's totals line, and checks that every
# run wrote the same report (the simulation is deterministic).
# Environment: BUILD_DIR (default <repo>/build), TICKETD_BIN (default $BUILD_DIR/daemon/ticketd),
# TICKETS, AGENTS, SEED (workgen's, default 1), RUNS (default 3).
set -euo pipefail
bench_dir=$(cd "$(dirname "$0")" && pwd)
build_dir=${BUILD_DIR:-$bench_dir/../build}
ticketd_bin=${TICKETD_BIN:-$build_dir/daemon/ticketd}
tickets=${TICKETS:-50000}
agents=${AGENTS:-100}
runs=${RUNS:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$build_dir/bench/workgen" --tickets "$tickets" --agents "$agents" --seed "${SEED:-1}" \
  >"$tmp/day.jsonl"
echo "== ticketd simulate: $tickets tickets, $agents agents, $(wc -l <"$tmp/day.jsonl") lines"
echo "   $(nproc) CPUs, $(uname -r), $("$ticketd_bin" --version)"
for run in $(seq "$runs"); do
  start=$(date +%s%N)
  /usr/bin/time -f '%U %S' -o "$tmp/cpu" "$ticketd_bin" simulate --config "$bench_dir/simulate.yaml" \
    --workload "$tmp/day.jsonl" --report "$tmp/report-$run.json" >"$tmp/table-$run.txt"
  end=$(date +%s%N)
  read -r user sys <"$tmp/cpu"
  printf 'run %d: %.1f s wall, %.1f s user + %.1f s system (ticketd and its redis-server)\n' \
    "$run" "$(echo "($end - $start) / 1000000000" | bc -l)" "$user" "$sys"
done
grep '^(all queues)' "$tmp/table-1.txt"
for run in $(seq 2 "$runs"); do
  cmp -s "$tmp/report-1.json" "$tmp/report-$run.json" || { echo "run $run's report differs"; exit 1; }
done
echo "every run wrote the same report"
