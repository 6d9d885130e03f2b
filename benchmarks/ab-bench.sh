#!/usr/bin/env bash
# A/B comparison of two builds of rnnc with `rnnc bench`, alternating them run by run (A B, then B A, ...) so
# that a change of the machine's load hits both alike, every run pinned to one core. Prints, per case, the median
# (and every value) of each side: ns per step, or ms per iteration in train mode.
#
# Usage: benchmarks/ab-bench.sh DIR_A DIR_B [ROUNDS]
#   DIR_A, DIR_B: checkouts whose CLI is built (`mvn -q -o package -DskipTests -pl compiler/cli -am`), e.g. a
#                 `git worktree add /tmp/base <commit>` of the version to compare against, and this one
#   ROUNDS:       alternations (default 4)
# Environment: BENCH_CPU (default 0, for taskset -c), BENCH_SPECS (default: this checkout's specs/),
#              BENCH_CASES (newline-separated `rnnc bench` arguments after the spec directory; default below).
# Example (the figures of "Portable speed", kernels specialised to shapes):
#   git worktree add /tmp/base e941282 && (cd /tmp/base && mvn -q -o package -DskipTests -pl compiler/cli -am)
#   benchmarks/ab-bench.sh /tmp/base . 6
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
a="$(cd "$1" && pwd)"
b="$(cd "$2" && pwd)"
rounds="${3:-4}"
cpu="${BENCH_CPU:-0}"
specs="${BENCH_SPECS:-$here/../specs}"
default_cases="lstm_1_32.yaml --mode step --seconds 3
gru_16_64.yaml --mode step --seconds 3
lstm_64_128.yaml --mode step --seconds 3
gru_64_128.yaml --mode step --seconds 3
lstm_256_512.yaml --mode step --seconds 3
train_lstm_64_128.yaml --mode train --batch 32 --length 64 --seconds 3
gru_64_128.yaml --mode sequence --batch 1 --length 100 --seconds 3"
mapfile -t cases <<< "${BENCH_CASES:-$default_cases}"
results="$(mktemp)"
trap 'rm -f "$results"' EXIT

run() {  # SIDE DIR CASE-INDEX
  local side="$1" dir="$2" index="$3" line value
  # shellcheck disable=SC2086
  line="$(cd "$dir" && taskset -c "$cpu" ./rnnc bench "$specs"/${cases[$index]} --json 2>/dev/null | tail -n 1)"
  value="$(sed -n 's/.*"ms_per_iteration": \([0-9.]*\).*/\1/p' <<< "$line")"
  [[ -n "$value" ]] || value="$(sed -n 's/.*"ns_per_step": \([0-9.]*\).*/\1/p' <<< "$line")"
  [[ -n "$value" ]] || { echo "no result from $dir for ${cases[$index]}: $line" >&2; exit 1; }
  echo "$index $side $value" >> "$results"
}

echo "A = $a, B = $b, $rounds rounds on CPU $cpu, load $(cut -d' ' -f1-3 /proc/loadavg)"
for ((round = 1; round <= rounds; round++)); do
  for index in "${!cases[@]}"; do
    if ((round % 2)); then run A "$a" "$index"; run B "$b" "$index"; else run B "$b" "$index"; run A "$a" "$index"; fi
  done
  echo "round $round done, load $(cut -d' ' -f1-3 /proc/loadavg)"
done

median() {  # values on stdin, one per line
  sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
for index in "${!cases[@]}"; do
  values_a="$(awk -v i="$index" '$1 == i && $2 == "A" { print $3 }' "$results")"
  values_b="$(awk -v i="$index" '$1 == i && $2 == "B" { print $3 }' "$results")"
  median_a="$(median <<< "$values_a")"
  median_b="$(median <<< "$values_b")"
  printf '%-60s A %10s  B %10s  B/A %s\n    A: %s\n    B: %s\n' "${cases[$index]}" "$median_a" "$median_b" \
    "$(awk -v a="$median_a" -v b="$median_b" 'BEGIN { printf "%.3f", b / a }')" \
    "$(tr '\n' ' ' <<< "$values_a")" "$(tr '\n' ' ' <<< "$values_b")"
done
