#!/usr/bin/env bash
# A/B of two builds of ringlb on the same machine in the same run: the build before a change (A)
# and after it (B), each as the embedded server and as the sharding proxy over the same three
# redis-servers, with redis-benchmark: SET and GET, 50 clients, unpipelined (-P 1) and pipelined
# (-P 16), keys spread over a key space (-r), A and B alternating round by round (A first in odd
# rounds). Prints, per side, the median requests/s of each build, the ratio B / A, and the
# median CPU time per request of each build's JVM (user + system, from /proc/PID/stat), which is
# what moves when throughput is capped by the machine's shared cores.
#
#   bench/ab-builds.sh JAR_A JAR_B [ROUNDS] [REQUESTS]     (defaults: 5 rounds, 500000 requests)
#
# REQUESTS is per unpipelined run; a pipelined run sends PIPELINED_REQUESTS (default 8 times as
# many), so that it lasts as long and its CPU time spans enough clock ticks.
# JAR_A and JAR_B are ringlb.jar files (ringlb-cli/target/ringlb.jar of each build), started with
# `java -jar JAR serve`. Environment: BASE_PORT picks the first of the loopback ports used (default
# 27400: redis 27401-27403, embedded A/B 27410/27411, proxy A/B 27420/27421); KEYSPACE is
# redis-benchmark's -r (100000); WARMUP_REQUESTS the unrecorded requests each server gets first.
# HTTP_B=1 starts B's two servers with --http (ports BASE_PORT+111 and +121) and, for the whole
# run, fetches B's /metrics once a second and /api/ring twice a second (a scraper and an open
# dashboard): with JAR_A = JAR_B, the cost of the HTTP port and its metrics, measured A/B.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[[ $# -ge 2 ]] || { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
JAR_A=$1
JAR_B=$2
ROUNDS=${3:-5}
REQUESTS=${4:-500000}
BASE_PORT=${BASE_PORT:-27400}
KEYSPACE=${KEYSPACE:-100000}
WARMUP_REQUESTS=${WARMUP_REQUESTS:-1000000}
PIPELINED_REQUESTS=${PIPELINED_REQUESTS:-$((8 * REQUESTS))}
REDIS_PORTS=($((BASE_PORT + 1)) $((BASE_PORT + 2)) $((BASE_PORT + 3)))
EMBEDDED_A=$((BASE_PORT + 10))
EMBEDDED_B=$((BASE_PORT + 11))
PROXY_A=$((BASE_PORT + 20))
PROXY_B=$((BASE_PORT + 21))
HTTP_B=${HTTP_B:-0}
HTTP_PORTS=($((BASE_PORT + 111)) $((BASE_PORT + 121)))
TICK=$(getconf CLK_TCK)

for jar in "$JAR_A" "$JAR_B"; do
  [[ -f "$jar" ]] || { echo "$jar: no such jar (build it: mvn -q -DskipTests package)" >&2; exit 2; }
done
require_tools redis-server redis-benchmark redis-cli
((HTTP_B == 0)) || require_tools curl
require_free_ports BASE_PORT "${REDIS_PORTS[@]}" "$EMBEDDED_A" "$EMBEDDED_B" "$PROXY_A" "$PROXY_B"

bench_workdir
for port in "${REDIS_PORTS[@]}"; do
  start_redis "$port"
done
start_java() { # JAR PORT ARGS... -> LAST_PID
  local jar=$1 port=$2
  shift 2
  java -jar "$jar" serve --port "$port" "$@" > "$WORK/ringlb-$port.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}
backends=()
for i in 0 1 2; do
  backends+=(--backend "$i=127.0.0.1:${REDIS_PORTS[$i]}")
done
http_embedded=()
http_proxy=()
if ((HTTP_B)); then
  http_embedded=(--http "127.0.0.1:${HTTP_PORTS[0]}")
  http_proxy=(--http "127.0.0.1:${HTTP_PORTS[1]}")
fi
start_java "$JAR_A" "$EMBEDDED_A"; PID_EMBEDDED_A=$LAST_PID
start_java "$JAR_B" "$EMBEDDED_B" "${http_embedded[@]}"; PID_EMBEDDED_B=$LAST_PID
start_java "$JAR_A" "$PROXY_A" "${backends[@]}"; PID_PROXY_A=$LAST_PID
start_java "$JAR_B" "$PROXY_B" "${backends[@]}" "${http_proxy[@]}"; PID_PROXY_B=$LAST_PID
await_servers "${REDIS_PORTS[@]}" "$EMBEDDED_A" "$EMBEDDED_B" "$PROXY_A" "$PROXY_B"
if ((HTTP_B)); then
  # a scraper (/metrics every second) and an open dashboard (/api/ring twice a second) on each
  # of B's servers, for at most 10 hours; stopped with the servers at exit
  (
    for ((i = 0; i < 72000; i++)); do
      for port in "${HTTP_PORTS[@]}"; do
        curl -sf -o /dev/null "http://127.0.0.1:$port/api/ring" || true
        ((i % 2)) || curl -sf -o /dev/null "http://127.0.0.1:$port/metrics" || true
      done
      sleep 0.5
    done
  ) &
  PIDS+=($!)
fi

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# run NAME PORT PID PIPELINE -> appends "NAME PIPELINE TEST RPS CPU_US_PER_REQUEST" to results
run() {
  local name=$1 port=$2 pid=$3 pipeline=$4 test t0 t1 n=$REQUESTS
  ((pipeline == 1)) || n=$PIPELINED_REQUESTS
  for test in set get; do
    t0=$(ticks "$pid")
    redis-benchmark -p "$port" -P "$pipeline" -t "$test" -c 50 -n "$n" -r "$KEYSPACE" \
      -q --csv | awk -F'"' -v name="$name" -v p="$pipeline" '/^"[A-Z]/ { print name, p, $2, $4 }' \
      > "$WORK/one"
    t1=$(ticks "$pid")
    awk -v cpu=$((t1 - t0)) -v tick="$TICK" -v n="$n" \
      '{ printf "%s %.3f\n", $0, cpu * 1e6 / tick / n }' "$WORK/one" >> "$WORK/results"
  done
}

: > "$WORK/results"
echo "warming up the four servers ($WARMUP_REQUESTS requests each, not recorded)" >&2
warm_up "$WARMUP_REQUESTS" "$EMBEDDED_A" "$EMBEDDED_B" "$PROXY_A" "$PROXY_B" -- -r "$KEYSPACE"
for round in $(seq "$ROUNDS"); do
  for p in 1 16; do
    if ((round % 2)); then
      run embedded-A "$EMBEDDED_A" "$PID_EMBEDDED_A" "$p"; run embedded-B "$EMBEDDED_B" "$PID_EMBEDDED_B" "$p"
      run proxy-A "$PROXY_A" "$PID_PROXY_A" "$p"; run proxy-B "$PROXY_B" "$PID_PROXY_B" "$p"
    else
      run embedded-B "$EMBEDDED_B" "$PID_EMBEDDED_B" "$p"; run embedded-A "$EMBEDDED_A" "$PID_EMBEDDED_A" "$p"
      run proxy-B "$PROXY_B" "$PID_PROXY_B" "$p"; run proxy-A "$PROXY_A" "$PID_PROXY_A" "$p"
    fi
  done
  echo "round $round/$ROUNDS done" >&2
done

median_of() { # NAME PIPELINE TEST COLUMN
  awk -v n="$1" -v p="$2" -v t="$3" -v c="$4" '$1 == n && $2 == p && $3 == t { print $c }' \
    "$WORK/results" | median
}
echo "redis-benchmark -c 50 -n $REQUESTS (-P 1) / $PIPELINED_REQUESTS (-P 16) -r $KEYSPACE," \
  "$ROUNDS alternating rounds, medians;" \
  "A = $JAR_A, B = $JAR_B$( ((HTTP_B)) && echo ' with --http, scraped every second, /api/ring twice a second')"
echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(redis-server --version | awk '{print $3}'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
for side in embedded proxy; do
  echo
  echo "| $side | pipeline | A req/s | B req/s | B / A | A CPU µs/req | B CPU µs/req | B / A CPU |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|"
  for p in 1 16; do
    for test in SET GET; do
      a=$(median_of "$side-A" "$p" "$test" 4); b=$(median_of "$side-B" "$p" "$test" 4)
      ca=$(median_of "$side-A" "$p" "$test" 5); cb=$(median_of "$side-B" "$p" "$test" 5)
      awk -v t="$test" -v p="$p" -v a="$a" -v b="$b" -v ca="$ca" -v cb="$cb" 'BEGIN {
        printf "| %s | -P %s | %.0f | %.0f | %.2fx | %.2f | %.2f | %.2fx |\n", t, p, a, b, b / a, ca, cb, cb / ca }'
    done
  done
done
echo
echo "all runs (server pipeline test req/s cpu-us-per-request):"
sed 's/^/    /' "$WORK/results"
