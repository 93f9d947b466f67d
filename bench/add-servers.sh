#!/usr/bin/env bash
# Times `bin/ringlb run` against a baseline program on files of N `add_server` lines, for several N.
#
# usage: bench/add-servers.sh BASELINE_CMD N... 
#   BASELINE_CMD  the baseline's command line; the file is appended as its last argument
#                 (e.g. /path/to/load_balancer/tema2, see docs/BENCHMARKS.md)
#   N             lines per file, 1 to 100000: `add_server 0` to `add_server N-1`
#
# For each N, ROUNDS rounds (default 3, after one untimed warm-up run of each) run both programs
# one after the other, alternating which one goes first; both must exit 0 and print nothing on
# stdout. Prints every wall time, then one row per N: the medians, the ratio ringlb/baseline and,
# from the previous N, each program's time growth per doubling of N (2.0: linear, 4.0: quadratic).
# RINGLB overrides the ringlb command (default: "<repo>/bin/ringlb run").
# Exit status: 0 when every run succeeded, 1 when one failed, 2 on a usage error.
set -euo pipefail

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[[ $# -ge 2 ]] || usage
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
source "$here/lib.sh"
read -r -a baseline <<<"$1"
shift
read -r -a ringlb <<<"${RINGLB:-$repo/bin/ringlb run}"
rounds="${ROUNDS:-3}"
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "add-servers: ROUNDS must be a positive number: '$rounds'" >&2; exit 2; }
for n in "$@"; do
  [[ "$n" =~ ^[1-9][0-9]*$ && "$n" -le 100000 ]] || { echo "add-servers: N must be 1 to 100000: '$n'" >&2; exit 2; }
done
command -v "${baseline[0]}" >/dev/null || { echo "add-servers: baseline '${baseline[0]}' is not a command" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=0

# run FILE CMD... : runs CMD FILE, prints the wall time in seconds; a failure is reported
run() {
  local file="$1"; shift
  local start end status=0
  start=$EPOCHREALTIME
  "$@" "$file" >"$work/out" 2>"$work/err" || status=$?
  end=$EPOCHREALTIME
  if [[ $status -ne 0 || -s "$work/out" ]]; then
    failed=1
    echo "add-servers: '$* $file' exited with status $status, $(wc -c <"$work/out") bytes on stdout; stderr:" >&2
    head -5 "$work/err" >&2
  fi
  awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f\n", e - s }'
}

echo "ringlb:   ${ringlb[*]} FILE"
echo "baseline: ${baseline[*]} FILE"
echo "rounds per N: $rounds (alternating, after one warm-up run of each)"
rows=()
for n in "$@"; do
  file="$work/add-$n.txt"
  seq 0 $((n - 1)) | sed 's/^/add_server /' >"$file"
  run "$file" "${ringlb[@]}" >/dev/null
  run "$file" "${baseline[@]}" >/dev/null
  : >"$work/t.ringlb"; : >"$work/t.base"
  for ((i = 1; i <= rounds; i++)); do
    if ((i % 2)); then
      tr=$(run "$file" "${ringlb[@]}"); tb=$(run "$file" "${baseline[@]}")
    else
      tb=$(run "$file" "${baseline[@]}"); tr=$(run "$file" "${ringlb[@]}")
    fi
    echo "$tr" >>"$work/t.ringlb"; echo "$tb" >>"$work/t.base"
    printf 'N=%d round %d: ringlb %s s, baseline %s s\n' "$n" "$i" "$tr" "$tb"
  done
  rows+=("$n $(median %.3f <"$work/t.ringlb") $(median %.3f <"$work/t.base")")
done

echo
echo "| N add_server | ringlb (median) | baseline (median) | ratio | ringlb growth per doubling | baseline growth per doubling |"
echo "|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}" | awk '
  {
    growth_r = "-"; growth_b = "-"
    if (NR > 1 && $1 != pn && pr > 0 && pb > 0) {
      d = log($1 / pn) / log(2)
      growth_r = sprintf("%.2f", exp(log($2 / pr) / d))
      growth_b = sprintf("%.2f", exp(log($3 / pb) / d))
    }
    printf "| %d | %.3f s | %.3f s | %.3f | %s | %s |\n", $1, $2, $3, $2 / $3, growth_r, growth_b
    pn = $1; pr = $2; pb = $3
  }'
exit "$failed"
