#!/usr/bin/env bash
# ticketd's own work counted in instructions (valgrind's callgrind), the daemon's counterpart
# of run_redis_cost.sh: the count repeats from run to run where microseconds move with the VM,
# so two builds compare with one run each. Usage:
#
#   bench/run_daemon_cost.sh [N=3000] [loadgen options]
#   bench/run_daemon_cost.sh push [SECONDS=10]
#
# ticketd runs under callgrind (about 50x slower) with one thread (THREADS, default 1 here)
# against a Redis started as bench_env.sh starts it. Counting starts in loadgen's
# --before-measure hook, after the agents are set up; loadgen then drives create -> next ->
# resolve cycles over 16 connections (warmup 1 s, then N measured), and the counts are dumped.
# Prints the instructions per cycle (all cycles counted, warmup included) and the functions
# that ran the most of them, per cycle, inclusive and exclusive.
#
# push: pushgen instead of loadgen, at RATE tickets/s (default 150) into the push queue `sales`
# (offers, 50 agents over WebSocket accepting every offer and resolving over HTTP) for SECONDS.
# Counting is on only in pushgen's measured window (its --before-measure and --after-measure
# hooks), and the figures are per ticket routed in it: created, offered, accepted, resolved.
#
# Callgrind sees user space only: the kernel's share of ticketd's CPU (its TCP and unix socket
# I/O, about a third) is not in these counts. Instructions are not microseconds either: use this
# to compare builds and find where the work is, and run_load.sh to measure time.
#
# Environment: see bench/bench_env.sh; CALLGRIND_KEEP=1 keeps the dump (callgrind_annotate).
set -euo pipefail
# shellcheck source=bench_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench_env.sh"

scenario=cycle default_n=3000
if [[ ${1:-} == push ]]; then
  scenario=push default_n=10
  shift
  bench_push_queues
fi
n=${1:-$default_n}
[[ $# -gt 0 ]] && shift
[[ $n =~ ^[1-9][0-9]*$ ]] || die "N must be a positive number, got '$n'"
require_callgrind

under_callgrind() {
  exec valgrind --tool=callgrind --instr-atstart=no \
    --callgrind-out-file="$bench_tmp/callgrind.%p" "$@"
}
ticketd_launcher=under_callgrind
THREADS=${THREADS:-1}
bench_start

if [[ $scenario == push ]]; then
  # The window's close stops counting (callgrind_dump below dumps what was counted).
  bench_pushgen "callgrind_control -i on $ticketd_pid >/dev/null" \
    "callgrind_control -i off $ticketd_pid >/dev/null" \
    --agents 50 --max 20 --creators 8 --rate "${RATE:-150}" --duration "$n"
  grep -E '^(tickets routed|errors)' "$bench_tmp/pushgen.out" >&2
  cycles=$routed
  unit="ticket routed"
else
  "$loadgen_bin" --host 127.0.0.1 --port "$ticketd_port" --connections 16 --agents 16 \
    --warmup 1 --duration 600 --cycles "$n" \
    --before-measure "callgrind_control -i on $ticketd_pid >/dev/null" "$@" \
    >"$bench_tmp/loadgen.out" 2>&1 ||
    { cat "$bench_tmp/loadgen.out" >&2; die "loadgen failed"; }
  grep -E '^(cycles|RESULT|errors)' "$bench_tmp/loadgen.out" >&2
  cycles=$(sed -n 's/^RESULT .*cycles_total=\([0-9]*\).*/\1/p' "$bench_tmp/loadgen.out")
  unit=cycle
fi
[[ -n $cycles && $cycles -gt 0 ]] || die "no cycles or tickets measured"

file=$bench_tmp/daemon.cg
callgrind_dump "$ticketd_pid" "$file"

total=$(awk '$1 == "totals:" { print $2 }' "$file")
echo
echo "== ticketd, instructions per $unit (user space; $cycles counted)"
echo "total $((total / cycles))"
# The top functions, per cycle (or ticket): "count (share) file:function [object]" -> "per-cycle
# function".
per_cycle() {
  awk -v c="$cycles" '/^ *[0-9,]+ \(/ {
      v = $1; gsub(",", "", v); $1 = ""; $2 = ""
      sub(/^ +/, ""); sub(/ \[[^]]*\]$/, ""); sub(/^[^:]*:/, "")
      printf "%10.0f  %s\n", v / c, substr($0, 1, 110)
    }' | sed -n "2,${1}p"
}
echo
echo "== inclusive (a function with everything it calls), per $unit"
callgrind_annotate --inclusive=yes --threshold=100 "$file" 2>/dev/null | per_cycle 30
echo
echo "== exclusive (the function's own instructions), per $unit"
callgrind_annotate --threshold=100 "$file" 2>/dev/null | per_cycle 25
keep_callgrind_dumps
