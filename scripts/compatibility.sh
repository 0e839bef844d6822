#!/usr/bin/env bash
# Regenerates docs/COMPATIBILITY.md: runs the truth ITs that record compatibility cases
# (KerasInteropIT, KerasCorpusRuntimeIT, Dl4jForRuntimeIT, Dl4jCorpusRuntimeIT, KerasToSavedModelIT,
# SavedModelCorpusRuntimeIT) into
# target/compatibility/*.jsonl, then scripts/compatibility.py writes the page from them.
# A failing case still lands in the page (as FAILS); the script then exits 1.
#
#   bash scripts/compatibility.sh              # both Keras stacks (pinned and newest) and DL4J
#   NEWEST=0 bash scripts/compatibility.sh     # the pinned stack only (about half the time)
#   bash scripts/compatibility.sh -o           # extra arguments go to mvn (here: offline)
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${INITKIT_PYTHON:-$(bash testdata/setup-venv.sh | tail -n 1)}
ARGS=(-Dinitkit.python="$PY")
if [ "${NEWEST:-1}" != 0 ]; then
  PY_NEWEST=${INITKIT_PYTHON_NEWEST:-$(bash testdata/setup-venv.sh testdata/requirements-newest.txt .venv-newest | tail -n 1)}
  ARGS+=(-Dinitkit.pythonNewest="$PY_NEWEST")
fi
export TF_CPP_MIN_LOG_LEVEL=3
rm -rf target/compatibility
mvn -B -ntp verify -pl converter,dl4j,interop-dl4j,savedmodel \
  -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test=KerasInteropIT,KerasCorpusRuntimeIT,Dl4jForRuntimeIT,Dl4jCorpusRuntimeIT,KerasToSavedModelIT,SavedModelCorpusRuntimeIT -Dfailsafe.failIfNoSpecifiedTests=false \
  -Dmaven.test.failure.ignore=true -Dspotless.check.skip=true "${ARGS[@]}" "$@"
mvn_status=$?
python3 scripts/compatibility.py || exit 1
if [ "$mvn_status" != 0 ] || grep -qs '<failures>[1-9]\|<errors>[1-9]' converter/target/failsafe-reports/failsafe-summary.xml interop-dl4j/target/failsafe-reports/failsafe-summary.xml savedmodel/target/failsafe-reports/failsafe-summary.xml; then
  echo "compatibility: some truth tests failed (see the FAILS cells of docs/COMPATIBILITY.md and target/failsafe-reports)" >&2
  exit 1
fi
