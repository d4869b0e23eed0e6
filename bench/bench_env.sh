# shellcheck shell=bash
# Sourced by the run_*.sh scripts: a private redis-server on a unix socket in a temp dir,
# started exactly as the daemon's embedded mode starts it (daemon/process/embedded_redis.cpp),
# and the built ticketd pointed at it on a free port. Every process started here is stopped on
# exit.
#
# Environment:
#   BUILD_DIR      the CMake build tree (default: <repo>/build)
#   TICKETD_BIN    the ticketd binary (default: $BUILD_DIR/daemon/ticketd), e.g. another
#                  checkout's build, to compare two builds with the same loadgen
#   REDIS_SERVER   redis-server binary (default: redis-server on PATH)
#   THREADS        ticketd server.threads (default 2)
#   REDIS_EXTRA_ARGS  extra redis-server arguments, appended (later ones win), for diagnosis
#                  only, e.g. "--appendonly no"; the targets are measured without it
#   KEEP_TMP=1     keep the temp dir (logs, config, AOF) for inspection
#   BENCH_QUEUES   the YAML lines of the `queues:` section (default: one pull queue, general)
#   TICKETD_ARGS   extra ticketd arguments, e.g. "--manual-clock --clock-start 2026-11-23T09:00:00Z"
#   ONLINE_AGENTS  how many agents bench_agents_online puts online (default 200), e.g. 8 for the
#                  push decision of a small team
# A script may set redis_launcher (ticketd_launcher) to the name of a function that starts
# redis-server (ticketd) from the arguments it is given (run_redis_cost.sh and
# run_daemon_cost.sh run them under callgrind); the function must `exec`, so that redis_pid
# (ticketd_pid) is the server's pid.

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$bench_dir")
build_dir=${BUILD_DIR:-$repo_dir/build}
ticketd_bin=${TICKETD_BIN:-$build_dir/daemon/ticketd}
loadgen_bin=$build_dir/bench/loadgen
redis_server=${REDIS_SERVER:-redis-server}
workspace=bench

bench_pids=()
bench_tmp=
# More directories a script made (workspace files, cluster nodes), removed with bench_tmp.
bench_extra_dirs=()

die() {
  echo "$(basename "$0"): $*" >&2
  exit 2
}

# Stops every process started here (and keeps the temp dir).
bench_stop() {
  local pid i
  # Newest first: ticketd stops before its Redis.
  for ((i = ${#bench_pids[@]} - 1; i >= 0; i--)); do
    pid=${bench_pids[i]}
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  bench_pids=()
}

bench_cleanup() {
  bench_stop
  if ((${#bench_extra_dirs[@]} > 0)) && [[ ${KEEP_TMP:-0} != 1 ]]; then
    rm -rf "${bench_extra_dirs[@]}"
  fi
  if [[ -n $bench_tmp && -d $bench_tmp ]]; then
    if [[ ${KEEP_TMP:-0} == 1 ]]; then
      echo "kept $bench_tmp" >&2
    else
      rm -rf "$bench_tmp"
    fi
  fi
}

# bench_wait SECONDS WHAT COMMAND...: until COMMAND succeeds, at most SECONDS (then dies
# saying WHAT did not happen).
bench_wait() {
  local seconds=$1 what=$2 i
  shift 2
  for ((i = 0; i < seconds * 10; i++)); do
    "$@" && return 0
    sleep 0.1
  done
  die "$what within ${seconds} s"
}

# Dies unless nothing listens on TCP port $1 (a script that starts servers on fixed ports must
# not flush or stop somebody else's).
bench_port_free() {
  if { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null; then
    exec 3>&- 3<&-
    die "port $1 is in use: set BASE_PORT (or TICKETD_PORT) to free ones"
  fi
}

# A field of ticketd's /proc status in kB (VmRSS, VmHWM).
ticketd_status_kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$ticketd_pid/status"; }

# redis-cli on the private socket.
rcli() {
  redis-cli -s "$bench_tmp/redis.sock" "$@"
}

# The field `name` of an INFO section's output (stdin).
info_field() {
  tr -d '\r' | awk -F: -v k="$1" '$1 == k { print $2 }'
}


# Starts redis-server on $bench_tmp/redis.sock with the embedded mode's arguments but
# `appendfsync everysec` where it uses `always` (everysec is what issue 17's comparison with
# BullMQ specifies; REDIS_EXTRA_ARGS='--appendfsync always' runs Redis as the embedded server
# does), then the arguments given (later ones win), and waits until it answers. Sets redis_pid.
bench_redis_start() {
  # shellcheck disable=SC2086 # redis_launcher may be empty
  ${redis_launcher:-} "$redis_server" --port 0 --unixsocket "$bench_tmp/redis.sock" --unixsocketperm 700 \
    --dir "$bench_tmp" --appendonly yes --appendfsync everysec --save "" --daemonize no \
    --auto-aof-rewrite-percentage 100 --auto-aof-rewrite-min-size 1gb \
    --loglevel warning --protected-mode yes "$@" >"$bench_tmp/redis.log" 2>&1 &
  redis_pid=$!
  bench_pids+=("$redis_pid")
  for _ in $(seq 300); do
    [[ $(rcli PING 2>/dev/null) == PONG ]] && break
    kill -0 "$redis_pid" 2>/dev/null || { cat "$bench_tmp/redis.log" >&2; die "redis-server exited"; }
    sleep 0.1
  done
  [[ $(rcli PING 2>/dev/null) == PONG ]] || die "redis-server did not answer on $bench_tmp/redis.sock"
}

# What every benchmark run needs: the built binaries and Redis's.
bench_require() {
  [[ -x $ticketd_bin ]] || die "no $ticketd_bin: build first (see bench/README.md) or set TICKETD_BIN"
  [[ -x $loadgen_bin ]] || die "no $loadgen_bin: build the loadgen target or set BUILD_DIR"
  command -v "$redis_server" >/dev/null || die "no $redis_server on PATH"
  command -v redis-cli >/dev/null || die "no redis-cli on PATH (apt-get install redis-tools)"
}

# bench_ticketd_start CONFIG DIR: ticketd on CONFIG (which listens on 127.0.0.1:0), its output
# and log in DIR; returns once /readyz answers 200. Sets ticketd_pid and ticketd_port.
bench_ticketd_start() {
  local config=$1 dir=$2
  # shellcheck disable=SC2086 # TICKETD_ARGS splits into several arguments
  ${ticketd_launcher:-} "$ticketd_bin" --config "$config" ${TICKETD_ARGS:-} \
    >"$dir/ticketd.out" 2>"$dir/ticketd.log" &
  ticketd_pid=$!
  bench_pids+=("$ticketd_pid")
  ticketd_port=
  for _ in $(seq 200); do
    ticketd_port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9][0-9]*\).*|\1|p' \
      "$dir/ticketd.log" | head -n 1)
    [[ -n $ticketd_port ]] && break
    kill -0 "$ticketd_pid" 2>/dev/null || { cat "$dir/ticketd.log" >&2; die "ticketd exited"; }
    sleep 0.1
  done
  [[ -n $ticketd_port ]] || { cat "$dir/ticketd.log" >&2; die "ticketd did not log its port"; }
  local status=
  for _ in $(seq 100); do
    status=$(ready_status) && [[ $status == 200 ]] && break
    sleep 0.1
  done
  [[ $status == 200 ]] || { cat "$dir/ticketd.log" >&2; die "ticketd not ready (/readyz: $status)"; }
}

# Stops the ticketd bench_ticketd_start started (SIGTERM, waited for), leaving the rest running.
bench_ticketd_stop() {
  local i
  kill -TERM "$ticketd_pid" 2>/dev/null || true
  wait "$ticketd_pid" 2>/dev/null || true
  for i in "${!bench_pids[@]}"; do
    [[ ${bench_pids[i]} == "$ticketd_pid" ]] && unset 'bench_pids[i]'
  done
  bench_pids=("${bench_pids[@]}")
}

# bench_node DIR PORT [redis-server args...]: a Redis on TCP PORT (AOF everysec, as
# bench_redis_start), data and log in DIR, pid in DIR/pid (and bench_pids); returns once it answers.
# node_launcher, when set, prefixes the command (e.g. taskset).
bench_node() {
  local dir=$1 port=$2
  shift 2
  bench_port_free "$port"
  mkdir -p "$dir"
  # shellcheck disable=SC2086 # node_launcher may be empty or several words
  ${node_launcher:-} "$redis_server" --port "$port" --bind 127.0.0.1 --dir "$dir" \
    --appendonly yes --appendfsync everysec --save "" --daemonize no --loglevel warning "$@" \
    >"$dir/log" 2>&1 &
  bench_pids+=("$!")
  echo "$!" >"$dir/pid"
  bench_wait 30 "redis-server on port $port did not answer (log: $dir/log)" \
    eval "[[ \$(redis-cli -p $port ping 2>/dev/null) == PONG ]]"
}

# bench_workspaces_yaml DIR URL NAME...: DIR/ticketd.yaml, a daemon on Redis URL serving
# workspace hq and those of DIR/workspaces, and there a file per NAME (each workspace's queue
# `general`, pulled).
bench_workspaces_yaml() {
  local dir=$1 url=$2 name
  shift 2
  mkdir -p "$dir/workspaces"
  for name in "$@"; do
    printf 'queues: {general: {mode: pull}}\ndefaults: {queue: general}\n' \
      >"$dir/workspaces/$name.yaml"
  done
  cat >"$dir/ticketd.yaml" <<YAML
workspace: hq
workspaces_dir: $dir/workspaces
server: {listen: "127.0.0.1:0", threads: 2, state_dir: $dir/state}
redis: {url: "$url"}
queues: {general: {mode: pull}}
defaults: {queue: general}
YAML
}

# bench_cluster PORTS...: nodes started with --cluster-enabled made one cluster without
# replicas (one node: it holds every slot); returns once each says cluster_state:ok.
bench_cluster() {
  local port
  if (($# == 1)); then
    redis-cli -p "$1" cluster addslotsrange 0 16383 >/dev/null
  else
    redis-cli --cluster create "${@/#/127.0.0.1:}" --cluster-replicas 0 --cluster-yes >/dev/null
  fi
  for port in "$@"; do
    bench_wait 30 "the cluster node on port $port did not say cluster_state:ok" \
      eval "redis-cli -p $port cluster info | grep -q cluster_state:ok"
  done
}

# A fresh $bench_tmp, removed (with every process started) when the script exits. A short path:
# unix socket paths are limited to 107 bytes.
bench_tmp_start() {
  bench_tmp=$(mktemp -d /tmp/ticketd-bench.XXXXXX)
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

bench_start() {
  bench_require
  bench_tmp_start

  # shellcheck disable=SC2086 # REDIS_EXTRA_ARGS splits into several arguments
  bench_redis_start ${REDIS_EXTRA_ARGS:-}

  cat >"$bench_tmp/ticketd.yaml" <<EOF
workspace: $workspace
server:
  listen: 127.0.0.1:0
  threads: ${THREADS:-2}
  state_dir: $bench_tmp/state
redis:
  url: unix://$bench_tmp/redis.sock
queues:
${BENCH_QUEUES:-  general: {mode: pull, wait_weight: 0.5\}}
defaults: {queue: ${BENCH_DEFAULT_QUEUE:-general}, priority: normal}
${BENCH_EXTRA_YAML:-}
EOF
  bench_ticketd_start "$bench_tmp/ticketd.yaml" "$bench_tmp"
  echo "redis-server pid $redis_pid on $bench_tmp/redis.sock (appendonly yes, appendfsync" \
    "everysec${REDIS_EXTRA_ARGS:+, then $REDIS_EXTRA_ARGS}); ticketd pid $ticketd_pid on" \
    "127.0.0.1:$ticketd_port" >&2
}

# bench_pushgen BEFORE AFTER [pushgen options]: pushgen against the bench's ticketd into the
# push queue `sales`, running shell commands BEFORE and AFTER as its measured window opens and
# closes; its report goes to $bench_tmp/pushgen.out. Sets `routed`, the tickets routed in the
# window. Stops the script when pushgen fails or routes nothing.
bench_pushgen() {
  local before=$1 after=$2 bin=$build_dir/bench/pushgen
  shift 2
  [[ -x $bin ]] || die "no $bin: build the pushgen target"
  "$bin" --port "$ticketd_port" --queue sales --before-measure "$before" \
    --after-measure "$after" "$@" >"$bench_tmp/pushgen.out" 2>&1 ||
    { cat "$bench_tmp/pushgen.out" >&2; die "pushgen failed"; }
  routed=$(sed -n 's/^RESULT routed=\([0-9]*\) .*/\1/p' "$bench_tmp/pushgen.out")
  [[ -n $routed && $routed -gt 0 ]] || die "pushgen routed no ticket"
}

# The queues of the push scenarios (run_push.sh, run_redis_cost.sh push): `sales` pushes with
# offers, `direct` assigns at once, `desk` is pulled. Call before bench_start.
bench_push_queues() {
  BENCH_QUEUES='  sales: {mode: push, accept_timeout: 30s}
  direct: {mode: push}
  desk: {mode: pull}'
  BENCH_DEFAULT_QUEUE=sales
}

# bench_bullmq_install DIR: BullMQ (npm bullmq@$BULLMQ_VERSION, default 6.7) and ioredis 5, which
# BullMQ 6 lists as an optional peer and so does not install by itself, into DIR/node with
# npm's cache in DIR, and bullmq_yardstick.mjs beside them (an ES module resolves its imports
# from its own directory). Sets bullmq_installed and ioredis_installed to the versions.
bench_bullmq_install() {
  local dir=$1
  command -v node >/dev/null || die "no node on PATH"
  command -v npm >/dev/null || die "no npm on PATH"
  (($(node -p 'process.versions.node.split(".")[0]') >= 18)) ||
    die "node 18 or later needed (util.parseArgs)"
  echo "== installing bullmq@${BULLMQ_VERSION:-6.7} and ioredis@5 into $dir/node" >&2
  mkdir -p "$dir/node"
  npm install --prefix "$dir/node" --cache "$dir/npm-cache" "bullmq@${BULLMQ_VERSION:-6.7}" \
    ioredis@5 --no-audit --no-fund --loglevel=error >"$dir/npm.log" 2>&1 ||
    { cat "$dir/npm.log" >&2; die "npm install failed"; }
  cp "$bench_dir/bullmq_yardstick.mjs" "$dir/node/"
  bullmq_installed=$(node -p "require('$dir/node/node_modules/bullmq/package.json').version")
  ioredis_installed=$(node -p "require('$dir/node/node_modules/ioredis/package.json').version")
}

# Stops the script unless valgrind and callgrind's tools are installed.
require_callgrind() {
  command -v valgrind >/dev/null || die "no valgrind on PATH (apt-get install valgrind)"
  command -v callgrind_control >/dev/null || die "no callgrind_control on PATH"
  command -v callgrind_annotate >/dev/null || die "no callgrind_annotate on PATH"
}

# Asks the callgrind run of process $1 (a launcher gave it
# --callgrind-out-file=$bench_tmp/callgrind.%p) to dump its counts, waits until the dump is
# whole and moves it to $2.
callgrind_dump() {
  rm -f "$bench_tmp/callgrind.$1".[0-9]*
  callgrind_control -d "$1" >/dev/null 2>&1
  callgrind_take_dump "$1" "$2"
}

# Waits until the dump process $1 was asked for (callgrind_control -d, e.g. from a hook) is
# whole and moves it to $2.
callgrind_take_dump() {
  local pid=$1 to=$2 file=
  for _ in $(seq 100); do
    file=$(compgen -G "$bench_tmp/callgrind.$pid.[0-9]*" | head -n 1 || true)
    [[ -n $file ]] && break
    sleep 0.1
  done
  [[ -n $file ]] || die "callgrind wrote no dump"
  # The process writes the dump; its last line, "totals:", says it is whole.
  for _ in $(seq 100); do
    [[ $(tail -n 1 "$file") == totals:* ]] && break
    sleep 0.1
  done
  [[ $(tail -n 1 "$file") == totals:* ]] || die "callgrind's dump $file is incomplete"
  mv "$file" "$to"
}

# With CALLGRIND_KEEP=1, moves the dumps (*.cg) out of the temp dir into a new directory and
# says where.
keep_callgrind_dumps() {
  [[ ${CALLGRIND_KEEP:-0} == 1 ]] || return 0
  local keep
  keep=$(mktemp -d /tmp/ticketd-callgrind.XXXXXX)
  mv "$bench_tmp"/*.cg "$keep"/
  echo "callgrind dumps kept in $keep (callgrind_annotate --inclusive=yes FILE)"
}

# The configuration epoch ticketd stored (the functions' second header argument).
bench_epoch() {
  local epoch
  epoch=$(rcli HGET "ticketd:{$workspace}:settings" epoch)
  [[ -n $epoch ]] || die "ticketd stored no configuration epoch"
  echo "$epoch"
}

# Dies when a function call failed since the last CONFIG RESETSTAT (INFO commandstats'
# failed_calls): redis-benchmark does not say, and an error reply costs a fraction of a call,
# so the figures would look fine. Arguments out of step with the library's are the usual cause.
bench_no_failed_calls() {
  local failed
  failed=$(rcli INFO commandstats | info_field cmdstat_fcall |
    sed -n 's/.*failed_calls=\([0-9]*\).*/\1/p')
  [[ ${failed:-0} == 0 ]] ||
    die "$failed function calls failed: do the benchmark's arguments match the library's?"
}

# Puts ONLINE_AGENTS (default 200) agents cost-0, cost-1... online in the comma list of queues
# $2 with room for any number of tickets, through the agent_put function at ms time $1.
bench_agents_online() {
  local now=$1 queues=$2 n=${ONLINE_AGENTS:-200} epoch i
  epoch=$(bench_epoch)
  [[ $n =~ ^[1-9][0-9]*$ ]] || die "ONLINE_AGENTS must be a positive number, got '$n'"
  for i in $(seq 0 $((n - 1))); do
    # The header: now, epoch, then no Idempotency-Key and no fingerprint.
    echo "FCALL ticketd_v1_agent_put 1 ticketd:{$workspace}: $now $epoch \"\" \"\" cost-$i \"\"" \
      "$queues \"\" $queues 1000000 online"
  done | rcli --pipe >"$bench_tmp/agents_online.out" 2>&1
  grep -q 'errors: 0,' "$bench_tmp/agents_online.out" ||
    die "putting the agents online failed: $(cat "$bench_tmp/agents_online.out")"
}

# The HTTP status of GET /readyz, through bash's /dev/tcp (no curl needed).
ready_status() {
  local line
  exec 3<>"/dev/tcp/127.0.0.1/$ticketd_port" || return 1
  printf 'GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
  IFS= read -r -t 2 line <&3 || true
  exec 3>&- 3<&-
  line=${line%$'\r'}
  echo "${line:9:3}"
}
