#!/usr/bin/env bash
# A yardstick: ticketd against BullMQ, side by side, in one sitting. Both queue work by priority
# in a Redis persisting the same way (AOF, appendfsync everysec, as issue 17 specifies), and both
# are measured as lifecycles per second and Redis CPU per lifecycle. Usage:
#
#   bench/run_vs_bullmq.sh
#   ROUNDS=1 BULLMQ_JOBS=20000 DURATION=5 bench/run_vs_bullmq.sh        # a quick try
#   TICKETD_BIN_B=/work/before/build/daemon/ticketd bench/run_vs_bullmq.sh   # two builds
#
#   BullMQ   a lifecycle is one job added (queue.add, random priority 1..BULLMQ_MAX_PRIORITY,
#            BULLMQ_IN_FLIGHT adds in flight), taken and completed by a Worker (concurrency
#            BULLMQ_CONCURRENCY, no-op processor); producer and worker run at once
#            (bench/bullmq_yardstick.mjs says why and how).
#   ticketd  a lifecycle is loadgen's create -> next -> resolve cycle over HTTP, through
#            bench/run_load.sh (CONNECTIONS connections, as many agents).
#
# Each round runs BullMQ, then ticketd (and TICKETD_BIN_B if set: the two builds swap places
# every other round), each on a fresh Redis, so the VM's changes of speed over the sitting fall
# on every side. It prints, per round and side,
# the rate and the Redis CPU per lifecycle (INFO cpu: used_cpu_user + used_cpu_sys over the
# measured window, networking and AOF writing included, divided by the lifecycles in it); then
# the medians over the rounds and the ratios ticketd / BullMQ of both; then one RESULT line.
#
# BullMQ (npm bullmq@BULLMQ_VERSION with ioredis 5, which BullMQ 6 lists as an optional peer
# and so does not install by itself) is installed at run time into a temp dir, with its own npm
# cache there, and removed on exit with every process started here. Needs node (18 or later)
# and npm, redis-server and redis-cli, and the built ticketd and loadgen (bench/README.md).
#
# Environment (defaults in brackets):
#   ROUNDS [3]                     alternated rounds
#   BULLMQ_JOBS [150000]           measured jobs per BullMQ round (about 15 s here)
#   BULLMQ_WARMUP_JOBS [10000]     jobs through BullMQ before the measured ones
#   BULLMQ_IN_FLIGHT [50]          queue.add() calls in flight
#   BULLMQ_CONCURRENCY [50]        the Worker's concurrency
#   BULLMQ_MAX_PRIORITY [1000]     priorities are drawn from 1..this
#   BULLMQ_MODE [concurrent]       or phased: all adds first, then the worker drains them
#   BULLMQ_REMOVE_ON_COMPLETE [0]  1: jobs removed on completion (BullMQ keeps them by default,
#                                  as ticketd keeps resolved tickets)
#   BULLMQ_VERSION [6.7]           the npm version spec of bullmq
#   DURATION [15], WARMUP [3]      loadgen's measured and warmup seconds per ticketd round
#   CONNECTIONS [64]               loadgen connections (and agents) per ticketd round
#   TICKETD_BIN                    the ticketd measured (default: $BUILD_DIR/daemon/ticketd)
#   TICKETD_BIN_B                  a second ticketd, measured in each round after the first
#   KEEP_TMP=1                     keep the temp dir (logs of every round, AOFs)
# and bench/bench_env.sh's (BUILD_DIR for loadgen, THREADS, REDIS_SERVER).
set -euo pipefail
# shellcheck source=bench_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench_env.sh"

rounds=${ROUNDS:-3}
bullmq_jobs=${BULLMQ_JOBS:-150000}
bullmq_warmup=${BULLMQ_WARMUP_JOBS:-10000}
in_flight=${BULLMQ_IN_FLIGHT:-50}
concurrency=${BULLMQ_CONCURRENCY:-50}
max_priority=${BULLMQ_MAX_PRIORITY:-1000}
mode=${BULLMQ_MODE:-concurrent}
remove_on_complete=${BULLMQ_REMOVE_ON_COMPLETE:-0}
bullmq_version=${BULLMQ_VERSION:-6.7}
duration=${DURATION:-15}
warmup=${WARMUP:-3}
connections=${CONNECTIONS:-64}
ticketd_bin_b=${TICKETD_BIN_B:-}

for v in rounds bullmq_jobs in_flight concurrency max_priority duration connections; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive number, got '${!v}'"
done
for v in bullmq_warmup warmup; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a number, got '${!v}'"
done
[[ $mode == concurrent || $mode == phased ]] || die "BULLMQ_MODE is concurrent or phased, got '$mode'"
[[ $remove_on_complete == 0 || $remove_on_complete == 1 ]] || die "BULLMQ_REMOVE_ON_COMPLETE is 0 or 1"
bench_require
[[ -z $ticketd_bin_b || -x $ticketd_bin_b ]] || die "TICKETD_BIN_B: no executable $ticketd_bin_b"

# A short path: the rounds' unix sockets live under it (107 bytes at most).
yard_tmp=$(mktemp -d /tmp/ticketd-yard.XXXXXX)
yard_child=
yard_cleanup() {
  # The round under way: run_load.sh stops its own ticketd, Redis and loadgen on TERM; the
  # yardstick's producer and worker exit when their coordinator is gone.
  if [[ -n $yard_child ]]; then
    kill -TERM "$yard_child" 2>/dev/null || true
    wait "$yard_child" 2>/dev/null || true
  fi
  bench_cleanup
  if [[ ${KEEP_TMP:-0} == 1 ]]; then
    echo "kept $yard_tmp" >&2
  else
    rm -rf "$yard_tmp"
  fi
}
trap yard_cleanup EXIT
trap 'exit 130' INT TERM

BULLMQ_VERSION=$bullmq_version bench_bullmq_install "$yard_tmp"

legs=(bullmq ticketd)
declare -A leg_bin=([ticketd]=$ticketd_bin)
if [[ -n $ticketd_bin_b ]]; then
  legs+=(ticketd_b)
  leg_bin[ticketd_b]=$ticketd_bin_b
fi

echo "date:     $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine:  $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)," \
  "kernel $(uname -r)"
echo "redis:    $("$redis_server" --version | sed 's/^Redis server v=\([^ ]*\).*/\1/'), appendonly yes," \
  "appendfsync everysec (bench_env.sh); BullMQ's also maxmemory-policy noeviction"
echo "bullmq:   $bullmq_installed with ioredis $ioredis_installed on node $(node --version);" \
  "$bullmq_jobs jobs (+$bullmq_warmup warmup), $in_flight adds in flight, concurrency $concurrency," \
  "priority 1..$max_priority, $mode$([[ $remove_on_complete == 1 ]] && echo ', removeOnComplete')"
for leg in "${legs[@]:1}"; do
  echo "$(printf '%-11s' "$leg:")${leg_bin[$leg]} ($(date -r "${leg_bin[$leg]}" '+%F %T'))," \
    "threads ${THREADS:-2}; loadgen $loadgen_bin, $connections connections and agents," \
    "${duration} s (+${warmup} s warmup)"
done

# RESULT line of a log -> the value of key $2.
result_field() {
  sed -n "s/^RESULT .*[ ]$2=\([^ ]*\).*/\1/p" "$1" | head -n 1
}

# Sets rate, redis_us and detail from one BullMQ round on a fresh Redis.
bullmq_round() {
  local out rc=0
  bench_tmp=$yard_tmp/bullmq-$1
  mkdir "$bench_tmp"
  bench_redis_start --maxmemory-policy noeviction
  out=$bench_tmp/yardstick.out
  local extra=()
  [[ $remove_on_complete == 1 ]] && extra+=(--remove-on-complete)
  node "$yard_tmp/node/bullmq_yardstick.mjs" --socket "$bench_tmp/redis.sock" \
    --jobs "$bullmq_jobs" --warmup-jobs "$bullmq_warmup" --in-flight "$in_flight" \
    --concurrency "$concurrency" --max-priority "$max_priority" --mode "$mode" "${extra[@]}" \
    >"$out" 2>"$bench_tmp/yardstick.log" &
  yard_child=$!
  wait "$yard_child" || rc=$?
  yard_child=
  if ((rc != 0)) || [[ $(result_field "$out" failed) != 0 ]]; then
    cat "$bench_tmp/yardstick.log" "$out" >&2
    die "BullMQ round $1 failed"
  fi
  rate=$(result_field "$out" rate)
  redis_us=$(result_field "$out" redis_us_per_lifecycle)
  detail="adds done at $(result_field "$out" add_seconds) s of $(result_field "$out" seconds) s;"
  detail+=" node: producer $(result_field "$out" producer_us_per_lifecycle),"
  detail+=" worker $(result_field "$out" worker_us_per_lifecycle) us/lifecycle;"
  others=$(result_field "$out" others_pct)
  detail+=" machine $(result_field "$out" machine_busy_pct) % of a core busy, others $others %"
  cp "$out" "$yard_tmp/bullmq-$1.out"
  bench_stop
  [[ ${KEEP_TMP:-0} == 1 ]] || rm -rf "$bench_tmp"
  bench_tmp=
}

# Sets rate, redis_us and detail from one run_load.sh run of ticketd binary $2.
ticketd_round() {
  local log=$yard_tmp/$3-$1.log rc=0
  TICKETD_BIN=$2 "$bench_dir/run_load.sh" --connections "$connections" --agents "$connections" \
    --duration "$duration" --warmup "$warmup" >"$log" 2>&1 &
  yard_child=$!
  wait "$yard_child" || rc=$?
  yard_child=
  if ((rc != 0)) || [[ $(result_field "$log" errors) != 0 ]]; then
    tail -n 40 "$log" >&2
    die "$3 round $1 failed (run_load.sh exit $rc)"
  fi
  rate=$(result_field "$log" rate)
  redis_us=$(sed -n 's/^redis INFO cpu: .*, \([0-9.]*\) us\/cycle$/\1/p' "$log")
  [[ -n $rate && -n $redis_us ]] || { tail -n 40 "$log" >&2; die "no rate or Redis CPU in $log"; }
  detail="ticketd $(sed -n 's/^ticketd: .*, \([0-9.]*\) us\/cycle$/\1/p' "$log"),"
  detail+=" loadgen $(sed -n 's/^loadgen cpu: .*, \([0-9.]*\) us per cycle$/\1/p' "$log") us/cycle;"
  others=$(sed -n 's/^machine .* other processes: about \(-*[0-9]*\) % of one core$/\1/p' "$log")
  detail+=" machine $(sed -n 's/^machine .* busy = \([0-9]*\) % of one core.*/\1/p' "$log") % of a core busy,"
  detail+=" others $others %"
}

declare -A rates redis_uss
max_others=0
for ((r = 1; r <= rounds; r++)); do
  echo
  echo "== round $r of $rounds"
  order=("${legs[@]}")
  # Two builds take turns going first after BullMQ, so neither always follows the other.
  ((${#legs[@]} == 3 && r % 2 == 0)) && order=(bullmq ticketd_b ticketd)
  for leg in "${order[@]}"; do
    if [[ $leg == bullmq ]]; then
      bullmq_round "$r"
    else
      ticketd_round "$r" "${leg_bin[$leg]}" "$leg"
    fi
    ((${others:-0} > max_others)) && max_others=$others
    rates[$leg]+=" $rate"
    redis_uss[$leg]+=" $redis_us"
    # Redis's share of a core: how much of the time the loop kept it working (ticketd's closed
    # loop leaves it idle while the answers are turned around; bench/HISTORY.md).
    printf '%-10s %7.0f lifecycles/s   Redis %6.1f us/lifecycle, %3.0f %% of a core   (%s)\n' \
      "$leg" "$rate" "$redis_us" "$(awk -v r="$rate" -v u="$redis_us" 'BEGIN { print r * u / 1e4 }')" \
      "$detail"
  done
done

median() {
  tr ' ' '\n' | sort -g | awk 'NF { v[++n] = $1 } END {
      printf "%.1f", n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    }'
}
echo
echo "== medians over $rounds rounds (a lifecycle: BullMQ add -> take -> complete; ticketd create -> next -> resolve)"
printf '%-10s %15s %22s   %s\n' side "lifecycles/s" "Redis us/lifecycle" "rounds (rate / Redis us)"
declare -A med_rate med_us
for leg in "${legs[@]}"; do
  med_rate[$leg]=$(median <<<"${rates[$leg]}")
  med_us[$leg]=$(median <<<"${redis_uss[$leg]}")
  read -ra rs <<<"${rates[$leg]}"
  read -ra us <<<"${redis_uss[$leg]}"
  each=
  for i in "${!rs[@]}"; do each+="${each:+, }$(printf '%.0f / %s' "${rs[i]}" "${us[i]}")"; done
  printf '%-10s %15.0f %22.1f   %s\n' "$leg" "${med_rate[$leg]}" "${med_us[$leg]}" "$each"
done
result="RESULT bullmq_rate=${med_rate[bullmq]} bullmq_redis_us=${med_us[bullmq]}"
for leg in "${legs[@]:1}"; do
  read -r cpu_ratio rate_ratio < <(awk -v tu="${med_us[$leg]}" -v bu="${med_us[bullmq]}" \
    -v tr="${med_rate[$leg]}" -v br="${med_rate[bullmq]}" 'BEGIN { printf "%.3f %.3f\n", tu / bu, tr / br }')
  printf '%s / BullMQ: Redis CPU per lifecycle %.2f, lifecycles/s %.2f\n' "$leg" "$cpu_ratio" \
    "$rate_ratio"
  result+=" ${leg}_rate=${med_rate[$leg]} ${leg}_redis_us=${med_us[$leg]}"
  result+=" ${leg}_cpu_ratio=$cpu_ratio ${leg}_rate_ratio=$rate_ratio"
done
# A compiler or another benchmark on the same cores moves every number here.
if ((max_others > 10)); then
  echo "warning: other processes used up to $max_others % of a core during a round: the numbers are tainted"
fi
echo "$result"
