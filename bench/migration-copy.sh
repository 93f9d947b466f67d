#!/usr/bin/env bash
# The cost of moving keys to a replica-backed shard with MIGRATE ... COPY, WAIT on the target, then
# DEL on the source, against a plain MIGRATE, same servers, same run: four redis-servers, each with
# a replica of its own (plain addresses, no Sentinel), and two ringlb over them, one with
# `durability: async` (a plain target: MIGRATE) and one with `--durability replicated` (every
# target: COPY, WAIT, DEL); no client traffic, so the durability setting changes nothing but the
# migration. Each round writes KEYS keys over backends 0-2, then, on each proxy in turn (the order
# alternating round by round), times `RING ADD 3` (the keys that move go to backend 3) and
# `RING REMOVE 3` (they come back), with the CPU time of each proxy's JVM and of the source and
# target redis-servers per key moved. Medians printed as a table.
#
#   bench/migration-copy.sh [ROUNDS] [KEYS]      (defaults: 5 rounds, 200000 keys)
#
# Environment: RINGLB_CMD (default: bin/ringlb serve), BASE_PORT (default 27600), BATCH
# (migration.batch, default 100, ringlb's default).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ROUNDS=${1:-5}
KEYS=${2:-200000}
BASE_PORT=${BASE_PORT:-27600}
BATCH=${BATCH:-100}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RINGLB_CMD=${RINGLB_CMD:-$ROOT/bin/ringlb serve}
PRIMARIES=($((BASE_PORT + 1)) $((BASE_PORT + 2)) $((BASE_PORT + 3)) $((BASE_PORT + 4)))
REPLICAS=($((BASE_PORT + 11)) $((BASE_PORT + 12)) $((BASE_PORT + 13)) $((BASE_PORT + 14)))
ASYNC_PROXY=$((BASE_PORT + 20))
COPY_PROXY=$((BASE_PORT + 21))

require_tools redis-server redis-cli
[[ -f "$ROOT/ringlb-cli/target/ringlb.jar" ]] || { echo "build ringlb first: mvn -q -DskipTests package" >&2; exit 2; }
require_free_ports BASE_PORT "${PRIMARIES[@]}" "${REPLICAS[@]}" "$ASYNC_PROXY" "$COPY_PROXY"

bench_workdir
for port in "${PRIMARIES[@]}"; do
  start_redis "$port"
done
await_servers "${PRIMARIES[@]}"
for i in 0 1 2 3; do
  redis-server --port "${REPLICAS[$i]}" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize no --replicaof 127.0.0.1 "${PRIMARIES[$i]}" --logfile "$WORK/redis-${REPLICAS[$i]}.log" &
  PIDS+=("$!")
done
await_servers "${REPLICAS[@]}"
for ((t = 0; t < 300; t++)); do # every replica in sync
  ready=1
  for port in "${PRIMARIES[@]}"; do
    redis-cli -p "$port" info replication | grep -q 'connected_slaves:1' || ready=0
  done
  ((ready)) && break
  sleep 0.1
done
((ready)) || { echo "the replicas did not connect" >&2; exit 1; }

printf 'migration:\n  batch: %d\n' "$BATCH" > "$WORK/ringlb.yaml"
backends=()
for i in 0 1 2; do
  backends+=(--backend "$i=127.0.0.1:${PRIMARIES[$i]}")
done
# COMMAND is split into words on purpose
$RINGLB_CMD --port "$ASYNC_PROXY" --config "$WORK/ringlb.yaml" "${backends[@]}" \
  > "$WORK/ringlb-async.log" 2>&1 &
PID_ASYNC=$!
PIDS+=("$PID_ASYNC")
$RINGLB_CMD --port "$COPY_PROXY" --config "$WORK/ringlb.yaml" "${backends[@]}" \
  --durability replicated > "$WORK/ringlb-copy.log" 2>&1 &
PID_COPY=$!
PIDS+=("$PID_COPY")
await_servers "$ASYNC_PROXY" "$COPY_PROXY"

TICK=$(getconf CLK_TCK)
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
redis_pid() { redis-cli -p "$1" info server | tr -d '\r' | awk -F: '$1 == "process_id" { print $2 }'; }
SERVER_PIDS=()
for port in "${PRIMARIES[@]}"; do
  SERVER_PIDS+=("$(redis_pid "$port")")
done
servers_ticks() {
  local sum=0 pid
  for pid in "${SERVER_PIDS[@]}"; do
    sum=$((sum + $(ticks "$pid")))
  done
  echo "$sum"
}
now_ns() { date +%s%N; }

# The keys, as RESP, written through a proxy with redis-cli --pipe.
awk -v n="$KEYS" 'BEGIN { for (i = 0; i < n; i++) {
  k = "key:" i; v = "value-" i
  printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, length(v), v } }' > "$WORK/keys.resp"

RESULTS="$WORK/results"
: > "$RESULTS"
# change NAME PORT PID WHAT... -> "NAME WHAT KEYS MS KEYS_PER_S PROXY_US_PER_KEY REDIS_US_PER_KEY"
change() {
  local name=$1 port=$2 pid=$3 what=$4 t0 t1 c0 c1 r0 r1 moved moved_before moved_after reply
  shift 4
  moved_before=$(redis-cli -p "${PRIMARIES[3]}" dbsize)
  c0=$(ticks "$pid"); r0=$(servers_ticks); t0=$(now_ns)
  reply=$(redis-cli -p "$port" ring "$@")
  t1=$(now_ns); c1=$(ticks "$pid"); r1=$(servers_ticks)
  [[ $reply == OK ]] || { echo "$name: RING $* answered $reply" >&2; exit 1; }
  moved_after=$(redis-cli -p "${PRIMARIES[3]}" dbsize)
  moved=$((moved_after - moved_before))
  moved=${moved#-}
  awk -v n="$name" -v w="$what" -v k="$moved" -v ms=$(((t1 - t0) / 1000000)) \
    -v c=$((c1 - c0)) -v r=$((r1 - r0)) -v tick="$TICK" 'BEGIN {
      printf "%s %s %d %d %.0f %.2f %.2f\n", n, w, k, ms, k * 1000 / ms, c * 1e6 / tick / k, r * 1e6 / tick / k }' \
    | tee -a "$RESULTS" >&2
}
names=(async copy)
ports=("$ASYNC_PROXY" "$COPY_PROXY")
pids=("$PID_ASYNC" "$PID_COPY")
for round in $(seq "$ROUNDS"); do
  for port in "${PRIMARIES[@]}"; do
    redis-cli -p "$port" flushall > /dev/null
  done
  redis-cli -p "$ASYNC_PROXY" --pipe < "$WORK/keys.resp" > /dev/null
  for port in "${PRIMARIES[@]}"; do
    redis-cli -p "$port" wait 1 10000 > /dev/null
  done
  for k in 0 1; do # the order alternates round by round
    j=$(((k + round) % 2))
    change "${names[$j]}" "${ports[$j]}" "${pids[$j]}" add ADD 3 "127.0.0.1:${PRIMARIES[3]}"
    change "${names[$j]}" "${ports[$j]}" "${pids[$j]}" remove REMOVE 3
  done
  echo "round $round/$ROUNDS done" >&2
done
median_of() { # NAME WHAT COLUMN
  awk -v n="$1" -v w="$2" -v c="$3" '$1 == n && $2 == w { print $c }' "$RESULTS" | median
}
echo "RING ADD 3 / RING REMOVE 3 with $KEYS keys over backends 0-2, migration.batch $BATCH, each backend with one replica, $ROUNDS alternating rounds, medians"
echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(redis-server --version | awk '{print $3}'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| change | keys moved | MIGRATE keys/s | COPY+WAIT+DEL keys/s | ratio | proxy CPU µs/key MIGRATE | COPY | redis CPU µs/key MIGRATE | COPY |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for what in add remove; do
  k=$(median_of async "$what" 3)
  a=$(median_of async "$what" 5); b=$(median_of copy "$what" 5)
  ca=$(median_of async "$what" 6); cb=$(median_of copy "$what" 6)
  ra=$(median_of async "$what" 7); rb=$(median_of copy "$what" 7)
  awk -v w="$what" -v k="$k" -v a="$a" -v b="$b" -v ca="$ca" -v cb="$cb" -v ra="$ra" -v rb="$rb" 'BEGIN {
    printf "| RING %s 3 | %d | %.0f | %.0f | %.2fx | %.2f | %.2f | %.2f | %.2f |\n", toupper(w), k, a, b, b / a, ca, cb, ra, rb }'
done
echo "all runs (proxy change keys ms keys/s proxy-us-per-key redis-us-per-key):"
sed 's/^/    /' "$RESULTS"
