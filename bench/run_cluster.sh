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
# Environment: BUILD_DIR, TICKETD_BIN, ROUNDS (default 3), WORKSPACES (default 30), SHARDS
# (default 3; 1: one cluster-mode node holding every slot), BASE_PORT (default 17100: the single
# node; the cluster's nodes are the next SHARDS ports, their cluster bus 10000 above),
# TICKETD_PORT (18080). Both set-ups run with AOF everysec, as in production.
set -euo pipefail
# bench_env.sh for the binaries' paths and ready_status (this script starts its own Redis).
# shellcheck source=bench_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench_env.sh"
base_port=${BASE_PORT:-17100}
ticketd_port=${TICKETD_PORT:-18080}
workspaces=${WORKSPACES:-30}
shards=${SHARDS:-3}
# REDIS_CPUS / CLIENT_CPUS: taskset CPU lists for every Redis node, and for ticketd and loadgen
# (e.g. 1 and 0: the nodes share one core, as one node has it alone; unset: no pinning).
redis_cpus=${REDIS_CPUS:-}
client_cpus=${CLIENT_CPUS:-}
[[ -x $ticketd_bin && -x $loadgen_bin ]] || die "build ticketd and loadgen first"

tmp=$(mktemp -d /tmp/ticketd-cluster.XXXXXX)
ticketd_pid=
cleanup() {
  [[ -n $ticketd_pid ]] && kill "$ticketd_pid" 2>/dev/null || true
  for ((i = 0; i <= shards; i++)); do
    redis-cli -p $((base_port + i)) shutdown nosave >/dev/null 2>&1 || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

# node PORT [redis-server args...]: a Redis node in its own directory, its pid in DIR/pid.
node() {
  local port=$1
  shift
  mkdir -p "$tmp/$port"
  ${redis_cpus:+taskset -c "$redis_cpus"} redis-server --port "$port" --bind 127.0.0.1 --dir "$tmp/$port" --logfile "$tmp/$port/log" \
    --pidfile "$tmp/$port/pid" --appendonly yes --appendfsync everysec --save "" \
    --daemonize yes "$@"
  until redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; do sleep 0.1; done
}
node "$base_port"
cluster_ports=()
for ((i = 1; i <= shards; i++)); do
  port=$((base_port + i))
  cluster_ports+=("$port")
  node "$port" --cluster-enabled yes --cluster-config-file "$tmp/$port/nodes.conf" \
    --cluster-node-timeout 5000
done
if ((shards == 1)); then
  # One shard (to tell cluster mode's own cost from that of spreading over processes).
  redis-cli -p "${cluster_ports[0]}" cluster addslotsrange 0 16383 >/dev/null
else
  redis-cli --cluster create "${cluster_ports[@]/#/127.0.0.1:}" --cluster-replicas 0 \
    --cluster-yes >"$tmp/create.log"
fi
for port in "${cluster_ports[@]}"; do
  until redis-cli -p "$port" cluster info | grep -q cluster_state:ok; do sleep 0.2; done
done

mkdir -p "$tmp/workspaces"
for ((w = 0; w < workspaces; w++)); do
  printf 'queues: {general: {mode: pull}}\ndefaults: {queue: general}\n' \
    >"$tmp/workspaces/ws-$w.yaml"
done

ready() { [[ $(ready_status 2>/dev/null) == 200 ]]; }

# snapshot.sh FILE TICKETD_PID PORTS...: per node "port user-ticks system-ticks commands-run
# used-memory", then
# ticketd's ticks (a script of its own: loadgen's --before-measure runs it through sh).
cat >"$tmp/snapshot.sh" <<'EOF'
#!/usr/bin/env bash
dir=$(dirname "$0") out=$1 daemon=$2
shift 2
: >"$out"
for port in "$@"; do
  pid=$(cat "$dir/$port/pid")
  calls=$(redis-cli -p "$port" info stats | awk -F: '/^total_commands_processed/ {print $2+0}')
  memory=$(redis-cli -p "$port" info memory | awk -F: '/^used_memory:/ {print $2+0}')
  echo "$port $(awk '{print $14, $15}' "/proc/$pid/stat") $calls $memory" >>"$out"
done
echo "ticketd $(awk '{print $14, $15}' "/proc/$daemon/stat") 0 0" >>"$out"
EOF
chmod +x "$tmp/snapshot.sh"

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
    cat >"$tmp/ticketd.yaml" <<EOF
workspace: hq
workspaces_dir: $tmp/workspaces
server: {listen: "127.0.0.1:$ticketd_port", threads: 2}
redis: {url: "$url"}
queues: {general: {mode: pull}}
defaults: {queue: general}
EOF
    ${client_cpus:+taskset -c "$client_cpus"} "$ticketd_bin" --config "$tmp/ticketd.yaml" \
      2>"$tmp/ticketd.log" &
    ticketd_pid=$!
    until ready; do sleep 0.1; done
    ${client_cpus:+taskset -c "$client_cpus"} "$loadgen_bin" --port "$ticketd_port" --workspaces "$workspaces" --connections 60 \
      --warmup 0 "$@" --before-measure "$tmp/snapshot.sh $tmp/before $ticketd_pid ${ports[*]}" \
      >"$tmp/loadgen.out" 2>&1
    "$tmp/snapshot.sh" "$tmp/after" "$ticketd_pid" "${ports[@]}"
    cycles=$(awk '/^cycles:/ {print $2}' "$tmp/loadgen.out")
    rate=$(awk '/^cycles:/ {print $8}' "$tmp/loadgen.out")
    errors=$(awk '/^errors:/ {print $2}' "$tmp/loadgen.out")
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
    kill "$ticketd_pid"
    wait "$ticketd_pid" 2>/dev/null || true
    ticketd_pid=
  done
done
