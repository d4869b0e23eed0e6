#!/usr/bin/env bash
# Load test of the built ticketd against a private Redis persisting with AOF, appendfsync
# everysec (the embedded server's arguments but for its `always`:
# REDIS_EXTRA_ARGS='--appendfsync always' runs it as the embedded server does), then Redis CPU
# per cycle (INFO commandstats, INFO cpu), daemon CPU per cycle and Redis memory. Usage:
#
#   bench/run_load.sh [loadgen options]        e.g. --duration 20 --connections 64
#   bench/run_load.sh --rate 5000 --duration 20
#   bench/run_load.sh --queue-depth 1000000 --duration 20
#   bench/run_load.sh --scenario prefill --count 100000
#
# --host/--port are filled in. Counters are snapshotted after loadgen's setup and prefill (its
# --before-measure hook), so they cover the cycles only (warmup included; divided by all of them).
# Environment: see bench/bench_env.sh, plus TOP_INTERVAL=N for a `top` snapshot of ticketd,
# redis-server and loadgen every N seconds during the run, and SETTLE_AOF=1 to rewrite the AOF
# (and wait for it) after the prefill, before the measured cycles.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench_env.sh"

bench_start

# Counter snapshots, as a script file so loadgen's hook (run through /bin/sh) can call it.
cat >"$bench_tmp/snapshot.sh" <<'EOF'
#!/usr/bin/env bash
# snapshot.sh before|after TMPDIR TICKETD_PID
set -eu
label=$1 tmp=$2 pid=$3
cli() { redis-cli -s "$tmp/redis.sock" "$@"; }
if [[ $label == before && ${SETTLE_AOF:-0} == 1 ]]; then
  # Measure from a freshly rewritten AOF: a rewrite the prefill triggered (the AOF passed the
  # embedded default's 1 GiB) would otherwise fork and copy pages inside the measured window.
  cli BGREWRITEAOF >/dev/null 2>&1 || true
  for _ in $(seq 6000); do
    p=$(cli INFO persistence)
    [[ $p == *aof_rewrite_in_progress:0* && $p == *aof_rewrite_scheduled:0* ]] && break
    sleep 0.1
  done
fi
if [[ $label == before ]]; then cli CONFIG RESETSTAT >/dev/null; fi
cli INFO commandstats >"$tmp/commandstats.$label"
cli INFO cpu >"$tmp/cpu.$label"
cli INFO persistence >"$tmp/persistence.$label"
awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f\n", ($14 + $15) / hz }' "/proc/$pid/stat" \
  >"$tmp/ticketd_cpu.$label"
head -n 1 /proc/stat >"$tmp/stat.$label"
date +%s.%N >"$tmp/time.$label"
EOF
chmod +x "$bench_tmp/snapshot.sh"
snapshot() { "$bench_tmp/snapshot.sh" "$1" "$bench_tmp" "$ticketd_pid"; }

snapshot before  # the prefill scenario has no hook: its counters start here
# Created before tail opens it: the background loadgen's redirection may come too late.
: >"$bench_tmp/loadgen.out"
"$loadgen_bin" --host 127.0.0.1 --port "$ticketd_port" \
  --before-measure "$bench_tmp/snapshot.sh before $bench_tmp $ticketd_pid" \
  "$@" >"$bench_tmp/loadgen.out" 2>&1 &
loadgen_pid=$!
bench_pids+=("$loadgen_pid")
tail -n +1 -f --pid="$loadgen_pid" "$bench_tmp/loadgen.out" &
tail_pid=$!

top_pid=
if [[ ${TOP_INTERVAL:-0} != 0 ]]; then
  (
    while kill -0 "$loadgen_pid" 2>/dev/null; do
      sleep "$TOP_INTERVAL"
      # The second frame: top's first one averages since the process started.
      ts=$(date +%T)
      top -b -n 2 -d 1 -p "$ticketd_pid,$redis_pid,$loadgen_pid" 2>/dev/null |
        awk -v ts="$ts" '/^top -/ { frame++ } frame == 2 && /^ *[0-9]+ / { print ts, $0 }'
    done
  ) >"$bench_tmp/top.log" &
  top_pid=$!
  bench_pids+=("$top_pid")
fi

rc=0
wait "$loadgen_pid" || rc=$?
wait "$tail_pid" 2>/dev/null || true
if [[ -n $top_pid ]]; then
  kill "$top_pid" 2>/dev/null || true
  wait "$top_pid" 2>/dev/null || true
fi
bench_pids=("$redis_pid" "$ticketd_pid")  # the others have exited and been reaped
snapshot after

result=$(grep '^RESULT' "$bench_tmp/loadgen.out" || true)
units=$(sed -n 's/.*cycles_total=\([0-9]*\).*/\1/p' <<<"$result")
unit_name=cycle
if [[ -z $units || $units == 0 ]]; then
  units=$(sed -n 's/^prefill: \([0-9]*\) of.*/\1/p' "$bench_tmp/loadgen.out" | tail -n 1)
  unit_name=create
fi
[[ -n $units && $units != 0 ]] || { echo "no completed cycles or creates; see above" >&2; exit "$((rc == 0 ? 1 : rc))"; }

echo
echo "== Redis INFO commandstats over the measured phase ($units ${unit_name}s, warmup included)"
tr -d '\r' <"$bench_tmp/commandstats.after" |
  awk -F'[:,=]' -v n="$units" -v unit="$unit_name" '
    /^cmdstat_/ {
      name = substr($1, 9); calls = $3; usec = $5
      rows[name] = sprintf("%-22s %12d %14d %10.2f %12.2f %10.3f", name, calls, usec,
                           calls ? usec / calls : 0, usec / n, calls / n)
      total += usec; order[++k] = name; us[name] = usec
    }
    END {
      printf "%-22s %12s %14s %10s %12s %10s\n", "command", "calls", "usec", "usec/call",
             "usec/" unit, "calls/" unit
      # Most expensive first.
      for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++)
        if (us[order[j]] > us[order[i]]) { t = order[i]; order[i] = order[j]; order[j] = t }
      for (i = 1; i <= k; i++) print rows[order[i]]
      printf "%-22s %12s %14d %10s %12.2f\n", "sum of all rows", "", total, "", total / n
      fc = us["fcall"] + us["fcall_ro"]
      printf "%-22s %12s %14d %10s %12.2f\n", "fcall + fcall_ro", "", fc, "", fc / n
      print "(Redis counts a command a function calls in its own row AND inside the fcall row:"
      print " the sum of all rows counts that time twice; fcall + fcall_ro is the time of the"
      print " functions with everything they call; the other rows are shares of it.)"
      printf "REDIS_USEC_PER_%s sum_all=%.2f fcall=%.2f\n", toupper(unit), total / n, fc / n
    }'

cpu_delta() {  # field
  local a b
  a=$(info_field "$1" <"$bench_tmp/cpu.before")
  b=$(info_field "$1" <"$bench_tmp/cpu.after")
  awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b - a }'
}
wall=$(awk -v a="$(cat "$bench_tmp/time.before")" -v b="$(cat "$bench_tmp/time.after")" \
  'BEGIN { printf "%.2f", b - a }')
user=$(cpu_delta used_cpu_user)
sys=$(cpu_delta used_cpu_sys)
main_user=$(cpu_delta used_cpu_user_main_thread)
main_sys=$(cpu_delta used_cpu_sys_main_thread)
children=$(awk -v a="$(cpu_delta used_cpu_user_children)" -v b="$(cpu_delta used_cpu_sys_children)" \
  'BEGIN { printf "%.2f", a + b }')
rewrites=$(awk -v a="$(info_field aof_rewrites <"$bench_tmp/persistence.before")" \
  -v b="$(info_field aof_rewrites <"$bench_tmp/persistence.after")" 'BEGIN { print b - a }')
td=$(awk -v a="$(cat "$bench_tmp/ticketd_cpu.before")" -v b="$(cat "$bench_tmp/ticketd_cpu.after")" \
  'BEGIN { printf "%.2f", b - a }')
echo
echo "== CPU over the measured phase (${wall} s wall)"
awk -v u="$user" -v s="$sys" -v mu="$main_user" -v ms="$main_sys" -v td="$td" -v n="$units" \
  -v w="$wall" -v unit="$unit_name" -v ch="$children" -v rw="$rewrites" \
  -v rip="$(info_field aof_rewrite_in_progress <"$bench_tmp/persistence.before")" 'BEGIN {
    printf "redis INFO cpu:  user %.2f s + sys %.2f s = %.2f s (%.0f %% of a core), %.1f us/%s\n",
           u, s, u + s, 100 * (u + s) / w, 1e6 * (u + s) / n, unit
    printf "  main thread:   user %.2f s + sys %.2f s, %.1f us/%s\n", mu, ms, 1e6 * (mu + ms) / n, unit
    printf "  children:      %.2f s in %d AOF rewrites (not counted above), %.1f us/%s%s\n", ch, rw,
           1e6 * ch / n, unit, rip == 1 ? "; one was in progress at the start" : ""
    printf "ticketd:         %.2f s (%.0f %% of a core), %.1f us/%s\n", td, 100 * td / w,
           1e6 * td / n, unit
  }'

# The whole machine, to tell interference from other processes.
lg_cpu=$(sed -n 's/^loadgen cpu: \([0-9.]*\) s.*/\1/p' "$bench_tmp/loadgen.out")
cat "$bench_tmp/stat.before" "$bench_tmp/stat.after" |
  awk -v hz="$(getconf CLK_TCK)" -v w="$wall" -v cores="$(nproc)" -v r="$(awk -v u="$user" -v s="$sys" \
    -v c="$children" 'BEGIN { print u + s + c }')" -v td="$td" -v lg="${lg_cpu:-0}" '
    { busy[NR] = $2 + $3 + $4 + $7 + $8; }  # user nice system irq softirq
    END {
      b = (busy[2] - busy[1]) / hz
      printf "machine (%d cores): %.2f s busy = %.0f %% of one core; redis + ticketd + loadgen: %.2f s;", \
             cores, b, 100 * b / w, r + td + lg
      printf " other processes: about %.0f %% of one core\n", 100 * (b - r - td - lg) / w
    }'

echo
echo "== Redis memory"
rcli INFO memory | tr -d '\r' | grep -E '^(used_memory|used_memory_human|used_memory_dataset|mem_fragmentation_ratio):'
echo "keys: $(rcli DBSIZE)  events stream: $(rcli XLEN "ticketd:{$workspace}:events") entries," \
  "$(rcli MEMORY USAGE "ticketd:{$workspace}:events" SAMPLES 0) bytes"

if [[ -s $bench_tmp/top.log ]]; then
  echo
  echo "== top snapshots (time PID USER PR NI VIRT RES SHR S %CPU %MEM TIME+ COMMAND)"
  cat "$bench_tmp/top.log"
fi
exit "$rc"
