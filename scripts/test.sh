#!/usr/bin/env bash
# Runs every test: checks the documentation's links (scripts/check_docs.py), installs the pinned
# Keras stack (testdata/requirements.txt) into .venv, builds, and runs the unit, corpus, interop
# (real Keras 3 / tf-keras), ModelScan (testdata/requirements-modelscan.txt, .venv-modelscan), real
# PyTorch (testdata/requirements-torch.txt, .venv-torch), DL4J, streaming and HTML report (headless
# Chromium, installed when missing) tests.
set -euo pipefail
cd "$(dirname "$0")/.."
# the docs first: a broken link or an overlong README fails in a second, before any install
python3 scripts/check_docs.py
PY=$(bash testdata/setup-venv.sh | tail -n 1)
# the newest Keras stack: KerasInteropIT runs against both ends of the version matrix
PY_NEWEST=$(bash testdata/setup-venv.sh testdata/requirements-newest.txt .venv-newest | tail -n 1)
# ModelScan in a venv of its own (it pins its own TensorFlow): ScanModelScanIT compares it with scan
MS_PY=$(bash testdata/setup-venv.sh testdata/requirements-modelscan.txt .venv-modelscan | tail -n 1)
# real PyTorch on the CPU (PyPI's wheel with its CUDA libraries, ~5.4 GB): TorchModuleTransplantIT
TORCH_PY=$(bash testdata/setup-venv.sh testdata/requirements-torch.txt .venv-torch | tail -n 1)
bash scripts/install-chromium.sh
export TF_CPP_MIN_LOG_LEVEL=3
mvn -B -ntp verify -Dinitkit.python="$PY" -Dinitkit.pythonNewest="$PY_NEWEST" \
    -Dinitkit.modelscan="$(dirname "$MS_PY")/modelscan" -Dinitkit.torch="$TORCH_PY" "$@"
