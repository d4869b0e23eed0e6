#!/usr/bin/env bash
# What redis.wait_replicas costs: a primary (AOF everysec, min-replicas-to-write 1) and one
# replica on this machine, ticketd on the primary's unix socket, and loadgen's create -> next ->
# resolve cycles with wait_replicas 0 and 1 alternated ROUNDS times. Usage:
#
#   bench/run_replicated.sh [loadgen options, e.g. --connections 64 --duration 8]
#
# Environment: BUILD_DIR, TICKETD_BIN, ROUNDS (default 3), PRIMARY_PORT (17001), REPLICA_PORT
# (17002), TICKETD_PORT (18080). The replica shares the machine's cores with everything else:
# the figure is the cost of the extra round trip and of the replica's work, not of a network.
set -euo pipefail
# bench_env.sh for the binaries' paths and ready_status (this script starts its own Redis).
# shellcheck source=bench_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench_env.sh"
primary_port=${PRIMARY_PORT:-17001}
replica_port=${REPLICA_PORT:-17002}
ticketd_port=${TICKETD_PORT:-18080}
[[ -x $ticketd_bin && -x $loadgen_bin ]] || die "build ticketd and loadgen first"

tmp=$(mktemp -d /tmp/ticketd-replicated.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  redis-cli -p "$replica_port" shutdown nosave >/dev/null 2>&1 || true
  redis-cli -p "$primary_port" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/primary" "$tmp/replica"
common=(--bind 127.0.0.1 --appendonly yes --appendfsync everysec --save "" --daemonize yes)
redis-server --port "$primary_port" --unixsocket "$tmp/primary/redis.sock" --dir "$tmp/primary" \
  --logfile "$tmp/primary/log" --min-replicas-to-write 1 --min-replicas-max-lag 10 "${common[@]}"
redis-server --port "$replica_port" --dir "$tmp/replica" --logfile "$tmp/replica/log" \
  --replicaof 127.0.0.1 "$primary_port" "${common[@]}"
until redis-cli -p "$replica_port" INFO replication | grep -q master_link_status:up; do sleep 0.2; done

ready() { [[ $(ready_status 2>/dev/null) == 200 ]]; }

for ((round = 1; round <= ${ROUNDS:-3}; round++)); do
  for wait in 0 1; do
    redis-cli -s "$tmp/primary/redis.sock" FLUSHALL >/dev/null
    cat >"$tmp/ticketd.yaml" <<EOF
workspace: replicated
server: {listen: "127.0.0.1:$ticketd_port", threads: 2}
redis:
  url: unix://$tmp/primary/redis.sock
  wait_replicas: $wait
queues: {general: {mode: pull}}
defaults: {queue: general, priority: normal}
EOF
    "$ticketd_bin" --config "$tmp/ticketd.yaml" 2>"$tmp/ticketd.log" &
    pid=$!
    pids+=("$pid")
    until ready; do sleep 0.1; done
    echo "== round $round, wait_replicas: $wait"
    "$loadgen_bin" --port "$ticketd_port" "$@" 2>&1 | grep -E "cycles/s|^latency|^create|^next|^resolve"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
  done
done
