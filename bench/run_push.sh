#!/usr/bin/env bash
# run_push.sh: the push scenario (bench/README.md "Push routing"). Starts Redis and ticketd as
# run_load.sh does, with a push queue, then
#   1. the Redis cost of a push decision: FCALL create into a push queue with 200 agents online
#      (each create picks an agent and assigns) against the same create into a pull queue, from
#      INFO commandstats;
#   2. pushgen at RATE tickets/s: create -> offer on the agent's socket, p50/p99;
#   3. pushgen at saturation: tickets routed per second (created, offered over WebSocket,
#      accepted, resolved);
# Environment: as bench_env.sh, plus DURATION (default 10), RATE (default 2000), AGENTS (pushgen
# agents, default 100), CREATORS (connections creating at saturation, default 16).
set -euo pipefail
# shellcheck source=bench_env.sh
source "$(dirname "$0")/bench_env.sh"
bench_push_queues
pushgen_bin=$build_dir/bench/pushgen
[[ -x $pushgen_bin ]] || die "no $pushgen_bin: build the pushgen target"
bench_start

duration=${DURATION:-10}
P="ticketd:{$workspace}:"
epoch=$(bench_epoch)
# Now by the daemon's clock: with a fixed time its timers (offers, SLA) would be due at once,
# and the timer loop's FCALLs would fire them in the measured window.
now=$(date +%s%3N)
usec() { rcli INFO commandstats | info_field "cmdstat_$1" | sed 's/.*usec_per_call=\([0-9.]*\).*/\1/'; }

echo "== push decision cost (${ONLINE_AGENTS:-200} agents online in the push queue)"
bench_agents_online "$now" direct
create_cost() {  # queue, id prefix
  rcli CONFIG RESETSTAT >/dev/null
  redis-benchmark -s "$bench_tmp/redis.sock" -n 50000 -P 16 -c 4 -r 100000000 -q \
    FCALL ticketd_v1_create 1 "$P" "$now" "$epoch" "" "" "$2-__rand_int__" fp "$1" normal "" "" "" \
    "$now" $((now + 28800000)) $((now + 259200000)) $((now + 28800000)) \
    $((now + 27900000)) "" "" "" "" >/dev/null 2>&1  # SLA timer; no requirements, customer,
  bench_no_failed_calls                             # preference or body
  usec fcall
}
pull=$(create_cost desk pull)
push=$(create_cost direct push)
assigned=$(rcli ZCARD "${P}qa:direct")
echo "create into a pull queue:              $pull us/call"
echo "create into a push queue, assigned:    $push us/call ($assigned agents still available)"
awk -v a="$push" -v b="$pull" 'BEGIN { printf "push decision (difference):            %.1f us\n", a - b }'

echo "== at ${RATE:-2000} tickets/s"
"$pushgen_bin" --port "$ticketd_port" --queue sales --agents "${AGENTS:-100}" --max 20 \
  --creators 16 --rate "${RATE:-2000}" --duration "$duration"
echo "== saturation: ${AGENTS:-100} agents accepting every offer"
"$pushgen_bin" --port "$ticketd_port" --queue sales --agents "${AGENTS:-100}" --max 20 \
  --creators "${CREATORS:-16}" --duration "$duration"
