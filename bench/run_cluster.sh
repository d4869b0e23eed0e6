#!/usr/bin/env bash
# What Redis Cluster costs: 30 workspaces served by one ticketd, on one Redis node and then on
# a 3-primary cluster, alternated ROUNDS times in one sitting, loadgen's create -> next ->
# resolve cycles spread over the workspaces. This machine has 2 cores shared by everything, so
# the figures are costs, not a speed-up: Redis CPU per cycle (all nodes, and per shard),
# ticketd's CPU per Redis command, and the Redis memory a cycle leaves (a resolved ticket kept,
# with its events). Usage:
#
#   bench/run_cluster.sh [loadgen options, e.g. --connections 60 --duration 10]
#
# Environment: as bench_env.sh, plus ROUNDS (default 3), WORKSPACES (default 30), SHARDS
# (default 3; 1: one cluster-mode node holding every slot), BASE_PORT (default 17100: the single
# node; the cluster's nodes are the next SHARDS ports, their cluster bus 10000 above). REDIS_CPUS
# / CLIENT_CPUS: taskset CPU lists for every Redis node, and for ticketd and loadgen (e.g. 1 and
# 0: the nodes share one core, as one node has it alone; unset: no pinning). Both set-ups run
# with AOF everysec, as in production.
set -euo pipefail
# shellcheck source=bench_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench_env.sh"
base_port=${BASE_PORT:-17100}
workspaces=${WORKSPACES:-30}
shards=${SHARDS:-3}
client=${CLIENT_CPUS:+taskset -c $CLIENT_CPUS}
node_launcher=${REDIS_CPUS:+taskset -c $REDIS_CPUS}
bench_require

tmp=$(mktemp -d /tmp/ticketd-cluster.XXXXXX)
bench_extra_dirs+=("$tmp")
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

bench_node "$tmp/$base_port" "$base_port"
cluster_ports=()
for ((i = 1; i <= shards; i++)); do
  port=$((base_port + i))
  cluster_ports+=("$port")
  bench_node "$tmp/$port" "$port" --cluster-enabled yes \
    --cluster-config-file "$tmp/$port/nodes.conf" --cluster-node-timeout 5000
done
bench_cluster "${cluster_ports[@]}"

names=()
for ((w = 0; w < workspaces; w++)); do names+=("ws-$w"); done

hz=$(getconf CLK_TCK)
for ((round = 1; round <= ${ROUNDS:-3}; round++)); do
  for setup in one cluster; do
    if [[ $setup == one ]]; then
      ports=("$base_port")
      url="redis://127.0.0.1:$base_port"
    else
      ports=("${cluster_ports[@]}")
      url="redis+cluster://127.0.0.1:${cluster_ports[0]}"
    fi
    for port in "${ports[@]}"; do redis-cli -p "$port" flushall >/dev/null; done
    bench_workspaces_yaml "$tmp" "$url" "${names[@]}"
    ticketd_launcher=$client bench_ticketd_start "$tmp/ticketd.yaml" "$tmp"
    # shellcheck disable=SC2086 # $client may be empty or several words
    $client "$loadgen_bin" --port "$ticketd_port" --workspaces "$workspaces" --connections 60 \
      --warmup 0 "$@" --before-measure \
      "$bench_dir/snapshot_nodes.sh $tmp $tmp/before $ticketd_pid ${ports[*]}" \
      >"$tmp/loadgen.out" 2>&1 || { cat "$tmp/loadgen.out" >&2; die "loadgen failed"; }
    "$bench_dir/snapshot_nodes.sh" "$tmp" "$tmp/after" "$ticketd_pid" "${ports[@]}"
    bench_ticketd_stop
    cycles=$(awk '/^cycles:/ {print $2}' "$tmp/loadgen.out")
    rate=$(awk '/^cycles:/ {print $8}' "$tmp/loadgen.out")
    errors=$(awk '/^errors:/ {print $2}' "$tmp/loadgen.out")
    ((${cycles:-0} > 0)) || { cat "$tmp/loadgen.out" >&2; die "no cycle was measured"; }
    echo "== round $round, $setup (${#ports[@]} node(s)): $rate cycles/s, $cycles cycles, $errors errors"
    paste "$tmp/before" "$tmp/after" | awk -v hz="$hz" -v cycles="$cycles" '
      function us(ticks) { return ticks / hz * 1e6 / cycles }
      $1 == "ticketd" { daemon = $7 + $8 - $2 - $3; next }
      { user = $7 - $2; sys = $8 - $3; calls = $9 - $4; total += user + sys; all_calls += calls
        memory += $10 - $5
        printf "   node %s: Redis CPU %.1f us/cycle (user %.1f, system %.1f), %.1f commands/cycle\n",
          $1, us(user + sys), us(user), us(sys), calls / cycles }
      END {
        printf "   Redis CPU, all nodes: %.1f us/cycle; ticketd: %.1f us/cycle, %.2f us per Redis command; Redis memory +%.0f B/cycle\n",
          us(total), us(daemon), daemon / hz * 1e6 / all_calls, memory / cycles }'
  done
done
