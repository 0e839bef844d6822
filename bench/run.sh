#!/usr/bin/env bash
# The benchmark of issue 7: initkit against cp (the floor), h5py + numpy and Keras 3, in one run.
#
#   bash bench/run.sh                      # everything: ~20-30 min on 2 cores, ~20 GB of disk in the work dir
#   bash bench/run.sh --reps 5             # more repetitions
#   bash bench/run.sh --scaling '' --keras-reps 1      # quicker: no 2/4 GiB models, Keras peer once
#   bash bench/run.sh --models small --ops inspect     # one cell
#   bash bench/run.sh --help               # all options
#
# Generates real Keras models with the testdata virtual environment (.venv) into the work dir
# (default /tmp/initkit-bench, kept for the next run; --clean removes them), builds initkit if it is
# not built, prints a Markdown report and saves it to bench/results/latest.md (--out); --publish then
# regenerates docs/performance.md's results from the reports it names (bench/publish.py).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ ! -f "$ROOT/cli/target/initkit-cli-0.1.0-SNAPSHOT.jar" ] && [[ " $* " != *" --initkit "* ]]; then
  (cd "$ROOT" && mvn -B -q -DskipTests package)
fi
if [ ! -x "$ROOT/.venv/bin/python" ] && [[ " $* " != *" --python "* ]]; then
  echo "bench: no testdata virtual environment: run 'bash testdata/setup-venv.sh' (or 'bash scripts/test.sh') first" >&2
  exit 1
fi
exec python3 "$ROOT/bench/bench.py" "$@"
