# Shell functions shared by the benchmark scripts under bench/. Source it, do not run it:
#
#   source "$(dirname "$0")/lib.sh"
#
# Sourcing defines functions only: it sets no shell option, variable or trap and starts nothing.
# The functions report problems on stderr and return non-zero, so a script under
# `set -euo pipefail` stops there.
#
#   median [FORMAT]
#       Reads numbers on stdin, one per line (blank lines skipped), and prints their median: the
#       middle one as read for an odd count, the mean of the two middle ones for an even count.
#       With FORMAT (a printf format such as %.3f) the median is printed with it. Fails on no input.
#   redis_up PORT
#       Succeeds if something answers `redis-cli -p PORT ping` on the loopback interface.
#   wait_for_redis PORT [TRIES]
#       Pings PORT every 0.1 s until it answers, TRIES times at most (default 100), then once
#       more with redis-cli's error shown; fails if that last ping gets no answer.
#   redis_bench_csv RESULTS NAME PORT PIPELINE [REDIS-BENCHMARK ARGS...]
#       Runs `redis-benchmark -p PORT -P PIPELINE ARGS... -q --csv` and appends one line
#       "NAME PIPELINE TEST RPS" per test it reports to the file RESULTS (spaces in a test's name
#       become underscores).
#   require_tools TOOL...
#       Exits the script (status 2) naming the first TOOL not on PATH and the Debian packages
#       that hold the tools the scripts use.
#   require_free_ports HINT PORT...
#       Exits the script (status 2) if something answers on one of the PORTs; HINT says which
#       variable picks other ports.
#   bench_workdir
#       Makes WORK (a temporary folder) and PIDS (processes to stop), and traps EXIT to stop every
#       process in PIDS and remove WORK.
#   start_redis PORT
#       Starts a redis-server without persistence on 127.0.0.1:PORT, logging into WORK; its pid
#       goes to PIDS and LAST_PID.
#   start_twemproxy PORT STATS_PORT REDIS_PORT...
#       Starts twemproxy (Debian's nutcracker: ketama, fnv1a_64, redis, no ejection) on
#       127.0.0.1:PORT over the redis-servers on the loopback REDIS_PORTs; pid to PIDS, LAST_PID.
#   start_ringlb_proxy COMMAND PORT REDIS_PORT...
#       Starts `COMMAND --port PORT --backend 0=127.0.0.1:REDIS_PORT ...` (COMMAND split into
#       words, e.g. "bin/ringlb serve"), logging to WORK/ringlb.log; pid to PIDS and LAST_PID.
#   await_servers PORT...
#       Waits for each PORT to answer PING; if one does not, prints the logs in WORK and exits 1.
#   warm_up REQUESTS PORT... [-- REDIS-BENCHMARK ARGS...]
#       Runs `redis-benchmark -t set,get -c 50 -n REQUESTS` at pipelines 1 and 16 against each
#       PORT, unrecorded (ringlb's JIT), with ARGS added (e.g. -r 100000).
#   alternate ROUNDS NAME_A PORT_A NAME_B PORT_B
#       Calls the script's own `run NAME PORT PIPELINE` for pipelines 1 and 16, ROUNDS times, A
#       first in odd rounds and B first in even ones, and reports each round on stderr.
#   ratio_table RESULTS BASE BASE_HEADING NAME NAME_HEADING
#       Prints a Markdown table of the median requests/s of BASE and NAME in RESULTS (lines as
#       redis_bench_csv writes them), one row per pipeline depth and test in the order they first
#       appear, with the ratio NAME / BASE:
#         | test | pipeline | BASE_HEADING | NAME_HEADING | ratio |
#         | SET | -P 1 | 70097 | 100543 | 1.43x |

median() {
  sort -g | awk -v format="${1:-}" '
    NF { v[++n] = $1 }
    END {
      if (n == 0) { print "median: no numbers on stdin" > "/dev/stderr"; exit 1 }
      OFMT = "%.15g"
      m = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
      if (format != "") printf format "\n", m; else print m
    }'
}

redis_up() {
  redis-cli -p "$1" ping >/dev/null 2>&1
}

wait_for_redis() {
  local port=$1 tries=${2:-100} i
  for ((i = 0; i < tries; i++)); do
    redis_up "$port" && return 0
    sleep 0.1
  done
  redis-cli -p "$port" ping >/dev/null
}

redis_bench_csv() {
  local results=$1 name=$2 port=$3 pipeline=$4
  shift 4
  redis-benchmark -p "$port" -P "$pipeline" "$@" -q --csv \
    | awk -F'"' -v name="$name" -v p="$pipeline" '
        /^"[A-Z]/ { gsub(/ /, "_", $2); print name, p, $2, $4 }' >> "$results"
}

ratio_table() {
  local results=$1 base=$2 base_heading=$3 name=$4 name_heading=$5 p test b n
  echo "| test | pipeline | $base_heading | $name_heading | ratio |"
  echo "|---|---|---:|---:|---:|"
  while read -r p test; do
    b=$(awk -v n="$base" -v p="$p" -v t="$test" '$1 == n && $2 == p && $3 == t { print $4 }' \
      "$results" | median) || { echo "ratio_table: no $base results for $test -P $p" >&2; return 1; }
    n=$(awk -v n="$name" -v p="$p" -v t="$test" '$1 == n && $2 == p && $3 == t { print $4 }' \
      "$results" | median) || { echo "ratio_table: no $name results for $test -P $p" >&2; return 1; }
    awk -v t="$test" -v p="$p" -v r="$b" -v l="$n" \
      'BEGIN { printf "| %s | -P %s | %.0f | %.0f | %.2fx |\n", t, p, r, l, l / r }'
  done < <(awk '!seen[$2 " " $3]++ { print $2, $3 }' "$results")
}

require_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || {
      echo "$tool not found (apt-get install -y redis-server redis-tools nutcracker)" >&2
      exit 2
    }
  done
}

require_free_ports() {
  local hint=$1 port
  shift
  for port in "$@"; do
    if redis_up "$port"; then
      echo "port $port is already in use: set $hint" >&2
      exit 2
    fi
  done
}

bench_workdir() {
  WORK=$(mktemp -d)
  PIDS=()
  trap 'for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
}

start_redis() {
  redis-server --port "$1" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
    --logfile "$WORK/redis-$1.log" &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}

start_twemproxy() {
  local port=$1 stats=$2 i=0 redis_port
  shift 2
  {
    echo "ringlb_bench:"
    echo "  listen: 127.0.0.1:$port"
    echo "  hash: fnv1a_64"
    echo "  distribution: ketama"
    echo "  redis: true"
    echo "  auto_eject_hosts: false"
    echo "  servers:"
    for redis_port in "$@"; do
      echo "   - 127.0.0.1:$redis_port:1 s$((i++))"
    done
  } > "$WORK/nutcracker.yml"
  nutcracker -c "$WORK/nutcracker.yml" -s "$stats" -o "$WORK/nutcracker.log" &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}

start_ringlb_proxy() {
  local command=$1 port=$2 i=0 redis_port backends=()
  shift 2
  for redis_port in "$@"; do
    backends+=(--backend "$((i++))=127.0.0.1:$redis_port")
  done
  # COMMAND is split into words on purpose
  $command --port "$port" "${backends[@]}" > "$WORK/ringlb.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}

await_servers() {
  local port
  for port in "$@"; do
    wait_for_redis "$port" || {
      echo "server on port $port did not start" >&2
      cat "$WORK"/*.log >&2
      exit 1
    }
  done
}

warm_up() {
  local requests=$1 ports=() p port
  shift
  while (($#)) && [[ $1 != -- ]]; do
    ports+=("$1")
    shift
  done
  (($#)) && shift
  for p in 1 16; do
    for port in "${ports[@]}"; do
      redis-benchmark -p "$port" -t set,get -c 50 -n "$requests" -P "$p" "$@" -q >/dev/null 2>&1
    done
  done
}

alternate() {
  local rounds=$1 a=$2 a_port=$3 b=$4 b_port=$5 round p
  for round in $(seq "$rounds"); do
    for p in 1 16; do
      if ((round % 2)); then
        run "$a" "$a_port" "$p"; run "$b" "$b_port" "$p"
      else
        run "$b" "$b_port" "$p"; run "$a" "$a_port" "$p"
      fi
    done
    echo "round $round/$rounds done" >&2
  done
}
