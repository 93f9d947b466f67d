#!/usr/bin/env bash
# Sentinel-managed shards behind ringlb against plain shards, same run: three shards of a primary
# and a replica watched by three sentinels (down-after-milliseconds DOWN_AFTER), and three plain
# redis-servers; one ringlb over the plain shards, two over the Sentinel shards (durability async,
# the default, and replicated); `redis-benchmark -t set,get -c 50` at -P 1 and -P 16 (8 times as
# many requests) through each, the order rotating round by round, with the CPU time per request of
# each proxy's JVM (medians printed as a table). Then the failover time:
# kill -9 of shard0's primary while a key of shard0 is written through the proxy every 10 ms, and
# the time from the kill to the first write acknowledged again (against DOWN_AFTER).
#
#   bench/sentinel.sh [ROUNDS] [REQUESTS]      (defaults: 3 rounds, 200000 requests)
#
# Environment: RINGLB_CMD (default: bin/ringlb serve), BASE_PORT (default 27400), KEYSPACE (-r,
# 100000), DOWN_AFTER (ms, 1000), PLAIN_OVER (`plain`, the default: the plain proxy's backends are
# the three plain redis-servers; `primaries`: they are the Sentinel shards' primaries, by address,
# so both proxies drive the same servers with the same replication work, and what differs is the
# proxy's Sentinel path alone).
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
REPLICATED_PROXY=$((BASE_PORT + 32))

require_tools redis-server redis-benchmark redis-cli redis-sentinel
[[ -f "$ROOT/ringlb-cli/target/ringlb.jar" ]] || { echo "build ringlb first: mvn -q -DskipTests package" >&2; exit 2; }
require_free_ports BASE_PORT "${PRIMARIES[@]}" "${REPLICAS[@]}" "${PLAIN[@]}" \
  "${SENTINEL_PORTS[@]}" "$SENTINEL_PROXY" "$PLAIN_PROXY" "$REPLICATED_PROXY"

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

case ${PLAIN_OVER:-plain} in
  plain) start_ringlb_proxy "$RINGLB_CMD" "$PLAIN_PROXY" "${PLAIN[@]}" ;;
  primaries) start_ringlb_proxy "$RINGLB_CMD" "$PLAIN_PROXY" "${PRIMARIES[@]}" ;;
  *) echo "PLAIN_OVER must be plain or primaries: ${PLAIN_OVER}" >&2; exit 2 ;;
esac
PID_PLAIN=$LAST_PID
sentinel_args=(--sentinel "127.0.0.1:${SENTINEL_PORTS[0]}" --sentinel "127.0.0.1:${SENTINEL_PORTS[1]}"
  --sentinel "127.0.0.1:${SENTINEL_PORTS[2]}" --backend 0=sentinel:shard0
  --backend 1=sentinel:shard1 --backend 2=sentinel:shard2)
# COMMAND is split into words on purpose
$RINGLB_CMD --port "$SENTINEL_PROXY" "${sentinel_args[@]}" > "$WORK/ringlb-sentinel.log" 2>&1 &
PID_SENTINEL=$!
PIDS+=("$PID_SENTINEL")
$RINGLB_CMD --port "$REPLICATED_PROXY" "${sentinel_args[@]}" --durability replicated \
  > "$WORK/ringlb-replicated.log" 2>&1 &
PID_REPLICATED=$!
PIDS+=("$PID_REPLICATED")
await_servers "$PLAIN_PROXY" "$SENTINEL_PROXY" "$REPLICATED_PROXY"

TICK=$(getconf CLK_TCK)
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
RESULTS="$WORK/results"
: > "$RESULTS"
# run NAME PORT PID PIPELINE -> "NAME PIPELINE TEST RPS CPU_US_PER_REQUEST" per test
run() {
  local name=$1 port=$2 pid=$3 pipeline=$4 test t0 t1 n=$REQUESTS
  ((pipeline == 1)) || n=$((8 * REQUESTS))
  for test in set get; do
    t0=$(ticks "$pid")
    redis-benchmark -p "$port" -P "$pipeline" -t "$test" -c 50 -n "$n" -r "$KEYSPACE" -q --csv \
      | awk -F'"' -v name="$name" -v p="$pipeline" '/^"[A-Z]/ { print name, p, $2, $4 }' > "$WORK/one"
    t1=$(ticks "$pid")
    awk -v cpu=$((t1 - t0)) -v tick="$TICK" -v n="$n" \
      '{ printf "%s %.3f\n", $0, cpu * 1e6 / tick / n }' "$WORK/one" >> "$RESULTS"
  done
}
warm_up "$REQUESTS" "$PLAIN_PROXY" "$SENTINEL_PROXY" "$REPLICATED_PROXY" -- -r "$KEYSPACE"
names=(plain sentinel replicated)
ports=("$PLAIN_PROXY" "$SENTINEL_PROXY" "$REPLICATED_PROXY")
pids=("$PID_PLAIN" "$PID_SENTINEL" "$PID_REPLICATED")
for round in $(seq "$ROUNDS"); do
  for p in 1 16; do
    for k in 0 1 2; do # the order rotates round by round
      j=$(((k + round) % 3))
      run "${names[$j]}" "${ports[$j]}" "${pids[$j]}" "$p"
    done
  done
  echo "round $round/$ROUNDS done" >&2
done
median_of() { # NAME PIPELINE TEST COLUMN
  awk -v n="$1" -v p="$2" -v t="$3" -v c="$4" '$1 == n && $2 == p && $3 == t { print $c }' \
    "$RESULTS" | median
}
echo "redis-benchmark -c 50 -n $REQUESTS (-P 1) / $((8 * REQUESTS)) (-P 16) -r $KEYSPACE, $ROUNDS rotating rounds, medians; plain proxy over ${PLAIN_OVER:-plain}"
echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(redis-server --version | awk '{print $3}'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| test | pipeline | plain req/s | Sentinel async req/s | ratio | Sentinel replicated req/s | ratio | CPU µs/req plain | async | replicated |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for p in 1 16; do
  for test in SET GET; do
    a=$(median_of plain "$p" "$test" 4); b=$(median_of sentinel "$p" "$test" 4); c=$(median_of replicated "$p" "$test" 4)
    ca=$(median_of plain "$p" "$test" 5); cb=$(median_of sentinel "$p" "$test" 5); cc=$(median_of replicated "$p" "$test" 5)
    awk -v t="$test" -v p="$p" -v a="$a" -v b="$b" -v c="$c" -v ca="$ca" -v cb="$cb" -v cc="$cc" 'BEGIN {
      printf "| %s | -P %s | %.0f | %.0f | %.2fx | %.0f | %.2fx | %.2f | %.2f | %.2f |\n", t, p, a, b, b / a, c, c / a, ca, cb, cc }'
  done
done
echo "all runs (proxy pipeline test req/s cpu-us-per-request):"
sed 's/^/    /' "$RESULTS"

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
