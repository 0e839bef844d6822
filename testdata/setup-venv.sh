#!/usr/bin/env bash
# Create (or reuse) the pinned "real Keras" Python environment used to generate
# the test data and by the interop checker.  Idempotent: the pip install is
# skipped when the venv's stamp file matches the sha256 of requirements.txt.
#
#   bash testdata/setup-venv.sh        # prints the venv's python path last
#   bash testdata/setup-venv.sh testdata/requirements-newest.txt .venv-newest
#
# Needs only python3 (3.11) with the venv module and network access to PyPI.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
# optional: another requirements file and venv (the version matrix: requirements-newest.txt)
REQ="$(cd "$(dirname "${1:-$HERE/requirements.txt}")" && pwd)/$(basename "${1:-$HERE/requirements.txt}")"
VENV="$REPO/${2:-.venv}"
STAMP="$VENV/.requirements.sha256"
PY="$VENV/bin/python"

want="$(sha256sum "$REQ" | cut -d' ' -f1)"

if [ ! -x "$PY" ]; then
    # Debian's python3 without python3-venv cannot create a venv with pip
    # (ensurepip missing); try to install it when we are allowed to.
    if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
        rm -rf "$VENV"
        if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
            pyver="$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
            apt-get update -qq >/dev/null
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
                "python${pyver}-venv" >/dev/null 2>&1 \
                || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
            python3 -m venv "$VENV"
        else
            echo "setup-venv.sh: 'python3 -m venv' failed (install python3-venv)" >&2
            exit 1
        fi
    fi
fi

have=""
[ -f "$STAMP" ] && have="$(cat "$STAMP")"
if [ "$have" != "$want" ]; then
    "$PY" -m pip install -q --disable-pip-version-check -r "$REQ" >&2
    echo "$want" > "$STAMP"
fi

echo "$PY"
