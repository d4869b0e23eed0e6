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

bench_tmp_start
under_callgrind() {
  exec valgrind --tool=callgrind --callgrind-out-file="$bench_tmp/callgrind.%p" "$@"
}
redis_launcher=under_callgrind
bench_redis_start
rcli -x FUNCTION LOAD REPLACE <"$bench_dir/floor.lua" >/dev/null

# The RESP of cycles [$2, $2 + $3) of model $1, 8 at a time: 8 creates, 8 nexts, 8 resolves, with
# the read-backs of the hash model. Model m sends each step's writes itself in MULTI/EXEC.
cycles() {
  awk -v model="$1" -v from="$2" -v count="$3" '
    function cmd(n, a,   i, s) {
      s = "*" n "\r\n"
      for (i = 1; i <= n; i++) s = s "$" length(a[i]) "\r\n" a[i] "\r\n"
      printf "%s", s
    }
    # Sends the words of `line` (split on spaces) as one command.
    function send(line,   a, n) { n = split(line, a, " "); cmd(n, a) }
    # As ticketd writes an event: one field named by the type (routing/lua/include/events.lua).
    function event(type, id, name, value,   a) {
      a[1] = "XADD"; a[2] = P "events"; a[3] = "*"; a[4] = type
      a[5] = id "\037" t "\037" name "\037" value
      cmd(5, a)
    }
    BEGIN {
      P = "floor:{" model "}:"; now = 1796000000000; d1 = now + 28800000; d3 = now + 86400000
      for (b = from; b < from + count; b += 8) {
        last = b + 8; if (last > from + count) last = from + count
        for (i = b; i < last; i++) {
          t = now + i; id = "T-" i
          if (model == "m") {
            send("MULTI")
            send("HSET " P "t:" id " s queued q general p normal r " t * 1000 " v 1 qa " t \
                 " d1 " d1 " d3 " d3 " fp 4f2a9c7e1b3d5a60 ch email")
            send("ZADD " P "timers " d1 " s|" id)
            send("ZADD " P "q:general " t * 1000 " " id)
            event("ticket.queued", id, "queue", "general")
            send("EXEC")
          } else if (model == "h") {
            send("FCALL h_create 1 " P " " t " " id " " t * 1000 " " d1 " " d3 " 4f2a9c7e1b3d5a60")
          } else {
            send("FCALL p_create 1 " P " " t " " id " " t * 1000 " " d1 " queued|1||" t "|" d1 \
                 "|" d3 "|q=general,p=normal,r=" t * 1000 ",qa=" t \
                 ",fp=4f2a9c7e1b3d5a60,ch=email")
          }
        }
        for (i = b; i < last; i++) {
          t = now + i; id = "T-" i; agent = "agent-" (i % 8)
          if (model == "m") {
            send("MULTI")
            send("ZREM " P "q:general " id)
            send("HSET " P "a:" agent " l " ++load[agent])
            send("HSET " P "t:" id " s assigned v 2 ua " t " la " agent)
            send("SADD " P "h:" agent " " id)
            event("ticket.assigned", id, "agent", agent)
            send("EXEC")
          } else {
            send("FCALL " model "_next 1 " P " " t " " agent)
            if (model == "h") send("HGETALL " P "t:" id)
          }
        }
        for (i = b; i < last; i++) {
          t = now + i; id = "T-" i; agent = "agent-" (i % 8)
          if (model == "m") {
            send("MULTI")
            send("SREM " P "h:" agent " " id)
            send("HSET " P "a:" agent " l " --load[agent])
            send("ZREM " P "timers s|" id)
            send("ZADD " P "timers " now + 604800000 " l|" id)
            send("HDEL " P "t:" id " d1")
            send("HSET " P "t:" id " s resolved v 3 ua " t " rz " t " lk close p3 " d3 " ps " t)
            event("ticket.resolved", id, "agent", agent)
            send("EXEC")
          } else {
            send("FCALL " model "_resolve 1 " P " " t " " id " " now + 604800000)
            if (model == "h") send("HGETALL " P "t:" id)
          }
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
printf '%-7s %10s %10s %10s %10s\n' model redis calls aof hgetall
for model in h p m; do
  cycles "$model" 0 200 | pipe  # warm up: keys, listpacks and the allocator settle
  callgrind_control -z "$redis_pid" >/dev/null 2>&1
  cycles "$model" 200 "$n" | pipe
  callgrind_dump "$redis_pid" "$bench_tmp/$model.cg"
  read -r total calls aof hgetall < <(callgrind_annotate --inclusive=yes --threshold=100 \
    "$bench_tmp/$model.cg" 2>/dev/null | awk '
      { count = $1; gsub(",", "", count) }
      /PROGRAM TOTALS/ { t = count }
      / \?\?\?:(fcallCommand|execCommand) / { c = count }
      / \?\?\?:propagatePendingCommands / { a = count }
      / \?\?\?:hgetallCommand / { h = count }
      END { print t + 0, c + 0, a + 0, h + 0 }')
  printf '%-7s %10.0f %10.0f %10.0f %10.0f\n' "$model" "$((total / n))" "$((calls / n))" \
    "$((aof / n))" "$((hgetall / n))"
done
echo "(h: the ticket as a hash, read back with HGETALL; p: the ticket as one string value;"
echo " m: the hash model's writes sent by the caller in MULTI/EXEC, no function, nothing read:"
echo " what a daemon that holds the state and writes it through costs Redis;"
echo " calls: the functions (h, p) or the transactions (m) with the commands they run; aof:"
echo " writing their effects to the AOF buffer; redis: everything Redis ran, networking included)"
keep_callgrind_dumps
