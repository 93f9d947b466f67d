#!/usr/bin/env bash
# Times `bin/ringlb run FILE` against a baseline program on the same command file.
#
# usage: bench/compare-run.sh BASELINE_CMD FILE [RUNS]
#   BASELINE_CMD  the baseline's command line; FILE is appended as its last argument
#                 (e.g. /path/to/other/load_balancer)
#   FILE          a command file, e.g. one written by bench/gen-commands
#   RUNS          timed rounds (default 5), after one untimed warm-up round
#
# Each round runs both programs one after the other, alternating which one goes first, with
# stdout to a file; stdout must be byte-identical to the baseline's (the first difference is
# shown). Prints every wall time, the medians and the ratio ringlb/baseline.
# RINGLB overrides the ringlb command (default: "<repo>/bin/ringlb run").
# Exit status: 0 when every output matched, 1 when one differed, 2 on a usage error.
set -euo pipefail

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[[ $# -ge 2 && $# -le 3 ]] || usage
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
source "$here/lib.sh"
read -r -a baseline <<<"$1"
file="$2"
runs="${3:-5}"
read -r -a ringlb <<<"${RINGLB:-$repo/bin/ringlb run}"
[[ -r "$file" ]] || { echo "compare-run: cannot read command file '$file'" >&2; exit 2; }
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "compare-run: RUNS must be a positive number: '$runs'" >&2; exit 2; }
command -v "${baseline[0]}" >/dev/null || { echo "compare-run: baseline '${baseline[0]}' is not a command" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# run NAME OUTFILE CMD... : runs CMD with FILE appended, prints the wall time in seconds
run() {
  local out="$1"; shift
  local start end status=0
  start=$EPOCHREALTIME
  "$@" "$file" >"$out" 2>"$out.err" || status=$?
  end=$EPOCHREALTIME
  if [[ $status -ne 0 ]]; then
    echo "compare-run: '$*' exited with status $status; stderr:" >&2
    head -5 "$out.err" >&2
  fi
  awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f\n", e - s }'
}

echo "file: $file ($(wc -l <"$file") lines, $(wc -c <"$file") bytes)"
echo "ringlb:   ${ringlb[*]} FILE"
echo "baseline: ${baseline[*]} FILE"
echo "warm-up round (untimed)"
run "$work/ringlb.out" "${ringlb[@]}" >/dev/null
run "$work/base.out" "${baseline[@]}" >/dev/null

mismatch=0
check() {
  if ! cmp -s "$work/ringlb.out" "$work/base.out"; then
    mismatch=1
    local differing
    differing=$(diff "$work/ringlb.out" "$work/base.out" | grep -c '^<' || true)
    echo "  OUTPUT DIFFERS: $differing lines of ringlb's stdout differ from the baseline's; first difference:"
    { diff "$work/ringlb.out" "$work/base.out" || true; } | sed -n '1,4s/^/    /p'
  fi
}
check

: >"$work/t.ringlb"; : >"$work/t.base"
for ((i = 1; i <= runs; i++)); do
  if ((i % 2)); then
    tr=$(run "$work/ringlb.out" "${ringlb[@]}"); tb=$(run "$work/base.out" "${baseline[@]}")
  else
    tb=$(run "$work/base.out" "${baseline[@]}"); tr=$(run "$work/ringlb.out" "${ringlb[@]}")
  fi
  echo "$tr" >>"$work/t.ringlb"; echo "$tb" >>"$work/t.base"
  printf 'round %d: ringlb %s s, baseline %s s\n' "$i" "$tr" "$tb"
  check
done

mr=$(median %.3f <"$work/t.ringlb"); mb=$(median %.3f <"$work/t.base")
echo "median of $runs: ringlb $mr s, baseline $mb s"
awk -v r="$mr" -v b="$mb" 'BEGIN { printf "ratio ringlb/baseline: %.3f\n", r / b }'
if ((mismatch)); then
  echo "stdout: DIFFERS from the baseline (see above)"
  exit 1
fi
echo "stdout: byte-identical in every round"
