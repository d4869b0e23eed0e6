#!/usr/bin/env bash
# What agents cost, for docs/scaling.md: N agents registered (Redis bytes per agent), then C of
# them connected over WebSocket at once with a light push load (ticketd's resident bytes per
# open agent stream, and the Redis bytes their presence adds). Usage:
#
#   bench/run_agents.sh [N=10000] [C=4000]
#
# Starts Redis and ticketd as bench_env.sh does. Environment: as bench_env.sh.
set -euo pipefail
# shellcheck source=bench_env.sh
source "$(dirname "$0")/bench_env.sh"
agents=${1:-10000}
streams=${2:-4000}
pushgen_bin=$build_dir/bench/pushgen
[[ -x $pushgen_bin ]] || die "no $pushgen_bin: build the pushgen target"
# Every agent stream is a socket, on both sides.
ulimit -n $((streams * 2 + 1024))
# loadgen's agents pull from `general`; pushgen's take offers from `sales`.
BENCH_QUEUES='  general: {mode: pull}
  sales: {mode: push, accept_timeout: 30s}'
bench_start

used() { rcli INFO memory | info_field used_memory; }

before=$(used)
# loadgen registers its agents (online, in the pull queue) before its cycles: one cycle.
"$loadgen_bin" --port "$ticketd_port" --agents "$agents" --connections 1 --cycles 1 \
  --duration 1 --warmup 0 >/dev/null
after=$(used)
awk -v a="$after" -v b="$before" -v n="$agents" \
  'BEGIN { printf "%d agents registered: Redis +%.0f B per agent\n", n, (a - b) / n }'

rss_before=$(ticketd_status_kb VmRSS)
used_before=$(used)
peak_used=$used_before
# pushgen connects its agents over WebSocket, then creates tickets at a low rate.
"$pushgen_bin" --port "$ticketd_port" --agents "$streams" --max 5 --creators 2 --rate 20 \
  --duration 8 --warmup 2 >"$bench_tmp/pushgen.out" 2>&1 &
pushgen_pid=$!
bench_pids+=("$pushgen_pid")
peak_rss=$rss_before
while kill -0 "$pushgen_pid" 2>/dev/null; do
  rss=$(ticketd_status_kb VmRSS)
  ((rss > peak_rss)) && peak_rss=$rss
  u=$(used)
  ((u > peak_used)) && peak_used=$u
  sleep 0.5
done
wait "$pushgen_pid" || { cat "$bench_tmp/pushgen.out" >&2; die "pushgen failed"; }
grep -E "^(connected|errors|offers|routed)" "$bench_tmp/pushgen.out" || true
awk -v a="$peak_rss" -v b="$rss_before" -v n="$streams" -v u="$peak_used" -v ub="$used_before" \
  'BEGIN { printf "%d agent streams open: ticketd +%.1f KiB resident per stream (%.1f MiB before, %.1f MiB at the peak); Redis +%.0f B per connected agent\n",
    n, (a - b) / n, b / 1024, a / 1024, (u - ub) / n }'
