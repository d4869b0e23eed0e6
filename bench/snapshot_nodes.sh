#!/usr/bin/env bash
# snapshot_nodes.sh DIR OUT TICKETD_PID PORTS...: for each Redis node started by bench_node in
# DIR/PORT, a line "PORT user-ticks system-ticks commands-run used-memory-bytes" in OUT, then
# "ticketd user-ticks system-ticks 0 0" for TICKETD_PID. run_cluster.sh takes one before the
# measured cycles (loadgen's --before-measure, which runs it through sh) and one after.
set -euo pipefail
dir=$1 out=$2 daemon=$3
shift 3
: >"$out"
for port in "$@"; do
  pid=$(cat "$dir/$port/pid")
  calls=$(redis-cli -p "$port" info stats | awk -F: '/^total_commands_processed/ {print $2+0}')
  memory=$(redis-cli -p "$port" info memory | awk -F: '/^used_memory:/ {print $2+0}')
  echo "$port $(awk '{print $14, $15}' "/proc/$pid/stat") $calls $memory" >>"$out"
done
echo "ticketd $(awk '{print $14, $15}' "/proc/$daemon/stat") 0 0" >>"$out"
