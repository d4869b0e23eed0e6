#!/usr/bin/env bash
# Redis's work counted in instructions (valgrind's callgrind) rather than microseconds: the
# count is the same from run to run and does not move with whatever else the VM is doing, so
# two builds can be compared with one run each. Usage:
#
#   bench/run_redis_cost.sh [cycle] [N=3000] [loadgen options]
#   bench/run_redis_cost.sh push [N=2000]
#   bench/run_redis_cost.sh routed [SECONDS=10]
#   bench/run_redis_cost.sh bullmq [N=20000]
#
# Redis runs under callgrind (about 50x slower), started as bench_env.sh starts it; ticketd
# loads its functions and configuration as always. Counters are zeroed before the measured
# calls and dumped after them; all counts are inclusive.
#
# cycle: loadgen drives N create -> next -> resolve cycles through the HTTP API (8 connections,
# 8 agents, one pull queue, as run_load.sh but smaller). Per cycle:
#   redis      every instruction Redis ran: commands, protocol, AOF, the event tail's reads;
#   fcall      the FCALL commands with everything the functions do, but not the AOF writing of
#              their effects, which Redis does after each command: the scope of the usec of
#              `INFO commandstats` that issue 2's "Redis CPU per cycle" target reads;
#     commands   the Redis commands the functions call (redis.call);
#     lua        the rest of fcall: the interpreter, argument and reply conversion, Lua's GC;
#   aof        formatting the functions' effects into the AOF buffer (propagation);
#   hgetall, xread   ticketd's ticket reads behind a call, and its event tail.
#
# push: the push decision as run_push.sh measures it in microseconds: N FCALL creates into a
# pull queue, then N into a push queue whose 200 online agents (ONLINE_AGENTS) take them
# (assigned; the difference is the decision), then N into a push queue with accept_timeout
# (offered).
#
# routed: a pushed ticket's whole life as Redis sees it: pushgen at RATE tickets/s (default 40)
# into the push queue `sales` (offers, 20 agents over WebSocket accepting every offer and
# resolving over HTTP) for SECONDS, counted only in pushgen's measured window (its hooks zero the
# counters and dump them), per ticket routed in it: the three calls, ticketd's reads and event
# tail, and at this rate an event-loop round for nearly every message.
#
# bullmq: the yardstick of run_vs_bullmq.sh counted the same way: BullMQ's jobs added, taken and
# completed (2,000 warmup jobs, then N measured; 50 adds in flight, concurrency 50, random
# priorities, as run_vs_bullmq.sh runs it), on a Redis started as bench_env.sh starts it (plus
# maxmemory-policy noeviction, which BullMQ needs) with no ticketd. Per lifecycle: everything
# Redis ran, its scripts (EVALSHA, with the commands they call), those commands, and the AOF
# writing of their effects: issue 17's Redis CPU target, free of the VM's drift (and of the
# kernel's part, which callgrind does not see). Needs node and npm (run_vs_bullmq.sh).
#
# Instructions are not microseconds (how many run per microsecond depends on cache misses),
# so this compares builds and finds where the work is; run_load.sh and run_push.sh measure
# the time.
#
# Environment: see bench/bench_env.sh; CALLGRIND_KEEP=1 keeps the dumps (callgrind_annotate).
set -euo pipefail
scenario=cycle
if [[ ${1:-} == cycle || ${1:-} == push || ${1:-} == routed || ${1:-} == bullmq ]]; then
  scenario=$1
  shift
fi
# shellcheck source=bench_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench_env.sh"
[[ $scenario == push || $scenario == routed ]] && bench_push_queues

default_n=3000
[[ $scenario == push ]] && default_n=2000
[[ $scenario == routed ]] && default_n=10
[[ $scenario == bullmq ]] && default_n=20000
n=${1:-$default_n}
[[ $# -gt 0 ]] && shift
[[ $n =~ ^[1-9][0-9]*$ ]] || die "N must be a positive number, got '$n'"
require_callgrind

under_callgrind() {
  exec valgrind --tool=callgrind --callgrind-out-file="$bench_tmp/callgrind.%p" "$@"
}
redis_launcher=under_callgrind
if [[ $scenario == bullmq ]]; then
  # Redis alone: no ticketd (its timer loop would count too).
  bench_tmp_start
  bench_bullmq_install "$bench_tmp"
  bench_redis_start --maxmemory-policy noeviction
else
  bench_start
fi

zero() { callgrind_control -z "$redis_pid" >/dev/null 2>&1; }

# The inclusive counts of callgrind dump $1: "total fcall commands aof hgetall xread" (fcall:
# FCALL, or EVALSHA for BullMQ's scripts).
counts() {
  callgrind_annotate --inclusive=yes --threshold=100 "$1" 2>/dev/null |
    awk 'BEGIN { split("fcallCommand evalShaCommand scriptCall propagatePendingCommands hgetallCommand xreadCommand", w)
                 for (i in w) want[w[i]] = 1 }
         { count = $1; gsub(",", "", count) }
         /PROGRAM TOTALS/ { v["total"] = count }
         / \?\?\?:[a-zA-Z]+ / { for (k in want) if (index($0, "???:" k " ")) v[k] = count }
         END { print v["total"] + 0, v["fcallCommand"] + v["evalShaCommand"], v["scriptCall"] + 0,
                     v["propagatePendingCommands"] + 0, v["hgetallCommand"] + 0,
                     v["xreadCommand"] + 0 }'
}

# Dumps the counters since the last zero as $bench_tmp/<label>.cg and prints their counts.
dump() {
  callgrind_dump "$redis_pid" "$bench_tmp/$1.cg"
  counts "$bench_tmp/$1.cg"
}

cycle_cost() {
  echo "loadgen: $n cycles under callgrind" >&2
  "$loadgen_bin" --host 127.0.0.1 --port "$ticketd_port" --connections 8 --agents 8 \
    --warmup 0 --duration 3600 --cycles "$n" --timeout 60 \
    --before-measure "callgrind_control -z $redis_pid >/dev/null 2>&1" "$@" \
    >"$bench_tmp/loadgen.out" 2>&1 || { cat "$bench_tmp/loadgen.out" >&2; die "loadgen failed"; }
  grep -q '^RESULT .* errors=0' "$bench_tmp/loadgen.out" ||
    { cat "$bench_tmp/loadgen.out" >&2; die "loadgen saw errors"; }
  local cycles
  callgrind_dump "$redis_pid" "$bench_tmp/cycle.cg"
  # Every cycle after the hook (warmup 0: all of them).
  cycles=$(sed -n 's/^RESULT .*cycles_total=\([0-9]*\) .*/\1/p' "$bench_tmp/loadgen.out")
  echo
  echo "== Redis instructions per cycle ($cycles cycles, callgrind)"
  per_unit cycles "$cycles" "$bench_tmp/cycle.cg"
}

# Prints the counts of dump $3 divided by $2 units, and a `REDIS_COST $1=$2 ...` line for scripts.
per_unit() {
  local total fcall commands aof hgetall xread
  read -r total fcall commands aof hgetall xread < <(counts "$3")
  awk -v u="$1" -v n="$2" -v t="$total" -v f="$fcall" -v c="$commands" -v a="$aof" \
      -v h="$hgetall" -v x="$xread" 'BEGIN {
    printf "redis        %8.0f  everything Redis ran\n", t / n
    printf "fcall        %8.0f  the functions (the INFO commandstats scope)\n", f / n
    printf "  commands   %8.0f  Redis commands they call\n", c / n
    printf "  lua        %8.0f  interpreter, conversions, GC\n", (f - c) / n
    printf "aof          %8.0f  writing their effects to the AOF buffer\n", a / n
    printf "hgetall      %8.0f  ticketd reading tickets behind calls\n", h / n
    printf "xread        %8.0f  the event tail\n", x / n
    printf "REDIS_COST %s=%d redis=%.0f fcall=%.0f commands=%.0f lua=%.0f aof=%.0f\n",
           u, n, t / n, f / n, c / n, (f - c) / n, a / n
  }'
}

push_cost() {
  # Now by the daemon's clock: with a fixed time the created tickets' timers would be due at
  # once, and the timer loop's FCALLs firing them would count in the window.
  local P="ticketd:{$workspace}:" now epoch out
  now=$(date +%s%3N)
  epoch=$(bench_epoch)
  bench_agents_online "$now" direct,sales
  creates() {  # queue, id prefix: RESP for n FCALL creates, piped to Redis
    awk -v n="$n" -v P="$P" -v now="$now" -v e="$epoch" -v q="$1" -v pre="$2" '
      function bulk(s) { printf "$%d\r\n%s\r\n", length(s), s }
      BEGIN {
        for (i = 0; i < n; i++) {
          printf "*24\r\n"; bulk("FCALL"); bulk("ticketd_v1_create"); bulk("1"); bulk(P)
          bulk(now); bulk(e); bulk(""); bulk("")  # no Idempotency-Key, no fingerprint
          bulk(pre "-" i); bulk("fp"); bulk(q); bulk("normal"); bulk("")
          bulk(""); bulk(""); bulk(now); bulk(sprintf("%.0f", now + 28800000))
          bulk(sprintf("%.0f", now + 259200000)); bulk(sprintf("%.0f", now + 28800000))
          bulk(sprintf("%.0f", now + 27900000))  # the SLA timer: first reply due - warn_before
          bulk(""); bulk(""); bulk(""); bulk("")  # no requirements, customer, preference, body
        }
      }' | rcli --pipe 2>&1
  }
  local label queue fcall pull=0
  echo
  echo "== Redis instructions per FCALL create ($n calls each, callgrind; ${ONLINE_AGENTS:-200} agents online)"
  for label in pull:desk assigned:direct offered:sales; do
    queue=${label#*:}
    label=${label%%:*}
    zero
    out=$(creates "$queue" "$label")
    [[ $out == *"errors: 0, replies: $n"* ]] || die "creates into $queue failed: $out"
    read -r _ fcall _ < <(dump "$label")
    [[ $label == pull ]] && pull=$fcall
    awk -v l="$label" -v q="$queue" -v f="$fcall" -v p="$pull" -v n="$n" 'BEGIN {
      printf "create into %-6s %-9s %8.0f", q, "(" l ")", f / n
      if (l != "pull") printf "   push decision: %8.0f", (f - p) / n
      printf "\n"
    }'
  done
  local waiting
  waiting=$(rcli ZCARD "${P}q:direct")
  [[ $waiting == 0 ]] || die "$waiting tickets waited in queue direct: the agents took too few"
}

routed_cost() {
  local routed
  bench_pushgen "callgrind_control -z $redis_pid >/dev/null 2>&1" \
    "callgrind_control -d $redis_pid >/dev/null 2>&1" \
    --agents 20 --max 20 --creators 4 --rate "${RATE:-40}" --duration "$n"
  grep -E '^(tickets routed|errors)' "$bench_tmp/pushgen.out" >&2
  # The after-measure hook asked for the dump: the counts end with the window. The functions
  # are create, accept and resolve, and the timer loop's calls.
  callgrind_take_dump "$redis_pid" "$bench_tmp/routed.cg"
  echo
  echo "== Redis instructions per ticket routed ($routed in $n s at ${RATE:-40}/s, callgrind)"
  per_unit routed "$routed" "$bench_tmp/routed.cg"
}

bullmq_cost() {
  echo "BullMQ $bullmq_installed (ioredis $ioredis_installed): 2000 warmup jobs, then $n under" \
    "callgrind" >&2
  node "$bench_tmp/node/bullmq_yardstick.mjs" --socket "$bench_tmp/redis.sock" --jobs "$n" \
    --warmup-jobs 2000 --before-measure "callgrind_control -z $redis_pid >/dev/null 2>&1" \
    --after-measure "callgrind_control -d $redis_pid >/dev/null 2>&1" \
    >"$bench_tmp/yardstick.out" 2>"$bench_tmp/yardstick.log" ||
    { cat "$bench_tmp/yardstick.log" "$bench_tmp/yardstick.out" >&2; die "the yardstick failed"; }
  grep -q '^RESULT .* failed=0$' "$bench_tmp/yardstick.out" ||
    { cat "$bench_tmp/yardstick.out" >&2; die "BullMQ failed jobs"; }
  # The after-measure hook asked for the dump: the counts end with the last job.
  callgrind_take_dump "$redis_pid" "$bench_tmp/bullmq.cg"
  local total scripts commands aof
  read -r total scripts commands aof _ < <(counts "$bench_tmp/bullmq.cg")
  echo
  echo "== Redis instructions per BullMQ lifecycle ($n jobs, callgrind)"
  awk -v n="$n" -v t="$total" -v f="$scripts" -v c="$commands" -v a="$aof" 'BEGIN {
    printf "redis        %8.0f  everything Redis ran\n", t / n
    printf "evalsha      %8.0f  the scripts (the INFO commandstats scope)\n", f / n
    printf "  commands   %8.0f  Redis commands they call\n", c / n
    printf "  lua        %8.0f  interpreter, conversions, GC\n", (f - c) / n
    printf "aof          %8.0f  writing their effects to the AOF buffer\n", a / n
    printf "REDIS_COST lifecycles=%d redis=%.0f evalsha=%.0f commands=%.0f lua=%.0f aof=%.0f\n",
           n, t / n, f / n, c / n, (f - c) / n, a / n
  }'
}

case $scenario in
  cycle) cycle_cost "$@" ;;
  push) push_cost ;;
  routed) routed_cost ;;
  bullmq) bullmq_cost ;;
esac
keep_callgrind_dumps
