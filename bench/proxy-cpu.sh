#!/usr/bin/env bash
# Where the CPU goes behind each proxy, unpipelined: runs `redis-benchmark -t get -c 50 -P 1`
# through ringlb and through twemproxy (Debian's nutcracker, as in proxy-vs-twemproxy.sh) over the
# same three redis-servers, alternating round by round, and prints per proxy the medians of:
# requests/s, mean latency, the proxy's CPU time per request, the three redis-servers' CPU time per
# request, requests per backend read (redis-server's total_reads_processed), the benchmark client's
# CPU time per request, and the machine's context switches per request (/proc/stat ctxt): on a
# machine whose cores all these processes share, the throughput is what their summed CPU time
# per request allows.
#
#   bench/proxy-cpu.sh [ROUNDS] [REQUESTS]      (defaults: 5 rounds, 400000 requests)
#
# CPU times are user + system time from /proc/PID/stat (clock ticks, 10 ms on Debian), so runs of a
# few seconds or more are needed. Environment: RINGLB_CMD (default: bin/ringlb serve), BASE_PORT
# (default 27200: redis 27201-27203, ringlb 27210, twemproxy 27220), KEYSPACE (-r, 100000),
# WARMUP_REQUESTS (unrecorded requests given to each proxy first, 2000000).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ROUNDS=${1:-5}
REQUESTS=${2:-400000}
BASE_PORT=${BASE_PORT:-27200}
KEYSPACE=${KEYSPACE:-100000}
WARMUP_REQUESTS=${WARMUP_REQUESTS:-2000000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
REDIS_PORTS=($((BASE_PORT + 1)) $((BASE_PORT + 2)) $((BASE_PORT + 3)))
RINGLB_PORT=$((BASE_PORT + 10))
TWEM_PORT=$((BASE_PORT + 20))
RINGLB_CMD=${RINGLB_CMD:-$ROOT/bin/ringlb serve}
TICK=$(getconf CLK_TCK)

require_tools redis-server redis-benchmark redis-cli nutcracker
[[ -f "$ROOT/ringlb-cli/target/ringlb.jar" ]] || { echo "build ringlb first: mvn -q -DskipTests package" >&2; exit 2; }
require_free_ports BASE_PORT "${REDIS_PORTS[@]}" "$RINGLB_PORT" "$TWEM_PORT"

bench_workdir
REDIS_PIDS=()
for port in "${REDIS_PORTS[@]}"; do
  start_redis "$port"
  REDIS_PIDS+=("$LAST_PID")
done
start_twemproxy "$TWEM_PORT" $((BASE_PORT + 21)) "${REDIS_PORTS[@]}"
TWEM_PID=$LAST_PID
start_ringlb_proxy "$RINGLB_CMD" "$RINGLB_PORT" "${REDIS_PORTS[@]}"
RINGLB_PID=$LAST_PID # bin/ringlb execs the JVM, so this is the JVM's pid
await_servers "${REDIS_PORTS[@]}" "$TWEM_PORT" "$RINGLB_PORT"

ticks() { # PID... -> their user + system clock ticks, summed
  local sum=0 pid
  for pid in "$@"; do
    sum=$((sum + $(awk '{ print $14 + $15 }' "/proc/$pid/stat")))
  done
  echo "$sum"
}
backend_reads() {
  local sum=0 port
  for port in "${REDIS_PORTS[@]}"; do
    sum=$((sum + $(redis-cli -p "$port" info stats | tr -d '\r' | awk -F: '$1 == "total_reads_processed" { print $2 }')))
  done
  echo "$sum"
}

context_switches() { # -> context switches of the whole machine since boot
  awk '$1 == "ctxt" { print $2 }' /proc/stat
}

# measure NAME PORT PID -> appends "NAME RPS AVG_MS PROXY_US BACKENDS_US PER_READ CLIENT_US
# SWITCHES_PER_REQ" to $WORK/results
measure() {
  local name=$1 port=$2 pid=$3 p0 r0 b0 s0 p1 r1 b1 s1 out csv client
  p0=$(ticks "$pid"); r0=$(ticks "${REDIS_PIDS[@]}"); b0=$(backend_reads); s0=$(context_switches)
  # `times` in the subshell prints the CPU time of its children: the benchmark client's
  out=$( (redis-benchmark -p "$port" -t get -c 50 -n "$REQUESTS" -r "$KEYSPACE" --csv 2>/dev/null \
    | awk -F'"' '/^"GET"/ { print $4, $6 }'; times) )
  p1=$(ticks "$pid"); r1=$(ticks "${REDIS_PIDS[@]}"); b1=$(backend_reads); s1=$(context_switches)
  csv=$(sed -n 1p <<< "$out")
  # "0m1.234s 0m2.345s" (user, system) -> seconds
  client=$(sed -n 3p <<< "$out" | awk '{ n = 0; for (i = 1; i <= 2; i++) { split($i, t, "[ms]"); n += t[1] * 60 + t[2] } print n }')
  awk -v name="$name" -v csv="$csv" -v n="$REQUESTS" -v tick="$TICK" -v p=$((p1 - p0)) \
    -v r=$((r1 - r0)) -v b=$((b1 - b0)) -v c="$client" -v s=$((s1 - s0)) 'BEGIN {
      split(csv, f, " ")
      printf "%s %s %s %.2f %.2f %.2f %.2f %.2f\n", name, f[1], f[2], p * 1e6 / tick / n,
        r * 1e6 / tick / n, n / b, c * 1e6 / n, s / n
    }' >> "$WORK/results"
}

echo "warming up both proxies ($WARMUP_REQUESTS requests each, not recorded)" >&2
warm_up "$WARMUP_REQUESTS" "$RINGLB_PORT" "$TWEM_PORT" -- -r "$KEYSPACE"

: > "$WORK/results"
for round in $(seq "$ROUNDS"); do
  if (( round % 2 )); then
    measure twemproxy "$TWEM_PORT" "$TWEM_PID"; measure ringlb "$RINGLB_PORT" "$RINGLB_PID"
  else
    measure ringlb "$RINGLB_PORT" "$RINGLB_PID"; measure twemproxy "$TWEM_PORT" "$TWEM_PID"
  fi
  echo "round $round/$ROUNDS done" >&2
done

echo "redis-benchmark -t get -c 50 -P 1 -n $REQUESTS -r $KEYSPACE, $ROUNDS alternating rounds, medians"
echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(redis-server --version | awk '{print $3}'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| proxy | req/s | mean latency ms | proxy CPU µs/req | redis-servers CPU µs/req | requests per backend read | client CPU µs/req | context switches/req |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for name in twemproxy ringlb; do
  row="| $name"
  for column in 2 3 4 5 6 7 8; do
    row="$row | $(awk -v n="$name" -v c="$column" '$1 == n { print $c }' "$WORK/results" | median)"
  done
  echo "$row |"
done
echo
echo "all runs (proxy req/s mean-ms proxy-us backends-us per-read client-us switches):"
sed 's/^/    /' "$WORK/results"
