#!/usr/bin/env bash
# Benchmarks `ringlb serve` as a sharding proxy against twemproxy (Debian's nutcracker,
# distribution ketama, hash fnv1a_64) over the same three redis-servers, with redis-benchmark:
# SET and GET, 50 clients, unpipelined (-P 1) and pipelined (-P 16), keys spread over a key space
# (-r), alternating the two proxies round by round; prints the median requests/s of each and the
# ratio ringlb / twemproxy. Then measures migration speed (keys/s): RING ADD of a fourth
# redis-server with no client load, and RING REMOVE of it under redis-benchmark load.
#
#   bench/proxy-vs-twemproxy.sh [ROUNDS] [REQUESTS] [MIGRATION_KEYS]
#       (defaults: 5 rounds, 1000000 requests, 200000 keys)
#
# Environment: RINGLB_CMD overrides how ringlb is started (default: bin/ringlb serve);
# BASE_PORT picks the first of the loopback ports used (default 27000: redis 27001-27004,
# ringlb 27010, twemproxy 27020, its stats 27021); KEYSPACE is redis-benchmark's -r (100000).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ROUNDS=${1:-5}
REQUESTS=${2:-1000000}
MIGRATION_KEYS=${3:-200000}
BASE_PORT=${BASE_PORT:-27000}
KEYSPACE=${KEYSPACE:-100000}
WARMUP_REQUESTS=${WARMUP_REQUESTS:-2000000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
REDIS_PORTS=($((BASE_PORT + 1)) $((BASE_PORT + 2)) $((BASE_PORT + 3)) $((BASE_PORT + 4)))
RINGLB_PORT=$((BASE_PORT + 10))
TWEM_PORT=$((BASE_PORT + 20))

require_tools redis-server redis-benchmark redis-cli nutcracker
if [[ -z "${RINGLB_CMD:-}" ]]; then
  if [[ -x "$ROOT/bin/ringlb" && -f "$ROOT/ringlb-cli/target/ringlb.jar" ]]; then
    RINGLB_CMD="$ROOT/bin/ringlb serve"
  else
    echo "build ringlb first: mvn -q -DskipTests package" >&2; exit 2
  fi
fi
require_free_ports BASE_PORT "${REDIS_PORTS[@]}" "$RINGLB_PORT" "$TWEM_PORT"

bench_workdir
for port in "${REDIS_PORTS[@]}"; do
  start_redis "$port"
done
start_twemproxy "$TWEM_PORT" $((BASE_PORT + 21)) "${REDIS_PORTS[@]:0:3}"
start_ringlb_proxy "$RINGLB_CMD" "$RINGLB_PORT" "${REDIS_PORTS[@]:0:3}"
await_servers "${REDIS_PORTS[@]}" "$TWEM_PORT" "$RINGLB_PORT"

# run NAME PORT P -> appends "NAME P TEST RPS" lines to $WORK/results
# (stderr dropped: redis-benchmark warns there when it cannot fetch CONFIG, as from twemproxy)
run() {
  redis_bench_csv "$WORK/results" "$1" "$2" "$3" -t set,get -c 50 -n "$REQUESTS" -r "$KEYSPACE" \
    2>/dev/null
}

echo "warming up both proxies ($WARMUP_REQUESTS requests each, not recorded)" >&2
warm_up "$WARMUP_REQUESTS" "$RINGLB_PORT" "$TWEM_PORT" -- -r "$KEYSPACE"

: > "$WORK/results"
alternate "$ROUNDS" twemproxy "$TWEM_PORT" ringlb "$RINGLB_PORT"

echo "redis-benchmark -t set,get -c 50 -n $REQUESTS -r $KEYSPACE, $ROUNDS alternating rounds, median req/s"
echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(redis-server --version | awk '{print $3}'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
ratio_table "$WORK/results" twemproxy twemproxy ringlb "ringlb serve"
echo
echo "all runs (proxy pipeline test req/s):"
sed 's/^/    /' "$WORK/results"

# ---- migration speed
redis-cli -p "$RINGLB_PORT" flushall >/dev/null
# MIGRATION_KEYS distinct keys whose first bytes differ (so they spread over the ring), 100-byte values.
awk -v n="$MIGRATION_KEYS" 'BEGIN {
  v = sprintf("%0100d", 0)
  for (i = 1; i <= n; i++) {
    k = sprintf("%08x:%d", (i * 2654435761) % 4294967296, i)
    printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, length(v), v
  }
}' | redis-cli -p "$RINGLB_PORT" --pipe >/dev/null
loaded=$(redis-cli -p "$RINGLB_PORT" dbsize)

migration() { # LABEL RING-ARGS... -> prints a table row from INFO migration's last_migration
  local label=$1; shift
  local start end
  start=$(date +%s.%N)
  redis-cli -p "$RINGLB_PORT" ring "$@" >/dev/null
  end=$(date +%s.%N)
  redis-cli -p "$RINGLB_PORT" info migration | tr -d '\r' | awk -F'[:,=]' -v label="$label" \
    -v wall="$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" '
    /^last_migration:/ {
      for (i = 2; i < NF; i++) { f[$i] = $(i + 1) }
      printf "| %s | %d | %.2f | %.0f |\n", label, f["keys_moved"], wall, f["keys_moved"] / wall
    }'
}

echo
echo "migration speed, $loaded keys of 100 bytes over three backends (ringlb defaults: batch 100, no rate limit)"
echo
echo "| change | keys moved | seconds | keys/s |"
echo "|---|---:|---:|---:|"
migration "RING ADD 3, no client load" add 3 "127.0.0.1:${REDIS_PORTS[3]}"
redis-benchmark -p "$RINGLB_PORT" -t set,get -c 50 -n 100000000 -r "$KEYSPACE" -q >/dev/null 2>&1 &
LOAD=$!
PIDS+=($LOAD)
sleep 2
migration "RING REMOVE 3, under redis-benchmark -c 50 load" remove 3
kill "$LOAD" 2>/dev/null || true
echo
echo "after RING REMOVE 3: DBSIZE of backend 3 = $(redis-cli -p "${REDIS_PORTS[3]}" dbsize)"
