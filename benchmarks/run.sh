#!/usr/bin/env bash
# Runs the JMH suite and turns its JSON into benchmarks/results/results.md and step_time.svg.
#
# Usage: benchmarks/run.sh [--no-oob-check] [--report-only] [JMH arguments...]
#   JMH arguments go after the settings, e.g. a benchmark regex ('StepBenchmark', 'Train') or
#   '-p config=LSTM_64_128,GRU_64_128'.
#   --no-oob-check  also pass -Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0 to the forks (drops the Vector
#                   API's bounds checks); results go to jmh-no-oob-check.json and results.md compares them.
#   --report-only   skip JMH, rewrite results.md and the chart from the JSON already in results/.
#
# Environment:
#   RESULTS_DIR     where the JSON, results.md and the chart go (default benchmarks/results); one folder per machine
#                   kind keeps their figures side by side (benchmarks/results/amd-epyc-zen4 holds an AMD run)
#   BENCH_SETTINGS  JMH run settings, default "-f 1 -wi 3 -w 2s -i 5 -r 2s" (a full run took ~13 minutes before OrtBenchmark and the
#                   512->1024 and bf16 configurations were added; now an estimated ~30).
#                   Replace it rather than repeating an option in the arguments (JMH rejects repeats).
#   BENCH_JAR       the shaded jar, default benchmarks/target/benchmarks.jar; build it with
#                   mvn -q -pl benchmarks -am package -DskipTests
#   JAVA_HOME       used when it is a JDK >= 25; else /usr/lib/jvm/*25*, else the newest JDK >= 25 there
#                   (the same choice as the ./rnnc launcher).
# Every run adds -prof gc (allocation per operation) and records the machine's load average before and after.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
results="${RESULTS_DIR:-$here/results}"
jar="${BENCH_JAR:-$here/target/benchmarks.jar}"
settings="${BENCH_SETTINGS:--f 1 -wi 3 -w 2s -i 5 -r 2s}"
fork_args="--add-modules=jdk.incubator.vector -XX:+UseParallelGC"

variant="jmh"
report_only=false
while [[ $# -gt 0 ]]; do
  case "$1" in
    --no-oob-check) variant="jmh-no-oob-check"; shift ;;
    --report-only) report_only=true; shift ;;
    *) break ;;
  esac
done

# Prints the feature version (25, 26, ...) of the JDK at $1, or nothing if it is not a JDK.
jdk_version() {
  local home="$1" version=""
  [[ -x "$home/bin/java" ]] || return 0
  if [[ -f "$home/release" ]]; then
    version="$(sed -n 's/^JAVA_VERSION="\{0,1\}\([0-9]*\).*/\1/p' "$home/release" | head -n 1)"
  fi
  echo "$version"
}

find_jdk() {
  local home version best="" best_version=0
  if [[ -n "${JAVA_HOME:-}" ]]; then
    version="$(jdk_version "$JAVA_HOME")"
    if [[ -n "$version" && "$version" -ge 25 ]]; then
      echo "$JAVA_HOME"
      return 0
    fi
  fi
  for home in /usr/lib/jvm/*25*; do
    version="$(jdk_version "$home")"
    if [[ "$version" == 25 ]]; then
      echo "$home"
      return 0
    fi
  done
  for home in /usr/lib/jvm/*; do
    version="$(jdk_version "$home")"
    if [[ -n "$version" && "$version" -ge 25 && "$version" -gt "$best_version" ]]; then
      best="$home"
      best_version="$version"
    fi
  done
  [[ -n "$best" ]] && echo "$best"
  return 0
}

load() {
  cut -d ' ' -f 1-3 /proc/loadavg
}

mkdir -p "$results"
if ! $report_only; then
  jdk="$(find_jdk)"
  if [[ -z "$jdk" ]]; then
    echo "run.sh: needs a JDK 25 or newer; JAVA_HOME=${JAVA_HOME:-<unset>} is not one and /usr/lib/jvm has none." >&2
    exit 2
  fi
  if [[ ! -f "$jar" ]]; then
    echo "run.sh: $jar does not exist. Build it from $(dirname "$here") with:" >&2
    echo "  mvn -q -pl benchmarks -am package -DskipTests" >&2
    exit 2
  fi
  if [[ "$variant" == "jmh-no-oob-check" ]]; then
    # Replaces the benchmarks' own @Fork(jvmArgsAppend), so the module and GC flags are repeated here.
    extra=(-jvmArgsAppend "$fork_args -Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0")
  else
    extra=()
  fi
  load_before="$(load)"
  started="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  # shellcheck disable=SC2086 # settings is a list of words on purpose
  "$jdk/bin/java" --add-modules jdk.incubator.vector -jar "$jar" $settings -prof gc \
      -rf json -rff "$results/$variant.json" ${extra[@]+"${extra[@]}"} "$@" 2>&1 \
    | grep --line-buffered -v '^WARNING: Using incubator modules: jdk.incubator.vector$' \
    | tee "$results/$variant.log"
  status="${PIPESTATUS[0]}"
  load_after="$(load)"
  # What the report needs to say about the conditions (the machine is shared; the load matters).
  cat > "$results/$variant-machine.json" <<EOF
{
  "started": "$started",
  "finished": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "cpu": "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1) (family $(sed -n 's/^cpu family[[:space:]]*: //p' /proc/cpuinfo | head -n 1), model $(sed -n 's/^model[[:space:]]*: //p' /proc/cpuinfo | head -n 1))",
  "cores": $(nproc),
  "load_before": "$load_before",
  "load_after": "$load_after",
  "java": "$("$jdk/bin/java" -version 2>&1 | sed -n 2p | sed 's/"/\\"/g')",
  "settings": "$settings -prof gc",
  "fork_args": "$fork_args$([[ "$variant" == "jmh-no-oob-check" ]] && echo " -Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0")",
  "arguments": "$*"
}
EOF
  if [[ "$status" -ne 0 ]]; then
    echo "run.sh: JMH exited with status $status (see $results/$variant.log)" >&2
    exit "$status"
  fi
fi
exec /usr/bin/python3 "$here/report.py" "$results"
