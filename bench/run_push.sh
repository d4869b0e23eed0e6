#!/usr/bin/env bash
# run_push.sh: the push scenario (bench/README.md "Push routing"). Starts Redis and ticketd as
# run_load.sh does, with a push queue, then
#   1. the Redis cost of a push decision: FCALL create into a push queue with 200 agents online
#      (each create picks an agent and assigns) against the same create into a pull queue, from
#      INFO commandstats;
#   2. pushgen at RATE tickets/s: create -> offer on the agent's socket, p50/p99;
#   3. pushgen at saturation: tickets routed per second (created, offered over WebSocket,
#      accepted, resolved);
#   after 2 and 3, the CPU Redis, ticketd and pushgen spent per ticket routed in the window;
# Environment: as bench_env.sh, plus DURATION (default 10), RATE (default 2000), AGENTS (pushgen
# agents, default 100), CREATORS (connections creating at saturation, default 16).
set -euo pipefail
# shellcheck source=bench_env.sh
source "$(dirname "$0")/bench_env.sh"
bench_push_queues
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

# pushgen [options]: its report, then the CPU each process spent per ticket routed in the
# measured window: Redis's main thread (INFO cpu), ticketd (/proc/<pid>/stat) and pushgen's own.
cpu_snapshot() {  # label: "redis_user redis_sys ticketd_ticks" into $bench_tmp/cpu.<label>
  printf '%s' "redis-cli -s '$bench_tmp/redis.sock' INFO cpu | tr -d '\\r' |
    awk -F: '/^used_cpu_user_main_thread:/ { u = \$2 } /^used_cpu_sys_main_thread:/ { s = \$2 }
      END { if (u == \"\" || s == \"\") exit 1; printf \"%s %s \", u, s }' >'$bench_tmp/cpu.$1' &&
    awk '{ print \$14 + \$15 }' /proc/$ticketd_pid/stat >>'$bench_tmp/cpu.$1'"
}
pushgen_measured() {
  rm -f "$bench_tmp/cpu.before" "$bench_tmp/cpu.after"
  local routed pg
  bench_pushgen "$(cpu_snapshot before)" "$(cpu_snapshot after)" --agents "${AGENTS:-100}" \
    --max 20 --duration "$duration" "$@"
  grep -v '^RESULT' "$bench_tmp/pushgen.out"
  pg=$(sed -n 's/^RESULT .*pushgen_cpu=\([0-9.]*\) .*/\1/p' "$bench_tmp/pushgen.out")
  local f
  for f in before after; do
    [[ $(wc -w <"$bench_tmp/cpu.$f" 2>/dev/null) == 3 ]] || die "no CPU snapshot as the window ${f/before/opened}"
  done
  cat "$bench_tmp/cpu.before" "$bench_tmp/cpu.after" | awk -v n="$routed" -v pg="$pg" \
    -v hz="$(getconf CLK_TCK)" 'NR == 1 { u = $1; s = $2; t = $3 }
    NR == 2 { printf "CPU per ticket routed: Redis %.1f us (user %.1f), ticketd %.1f us, pushgen %.1f us\n",
                     ($1 - u + $2 - s) * 1e6 / n, ($1 - u) * 1e6 / n, ($3 - t) / hz * 1e6 / n,
                     pg * 1e6 / n }'
}

echo "== at ${RATE:-2000} tickets/s"
pushgen_measured --creators 16 --rate "${RATE:-2000}"
echo "== saturation: ${AGENTS:-100} agents accepting every offer"
pushgen_measured --creators "${CREATORS:-16}"
