#!/usr/bin/env bash
# What redis.wait_replicas costs: a primary (AOF everysec, min-replicas-to-write 1) and one
# replica on this machine, ticketd on the primary's unix socket, and loadgen's create -> next ->
# resolve cycles with wait_replicas 0 and 1 alternated ROUNDS times. Usage:
#
#   bench/run_replicated.sh [loadgen options, e.g. --connections 64 --duration 8]
#
# Environment: as bench_env.sh, plus ROUNDS (default 3), PRIMARY_PORT (17001), REPLICA_PORT
# (17002). The replica shares the machine's cores with everything else: the figure is the cost
# of the extra round trip and of the replica's work, not of a network.
set -euo pipefail
# shellcheck source=bench_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench_env.sh"
primary_port=${PRIMARY_PORT:-17001}
replica_port=${REPLICA_PORT:-17002}
bench_require

tmp=$(mktemp -d /tmp/ticketd-replicated.XXXXXX)
bench_extra_dirs+=("$tmp")
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
bench_node "$tmp/primary" "$primary_port" --unixsocket "$tmp/primary/redis.sock" \
  --min-replicas-to-write 1 --min-replicas-max-lag 10
bench_node "$tmp/replica" "$replica_port" --replicaof 127.0.0.1 "$primary_port"
bench_wait 30 "the replica did not reach its primary" \
  eval "redis-cli -p $replica_port INFO replication | grep -q master_link_status:up"

for ((round = 1; round <= ${ROUNDS:-3}; round++)); do
  for wait in 0 1; do
    redis-cli -s "$tmp/primary/redis.sock" FLUSHALL >/dev/null
    cat >"$tmp/ticketd.yaml" <<YAML
workspace: replicated
server: {listen: "127.0.0.1:0", threads: 2, state_dir: $tmp/state}
redis:
  url: unix://$tmp/primary/redis.sock
  wait_replicas: $wait
queues: {general: {mode: pull}}
defaults: {queue: general, priority: normal}
YAML
    bench_ticketd_start "$tmp/ticketd.yaml" "$tmp"
    echo "== round $round, wait_replicas: $wait"
    "$loadgen_bin" --port "$ticketd_port" "$@" >"$tmp/loadgen.out" 2>&1 ||
      { cat "$tmp/loadgen.out" >&2; die "loadgen failed"; }
    grep -E "cycles/s|^latency|^create|^next|^resolve|^errors" "$tmp/loadgen.out"
    bench_ticketd_stop
  done
done
