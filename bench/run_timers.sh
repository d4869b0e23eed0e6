#!/usr/bin/env bash
# The timer set under load: how long the daemon takes to fire N due timers (in bounded batches
# of 200, one atomic function call each) while the API keeps answering, and the Redis memory
# per scheduled timer. Usage:
#
#   bench/run_timers.sh [N=10000] [MEMORY_N=100000]
#
# 1. ticketd on a manual clock; loadgen prefills N tickets: each schedules its SLA timer (the
#    first-reply warning, 7h45m ahead). loadgen then runs create -> next -> resolve cycles at
#    RATE/s (default 500) for DURATION s (default 8); two seconds in, POST /v1/admin/clock moves
#    the clock 7h45m and answers once every due timer has fired: its elapsed time is the firing
#    time, and loadgen's latency table covers the API while it ran.
# 2. FLUSHALL, MEMORY_N tickets prefilled (one timer each), then INFO used_memory before and
#    after deleting the timer set: the difference per timer.
#
# Environment: see bench/bench_env.sh; RATE, DURATION.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench_env.sh"

count=${1:-10000}
memory_count=${2:-100000}
[[ $count =~ ^[1-9][0-9]*$ && $memory_count =~ ^[1-9][0-9]*$ ]] || die "N and MEMORY_N must be positive numbers"
rate=${RATE:-500}
duration=${DURATION:-8}

export TICKETD_ARGS="--manual-clock --clock-start 2026-11-23T09:00:00Z ${TICKETD_ARGS:-}"
bench_start

used_memory() { rcli INFO memory | info_field used_memory; }
p="ticketd:{$workspace}:"

# POST /v1/admin/clock with a JSON body; prints the status line's code.
move_clock() {
  local body=$1 line
  exec 4<>"/dev/tcp/127.0.0.1/$ticketd_port"
  printf 'POST /v1/admin/clock HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
    "${#body}" "$body" >&4
  IFS= read -r -t 60 line <&4 || true
  exec 4>&- 4<&-
  line=${line%$'\r'}
  echo "${line:9:3}"
}

# The sum of metric $1 over its label sets (the daemon's metrics carry the workspace).
metric() {
  exec 5<>"/dev/tcp/127.0.0.1/$ticketd_port"
  printf 'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&5
  awk -v m="$1" '$1 == m || index($1, m "{") == 1 { sum += $2; seen = 1 }
                 END { if (seen) print sum }' <&5
  exec 5>&- 5<&-
}

"$loadgen_bin" --host 127.0.0.1 --port "$ticketd_port" --scenario prefill --count "$count" \
  --prefix fire$$ >/dev/null
scheduled=$(rcli ZCARD "${p}timers")
echo "== firing: $scheduled timers scheduled ($count prefilled tickets' SLA warnings)"

"$loadgen_bin" --host 127.0.0.1 --port "$ticketd_port" --scenario cycle --rate "$rate" \
  --duration "$duration" --warmup 1 >"$bench_tmp/load.txt" &
load_pid=$!
sleep 2
fired_before=$(metric ticketd_timers_fired_total)
start=$(date +%s%N)
status=$(move_clock '{"advance":"7h45m"}')
end=$(date +%s%N)
fired_after=$(metric ticketd_timers_fired_total)
[[ -n $fired_after ]] || die "no ticketd_timers_fired_total in /metrics"
left=$(rcli ZCOUNT "${p}timers" -inf 1795452300000)
wait "$load_pid"
awk -v s="$start" -v e="$end" -v b="${fired_before:-0}" -v a="${fired_after:-0}" -v st="$status" -v l="$left" 'BEGIN {
  printf "clock moved (HTTP %s): %d timers fired in %.1f ms (%.1f us per timer); due timers left: %d\n",
         st, a - b, (e - s) / 1e6, (e - s) / 1e3 / ((a - b) > 0 ? (a - b) : 1), l
}'
echo "== the API meanwhile (loadgen cycle at $rate/s)"
cat "$bench_tmp/load.txt"

echo
echo "== memory: $memory_count tickets, one scheduled timer each"
rcli FLUSHALL >/dev/null
"$loadgen_bin" --host 127.0.0.1 --port "$ticketd_port" --scenario prefill --count "$memory_count" \
  --prefix mem$$ >/dev/null
timers=$(rcli ZCARD "${p}timers")
with=$(used_memory)
encoding=$(rcli OBJECT ENCODING "${p}timers")
usage=$(rcli MEMORY USAGE "${p}timers" SAMPLES 0)
rcli DEL "${p}timers" >/dev/null
without=$(used_memory)
awk -v w="$with" -v wo="$without" -v n="$timers" -v u="$usage" -v enc="$encoding" 'BEGIN {
  printf "timers: %d (%s); used_memory with: %d, without: %d\n", n, enc, w, wo
  printf "per timer (INFO used_memory): %.1f bytes; MEMORY USAGE of the set: %.1f bytes per timer\n",
         (w - wo) / n, u / n
}'
