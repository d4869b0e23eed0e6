#!/usr/bin/env bash
# run_channels.sh: the push decision with channels (bench/README.md "Channels and capacity").
# As run_push.sh's first measurement: the Redis function time of a create into a push queue with
# 200 agents online (each create picks an agent and assigns), against the same create into a
# pull queue, from INFO commandstats; here with three channels (email 1 unit, chat 3 with a
# 30 s wrap-up, phone 10 with a 1 min wrap-up) and presence by channel: a third of the agents
# have phone away, a third chat away. Agents have room for any number of tickets (units and
# count), so every create is handed out; PHONE_LIMIT=1 sets phone's max_per_agent to 1, so
# that after 200 calls no agent has room for a call and every phone create looks through the
# first 100 agents in vain (the worst case).
# Environment: as bench_env.sh, plus CALLS (creates per channel, default 30000).
set -euo pipefail
# shellcheck source=bench_env.sh
source "$(dirname "$0")/bench_env.sh"
bench_push_queues
phone_limit=${PHONE_LIMIT:+, max_per_agent: $PHONE_LIMIT}
BENCH_EXTRA_YAML="agents: {max_concurrent: 10000, capacity: 100000}
channels:
  email: {cost: 1}
  chat: {cost: 3, wrap_up: 30s}
  phone: {cost: 10, wrap_up: 1m$phone_limit}"
bench_start

calls=${CALLS:-30000}
P="ticketd:{$workspace}:"
epoch=$(bench_epoch)
now=$(date +%s%3N)
usec() { rcli INFO commandstats | info_field "cmdstat_$1" | sed 's/.*usec_per_call=\([0-9.]*\).*/\1/'; }

echo "== push decision cost with channels (200 agents online in the push queue)"
for i in $(seq 0 199); do
  case $((i % 3)) in
    0) presence=phone=away ;;
    1) presence=chat=away ;;
    *) presence='""' ;;
  esac
  echo "FCALL ticketd_v1_agent_put 1 $P $now $epoch \"\" \"\" cost-$i \"\"" \
    "direct \"\" direct 10000 online \"\" $presence"
done | rcli --pipe >/dev/null
create_cost() {  # queue, id prefix, channel
  rcli CONFIG RESETSTAT >/dev/null
  redis-benchmark -s "$bench_tmp/redis.sock" -n "$calls" -P 16 -c 4 -r 100000000 -q \
    FCALL ticketd_v1_create 1 "$P" "$now" "$epoch" "" "" "$2-__rand_int__" fp "$1" normal "$3" \
    "" "" "$now" $((now + 28800000)) $((now + 259200000)) $((now + 28800000)) \
    $((now + 27900000)) "" "" "" "" >/dev/null 2>&1
  bench_no_failed_calls
  usec fcall
}
for channel in email chat phone; do
  pull=$(create_cost desk "pull-$channel" "$channel")
  push=$(create_cost direct "push-$channel" "$channel")
  awk -v c="$channel" -v a="$push" -v b="$pull" \
    'BEGIN { printf "%-6s pull %6.1f us  push %6.1f us  push decision %5.1f us\n", c, b, a, a - b }'
done
echo "still available in the push queue: $(rcli ZCARD "${P}qa:direct") agents"
if [[ -n ${VERIFY:-} ]]; then
  echo "== verify"
  rcli FCALL ticketd_v1_verify 1 "$P" "$now" "$epoch" "" "" direct desk | head -n 5
fi
