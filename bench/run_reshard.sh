#!/usr/bin/env bash
# How long a workspace pauses while its Redis Cluster slot moves: a 3-primary cluster, one
# workspace filled with N tickets through ticketd, then its slot moved to another primary by
# `redis-cli --cluster reshard --cluster-slots 1 --cluster-pipeline PIPELINE`, timed, for each
# PIPELINE given (the slot goes back and forth). The workspace's name, r442-0, hashes to slot 0,
# the first of its primary, which is the one a one-slot reshard moves. While the slot migrates,
# ticketd answers that workspace's calls 503 (operations.md, "Redis Cluster"). Usage:
#
#   bench/run_reshard.sh [N=100000] [PIPELINE... default: 10 100]
#
# Environment: as bench_env.sh, plus BASE_PORT (17200: the nodes are the next three, their
# cluster bus 10000 above).
set -euo pipefail
# shellcheck source=bench_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench_env.sh"
base_port=${BASE_PORT:-17200}
tickets=${1:-100000}
shift || true
pipelines=("$@")
((${#pipelines[@]} > 0)) || pipelines=(10 100)
bench_require

tmp=$(mktemp -d /tmp/ticketd-reshard.XXXXXX)
bench_extra_dirs+=("$tmp")
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

ports=($((base_port + 1)) $((base_port + 2)) $((base_port + 3)))
for port in "${ports[@]}"; do
  bench_node "$tmp/$port" "$port" --cluster-enabled yes \
    --cluster-config-file "$tmp/$port/nodes.conf" --cluster-node-timeout 5000
done
bench_cluster "${ports[@]}"

prefix=r442-
workspace=${prefix}0
bench_workspaces_yaml "$tmp" "redis+cluster://127.0.0.1:${ports[0]}" "$workspace"
bench_ticketd_start "$tmp/ticketd.yaml" "$tmp"
"$loadgen_bin" --port "$ticketd_port" --scenario prefill --workspaces 1 \
  --workspace-prefix "$prefix" --count "$tickets" --connections 32 >"$tmp/prefill.out" ||
  { cat "$tmp/prefill.out" >&2; die "the prefill failed"; }
grep -E "^prefill: [0-9]" "$tmp/prefill.out"

slot=$(redis-cli -p "${ports[0]}" cluster keyslot "ticketd:{$workspace}:")
[[ $slot == 0 ]] || die "workspace $workspace is in slot $slot, not 0"
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
  [[ $(owner) == "$to" ]] || { cat "$tmp/reshard.log" >&2; die "slot 0 did not move"; }
  awk -v k="$keys" -v ns=$((end - start)) -v p="$pipeline" -v f="$from" -v t="$to" 'BEGIN {
    printf "slot 0 moved %s -> %s, %d keys, %d keys a step: %.2f s (%.0f keys/s)\n",
      f, t, k, p, ns / 1e9, k / (ns / 1e9) }'
done
