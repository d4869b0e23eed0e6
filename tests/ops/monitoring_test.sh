#!/usr/bin/env bash
# Checks monitoring/: the alert rules (syntax and behaviour, promtool), the Grafana dashboard
# (JSON, and its PromQL through promtool), and that every ticketd_* metric the two refer to is
# served by a real daemon. The daemon runs on a manual clock against a private redis-server on
# a unix socket, and is driven until every family has a series: prometheus-cpp leaves a family
# without children out of the scrape altogether (no # TYPE line).
#   tests/ops/monitoring_test.sh TICKETD_BINARY SOURCE_DIR
set -euo pipefail

ticketd=${1:?usage: monitoring_test.sh TICKETD_BINARY SOURCE_DIR}
src=${2:?usage: monitoring_test.sh TICKETD_BINARY SOURCE_DIR}
rules=$src/monitoring/ticketd.rules.yml
rules_test=$src/monitoring/ticketd.rules.test.yml
dashboard=$src/monitoring/grafana/ticketd-dashboard.json
python=/usr/bin/python3

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
for tool in promtool redis-server redis-cli curl "$python"; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/install-deps.sh)"
done
[ -x "$ticketd" ] || fail "no ticketd binary at $ticketd"

dir=$(mktemp -d "${TMPDIR:-/tmp}/ticketd-monitoring.XXXXXX")
redis_pid=
ticketd_pid=
cleanup() {
  local status=$?
  set +e
  local pid
  for pid in $ticketd_pid $redis_pid; do
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  if [ "$status" -ne 0 ] && [ -s "$dir/ticketd.log" ]; then
    echo "--- ticketd log" >&2
    cat "$dir/ticketd.log" >&2
  fi
  rm -rf "$dir"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Polls a command up to 20 s (200 tries, 0.1 s apart); true once it succeeds.
eventually() {
  local i
  for ((i = 0; i < 200; i++)); do
    "$@" && return 0
    sleep 0.1
  done
  return 1
}

echo "== alert rules"
promtool check rules "$rules" || fail "promtool check rules $rules"
promtool test rules "$rules_test" || fail "promtool test rules $rules_test"

echo "== dashboard"
"$python" -m json.tool "$dashboard" >/dev/null || fail "$dashboard is not valid JSON"
# Every "expr" of the dashboard, one per line as a JSON string.
"$python" -c '
import json, sys
def exprs(node):
    if isinstance(node, dict):
        if isinstance(node.get("expr"), str):
            yield node["expr"]
        for v in node.values():
            yield from exprs(v)
    elif isinstance(node, list):
        for v in node:
            yield from exprs(v)
for e in exprs(json.load(open(sys.argv[1]))):
    print(json.dumps(e))
' "$dashboard" >"$dir/dashboard.exprs"
[ -s "$dir/dashboard.exprs" ] || fail "no expressions in $dashboard"
# promtool parses them as recording rules, the dashboard variables replaced by values.
{
  printf 'groups:\n  - name: dashboard\n    rules:\n'
  n=0
  while IFS= read -r expr; do
    expr=${expr//\$__rate_interval/5m}
    expr=${expr//\$job/ticketd}
    expr=${expr//\$instance/.*}
    printf '      - record: dashboard:expr_%d\n        expr: %s\n' $((n++)) "$expr"
  done <"$dir/dashboard.exprs"
} >"$dir/dashboard.rules.yml"
promtool check rules "$dir/dashboard.rules.yml" >/dev/null ||
  fail "a dashboard expression is not valid PromQL (promtool's message above)"

echo "== metrics of a running daemon"
redis-server --port 0 --unixsocket "$dir/redis.sock" --save '' --appendonly no \
  --daemonize no >"$dir/redis.log" 2>&1 &
redis_pid=$!
redis_up() { [ "$(redis-cli -s "$dir/redis.sock" ping 2>/dev/null)" = PONG ]; }
eventually redis_up ||
  fail "redis-server did not answer on $dir/redis.sock: $(cat "$dir/redis.log")"

# Short clocks, so that advancing the manual clock fires every kind of timer: urgent's first
# reply is due in 1h, warned 15m before.
config=$dir/ticketd.yaml
cat >"$config" <<EOF
workspace: monitoring
server: {listen: 127.0.0.1:0, threads: 1, state_dir: $dir}
redis: {url: unix://$dir/redis.sock, connections: 1}
sla: {warn_before: 15m}
queues:
  general: {mode: pull}
lifecycle:
  pending: {followups: [1h], resolve_after: 2h}
  resolved: {close_after: 1h}
defaults: {queue: general, priority: urgent}
EOF
"$ticketd" --config "$config" --manual-clock --clock-start 2026-11-23T09:00:00Z \
  >"$dir/ticketd.log" 2>&1 &
ticketd_pid=$!
listening() {
  kill -0 "$ticketd_pid" 2>/dev/null || fail "ticketd exited"
  grep -qs 'listening on http://' "$dir/ticketd.log"
}
eventually listening || fail "ticketd did not log 'listening on'"
port=$(grep -o 'listening on http://[^ ]*' "$dir/ticketd.log" | head -n1 | sed 's/.*://')
url=http://127.0.0.1:$port
ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/readyz")" = 200 ]; }
eventually ready || fail "ticketd did not become ready on $url"

# call EXPECTED_STATUS METHOD PATH [BODY]
call() {
  local status
  status=$(curl -s -o "$dir/response" -w '%{http_code}' -X "$2" "$url$3" \
    -H 'Content-Type: application/json' ${4:+--data "$4"})
  [ "$status" = "$1" ] || fail "$2 $3 answered $status, expected $1: $(cat "$dir/response")"
}
call 200 PUT /v1/agents/ada '{"name": "Ada", "queues": ["general"], "status": "online"}'
call 201 POST /v1/tickets '{"id": "T-1"}'
call 201 POST /v1/tickets '{"id": "T-2"}'
call 200 POST /v1/agents/ada/next  # T-1 assigned to ada; T-2 stays queued
call 200 POST /v1/tickets/T-1/reply '{"agent": "ada"}'
# +50m: T-2's first-reply warning. +20m: its breach and T-1's follow-up. +60m: T-1 resolved
# as unresponsive. +70m: T-1 closed. (A warning due together with its breach is not sent.)
for step in 50m 20m 60m 70m; do
  call 200 POST /v1/admin/clock "{\"advance\": \"$step\"}"
done
cp "$config" "$dir/good.yaml"
echo 'queues: [' >>"$config"
call 400 POST /v1/admin/reload
cp "$dir/good.yaml" "$config"
call 200 POST /v1/admin/reload

# Referenced names: the rules without their comments, and the dashboard's expressions.
referenced=$({
  grep -v '^[[:space:]]*#' "$rules"
  cat "$dir/dashboard.exprs"
} | grep -oE '\bticketd_[a-z0-9_]+' | sort -u)
[ -n "$referenced" ] || fail "no ticketd_* metric found in the rules and the dashboard"

# Names a scrape serves: every family with a # TYPE line, plus _bucket/_sum/_count of the
# histograms.
served() {
  awk '$1 == "#" && $2 == "TYPE" {
         print $3
         if ($4 == "histogram") { print $3 "_bucket"; print $3 "_sum"; print $3 "_count" }
       }' "$dir/metrics.txt" | sort -u
}
missing() { comm -23 <(echo "$referenced") <(served); }
all_served() {
  curl -sf "$url/metrics" >"$dir/metrics.txt" || return 1
  [ -z "$(missing)" ]
}
if ! eventually all_served; then
  for name in $(missing); do echo "missing from /metrics: $name" >&2; done
  fail "the rules or the dashboard refer to metrics ticketd does not serve"
fi
promtool check metrics <"$dir/metrics.txt" ||
  fail "promtool check metrics found problems in the scrape (above)"

echo "ok: $(echo "$referenced" | wc -l) ticketd_* names referenced, all served"
