#!/usr/bin/env bash
# Runs units of Redis 7.0.15's own Tcl test suite, in its external-server mode, against three
# targets this script starts on loopback ports, and prints per unit and target the tests that
# passed ([ok]), failed ([err]), and the units that ended in an exception or a timeout:
#
#   redis     a plain redis-server (the baseline)
#   embedded  `ringlb serve` over its own server memories
#   proxy     `ringlb serve --backend ...` over three redis-servers
#
#   bench/redis-suite.sh [--targets redis,embedded,proxy] [--units "unit/type/string ..."]
#                        [--markdown FILE] [--failures DIR] [REDIS_SRC]
#
# The suite is never copied into this repository. REDIS_SRC (argument or environment) is a Redis
# 7.0.15 source tree; without it the script uses (and on first use clones, with git clone --depth 1
# --branch 7.0.15) https://github.com/redis/redis into ${XDG_CACHE_HOME:-~/.cache}/ringlb/.
# Needs tclsh 8.5 or newer (Debian: tcl), redis-server and redis-cli on PATH, and ringlb built
# (mvn -q -DskipTests package).
#
# Each unit runs as
#   ./runtest --host 127.0.0.1 --port P --baseport B --singledb --durable --timeout T
#             --tags "-needs:repl -needs:debug" --single UNIT
# against a target started for that unit alone (units change settings with CONFIG SET and do not
# always restore them), after a FLUSHALL (the harness flushes again before each group of tests).
#   --singledb   ringlb serves database 0 only: the suite then never SELECTs 9.
#   --durable    a test raising an error counts as [err] and the unit goes on, so every test of a
#                unit is counted; an error outside any test still ends the unit ([exception]).
#   --baseport   the harness's own port comes from below B (BASE_PORT + 64), not from the range
#                every other run of the suite on the machine uses.
#   --tags       tests carrying these tags are not run (SUITE_TAGS, default below):
#                  needs:repl   attaches to the replication stream (SYNC/PSYNC), which only a
#                               redis-server serves;
#                  needs:debug  uses DEBUG (RELOAD, SLEEP, OBJECT, DIGEST...), which ringlb does
#                               not serve, on purpose, and which Redis's own docs say external
#                               servers may lack;
#                needs:config-maxmemory tests set maxmemory to a byte and check when each
#                command is refused with OOM: they run against redis-server and the proxy, not
#                against the embedded server, which has no memory limit (EMBEDDED_TAGS adds
#                their deny tag for it: their CONFIG SET fails, leaving the connection inside
#                MULTI for every test after them).
#                Tests tagged external:skip, singledb:skip or large-memory are skipped by the
#                harness itself in this mode.
#
# Output: one line per unit and target as it finishes, then a summary table (ok / err /
# exception / timeout; "-" where the unit could not run). --markdown FILE writes the table in
# Markdown too; --failures DIR keeps, per target, the full log of each unit (UNIT.log) and the
# list of failed tests with the first line of each one's error (failures.txt).
#
# Environment: SUITE_TAGS (the deny tags above), EMBEDDED_TAGS (added for the embedded server,
# "-needs:config-maxmemory"), SUITE_UNIT_TIMEOUT (seconds a
# unit may take, 1200), SUITE_TEST_TIMEOUT (runtest's --timeout: seconds without progress before
# the harness gives up, 300), BASE_PORT (27300: redis 27301, embedded 27302, proxy 27303, its
# backends 27311-27313, the harness's own 27332-27363 and 37332-37363), RINGLB_CMD (default
# bin/ringlb serve), SUITE_GIT (where the suite is cloned from: https://github.com/redis/redis, or
# a mirror of it).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SUITE_VERSION=7.0.15
TARGETS=redis,embedded,proxy
UNITS="unit/type/string unit/type/incr unit/expire unit/keyspace unit/type/hash unit/type/list
unit/type/set unit/type/zset unit/multi unit/pubsub unit/scan unit/info-command"
MARKDOWN=
FAILURES=
SRC=${REDIS_SRC:-}
SUITE_TAGS=${SUITE_TAGS:--needs:repl -needs:debug}
EMBEDDED_TAGS=${EMBEDDED_TAGS--needs:config-maxmemory}
SUITE_UNIT_TIMEOUT=${SUITE_UNIT_TIMEOUT:-1200}
SUITE_TEST_TIMEOUT=${SUITE_TEST_TIMEOUT:-300}
BASE_PORT=${BASE_PORT:-27300}
SUITE_GIT=${SUITE_GIT:-https://github.com/redis/redis}

usage() {
  sed -n '/^#   bench/,/^#$/p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

while (($#)); do
  case $1 in
    --targets) TARGETS=${2:?--targets needs a list}; shift 2 ;;
    --units) UNITS=${2:?--units needs a list}; shift 2 ;;
    --markdown) MARKDOWN=${2:?--markdown needs a file}; shift 2 ;;
    --failures) FAILURES=${2:?--failures needs a folder}; shift 2 ;;
    -h | --help) usage ;;
    -*) echo "redis-suite.sh: unknown option $1" >&2; usage ;;
    *) SRC=$1; shift ;;
  esac
done

for target in ${TARGETS//,/ }; do
  case $target in
    redis | embedded | proxy) ;;
    *) echo "redis-suite.sh: unknown target '$target' (redis, embedded, proxy)" >&2; exit 2 ;;
  esac
done

require_tools redis-server redis-cli
command -v tclsh >/dev/null || command -v tclsh8.6 >/dev/null || {
  echo "tclsh not found (apt-get install -y tcl)" >&2
  exit 2
}
if [[ -z "${RINGLB_CMD:-}" ]]; then
  if [[ -x "$ROOT/bin/ringlb" && -f "$ROOT/ringlb-cli/target/ringlb.jar" ]]; then
    RINGLB_CMD="$ROOT/bin/ringlb serve"
  else
    echo "build ringlb first: mvn -q -DskipTests package" >&2
    exit 2
  fi
fi

# The suite: a given tree, or a clone cached outside the repository.
if [[ -z $SRC ]]; then
  SRC=${XDG_CACHE_HOME:-$HOME/.cache}/ringlb/redis-$SUITE_VERSION
  if [[ ! -x $SRC/runtest ]]; then
    echo "fetching Redis $SUITE_VERSION's test suite into $SRC" >&2
    mkdir -p "$(dirname "$SRC")"
    rm -rf "$SRC.partial"
    git clone -q --depth 1 --branch "$SUITE_VERSION" "$SUITE_GIT" "$SRC.partial"
    mv "$SRC.partial" "$SRC"
  fi
fi
SRC=$(cd "$SRC" && pwd)
[[ -x $SRC/runtest && -f $SRC/tests/test_helper.tcl ]] || {
  echo "$SRC is not a Redis source tree (no runtest, tests/test_helper.tcl)" >&2
  exit 2
}
src_version=$(sed -n 's/^#define REDIS_VERSION "\(.*\)"/\1/p' "$SRC/src/version.h" 2>/dev/null || true)
[[ $src_version == "$SUITE_VERSION" ]] \
  || echo "warning: $SRC is Redis ${src_version:-of unknown version}, not $SUITE_VERSION" >&2
server_version=$(redis-server --version | sed -n 's/.* v=\([^ ]*\).*/\1/p')
[[ $server_version == "$SUITE_VERSION" ]] \
  || echo "warning: redis-server on PATH is $server_version, not $SUITE_VERSION" >&2

REDIS_PORT=$((BASE_PORT + 1))
EMBEDDED_PORT=$((BASE_PORT + 2))
PROXY_PORT=$((BASE_PORT + 3))
BACKEND_PORTS=($((BASE_PORT + 11)) $((BASE_PORT + 12)) $((BASE_PORT + 13)))
HARNESS_PORT=$((BASE_PORT + 64))
require_free_ports BASE_PORT "$REDIS_PORT" "$EMBEDDED_PORT" "$PROXY_PORT" "${BACKEND_PORTS[@]}"

bench_workdir
: > "$WORK/results"

# Processes of the running target, started for one unit and stopped after it.
TARGET_PIDS=()

start_target() {
  local target=$1 port
  TARGET_PIDS=()
  case $target in
    redis)
      start_redis "$REDIS_PORT"
      TARGET_PIDS+=("$LAST_PID")
      await_servers "$REDIS_PORT"
      ;;
    embedded)
      $RINGLB_CMD --port "$EMBEDDED_PORT" > "$WORK/ringlb-embedded.log" 2>&1 &
      LAST_PID=$!
      PIDS+=("$LAST_PID")
      TARGET_PIDS+=("$LAST_PID")
      await_servers "$EMBEDDED_PORT"
      ;;
    proxy)
      for port in "${BACKEND_PORTS[@]}"; do
        start_redis "$port"
        TARGET_PIDS+=("$LAST_PID")
      done
      await_servers "${BACKEND_PORTS[@]}"
      start_ringlb_proxy "$RINGLB_CMD" "$PROXY_PORT" "${BACKEND_PORTS[@]}"
      TARGET_PIDS+=("$LAST_PID")
      await_servers "$PROXY_PORT"
      ;;
  esac
}

stop_target() {
  local pid
  local i
  for pid in "${TARGET_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  # redis-server does not stop on SIGTERM while a script runs (a test that failed before its
  # SCRIPT KILL leaves `while true do end` running): after 10 s it is killed outright.
  for ((i = 0; i < 100; i++)); do
    for pid in "${TARGET_PIDS[@]}"; do
      kill -0 "$pid" 2>/dev/null && break
      pid=
    done
    [ -z "$pid" ] && break
    sleep 0.1
  done
  for pid in "${TARGET_PIDS[@]}"; do
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  TARGET_PIDS=()
}

target_port() {
  case $1 in
    redis) echo "$REDIS_PORT" ;;
    embedded) echo "$EMBEDDED_PORT" ;;
    proxy) echo "$PROXY_PORT" ;;
  esac
}

# run_unit TARGET UNIT: runs the unit, appends "TARGET UNIT OK ERR EXCEPTION TIMEOUT" to results.
run_unit() {
  local target=$1 unit=$2 port log status=0 ok err exc timeout=0 tags=$SUITE_TAGS
  port=$(target_port "$target")
  [[ $target != embedded || -z $EMBEDDED_TAGS ]] || tags="$tags $EMBEDDED_TAGS"
  log=$WORK/$target/${unit//\//_}.log
  mkdir -p "$WORK/$target"
  start_target "$target"
  redis-cli -p "$port" flushall >/dev/null 2>&1 || true
  # The harness listens on a port of its own, below --baseport: one of ours, so that other runs
  # of the suite on this machine (default 21079-21110) do not take it.
  (cd "$SRC" && TERM=dumb timeout --kill-after=10 "$SUITE_UNIT_TIMEOUT" ./runtest \
    --host 127.0.0.1 --port "$port" --baseport "$HARNESS_PORT" --singledb --durable \
    --timeout "$SUITE_TEST_TIMEOUT" --tags "$tags" --single "$unit") \
    > "$log" 2>&1 < /dev/null || status=$?
  ok=$(grep -c '^\[ok\]:' "$log" || true)
  err=$(grep -c '^\[err\]:' "$log" || true)
  exc=$(grep -c '^\[exception\]:' "$log" || true)
  if ((status == 124 || status == 137)) || grep -q '^\[TIMEOUT\]:' "$log"; then
    timeout=1
  fi
  stop_target
  echo "$target $unit $ok $err $exc $timeout" >> "$WORK/results"
  printf '%-9s %-20s ok %4d  err %4d  exception %d  timeout %d\n' \
    "$target" "$unit" "$ok" "$err" "$exc" "$timeout"
  # The failed tests, each with the first line of its error message.
  awk -v unit="$unit" '
    # A failed assertion is one line; an error is its message cut by 10 characters (the harness
    # drops "assertion:"), then the whole message as the first line of its stack trace.
    want == 2 { print unit ": " name ": " (index($0, msg) && $0 !~ /^\[/ ? $0 : msg); want = 0 }
    want == 1 { msg = $0; want = 2; next }
    /^\[err\]:/ { name = substr($0, 8); sub(/ in tests\/.*$/, "", name); want = 1; next }
    /^\[exception\]:/ { print unit ": EXCEPTION: " substr($0, 14); getline; print unit ":   " $0 }
    /^\[TIMEOUT\]:/ { print unit ": TIMEOUT" }' "$log" >> "$WORK/$target/failures.txt"
}

for target in ${TARGETS//,/ }; do
  echo "== $target" >&2
  mkdir -p "$WORK/$target"
  : > "$WORK/$target/failures.txt"
  for unit in $UNITS; do
    run_unit "$target" "$unit"
  done
done

# table FORMAT: the summary, one row per unit, one column per target ("ok / err / exc / t.o.").
table() {
  local targets=${TARGETS//,/ }
  awk -v targets="$targets" -v units="$(echo $UNITS)" -v md="$1" '
    { key = $1 " " $2; ok[key] = $3; err[key] = $4; exc[key] = $5; to[key] = $6
      tok[$1] += $3; terr[$1] += $4; texc[$1] += $5; tto[$1] += $6 }
    function cell(o, e, x, t) { return sprintf("%d / %d / %d / %d", o, e, x, t) }
    END {
      nt = split(targets, T, " "); nu = split(units, U, " ")
      if (md) {
        line = "| unit |"; sep = "|---|"
        for (i = 1; i <= nt; i++) { line = line " " T[i] " |"; sep = sep "---:|" }
        print line; print sep
      } else {
        printf "%-20s", "unit"; for (i = 1; i <= nt; i++) printf " %22s", T[i]; printf "\n"
      }
      for (u = 1; u <= nu; u++) {
        if (md) line = "| " U[u] " |"; else line = sprintf("%-20s", U[u])
        for (i = 1; i <= nt; i++) {
          key = T[i] " " U[u]
          c = (key in ok) ? cell(ok[key], err[key], exc[key], to[key]) : "-"
          if (md) line = line " " c " |"; else line = line sprintf(" %22s", c)
        }
        print line
      }
      if (md) line = "| **total** |"; else line = sprintf("%-20s", "total")
      for (i = 1; i <= nt; i++) {
        c = cell(tok[T[i]], terr[T[i]], texc[T[i]], tto[T[i]])
        if (md) line = line " " c " |"; else line = line sprintf(" %22s", c)
      }
      print line
    }' "$WORK/results"
}

echo
echo "Redis $SUITE_VERSION test suite, external mode (--singledb --durable --tags \"$SUITE_TAGS\";" \
  "embedded also \"$EMBEDDED_TAGS\")"
echo "$(date -u +%Y-%m-%d), redis-server $server_version; cells: ok / err / exception / timeout"
echo
table 0
if [[ -n $MARKDOWN ]]; then
  table 1 > "$MARKDOWN"
  echo "Markdown table written to $MARKDOWN" >&2
fi
if [[ -n $FAILURES ]]; then
  mkdir -p "$FAILURES"
  for target in ${TARGETS//,/ }; do
    rm -rf "${FAILURES:?}/$target"
    cp -r "$WORK/$target" "$FAILURES/$target"
  done
  echo "logs and failed tests written to $FAILURES/TARGET/" >&2
fi
