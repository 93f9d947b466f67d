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
