#!/usr/bin/env bash
# Purging a workspace no longer served (DELETE /v1/admin/workspaces/NAME, ticketctl
# purge-workspace): N keys of workspace `old` (hashes of 8 fields, written by a script 10,000 at
# a time, beside 1,000 of a served workspace), then the purge through the API, timed; Redis's slow log (every command
# over SLOWER_THAN_US, default 1000 us) says the longest any one step held Redis. Usage:
#
#   bench/run_purge.sh [N=1000000]
#
# Environment: see bench/bench_env.sh.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench_env.sh"

count=${1:-1000000}
[[ $count =~ ^[1-9][0-9]*$ ]] || die "N must be a positive number, got '$count'"
command -v curl >/dev/null || die "no curl on PATH (apt-get install curl)"
workspaces_dir=$(mktemp -d /tmp/ticketd-workspaces.XXXXXX)
bench_extra_dirs+=("$workspaces_dir")
trap bench_cleanup EXIT
echo "{}" >"$workspaces_dir/kept.yaml"
BENCH_EXTRA_YAML="workspaces_dir: $workspaces_dir"
bench_start

# KEYS, FROM, TO: hashes PREFIX..i for i in [FROM, TO).
fill='for i = tonumber(ARGV[2]), tonumber(ARGV[3]) - 1 do
  redis.call("HSET", ARGV[1] .. i, "s", "queued", "q", "general", "p", "normal", "v", "1",
             "c", "1795424400000", "u", "1795424400000", "w", "1795424400000", "r", "x")
end'
for ((from = 0; from < count; from += 10000)); do
  to=$((from + 10000 < count ? from + 10000 : count))
  rcli EVAL "$fill" 0 "ticketd:{old}:t:" "$from" "$to" >/dev/null
done
rcli EVAL "$fill" 0 "ticketd:{kept}:t:" 0 1000 >/dev/null
rcli CONFIG SET slowlog-log-slower-than "${SLOWER_THAN_US:-1000}" >/dev/null
rcli SLOWLOG RESET >/dev/null
echo "== purging $count keys of workspace old ($(rcli DBSIZE) keys in Redis)"
curl -s -o "$bench_tmp/purge.json" -w 'status %{http_code}, %{time_total} s\n' -X DELETE \
  "http://127.0.0.1:$ticketd_port/v1/admin/workspaces/old"
cat "$bench_tmp/purge.json"
echo
echo "commands over ${SLOWER_THAN_US:-1000} us while purging: $(rcli SLOWLOG LEN)"
rcli SLOWLOG GET 5 | tr "\n" " "; echo
echo "the purge's commands: $(rcli INFO commandstats | tr -d '\r' | grep -E '^cmdstat_(scan|unlink):')"
echo "keys left: $(rcli DBSIZE) (kept's: $(rcli EVAL "return #redis.call('KEYS', ARGV[1])" 0 'ticketd:{kept}:*'))"
