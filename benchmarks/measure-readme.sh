#!/bin/bash
# The README's "This version on the Intel Xeon" figures: the C yardstick (shared/perf/limit.sh, beside the
# repository) and rnnc bench on core 1, in one run. Usage: benchmarks/measure-readme.sh > measure.log (~4 minutes;
# needs the CLI built: mvn -q install -DskipTests).
cd "$(dirname "$0")/.."
B=benchmarks/src/main/rnnc
L=${LIMIT_SH:-../shared/perf/limit.sh}
echo "start $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "peak: $($L --peak 1 2>&1 | tail -1)"
for round in 1 2; do
  for cfg in "lstm_1_32 1 32 4" "gru_16_64 16 64 3" "lstm_64_128 64 128 4" "gru_64_128 64 128 3" "lstm_256_512 256 512 4"; do
    set -- $cfg
    lim=$(taskset -c 1 $L $2 $3 $4 1 2>&1 | tail -1 | awk '{print $NF}')
    st=$(taskset -c 1 ./rnnc bench $B/$1.yaml --mode step --seconds 2 2>&1 | grep median | awk '{print $1}')
    echo "step round $round $1 limit $lim rnnc $st"
  done
done
for n in 64 8; do
  echo "bank $n: $(taskset -c 1 ./rnnc bench $B/lstm_64_128.yaml --mode streams --streams $n --seconds 3 2>&1 | grep -E 'per stream step|GFLOP' | tr '\n' ' ')"
done
for s in lstm_64_128 gru_64_128; do
  echo "seq B=64 $s: $(taskset -c 1 ./rnnc bench $B/$s.yaml --mode sequence --batch 64 --length 100 --seconds 3 2>&1 | grep -E 'median|GFLOP' | tr '\n' ' ')"
  echo "seq B=64 threads 2 $s: $(./rnnc bench $B/$s.yaml --mode sequence --batch 64 --length 100 --seconds 3 --threads 2 2>&1 | grep -E 'median|GFLOP' | tr '\n' ' ')"
done
for s in lstm_256_512 lstm_512_1024; do
  for b in 64 1; do
    echo "seq B=$b $s: $(taskset -c 1 ./rnnc bench $B/$s.yaml --mode sequence --batch $b --length 100 --seconds 3 2>&1 | grep -E 'median|GFLOP' | tr '\n' ' ')"
  done
done
echo "limit 512 1024: $(taskset -c 1 $L 512 1024 4 1 2>&1 | tail -1)"
echo "peak: $($L --peak 1 2>&1 | tail -1)"
echo "end $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
