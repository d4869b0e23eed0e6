#!/usr/bin/env bash
# Redis memory per waiting ticket: FLUSHALL (functions stay), read used_memory, create N tickets
# through the API (loadgen prefill: they wait in queue `general`), read used_memory again;
# report the difference per ticket with and without the events stream, plus the size of each
# key kind. Usage:
#
#   bench/run_memory.sh [N=100000] [loadgen options, e.g. --connections 32]
#
# Environment: see bench/bench_env.sh.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench_env.sh"

count=${1:-100000}
[[ $# -gt 0 ]] && shift
[[ $count =~ ^[1-9][0-9]*$ ]] || die "N must be a positive number, got '$count'"

bench_start

used_memory() { rcli INFO memory | info_field used_memory; }
key_bytes() { rcli MEMORY USAGE "$1" SAMPLES 0; }

rcli FLUSHALL >/dev/null
before=$(used_memory)
prefix=mem$(date +%s)
"$loadgen_bin" --host 127.0.0.1 --port "$ticketd_port" --scenario prefill --count "$count" \
  --prefix "$prefix" "$@"
after=$(used_memory)

p="ticketd:{$workspace}:"
events=$(key_bytes "${p}events")
depth=$(rcli ZCARD "${p}q:general")
echo
echo "== Redis memory over $count created tickets ($depth waiting in queue general)"
echo "used_memory before: $before bytes, after: $after bytes"
awk -v b="$before" -v a="$after" -v e="$events" -v n="$count" 'BEGIN {
  printf "per ticket, everything:            %7.1f bytes\n", (a - b) / n
  printf "per ticket, without events stream: %7.1f bytes (stream: %d bytes, %.1f per ticket)\n",
         (a - b - e) / n, e, e / n
}'
echo
echo "== by key (MEMORY USAGE ... SAMPLES 0)"
ticket_bytes=$(key_bytes "${p}t:${prefix}-q-0")
printf '%-48s %12s %10s\n' key bytes per_ticket
for k in "q:general" "qo:general" "qc:general" timers events; do
  b=$(key_bytes "$p$k")
  [[ -n $b ]] || b=0
  awk -v k="$p$k" -v b="$b" -v n="$count" 'BEGIN { printf "%-48s %12d %10.1f\n", k, b, b / n }'
done
awk -v k="${p}t:${prefix}-q-0 (one hash)" -v b="$ticket_bytes" \
  'BEGIN { printf "%-48s %12d %10.1f\n", k, b, b }'
echo "keys: $(rcli DBSIZE); ticket hash encoding: $(rcli OBJECT ENCODING "${p}t:${prefix}-q-0")," \
  "fields: $(rcli HLEN "${p}t:${prefix}-q-0")"
if [[ -n ${SHOW_TICKET:-} ]]; then
  rcli HGETALL "${p}t:${prefix}-q-0" | paste - -
  rcli ZRANGE "${p}timers" 0 1 WITHSCORES
  rcli ZRANGE "${p}q:general" 0 1 WITHSCORES
  rcli XRANGE "${p}events" - + COUNT 2
  rcli XINFO STREAM "${p}events"
fi
