#!/usr/bin/env bash
# Eligibility at scale: N tickets (default 100,000) waiting in one queue over 20 requirement
# sets (two of 20 skills each, at levels 2 and 1), and 500 agents holding 5 of the 20 skills
# at level 3 (each meets 4 of the 20 sets). Measures, in Redis function time (INFO
# commandstats, the scope of the targets):
#
#   next    a `next` by one of 250 agents (offline: `next` ignores presence) over the N tickets
#   push    an agent going online and being handed the best ticket it may take (push_agent over
#           the heads of the sets it meets), one of 250 agents with room for one ticket
#   create  a create with requirements into an empty push queue with 500 agents online (the
#           push decision picks an eligible agent), against the same create into a pull queue
#   memory  Redis memory per waiting ticket with requirements
#
# Usage: bench/run_eligibility.sh [N=100000] [CALLS=2000]
# Environment: see bench/bench_env.sh. PLAIN=1 creates the same tickets without requirements
# (the comparison). CALLGRIND=1 runs Redis under callgrind and reports instructions per call
# instead of microseconds (repeatable where this VM's microseconds are not; use a smaller N:
# about 50x slower).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench_env.sh"

n=${1:-100000}
calls=${2:-2000}
[[ $n =~ ^[1-9][0-9]*$ && $calls =~ ^[1-9][0-9]*$ ]] || die "N and CALLS must be positive numbers"

BENCH_QUEUES='  general: {mode: push, wait_weight: 0.5}
  direct: {mode: push}
  desk: {mode: pull}'
if [[ ${CALLGRIND:-0} == 1 ]]; then
  require_callgrind
  under_callgrind() {
    exec valgrind --tool=callgrind --callgrind-out-file="$bench_tmp/callgrind.%p" "$@"
  }
  redis_launcher=under_callgrind
fi
bench_start
plain=${PLAIN:-0}

P="ticketd:{$workspace}:"
now=$(date +%s%3N)
epoch=$(bench_epoch)
used_memory() { rcli INFO memory | info_field used_memory; }
fcall_calls() { rcli INFO commandstats | tr -d '\r' | sed -n 's/^cmdstat_fcall:calls=\([0-9]*\).*/\1/p'; }
# Before a measured batch: zero the statistics (and callgrind's counters).
measure_start() {
  rcli CONFIG RESETSTAT >/dev/null
  [[ ${CALLGRIND:-0} == 1 ]] && callgrind_control -z "$redis_pid" >/dev/null 2>&1
  return 0
}
batch_no=0  # CALLGRIND_KEEP=1 keeps batch-1.cg (next) .. batch-4.cg (create into direct)
# After it: microseconds per FCALL, or with CALLGRIND=1 the functions' instructions per FCALL.
fcall_usec() {
  if [[ ${CALLGRIND:-0} == 1 ]]; then
    batch_no=$((batch_no + 1))
    local file=$bench_tmp/batch-$batch_no.cg calls
    calls=$(fcall_calls)
    callgrind_dump "$redis_pid" "$file"
    callgrind_annotate --inclusive=yes --threshold=100 "$file" 2>/dev/null |
      awk -v n="$calls" '/ \?\?\?:fcallCommand / { c = $1; gsub(",", "", c); printf "%.0f", c / n }'
    return
  fi
  rcli INFO commandstats | tr -d '\r' | sed -n 's/^cmdstat_fcall:.*usec_per_call=\([0-9.]*\).*/\1/p'
}

# RESP for `count` FCALL creates into queue $1 with ids $2-<i>, ticket i requiring set i % 20:
# skills s<i> at level 2 and s<i+1> at level 1 (sorted by name, as the planner sends them).
creates() {
  awk -v n="$3" -v P="$P" -v now="$now" -v e="$epoch" -v q="$1" -v pre="$2" -v plain="$plain" '
    function bulk(s) { printf "$%d\r\n%s\r\n", length(s), s }
    BEGIN {
      for (i = 0; i < n; i++) {
        k = i % 20; a = "s" k; b = "s" ((k + 1) % 20)
        if (a < b) req = a ":2:," b ":1:"; else req = b ":1:," a ":2:"
        if (plain == 1) req = ""
        printf "*24\r\n"; bulk("FCALL"); bulk("ticketd_v1_create"); bulk("1"); bulk(P)
        bulk(now); bulk(e); bulk(""); bulk("")
        bulk(pre "-" i); bulk("fp"); bulk(q); bulk("normal"); bulk("email")
        bulk(""); bulk(""); bulk(now); bulk(sprintf("%.0f", now + 28800000))
        bulk(sprintf("%.0f", now + 259200000)); bulk(sprintf("%.0f", now + 28800000 + i))
        bulk(sprintf("%.0f", now + 27900000)); bulk(req); bulk(""); bulk(""); bulk("")
      }
    }' | rcli --pipe 2>&1
}

# Agents <$5>-<j> for j in [$3, $4) in queues $6: 5 consecutive skills from s<j % 20> at level 3,
# status $1, max_concurrent $2.
agents() {
  awk -v P="$P" -v now="$now" -v e="$epoch" -v st="$1" -v max="$2" -v from="$3" -v to="$4" \
    -v pre="$5" -v qs="$6" '
    BEGIN {
      for (j = from; j < to; j++) {
        m = 0
        for (k = 0; k < 5; k++) names[m++] = "s" ((j + k) % 20)
        # Sorted by name (insertion sort of five).
        for (x = 1; x < 5; x++) for (y = x; y > 0 && names[y - 1] > names[y]; y--) {
          t = names[y]; names[y] = names[y - 1]; names[y - 1] = t
        }
        sk = ""
        for (x = 0; x < 5; x++) sk = sk (x ? "," : "") names[x] ":3"
        printf "FCALL ticketd_v1_agent_put 1 %s %s %s \"\" \"\" %s-%d \"\" %s %s %s %s %s\n", P, now, e, pre, j, qs, sk, qs, max, st
      }
    }' | rcli --pipe >/dev/null
}

before=$(used_memory)
out=$(creates general w "$n")
[[ $out == *"errors: 0, replies: $n"* ]] || die "prefill failed: $out"
after=$(used_memory)
events=$(rcli MEMORY USAGE "${P}events" SAMPLES 0)
sets=$(rcli HLEN "${P}qg:general")
echo
echo "== $n tickets waiting in queue general over $sets requirement sets"
awk -v b="$before" -v a="$after" -v e="$events" -v n="$n" 'BEGIN {
  printf "memory per waiting ticket, everything:            %6.1f bytes\n", (a - b) / n
  printf "memory per waiting ticket, without events stream: %6.1f bytes\n", (a - b - e) / n
}'

agents offline 1000000 0 250 a general     # pullers
agents offline 1 250 500 a general         # pushed to when they come online

measure_start
for ((i = 0; i < calls; i++)); do
  echo "FCALL ticketd_v1_next 1 $P $now $epoch \"\" \"\" a-$((i % 250))"
done | rcli --pipe >/dev/null
next_usec=$(fcall_usec)
next_calls=$(fcall_calls)
held=$(rcli SCARD "${P}h:a-0")

push_n=$((calls < 250 ? calls : 250))
measure_start
for ((j = 250; j < 250 + push_n; j++)); do
  echo "FCALL ticketd_v1_agent_status 1 $P $now $epoch \"\" \"\" a-$j online \"\""
done | rcli --pipe >/dev/null
push_usec=$(fcall_usec)
pushed=$(rcli SCARD "${P}h:a-250")

measure_start
out=$(creates desk pull "$calls")
[[ $out == *"errors: 0, replies: $calls"* ]] || die "creates into desk failed: $out"
pull_usec=$(fcall_usec)
agents online 1000000 0 250 b direct
measure_start
out=$(creates direct pushed "$calls")
[[ $out == *"errors: 0, replies: $calls"* ]] || die "creates into direct failed: $out"
direct_usec=$(fcall_usec)
assigned=$(rcli ZCARD "${P}q:direct")

echo
unit="us"
[[ ${CALLGRIND:-0} == 1 ]] && unit="instructions"
[[ $plain == 1 ]] && echo "(PLAIN=1: the same tickets without requirements)"
echo "== Redis function time (INFO commandstats; $unit), $n waiting, 500 agents"
echo "next, over the 20 sets (agent meets 4):        $next_usec $unit per call ($next_calls calls; a-0 holds ${held:-?})"
echo "agent online, handed the best ticket it meets: $push_usec $unit per call ($push_n calls; a-250 holds $pushed)"
echo "create with requirements into a pull queue:   $pull_usec $unit per call"
echo "create into a push queue, 250 agents online:  $direct_usec $unit per call ($assigned left waiting)"
awk -v p="$pull_usec" -v d="$direct_usec" -v u="$unit" \
  'BEGIN { printf "push decision of a create (difference):       %.2f %s\n", d - p, u }'
echo "ELIGIBILITY n=$n plain=$plain unit=$unit next=$next_usec online_push=$push_usec create_pull=$pull_usec create_push=$direct_usec"
[[ ${CALLGRIND:-0} == 1 ]] && keep_callgrind_dumps
exit 0
