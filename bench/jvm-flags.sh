#!/usr/bin/env bash
# Compares JVM option sets for `ringlb run` on a small and a large command file, alternating.
#
# usage: bench/jvm-flags.sh LARGE_FILE [ROUNDS] [-- "OPTS" "OPTS" ...]
#   LARGE_FILE  e.g. a 1,000,000-line file from bench/gen-commands
#   ROUNDS      rounds per option set (default 5); each round runs every set once per file
#   OPTS        JVM option sets to compare (default: the launcher's and a few alternatives)
#
# Each option set gets its own class-data-sharing archive (made once, untimed, as bin/ringlb
# does on first run), then the sets run in turn on a 10-line file and on LARGE_FILE. Prints the
# median wall time of each set on each file. Runs the jar directly (not bin/ringlb), so that
# option sets may pick another garbage collector.
set -euo pipefail

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[[ $# -ge 1 ]] || usage
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"
jar="$(dirname "$here")/ringlb-cli/target/ringlb.jar"
large="$1"; shift
rounds=5
if [[ $# -gt 0 && "$1" != "--" ]]; then rounds="$1"; shift; fi
[[ $# -eq 0 || "$1" == "--" ]] || usage
[[ $# -gt 0 ]] && shift
sets=("$@")
if [[ ${#sets[@]} -eq 0 ]]; then
  sets=(
    "-XX:+UseSerialGC -XX:-UsePerfData -XX:TieredStopAtLevel=1"
    "-XX:+UseSerialGC -XX:-UsePerfData"
    "-XX:+UseParallelGC -XX:-UsePerfData"
    "-XX:+UseG1GC -XX:-UsePerfData"
  )
fi
[[ -f "$jar" ]] || { echo "jvm-flags: build first: mvn -q package -DskipTests" >&2; exit 2; }
[[ -r "$large" ]] || { echo "jvm-flags: cannot read '$large'" >&2; exit 2; }
quiet=(-Xlog:disable -Xlog:all=warning:stderr "-Xlog:cds*=off:stderr")

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
small="$work/ten-lines.txt"
"$here/gen-commands" --lines 10 "$small" 2>/dev/null

for i in "${!sets[@]}"; do
  read -r -a opts <<<"${sets[$i]}"
  java "${opts[@]}" "${quiet[@]}" "-XX:ArchiveClassesAtExit=$work/$i.jsa" -jar "$jar" run "$large" \
    >/dev/null 2>&1 || true
done

wall() {
  local s e
  s=$EPOCHREALTIME
  "$@" >/dev/null 2>&1 || true
  e=$EPOCHREALTIME
  awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f\n", e - s }'
}
for ((r = 0; r < rounds; r++)); do
  for i in "${!sets[@]}"; do
    read -r -a opts <<<"${sets[$i]}"
    cmd=(java "${opts[@]}" "${quiet[@]}" "-XX:SharedArchiveFile=$work/$i.jsa" -jar "$jar" run)
    wall "${cmd[@]}" "$small" >>"$work/$i.small"
    wall "${cmd[@]}" "$large" >>"$work/$i.large"
  done
done

printf '%-10s %-10s %s\n' "10 lines" "large" "options (median wall seconds of $rounds)"
for i in "${!sets[@]}"; do
  printf '%-10s %-10s %s\n' "$(median %.3f <"$work/$i.small")" "$(median %.3f <"$work/$i.large")" \
    "${sets[$i]}"
done
