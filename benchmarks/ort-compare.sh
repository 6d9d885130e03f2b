#!/usr/bin/env bash
# rnnc float32 vs rnnc bf16 weights vs ONNX Runtime Java, LSTM 64->128, 256->512, 512->1024: streaming step
# (batch 1) and whole sequences of 100 steps (batch 1 and 64), every fork pinned to one core. Writes one JMH JSON
# per run into benchmarks/results/ort/ and prints the table of results/ort-comparison.md (ort-table.py).
#
# Usage: benchmarks/ort-compare.sh [ROUNDS [FIRST]]   (ROUNDS default 1: rounds interleave rnnc and ONNX Runtime
#        runs so a change in the machine's load hits both sides alike; FIRST > 1 adds rounds FIRST.. to the
#        results already in results/ort/ instead of starting afresh)
# Environment: BENCH_SETTINGS (default "-f 1 -wi 3 -w 1s -i 5 -r 1s"), BENCH_CPU (default 1, for taskset -c),
#              BENCH_JAR, JAVA_HOME (a JDK >= 25; else /usr/lib/jvm/*25*).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/results/ort"
jar="${BENCH_JAR:-$here/target/benchmarks.jar}"
settings="${BENCH_SETTINGS:--f 1 -wi 3 -w 1s -i 5 -r 1s}"
cpu="${BENCH_CPU:-1}"
rounds="${1:-1}"
first="${2:-1}"
java="${JAVA_HOME:-}/bin/java"
if ! [[ -x "$java" ]] || ! "$java" -version 2>&1 | grep -q '"2[5-9]'; then
  java="$(ls -d /usr/lib/jvm/*25*/bin/java | head -n 1)"
fi
mkdir -p "$out"
if [[ "$first" == 1 ]]; then
  rm -f "$out"/*.json "$out"/*.log "$out/loads.txt" "$out/machine.txt"
fi

run() {  # NAME JMH-ARGUMENTS...
  local name="$1"
  shift
  echo "== $name  (load before: $(cut -d ' ' -f 1-3 /proc/loadavg))" | tee -a "$out/loads.txt" >&2
  # shellcheck disable=SC2086
  taskset -c "$cpu" "$java" --add-modules jdk.incubator.vector -jar "$jar" "$@" $settings \
    -rf json -rff "$out/$name.json" > "$out/$name.log" 2>&1 || { echo "failed: see $out/$name.log" >&2; exit 1; }
  echo "   load after: $(cut -d ' ' -f 1-3 /proc/loadavg)" | tee -a "$out/loads.txt" >&2
}

{
  echo "rounds $first..$((first + rounds - 1)) started: $(date -u '+%Y-%m-%d %H:%M UTC')"
  lscpu | grep -E '^(Model name|Model|CPU\(s\)|L2 cache|L3 cache):' | tr -s ' '
  echo "java: $("$java" -version 2>&1 | head -n 1)"
  echo "settings: $settings, taskset -c $cpu"
} >> "$out/machine.txt"

rnnc_configs="LSTM_64_128,LSTM_64_128_BF16,LSTM_256_512,LSTM_256_512_BF16,LSTM_512_1024,LSTM_512_1024_BF16"
ort_configs="LSTM_64_128,LSTM_256_512,LSTM_512_1024"
for round in $(seq "$first" $((first + rounds - 1))); do
  run "r$round-rnnc-step" 'StepBenchmark\.rnnc$' -p config="$rnnc_configs"
  run "r$round-ort-step" 'OrtBenchmark\.step' -p config="$ort_configs"
  run "r$round-rnnc-sequence" 'SequenceBenchmark\.rnnc$' -p config="$rnnc_configs" -p batch=1,64
  run "r$round-ort-sequence" 'OrtBenchmark\.sequence$' -p config="$ort_configs" -p batch=1,64
done
echo "load at the end: $(cut -d ' ' -f 1-3 /proc/loadavg)" >> "$out/machine.txt"
python3 "$here/ort-table.py" "$out"
