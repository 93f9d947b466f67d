#!/usr/bin/env bash
# Sentinel-managed shards behind ringlb against plain shards, same run: three shards of a primary
# and a replica watched by three sentinels (down-after-milliseconds DOWN_AFTER), and three plain
# redis-servers, each behind its own ringlb; `redis-benchmark -t set,get -c 50` at -P 1 and -P 16
# through each, alternating round by round (medians printed as a table). Then the failover time:
# kill -9 of shard0's primary while a key of shard0 is written through the proxy every 10 ms, and
# the time from the kill to the first write acknowledged again (against DOWN_AFTER).
#
#   bench/sentinel.sh [ROUNDS] [REQUESTS]      (defaults: 3 rounds, 200000 requests)
#
# Environment: RINGLB_CMD (default: bin/ringlb serve), BASE_PORT (default 27400), KEYSPACE (-r,
# 100000), DOWN_AFTER (ms, 1000).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ROUNDS=${1:-3}
REQUESTS=${2:-200000}
BASE_PORT=${BASE_PORT:-27400}
KEYSPACE=${KEYSPACE:-100000}
DOWN_AFTER=${DOWN_AFTER:-1000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RINGLB_CMD=${RINGLB_CMD:-$ROOT/bin/ringlb serve}
PRIMARIES=($((BASE_PORT + 1)) $((BASE_PORT + 3)) $((BASE_PORT + 5)))
REPLICAS=($((BASE_PORT + 2)) $((BASE_PORT + 4)) $((BASE_PORT + 6)))
PLAIN=($((BASE_PORT + 11)) $((BASE_PORT + 12)) $((BASE_PORT + 13)))
SENTINEL_PORTS=($((BASE_PORT + 21)) $((BASE_PORT + 22)) $((BASE_PORT + 23)))
SENTINEL_PROXY=$((BASE_PORT + 30))
PLAIN_PROXY=$((BASE_PORT + 31))

require_tools redis-server redis-benchmark redis-cli redis-sentinel
[[ -f "$ROOT/ringlb-cli/target/ringlb.jar" ]] || { echo "build ringlb first: mvn -q -DskipTests package" >&2; exit 2; }
require_free_ports BASE_PORT "${PRIMARIES[@]}" "${REPLICAS[@]}" "${PLAIN[@]}" \
  "${SENTINEL_PORTS[@]}" "$SENTINEL_PROXY" "$PLAIN_PROXY"

bench_workdir
for i in 0 1 2; do
  start_redis "${PRIMARIES[$i]}"
  start_redis "${PLAIN[$i]}"
done
await_servers "${PRIMARIES[@]}" "${PLAIN[@]}"
for i in 0 1 2; do
  redis-server --port "${REPLICAS[$i]}" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize no --replicaof 127.0.0.1 "${PRIMARIES[$i]}" --logfile "$WORK/redis-${REPLICAS[$i]}.log" &
  PIDS+=("$!")
done
for port in "${SENTINEL_PORTS[@]}"; do
  conf="$WORK/sentinel-$port.conf"
  printf 'port %d\nbind 127.0.0.1\ndaemonize no\ndir %s\n' "$port" "$WORK" > "$conf"
  for i in 0 1 2; do
    printf 'sentinel monitor shard%d 127.0.0.1 %d 2\n' "$i" "${PRIMARIES[$i]}" >> "$conf"
    printf 'sentinel down-after-milliseconds shard%d %d\n' "$i" "$DOWN_AFTER" >> "$conf"
    printf 'sentinel failover-timeout shard%d 3000\n' "$i" >> "$conf"
  done
  redis-sentinel "$conf" > "$WORK/sentinel-$port.log" 2>&1 &
  PIDS+=("$!")
done
await_servers "${REPLICAS[@]}" "${SENTINEL_PORTS[@]}"
for ((t = 0; t < 300; t++)); do # the sentinels find each other and the replicas
  ready=1
  for port in "${SENTINEL_PORTS[@]}"; do
    for i in 0 1 2; do
      m=$(redis-cli -p "$port" sentinel master "shard$i" | tr '\n' ' ')
      [[ $m == *"num-other-sentinels 2 "* && $m == *"num-slaves 1 "* ]] || ready=0
    done
  done
  ((ready)) && break
  sleep 0.1
done
((ready)) || { echo "the sentinels did not discover each other" >&2; exit 1; }

start_ringlb_proxy "$RINGLB_CMD" "$PLAIN_PROXY" "${PLAIN[@]}"
$RINGLB_CMD --port "$SENTINEL_PROXY" \
  --sentinel "127.0.0.1:${SENTINEL_PORTS[0]}" --sentinel "127.0.0.1:${SENTINEL_PORTS[1]}" \
  --sentinel "127.0.0.1:${SENTINEL_PORTS[2]}" --backend 0=sentinel:shard0 \
  --backend 1=sentinel:shard1 --backend 2=sentinel:shard2 > "$WORK/ringlb-sentinel.log" 2>&1 &
PIDS+=("$!")
await_servers "$PLAIN_PROXY" "$SENTINEL_PROXY"

RESULTS="$WORK/results"
: > "$RESULTS"
run() { redis_bench_csv "$RESULTS" "$1" "$2" "$3" -t set,get -c 50 -n "$REQUESTS" -r "$KEYSPACE"; }
warm_up "$REQUESTS" "$PLAIN_PROXY" "$SENTINEL_PROXY" -- -r "$KEYSPACE"
alternate "$ROUNDS" plain "$PLAIN_PROXY" sentinel "$SENTINEL_PROXY"
echo "requests/s, median of $ROUNDS rounds, $REQUESTS requests each, -c 50:"
ratio_table "$RESULTS" plain "plain shards" sentinel "Sentinel shards (async)"

# Failover: a key of shard0, written every 10 ms through the proxy, kill -9 of its primary.
key=""
for ((i = 0; i < 1000; i++)); do
  if redis-cli -p "$SENTINEL_PROXY" ring locate "fo$i" | grep -q 'server=0 '; then
    key="fo$i"
    break
  fi
done
[[ -n $key ]] || { echo "no key of shard0" >&2; exit 1; }
primary_pid=$(redis-cli -p "${PRIMARIES[0]}" info server | tr -d '\r' | awk -F: '$1 == "process_id" { print $2 }')
kill -9 "$primary_pid"
killed=$(date +%s%N)
n=0
while :; do
  if [[ $(redis-cli -p "$SENTINEL_PROXY" set "$key" "$n" 2>/dev/null) == OK ]]; then
    now=$(date +%s%N)
    if ((now - killed > 20000000)) || ((n > 0)); then break; fi # not a reply sent before the kill
  fi
  n=$((n + 1))
  ((n < 6000)) || { echo "no write succeeded within a minute of the kill" >&2; exit 1; }
  sleep 0.01
done
echo "failover: first write through the proxy $(((now - killed) / 1000000)) ms after kill -9 of shard0's primary (down-after-milliseconds $DOWN_AFTER)"
redis-cli -p "$SENTINEL_PROXY" ring nodes | grep 'master=shard0'
