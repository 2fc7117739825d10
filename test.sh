#!/usr/bin/env bash
# The tests, as README.md gives them: unit, integration and doc tests. The report's tests
# (tests/report.rs) drive headless Chromium and the Redis state store's tests (tests/redis_state.rs)
# start their own redis-server; when either is missing it is installed here from Debian's package
# (as root, or through sudo), so nothing needs installing by hand.
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages the tests need: headless Chromium (tests/report.rs) and redis-server
# (tests/redis_state.rs starts its own servers); the missing ones are installed in one apt call.
missing=()
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  missing+=(chromium)
fi
if ! command -v redis-server >/dev/null 2>&1; then
  missing+=(redis-server)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "== installing ${missing[*]} (Debian's packages) for the tests"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  elif command -v sudo >/dev/null 2>&1; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  else
    echo "${missing[*]} missing and cannot be installed here (not root, no sudo):" \
         "install Debian's ${missing[*]} package(s), then run this again" >&2
    exit 1
  fi
fi

cargo test --all-targets
cargo test --doc
