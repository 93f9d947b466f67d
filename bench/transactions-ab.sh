#!/usr/bin/env bash
# A/B of MULTI/EXEC through two builds of the proxy on the same machine in the same run: the build
# before a change (A) and after it (B), each over the same three redis-servers, with
# bench/TransactionLoad.java (closed-loop clients, each sending MULTI, INCR, GET, EXEC in one
# piece and reading the five replies), A and B alternating round by round (A first in odd rounds).
# Prints the median transactions/s of each build, the ratio B / A, and the median CPU time per
# transaction of each build's JVM (user + system, from /proc/PID/stat), which is what moves when
# throughput is capped by the machine's shared cores.
#
#   bench/transactions-ab.sh JAR_A JAR_B [ROUNDS] [TRANSACTIONS] [CLIENTS]
#                                          (defaults: 5 rounds, 200000 transactions, 50 clients)
#
# JAR_A and JAR_B are ringlb.jar files (ringlb-cli/target/ringlb.jar of each build), started with
# `java -jar JAR serve`. Environment: BASE_PORT picks the first of the loopback ports used (default
# 27500: redis 27501-27503, proxy A/B 27520/27521).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[[ $# -ge 2 ]] || { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
JAR_A=$1
JAR_B=$2
ROUNDS=${3:-5}
TRANSACTIONS=${4:-200000}
CLIENTS=${5:-50}
BASE_PORT=${BASE_PORT:-27500}
REDIS_PORTS=($((BASE_PORT + 1)) $((BASE_PORT + 2)) $((BASE_PORT + 3)))
PROXY_A=$((BASE_PORT + 20))
PROXY_B=$((BASE_PORT + 21))
TICK=$(getconf CLK_TCK)
HERE=$(cd "$(dirname "$0")" && pwd)

for jar in "$JAR_A" "$JAR_B"; do
  [[ -f "$jar" ]] || { echo "$jar: no such jar (build it: mvn -q -DskipTests package)" >&2; exit 2; }
done
require_tools redis-server redis-cli java
require_free_ports BASE_PORT "${REDIS_PORTS[@]}" "$PROXY_A" "$PROXY_B"

bench_workdir
for port in "${REDIS_PORTS[@]}"; do
  start_redis "$port"
done
backends=()
for i in 0 1 2; do
  backends+=(--backend "$i=127.0.0.1:${REDIS_PORTS[$i]}")
done
java -jar "$JAR_A" serve --port "$PROXY_A" "${backends[@]}" > "$WORK/proxy-a.log" 2>&1 &
PID_A=$!
PIDS+=("$PID_A")
java -jar "$JAR_B" serve --port "$PROXY_B" "${backends[@]}" > "$WORK/proxy-b.log" 2>&1 &
PID_B=$!
PIDS+=("$PID_B")
await_servers "${REDIS_PORTS[@]}" "$PROXY_A" "$PROXY_B"

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# run NAME PORT PID N -> appends "NAME TX_PER_S CPU_US_PER_TX" to results (N transactions)
run() {
  local name=$1 port=$2 pid=$3 n=$4 t0 t1 line
  t0=$(ticks "$pid")
  line=$(java -XX:+UseSerialGC "$HERE/TransactionLoad.java" "$port" "$CLIENTS" "$n" "$name")
  t1=$(ticks "$pid")
  [[ $line == *" errors 0" ]] || { echo "$line" >&2; exit 1; }
  awk -v cpu=$((t1 - t0)) -v tick="$TICK" -v n="$n" -v name="$name" \
    '{ printf "%s %s %.3f\n", name, $8, cpu * 1e6 / tick / n }' <<< "$line" >> "$WORK/results"
}

: > "$WORK/results"
echo "warming up both proxies ($TRANSACTIONS transactions each, not recorded)" >&2
run warm-A "$PROXY_A" "$PID_A" "$TRANSACTIONS"
run warm-B "$PROXY_B" "$PID_B" "$TRANSACTIONS"
for round in $(seq "$ROUNDS"); do
  if ((round % 2)); then
    run A "$PROXY_A" "$PID_A" "$TRANSACTIONS"; run B "$PROXY_B" "$PID_B" "$TRANSACTIONS"
  else
    run B "$PROXY_B" "$PID_B" "$TRANSACTIONS"; run A "$PROXY_A" "$PID_A" "$TRANSACTIONS"
  fi
  echo "round $round/$ROUNDS done" >&2
done

median_of() { awk -v n="$1" -v c="$2" '$1 == n { print $c }' "$WORK/results" | median; }
a=$(median_of A 2); b=$(median_of B 2); ca=$(median_of A 3); cb=$(median_of B 3)
echo "TransactionLoad: $CLIENTS clients, $TRANSACTIONS transactions (MULTI INCR GET EXEC) per run," \
  "$ROUNDS alternating rounds, medians; A = $JAR_A, B = $JAR_B"
echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(redis-server --version | awk '{print $3}'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| A tx/s | B tx/s | B / A | A CPU µs/tx | B CPU µs/tx | B / A CPU |"
echo "|---:|---:|---:|---:|---:|---:|"
awk -v a="$a" -v b="$b" -v ca="$ca" -v cb="$cb" 'BEGIN {
  printf "| %.0f | %.0f | %.2fx | %.2f | %.2f | %.2fx |\n", a, b, b / a, ca, cb, cb / ca }'
echo
echo "all runs (build tx/s cpu-us-per-tx):"
sed 's/^/    /' "$WORK/results"
