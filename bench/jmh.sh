#!/usr/bin/env bash
# JMH benchmarks of initkit's inner kernels (module bench-jmh): draws per second of every
# initializer on 1 thread and on all cores, Orthogonal fill time, TensorCopier throughput (MiB/s).
#
#   bash bench/jmh.sh                 # builds bench-jmh, runs everything with short settings (~2-3 min)
#   bash bench/jmh.sh InitializerBench -p kind=he_normal     # any JMH arguments: filter, params, ...
#   JMH_OPTS="-f 2 -wi 5 -w 2s -i 10 -r 2s" bash bench/jmh.sh   # longer, steadier runs (replaces the defaults)
#
# Results: printed, and saved as JSON to bench/results/jmh.json.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  mvn -B -q -DskipTests package -pl bench-jmh -am
fi
JAR="$ROOT/bench-jmh/target/initkit-bench-jmh-0.1.0-SNAPSHOT.jar"
mkdir -p "$ROOT/bench/results"
# short defaults: 1 fork, 2 x 1 s warm-up, 3 x 1 s measurement
JMH_OPTS="${JMH_OPTS:--f 1 -wi 2 -w 1s -i 3 -r 1s}"
# shellcheck disable=SC2086
exec java -cp "$JAR:$ROOT/bench-jmh/target/lib/*" org.openjdk.jmh.Main $JMH_OPTS \
  -rf json -rff "$ROOT/bench/results/jmh.json" "$@"
