#!/usr/bin/env bash
# Benchmarks `ringlb serve` against Debian's redis-server with redis-benchmark, side by side:
# SET and GET, 50 clients, unpipelined (-P 1) and pipelined (-P 16), alternating the two servers
# round by round, then prints the median requests/s of each and the ratio ringlb / redis-server.
#
#   bench/serve-vs-redis.sh [ROUNDS] [REQUESTS]      (defaults: 5 rounds, 1000000 requests)
#
# Environment: RINGLB_CMD overrides how ringlb is started (default: bin/ringlb serve, or the
# shaded jar when bin/ringlb is missing); RINGLB_PORT / REDIS_PORT pick the loopback ports;
# WARMUP_REQUESTS sets the unrecorded warm-up run given to both servers first (JIT for ringlb).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ROUNDS=${1:-5}
REQUESTS=${2:-1000000}
RINGLB_PORT=${RINGLB_PORT:-26380}
REDIS_PORT=${REDIS_PORT:-26379}
WARMUP_REQUESTS=${WARMUP_REQUESTS:-1000000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)

require_tools redis-server redis-benchmark redis-cli
if [[ -z "${RINGLB_CMD:-}" ]]; then
  if [[ -x "$ROOT/bin/ringlb" ]]; then
    RINGLB_CMD="$ROOT/bin/ringlb serve"
  elif [[ -f "$ROOT/ringlb-cli/target/ringlb.jar" ]]; then
    RINGLB_CMD="java -jar $ROOT/ringlb-cli/target/ringlb.jar serve"
  else
    echo "build ringlb first: mvn -q -DskipTests package" >&2; exit 2
  fi
fi

require_free_ports "RINGLB_PORT / REDIS_PORT" "$REDIS_PORT" "$RINGLB_PORT"

bench_workdir
start_redis "$REDIS_PORT"
$RINGLB_CMD --port "$RINGLB_PORT" > "$WORK/ringlb.log" 2>&1 &
PIDS+=($!)
await_servers "$REDIS_PORT" "$RINGLB_PORT"

# run NAME PORT P -> appends "NAME P TEST RPS" lines to $WORK/results
run() {
  redis_bench_csv "$WORK/results" "$1" "$2" "$3" -t set,get -c 50 -n "$REQUESTS"
}

echo "warming up both servers ($WARMUP_REQUESTS requests each, not recorded)" >&2
warm_up "$WARMUP_REQUESTS" "$RINGLB_PORT" "$REDIS_PORT"

: > "$WORK/results"
alternate "$ROUNDS" redis "$REDIS_PORT" ringlb "$RINGLB_PORT"

echo "redis-benchmark -t set,get -c 50 -n $REQUESTS, $ROUNDS alternating rounds, median req/s"
echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(redis-server --version | awk '{print $3}')"
echo
ratio_table "$WORK/results" redis redis-server ringlb "ringlb serve"
echo
echo "all runs (server pipeline test req/s):"
sed 's/^/    /' "$WORK/results"
