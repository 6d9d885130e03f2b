#!/usr/bin/env bash
# The C ceiling of rnnc's product tile on this core, next to the core's FMA peak, in one run: rnnc's tile (13 rows x
# 2 panels) from the group layout (G=8) and from the tiles' copy (G=2), and the 8 x 3 shape, at 128, 512 and 768
# columns (a 512-row matrix of 256 KiB, 1 MiB, 1.5 MiB: in L2). Usage: benchmarks/tile-ceiling/run.sh [CORE]
# (~1 minute; needs gcc and an AVX-512 CPU). shared/perf/limit.sh lives beside the repository (LIMIT_SH overrides).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
core="${1:-1}"
limit="${LIMIT_SH:-$here/../../../shared/perf/limit.sh}"
bin="${TMPDIR:-/tmp}/rnnc-tile-ceiling"
mkdir -p "$bin"
echo "peak: $("$limit" --peak "$core" 2>&1 | tail -1)"
for shape in "13 2 8" "13 2 2" "8 3 8"; do
  set -- $shape
  gcc -O3 -march=native -DR="$1" -DP="$2" -DG="$3" -o "$bin/tile-$1x$2g$3" "$here/tile.c"
  for cols in 128 512 768; do
    taskset -c "$core" "$bin/tile-$1x$2g$3" "$cols"
  done
done
echo "peak: $("$limit" --peak "$core" 2>&1 | tail -1)"
