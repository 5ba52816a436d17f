#!/usr/bin/env bash
# Command 2 of README (and what CI runs): install, build, and run the whole test suite: the
# normal build runs the unit, browser and install tests, and the store and end-to-end tests
# against a real PostgreSQL 15 (scripts/pg-test.sh); the AddressSanitizer +
# UndefinedBehaviorSanitizer build runs every test on SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
PVMON_TESTS=1 bash scripts/setup.sh
# The browser test's packages, exactly as package-lock.json pins them.
npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
for preset in default asan; do
  echo "== preset $preset: configure and build (at ${SECONDS} s)"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  echo "== preset $preset: test (at ${SECONDS} s)"
  # The PostgreSQL store's tests (label postgresql) need the server scripts/pg-test.sh starts.
  # The end-to-end files run on SQLite under the sanitizers and on PostgreSQL in the optimised
  # build; the optimised build's SQLite run of them would repeat both (a minute of CI).
  if [[ "$preset" == default ]]; then
    ctest --preset "$preset" -LE postgresql -E '^e2e_'
  else
    ctest --preset "$preset" -LE postgresql
  fi
  if [[ "$preset" == default ]]; then
    echo "== preset $preset: the PostgreSQL store (a throw-away PostgreSQL 15; at ${SECONDS} s)"
    bash scripts/pg-test.sh ctest --preset "$preset" -L postgresql
  fi
done
echo "== systemd unit hardening score (threshold 2.0; at ${SECONDS} s)"
bash .ci/systemd-score.sh
echo "== done in ${SECONDS} s"
