#!/usr/bin/env bash
# The tests, as README.md gives them: unit, integration and doc tests. The report's tests
# (tests/report.rs) drive headless Chromium; when it is missing it is installed here from
# Debian's package (as root, or through sudo), so nothing needs installing by hand.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  echo "== installing headless Chromium (Debian's chromium) for tests/report.rs"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
  elif command -v sudo >/dev/null 2>&1; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
  else
    echo "chromium is missing and cannot be installed here (not root, no sudo):" \
         "install Debian's chromium package, then run this again" >&2
    exit 1
  fi
fi

cargo test --all-targets
cargo test --doc
