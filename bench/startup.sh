#!/usr/bin/env bash
# Measures the wall time of `bin/ringlb run` on a small command file (start-up dominated).
#
# usage: bench/startup.sh [--baseline CMD] [--runs N] [FILE]
#   FILE        command file (default: a 10-line file written by bench/gen-commands --lines 10)
#   --baseline  a second command to time alongside in the same run; FILE is appended to it
#   --runs      timed runs per command (default 30), after 5 warm-up runs
#
# Uses hyperfine when installed (reports mean, min, max and the relative speed), otherwise a
# plain loop (reports every run and the median). RINGLB overrides the ringlb command
# (default: "<repo>/bin/ringlb run"); NO_HYPERFINE=1 forces the loop. Target: median <= 0.1 s.
set -euo pipefail

usage() { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
source "$here/lib.sh"
baseline=""
runs=30
file=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --baseline) [[ $# -ge 2 ]] || usage; baseline="$2"; shift 2 ;;
    --runs) [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]*$ ]] || usage; runs="$2"; shift 2 ;;
    -h|--help) usage ;;
    -*) echo "startup: unknown option '$1'" >&2; usage ;;
    *) [[ -z "$file" ]] || usage; file="$1"; shift ;;
  esac
done
ringlb="${RINGLB:-$repo/bin/ringlb run}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [[ -z "$file" ]]; then
  file="$work/ten-lines.txt"
  "$here/gen-commands" --lines 10 "$file" 2>/dev/null
fi
[[ -r "$file" ]] || { echo "startup: cannot read command file '$file'" >&2; exit 2; }
echo "file: $file ($(wc -l <"$file") lines)"

if [[ -z "${NO_HYPERFINE:-}" ]] && command -v hyperfine >/dev/null; then
  cmds=("$ringlb $file")
  [[ -z "$baseline" ]] || cmds+=("$baseline $file")
  hyperfine -N --warmup 5 --runs "$runs" --export-json "$work/h.json" "${cmds[@]}"
  # median of the ringlb runs, from the exported timings
  python3 - "$work/h.json" <<'PY' 2>/dev/null || true
import json, statistics, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(f"median {statistics.median(r['times']):.4f} s  {r['command']}")
PY
else
  time_cmd() {
    local label="$1"; shift
    local i s e
    for ((i = 0; i < 5; i++)); do "$@" "$file" >/dev/null 2>&1 || true; done
    : >"$work/t"
    for ((i = 0; i < runs; i++)); do
      s=$EPOCHREALTIME; "$@" "$file" >/dev/null 2>&1 || true; e=$EPOCHREALTIME
      awk -v s="$s" -v e="$e" 'BEGIN { printf "%.4f\n", e - s }' >>"$work/t"
    done
    echo "$label: $(tr '\n' ' ' <"$work/t")"
    echo "median $(median %.4f <"$work/t") s  $label"
  }
  read -r -a r <<<"$ringlb"
  time_cmd "$ringlb" "${r[@]}"
  if [[ -n "$baseline" ]]; then
    read -r -a b <<<"$baseline"
    time_cmd "$baseline" "${b[@]}"
  fi
fi
