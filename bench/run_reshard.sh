#!/usr/bin/env bash
# How long a workspace pauses while its Redis Cluster slot moves: a 3-primary cluster, one
# workspace filled with N tickets through ticketd, then its slot moved to another primary by
# `redis-cli --cluster reshard --cluster-slots 1 --cluster-pipeline PIPELINE`, timed, for each
# PIPELINE given (the slot goes back and forth). The workspace's name is picked so that its slot
# is slot 0, the first of its primary, which is the one a one-slot reshard moves. While the slot
# migrates, ticketd answers that workspace's calls 503 (operations.md, "Redis Cluster").
# Usage:
#
#   bench/run_reshard.sh [N=100000] [PIPELINE... default: 10 100]
#
# Environment: BUILD_DIR, TICKETD_BIN, BASE_PORT (17200: the nodes are the next three, their
# cluster bus 10000 above), TICKETD_PORT (18081).
set -euo pipefail
# bench_env.sh for the binaries' paths and ready_status (this script starts its own Redis).
# shellcheck source=bench_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench_env.sh"
base_port=${BASE_PORT:-17200}
ticketd_port=${TICKETD_PORT:-18081}
tickets=${1:-100000}
shift || true
pipelines=("$@")
((${#pipelines[@]} > 0)) || pipelines=(10 100)
[[ -x $ticketd_bin && -x $loadgen_bin ]] || die "build ticketd and loadgen first"

tmp=$(mktemp -d /tmp/ticketd-reshard.XXXXXX)
ticketd_pid=
ports=($((base_port + 1)) $((base_port + 2)) $((base_port + 3)))
cleanup() {
  [[ -n $ticketd_pid ]] && kill "$ticketd_pid" 2>/dev/null || true
  for port in "${ports[@]}"; do redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

for port in "${ports[@]}"; do
  mkdir -p "$tmp/$port"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$tmp/$port" --logfile "$tmp/$port/log" \
    --appendonly yes --appendfsync everysec --save "" --daemonize yes --cluster-enabled yes \
    --cluster-config-file "$tmp/$port/nodes.conf" --cluster-node-timeout 5000
  until redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; do sleep 0.1; done
done
redis-cli --cluster create "${ports[@]/#/127.0.0.1:}" --cluster-replicas 0 --cluster-yes \
  >"$tmp/create.log"
for port in "${ports[@]}"; do
  until redis-cli -p "$port" cluster info | grep -q cluster_state:ok; do sleep 0.2; done
done

# A name whose hash tag is in slot 0 (CRC16/XMODEM, as Redis hashes keys).
prefix=$(python3 - <<'PY'
def crc16(data):
    crc = 0
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc
k = 0
while crc16(f"r{k}-0".encode()) % 16384 != 0:
    k += 1
print(f"r{k}-")
PY
)
workspace=${prefix}0
mkdir -p "$tmp/workspaces"
printf 'queues: {general: {mode: pull}}\ndefaults: {queue: general}\n' \
  >"$tmp/workspaces/$workspace.yaml"
cat >"$tmp/ticketd.yaml" <<EOF
workspace: hq
workspaces_dir: $tmp/workspaces
server: {listen: "127.0.0.1:$ticketd_port", threads: 2}
redis: {url: "redis+cluster://127.0.0.1:${ports[0]}"}
queues: {general: {mode: pull}}
defaults: {queue: general}
EOF
"$ticketd_bin" --config "$tmp/ticketd.yaml" 2>"$tmp/ticketd.log" &
ticketd_pid=$!
ready() { [[ $(ready_status 2>/dev/null) == 200 ]]; }
until ready; do sleep 0.1; done
"$loadgen_bin" --port "$ticketd_port" --scenario prefill --workspaces 1 \
  --workspace-prefix "$prefix" --count "$tickets" --connections 32 >"$tmp/prefill.out" ||
  { cat "$tmp/prefill.out" >&2; exit 1; }
grep -E "^prefill: [0-9]" "$tmp/prefill.out"

slot=$(redis-cli -p "${ports[0]}" cluster keyslot "ticketd:{$workspace}:")
[[ $slot == 0 ]] || { echo "workspace $workspace is in slot $slot, not 0" >&2; exit 1; }
# The port of the primary serving slot 0 (its own CLUSTER NODES line lists 0 or 0-N among its
# slots, from the 9th field on).
owner() {
  local port
  for port in "${ports[@]}"; do
    if redis-cli -p "$port" cluster nodes |
      awk '/myself/ { for (i = 9; i <= NF; i++) if ($i ~ /^0(-[0-9]+)?$/) found = 1 }
        END { exit !found }'; then
      echo "$port"
      return
    fi
  done
}
id_of() { redis-cli -p "$1" cluster myid; }

for pipeline in "${pipelines[@]}"; do
  from=$(owner)
  for to in "${ports[@]}"; do [[ $to != "$from" ]] && break; done
  keys=$(redis-cli -p "$from" cluster countkeysinslot "$slot")
  start=$(date +%s%N)
  redis-cli --cluster reshard "127.0.0.1:$from" --cluster-from "$(id_of "$from")" \
    --cluster-to "$(id_of "$to")" --cluster-slots 1 --cluster-yes \
    --cluster-pipeline "$pipeline" >"$tmp/reshard.log" 2>&1
  end=$(date +%s%N)
  [[ $(owner) == "$to" ]] || { cat "$tmp/reshard.log" >&2; echo "slot 0 did not move" >&2; exit 1; }
  awk -v k="$keys" -v ns=$((end - start)) -v p="$pipeline" -v f="$from" -v t="$to" 'BEGIN {
    printf "slot 0 moved %s -> %s, %d keys, %d keys a step: %.2f s (%.0f keys/s)\n",
      f, t, k, p, ns / 1e9, k / (ns / 1e9) }'
done
