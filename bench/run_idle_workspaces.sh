#!/usr/bin/env bash
# What idle workspaces cost: one ticketd serving N workspace files (and its main workspace) with
# no traffic, scraped by a Prometheus-like client every SCRAPE_EVERY seconds. After SETTLE
# seconds (the first look at every workspace's timers), counts over WINDOW seconds: the calls
# ticketd made to Redis per second (from MONITOR: the commands clients sent, not those the
# functions ran), the commands Redis ran in all by name (INFO commandstats), ticketd's resident
# memory, and each scrape's time and size. Targets (issue 21, bench/README.md "Many
# workspaces"): 10,000 workspaces cost Redis at most 1,000 calls/s, ticketd at most 200 MB, and
# a scrape stays within its deadline. Usage:
#
#   bench/run_idle_workspaces.sh [N=10000]
#
# Environment: see bench/bench_env.sh; SETTLE (default 20), WINDOW (default 120: three sweeps
# of 10,000 workspaces), SCRAPE_EVERY (default 15).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench_env.sh"

count=${1:-10000}
[[ $count =~ ^[0-9]+$ ]] || die "N must be a number, got '$count'"
settle=${SETTLE:-20}
window=${WINDOW:-120}
scrape_every=${SCRAPE_EVERY:-15}
command -v curl >/dev/null || die "no curl on PATH (apt-get install curl)"

# Each tenant: two queues, an SLA of its own, a routing rule.
workspaces_dir=$(mktemp -d /tmp/ticketd-workspaces.XXXXXX)
bench_extra_dirs+=("$workspaces_dir")
trap bench_cleanup EXIT
for ((i = 0; i < count; i++)); do
  cat >"$workspaces_dir/tenant-$i.yaml" <<'EOF'
priorities:
  urgent: {first_reply: 1h, next_reply: 4h, resolution: 1d}
  normal: {first_reply: 8h, next_reply: 1d, resolution: 5d}
queues:
  desk: {mode: push, accept_timeout: 30s}
  billing: {mode: pull}
routing:
  - when: {channel: phone}
    priority: urgent
defaults: {queue: desk, priority: normal}
EOF
done
BENCH_EXTRA_YAML="workspaces_dir: $workspaces_dir"
started=$(date +%s.%N)
bench_start
ready=$(date +%s.%N)

commands() { rcli INFO stats | info_field total_commands_processed; }
scrape() {
  curl -s -o "$bench_tmp/metrics.txt" -w '%{http_code} %{time_total} %{size_download}\n' \
    "http://127.0.0.1:$ticketd_port/metrics"
}

echo "== $count workspace files; ticketd ready $(awk -v a="$started" -v b="$ready" \
  'BEGIN { printf "%.1f", b - a }') s after its start; settling ${settle} s"
sleep "$settle"
rcli CONFIG RESETSTAT >/dev/null
before=$(commands)
rcli MONITOR >"$bench_tmp/monitor.txt" &
monitor_pid=$!
bench_pids+=("$monitor_pid")
t0=$(date +%s.%N)
scrapes=()
elapsed=0
while ((elapsed < window)); do
  scrapes+=("$(scrape)")
  step=$((window - elapsed < scrape_every ? window - elapsed : scrape_every))
  sleep "$step"
  elapsed=$((elapsed + step))
done
t1=$(date +%s.%N)
kill "$monitor_pid" 2>/dev/null || true
after=$(commands)
# MONITOR's lines: "TIME [DB CLIENT] "COMMAND" ...", CLIENT "lua" for what a function ran.
calls=$(grep -c '^[0-9]' "$bench_tmp/monitor.txt" || true)
script_calls=$(grep -c ' lua\] ' "$bench_tmp/monitor.txt" || true)

echo
echo "== Redis, over $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s" \
  "with ${#scrapes[@]} scrapes"
awk -v c="$calls" -v l="$script_calls" -v t0="$t0" -v t1="$t1" \
  'BEGIN { printf "calls from ticketd per second: %.1f (target: at most 1000)\n", (c - l) / (t1 - t0) }'
awk -v a="$before" -v b="$after" -v t0="$t0" -v t1="$t1" \
  'BEGIN { printf "commands run per second, the functions'"'"' included: %.1f\n", (b - a) / (t1 - t0) }'
echo "calls by command:"
grep '^[0-9]' "$bench_tmp/monitor.txt" | grep -v ' lua\] ' | awk '{ print toupper($4) }' |
  tr -d '"' | sort | uniq -c | sort -rn | awk -v t0="$t0" -v t1="$t1" \
  '{ printf "  %-12s %8.1f/s\n", $2, $1 / (t1 - t0) }'
echo "commands run, by name:"
rcli INFO commandstats | tr -d '\r' | awk -F'[:=,]' -v t0="$t0" -v t1="$t1" \
  '/^cmdstat_/ { sub("cmdstat_", "", $1); printf "  %-12s %8.1f/s\n", $1, $3 / (t1 - t0) }'
echo
echo "== ticketd"
awk -v kb="$(ticketd_status_kb VmRSS)" -v peak="$(ticketd_status_kb VmHWM)" 'BEGIN {
  printf "resident memory: %.1f MB, at its peak %.1f MB (target: at most 200)\n", kb / 1024, peak / 1024
}'
echo "scrapes (status, seconds, bytes):"
printf '  %s\n' "${scrapes[@]}"
echo "series in the last scrape: $(grep -vc '^#' "$bench_tmp/metrics.txt")"
