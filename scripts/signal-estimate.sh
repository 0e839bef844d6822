#!/usr/bin/env bash
# Regenerates docs/signal-estimate.md: real Keras builds and measures ResNet50, MobileNetV2, a
# Transformer block, an LSTM stack and a deep MLP under four initializations, and SignalEstimateIT
# compares report's data-free estimate with the measurement, layer by layer.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=$(bash testdata/setup-venv.sh | tail -n 1)
PY_NEWEST=$(bash testdata/setup-venv.sh testdata/requirements-newest.txt .venv-newest | tail -n 1)
export TF_CPP_MIN_LOG_LEVEL=3
mvn -B -ntp -q verify -pl converter -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test=SignalEstimateIT -Dfailsafe.failIfNoSpecifiedTests=false -Dinitkit.python="$PY" -Dinitkit.pythonNewest="$PY_NEWEST"
mkdir -p docs
cp converter/target/signal-estimate.md docs/signal-estimate.md
echo "wrote docs/signal-estimate.md"
