#!/usr/bin/env bash
# Does a frozen joining backend stall the healthy ones? Two builds of ringlb (A before a change,
# B after it) in the same run: each round, for each build in turn (A first in odd rounds), a
# proxy over three redis-servers gets KEYS keys, starts RING ADD 3 of an empty fourth, and
# bench/MigrationStall.java reads keys that do not move with CLIENTS closed-loop clients (and
# keys that move with one more) for 1 s, freezes the fourth (SIGSTOP) for FREEZE_MS, and reads on
# for 1 s. Prints each round, then per build the medians over the rounds of the p50, p99 and
# maximum latency of the GETs of staying keys that overlapped the freeze.
#
#   bench/migration-stall.sh JAR_A JAR_B [ROUNDS]      (default 3 rounds)
#
# JAR_A and JAR_B are ringlb.jar files (ringlb-cli/target/ringlb.jar of each build). Environment:
# BASE_PORT (default 27500: redis 27501-27504, proxy 27510), KEYS (40000), CLIENTS (4),
# FREEZE_MS (3000), RATE (migration.rate, 1000 keys/s: the migration outlasts the freeze; a run
# in which it did not is reported and left out of the table).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"

[[ $# -ge 2 ]] || { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
JAR_A=$1
JAR_B=$2
ROUNDS=${3:-3}
BASE_PORT=${BASE_PORT:-27500}
KEYS=${KEYS:-40000}
CLIENTS=${CLIENTS:-4}
FREEZE_MS=${FREEZE_MS:-3000}
RATE=${RATE:-1000}
REDIS_PORTS=($((BASE_PORT + 1)) $((BASE_PORT + 2)) $((BASE_PORT + 3)) $((BASE_PORT + 4)))
PROXY=$((BASE_PORT + 10))

for jar in "$JAR_A" "$JAR_B"; do
  [[ -f "$jar" ]] || { echo "$jar: no such jar (build it: mvn -q -DskipTests package)" >&2; exit 2; }
done
require_tools redis-server redis-cli java
require_free_ports BASE_PORT "${REDIS_PORTS[@]}" "$PROXY"

WORK=$(mktemp -d)
PIDS=()
TARGET_PID=
cleanup() {
  [[ -n "$TARGET_PID" ]] && kill -CONT "$TARGET_PID" 2>/dev/null || true
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
for port in "${REDIS_PORTS[@]}"; do
  start_redis "$port"
done
TARGET_PID=$LAST_PID
await_servers "${REDIS_PORTS[@]}"

cat > "$WORK/proxy.yaml" <<EOF
listen: 127.0.0.1:$PROXY
placement: slots
backends: {0: 127.0.0.1:${REDIS_PORTS[0]}, 1: 127.0.0.1:${REDIS_PORTS[1]}, 2: 127.0.0.1:${REDIS_PORTS[2]}}
migration: {batch: 100, rate: $RATE}
EOF

RESULTS="$WORK/results"
: > "$RESULTS"
run() { # NAME JAR
  local name=$1 jar=$2 pid port
  for port in "${REDIS_PORTS[@]}"; do
    redis-cli -p "$port" flushall >/dev/null
  done
  java -jar "$jar" serve --config "$WORK/proxy.yaml" > "$WORK/ringlb-$name.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  wait_for_redis "$PROXY" 200 || { cat "$WORK/ringlb-$name.log" >&2; exit 1; }
  java -XX:+UseSerialGC "$here/MigrationStall.java" "$PROXY" "${REDIS_PORTS[3]}" "$TARGET_PID" \
    "$name" "$KEYS" "$CLIENTS" 1000 "$FREEZE_MS" 1000 > "$WORK/driver.out" \
    || { echo "the driver failed; ringlb's log:" >&2; cat "$WORK/ringlb-$name.log" >&2; exit 1; }
  tee -a "$RESULTS" < "$WORK/driver.out" >&2
  kill "$pid"
  wait "$pid" 2>/dev/null || true
}
for round in $(seq "$ROUNDS"); do
  if ((round % 2)); then
    run A "$JAR_A"; run B "$JAR_B"
  else
    run B "$JAR_B"; run A "$JAR_A"
  fi
  echo "round $round/$ROUNDS done" >&2
done

# RESULT NAME frozen N P50 P99 MAX rest N P50 P99 MAX errors E moving OK FAILED migrating_after Y
if grep -q ' migrating_after no' "$RESULTS"; then
  echo "runs whose migration ended before the freeze did (left out; lower RATE or raise KEYS):" >&2
  grep ' migrating_after no' "$RESULTS" >&2
fi
echo "| build | runs | GETs during the freeze | p50 ms | p99 ms | max ms | p99 ms, rest of the run | errors |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for name in A B; do
  col() {
    awk -v n="$name" -v c="$1" '$1 == "RESULT" && $2 == n && $NF == "yes" { print $c }' "$RESULTS" \
      | median "%.${2:-1}f"
  }
  runs=$(awk -v n="$name" '$1 == "RESULT" && $2 == n && $NF == "yes"' "$RESULTS" | wc -l)
  echo "| $name | $runs | $(col 4 0) | $(col 5 2) | $(col 6 2) | $(col 7 1) | $(col 11 2) | $(col 14 0) |"
done
