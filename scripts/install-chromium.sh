#!/usr/bin/env bash
# Installs headless Chromium (Debian package "chromium") for the HTML report test, when it is missing
# and this machine allows it (root with apt-get). Otherwise says so: that test is then skipped.
set -euo pipefail
for b in chromium chromium-browser google-chrome; do
  if command -v "$b" >/dev/null 2>&1; then
    exit 0
  fi
done
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  echo "installing chromium (apt-get) for the HTML report test" >&2
  # a failed install (no network, no package) only skips that test; it must not stop the others
  if ! { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; then
    echo "chromium could not be installed: the HTML report's browser test will be skipped" >&2
  fi
else
  echo "chromium is missing and cannot be installed here: the HTML report's browser test will be skipped" >&2
fi
