#!/usr/bin/env bash
# The long fuzz run: mutated copies of every file of ../shared/keras-corpus and testdata/models
# through the library and the command line in child JVMs (FuzzIT, FuzzChild, FuzzHarness in
# cli/src/test/java/dev/initkit/cli/guarantees). The normal test run does the same for 2 minutes
# with a fixed seed; this runs for as long as asked with a new seed each time.
#
#   bash fuzz/run.sh [--minutes N] [--seed S] [--parallel P] [--timeout SECONDS] [--report DIR]
#
# Findings (crash, hang, memory, oom, problem, stderr, ...) and the inputs that caused them go to
# the report directory (default cli/target/fuzz-report): findings.tsv, outcomes.tsv, inputs/<id>/.
# Exit status: 0 when nothing was found. Structural HDF5 mutations need .venv (h5py): run
# bash testdata/setup-venv.sh once, or pass INITKIT_PYTHON=/path/to/python. MVN_FLAGS=-o runs Maven offline.
set -euo pipefail
cd "$(dirname "$0")/.."

minutes=30
seed=$(( (RANDOM << 16) | RANDOM ))
parallel=2
timeout=60
report="$PWD/cli/target/fuzz-report"
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --parallel) parallel=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --report) report=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "fuzz/run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

python="${INITKIT_PYTHON:-}"
if [ -z "$python" ] && [ -x .venv/bin/python ]; then
  python="$PWD/.venv/bin/python"
fi

echo "fuzz: seed $seed, $minutes min, $parallel children, report in $report" >&2
# converter and cli in one reactor: the fuzzed library is this checkout's build, never an older
# initkit-converter snapshot from ~/.m2 (FuzzIT matches no converter test, so only it runs)
mvn ${MVN_FLAGS:-} -B -ntp -pl converter,cli verify -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test=FuzzIT -Dfailsafe.failIfNoSpecifiedTests=false \
  -Dinitkit.fuzz.seconds=$((minutes * 60)) -Dinitkit.fuzz.seed="$seed" \
  -Dinitkit.fuzz.parallel="$parallel" -Dinitkit.fuzz.timeout="$timeout" \
  -Dinitkit.fuzz.report="$report" -Dinitkit.python="$python"
