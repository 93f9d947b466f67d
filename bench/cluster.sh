#!/usr/bin/env bash
# Many proxies, one ring: three ringlb proxies of one cluster (a three-member etcd on loopback)
# over the same four redis-servers, in the same run:
#   1. GET/s with -P 16 and 50 clients through one proxy, then through all three at once (one
#      redis-benchmark per proxy, run side by side, requests/s added up);
#   2. a ring change's pause: 50 unpipelined GET clients on each proxy while RING ADD 3 runs
#      through the first, then the same without a change; redis-benchmark's p99 and max latency
#      per proxy (the max of a run with a change is the longest any request waited, the barrier
#      included), and each proxy's own count of the clients it held at the change's barriers, with
#      how long (INFO migration's barrier_wait_*: the barrier's part alone);
#   3. the migration rate: RING ADD 3 of KEYS keys with three proxies in the cluster, then with the
#      other two stopped (one proxy), keys moved per second from the proxies' INFO migration.
#
#   bench/cluster.sh [KEYS] [REQUESTS]        (defaults: 200000 keys, 2000000 GETs per run)
#
# Environment: BASE_PORT (default 27600: redis +1..+4, proxies +11..+13, etcd clients +21..+23 and
# peers +31..+33), JAR (default ringlb-cli/target/ringlb.jar). Needs redis-server,
# redis-benchmark, redis-cli, etcd (Debian: redis-server, redis-tools, etcd-server) and java.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

KEYS=${1:-200000}
REQUESTS=${2:-2000000}
BASE_PORT=${BASE_PORT:-27600}
JAR=${JAR:-$(dirname "$0")/../ringlb-cli/target/ringlb.jar}
REDIS=($((BASE_PORT + 1)) $((BASE_PORT + 2)) $((BASE_PORT + 3)) $((BASE_PORT + 4)))
PROXY=($((BASE_PORT + 11)) $((BASE_PORT + 12)) $((BASE_PORT + 13)))
ETCD_CLIENT=($((BASE_PORT + 21)) $((BASE_PORT + 22)) $((BASE_PORT + 23)))
ETCD_PEER=($((BASE_PORT + 31)) $((BASE_PORT + 32)) $((BASE_PORT + 33)))

require_tools redis-server redis-benchmark redis-cli etcd java
require_free_ports BASE_PORT "${REDIS[@]}" "${PROXY[@]}" "${ETCD_CLIENT[@]}"
bench_workdir

initial=""
for i in 0 1 2; do
  initial+="${initial:+,}m$i=http://127.0.0.1:${ETCD_PEER[$i]}"
done
for i in 0 1 2; do
  etcd --name "m$i" --data-dir "$WORK/etcd-$i" \
    --listen-client-urls "http://127.0.0.1:${ETCD_CLIENT[$i]}" \
    --advertise-client-urls "http://127.0.0.1:${ETCD_CLIENT[$i]}" \
    --listen-peer-urls "http://127.0.0.1:${ETCD_PEER[$i]}" \
    --initial-advertise-peer-urls "http://127.0.0.1:${ETCD_PEER[$i]}" \
    --initial-cluster "$initial" > "$WORK/etcd-$i.log" 2>&1 &
  PIDS+=("$!")
done
ETCD="127.0.0.1:${ETCD_CLIENT[0]},127.0.0.1:${ETCD_CLIENT[1]},127.0.0.1:${ETCD_CLIENT[2]}"
for p in "${REDIS[@]}"; do
  start_redis "$p"
done
await_servers "${REDIS[@]}"

PROXY_PIDS=()
start_proxy() { # INDEX [BACKEND ARGS...]
  local i=$1
  shift
  java -jar "$JAR" serve --port "${PROXY[$i]}" --cluster bench --etcd "$ETCD" "$@" \
    > "$WORK/proxy-$i.log" 2>&1 &
  PIDS+=("$!")
  PROXY_PIDS[$i]=$!
}
start_proxy 0 --backend "0=127.0.0.1:${REDIS[0]}" --backend "1=127.0.0.1:${REDIS[1]}" \
  --backend "2=127.0.0.1:${REDIS[2]}"
await_servers "${PROXY[0]}"
start_proxy 1
start_proxy 2
await_servers "${PROXY[1]}" "${PROXY[2]}"

echo "# $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
redis-benchmark -p "${PROXY[0]}" -t set -c 50 -P 16 -n "$KEYS" -r "$KEYS" -q > /dev/null
warm_up 500000 "${PROXY[@]}" -- -r "$KEYS"

rps() { # PORT PIPELINE REQUESTS TEST -> requests/s
  redis-benchmark -p "$1" -t "$4" -c 50 -P "$2" -n "$3" -r "$KEYS" -q --csv | awk -F'"' 'NR > 1 || $2 != "test" { print $4; exit }'
}

echo "## GET -P 16, 50 clients each"
one=$(rps "${PROXY[0]}" 16 "$REQUESTS" get)
RUNS=()
for i in 0 1 2; do
  rps "${PROXY[$i]}" 16 "$REQUESTS" get > "$WORK/rps-$i" &
  RUNS+=("$!")
done
wait "${RUNS[@]}"
three=$(cat "$WORK"/rps-* | awk '{ s += $1 } END { printf "%.0f", s }')
echo "one proxy: $one GET/s; three proxies: $three GET/s ($(awk -v a="$three" -v b="$one" 'BEGIN { printf "%.2f", a / b }')x)"

latency() { # starts 50 unpipelined GET clients on each proxy; their pids in RUNS
  RUNS=()
  for i in 0 1 2; do
    redis-benchmark -p "${PROXY[$i]}" -t get -c 50 -P 1 -n "$((REQUESTS / 4))" -r "$KEYS" --csv \
      > "$WORK/lat-$i" 2>/dev/null &
    RUNS+=("$!")
  done
}
report_latency() {
  for i in 0 1 2; do
    awk -F'"' -v proxy="$i" -v label="$1" \
      '$2 == "GET" { printf "%s proxy %d: %s GET/s, p99 %s ms, max %s ms\n", label, proxy, $4, $14, $16 }' \
      "$WORK/lat-$i"
  done
}

barrier_waits() { # LABEL: each proxy's waits at the change's barriers (INFO migration)
  for i in 0 1 2; do
    redis-cli -p "${PROXY[$i]}" INFO migration | tr -d '\r' | awk -F: -v proxy="$i" -v label="$1" '
      /^barrier_waits:/ { n = $2 } /^barrier_wait_p50_ms:/ { p50 = $2 }
      /^barrier_wait_p99_ms:/ { p99 = $2 } /^barrier_wait_max_ms:/ { max = $2 }
      END { printf "%s proxy %d: %d clients held, p50 %s ms, p99 %s ms, max %s ms\n", label, proxy, n, p50, p99, max }'
  done
}

echo "## pause: 50 GET clients on each proxy"
for i in 0 1 2; do redis-cli -p "${PROXY[$i]}" CONFIG RESETSTAT > /dev/null; done
latency
sleep 2
start=$(date +%s.%N)
redis-cli -p "${PROXY[0]}" RING ADD 3 "127.0.0.1:${REDIS[3]}" > "$WORK/add-3"
end=$(date +%s.%N)
wait "${RUNS[@]}"
echo "RING ADD 3 during the run: $(cat "$WORK/add-3") in $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }') s"
report_latency "with RING ADD 3:"
barrier_waits "barrier, RING ADD 3:"
latency
wait "${RUNS[@]}"
report_latency "no change:      "

migration() { # LABEL
  redis-cli -p "${PROXY[0]}" RING REMOVE 3 > /dev/null
  local start end
  start=$(date +%s.%N)
  redis-cli -p "${PROXY[0]}" RING ADD 3 "127.0.0.1:${REDIS[3]}" > /dev/null
  end=$(date +%s.%N)
  local moved
  moved=$(redis-cli -p "${REDIS[3]}" DBSIZE)
  echo "$1: RING ADD 3 moved $moved keys in $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }') s ($(awk -v a="$start" -v b="$end" -v n="$moved" 'BEGIN { printf "%.0f", n / (b - a) }') keys/s)"
}
echo "## migration rate, $KEYS keys"
migration "three proxies"
kill "${PROXY_PIDS[1]}" "${PROXY_PIDS[2]}"
wait "${PROXY_PIDS[1]}" "${PROXY_PIDS[2]}" 2>/dev/null || true
migration "one proxy    "
