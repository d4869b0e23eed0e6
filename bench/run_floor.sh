#!/usr/bin/env bash
# The floor under ticketd's cycle, in Redis instructions (callgrind): bench/floor.lua's two bare
# models of create -> next -> resolve, the ticket as a hash (read back with HGETALL, as
# ticketd reads it) and as one string value (answered by the call), on a Redis started as
# bench_env.sh starts it (AOF everysec). What separates ticketd's cycle (run_redis_cost.sh)
# from these is what its design adds; what separates the two models is what the ticket's
# storage costs. See bench/README.md.
#
#   bench/run_floor.sh            # [N=3000] cycles per model, 8 tickets in flight
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench_env.sh"

n=${1:-3000}
[[ $n =~ ^[1-9][0-9]*$ ]] || die "N must be a positive number, got '$n'"
command -v "$redis_server" >/dev/null || die "no $redis_server on PATH"
command -v redis-cli >/dev/null || die "no redis-cli on PATH (apt-get install redis-tools)"
require_callgrind

bench_tmp=$(mktemp -d /tmp/ticketd-bench.XXXXXX)
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
under_callgrind() {
  exec valgrind --tool=callgrind --callgrind-out-file="$bench_tmp/callgrind.%p" "$@"
}
redis_launcher=under_callgrind
bench_redis_start
rcli -x FUNCTION LOAD REPLACE <"$bench_dir/floor.lua" >/dev/null

# The RESP of cycles [$2, $2 + $3) of model $1, 8 at a time: 8 creates, 8 nexts, 8 resolves, with
# the read-backs of the hash model.
cycles() {
  awk -v model="$1" -v from="$2" -v count="$3" '
    function cmd(n, a,   i, s) {
      s = "*" n "\r\n"
      for (i = 1; i <= n; i++) s = s "$" length(a[i]) "\r\n" a[i] "\r\n"
      printf "%s", s
    }
    BEGIN {
      P = "floor:{" model "}:"; now = 1796000000000
      for (b = from; b < from + count; b += 8) {
        last = b + 8; if (last > from + count) last = from + count
        for (i = b; i < last; i++) {
          split("", a); a[1] = "FCALL"; a[2] = model "_create"; a[3] = 1; a[4] = P
          a[5] = now + i; a[6] = "T-" i; a[7] = (now + i) * 1000; a[8] = now + 28800000
          if (model == "h") {
            a[9] = now + 86400000; a[10] = "4f2a9c7e1b3d5a60"; cmd(10, a)
          } else {
            a[9] = "queued|1||" (now + i) "|" (now + 28800000) "|" (now + 86400000) \
                   "|q=general,p=normal,r=" ((now + i) * 1000) ",ca=" (now + i) ",qa=" (now + i) \
                   ",fp=4f2a9c7e1b3d5a60,ch=email"
            cmd(9, a)
          }
        }
        for (i = b; i < last; i++) {
          split("", a); a[1] = "FCALL"; a[2] = model "_next"; a[3] = 1; a[4] = P
          a[5] = now + i; a[6] = "agent-" (i % 8); cmd(6, a)
          if (model == "h") { split("", a); a[1] = "HGETALL"; a[2] = P "t:T-" i; cmd(2, a) }
        }
        for (i = b; i < last; i++) {
          split("", a); a[1] = "FCALL"; a[2] = model "_resolve"; a[3] = 1; a[4] = P
          a[5] = now + i; a[6] = "T-" i; a[7] = now + 604800000; cmd(7, a)
          if (model == "h") { split("", a); a[1] = "HGETALL"; a[2] = P "t:T-" i; cmd(2, a) }
        }
      }
    }'
}

# Sends stdin through redis-cli --pipe; fails on any error reply.
pipe() {
  local out
  out=$(rcli --pipe 2>&1)
  grep -q 'errors: 0,' <<<"$out" || die "a call failed: $out"
}

echo "== Redis instructions per cycle ($n cycles per model, callgrind, 8 tickets in flight)"
printf '%-7s %10s %10s %10s %10s\n' model redis fcall aof hgetall
for model in h p; do
  cycles "$model" 0 200 | pipe  # warm up: keys, listpacks and the allocator settle
  callgrind_control -z "$redis_pid" >/dev/null 2>&1
  cycles "$model" 200 "$n" | pipe
  callgrind_dump "$redis_pid" "$bench_tmp/$model.cg"
  read -r total fcall aof hgetall < <(callgrind_annotate --inclusive=yes --threshold=100 \
    "$bench_tmp/$model.cg" 2>/dev/null | awk '
      { count = $1; gsub(",", "", count) }
      /PROGRAM TOTALS/ { t = count }
      / \?\?\?:fcallCommand / { f = count }
      / \?\?\?:propagatePendingCommands / { a = count }
      / \?\?\?:hgetallCommand / { h = count }
      END { print t + 0, f + 0, a + 0, h + 0 }')
  printf '%-7s %10.0f %10.0f %10.0f %10.0f\n' "$model" "$((total / n))" "$((fcall / n))" \
    "$((aof / n))" "$((hgetall / n))"
done
echo "(h: the ticket as a hash, read back with HGETALL; p: the ticket as one string value;"
echo " fcall: the functions with the commands they call; aof: writing their effects to the AOF"
echo " buffer; redis: everything Redis ran, networking included)"
keep_callgrind_dumps
