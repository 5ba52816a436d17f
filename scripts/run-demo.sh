#!/usr/bin/env bash
# Command 1 of README: install, build, and run pvmond in the foreground on 127.0.0.1:8750 with
# the shipped demo config and a SQLite database under ./state. Extra arguments go to pvmond.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake --preset default >/dev/null
cmake --build --preset default --target pvmond pvmon
exec ./build/default/daemon/pvmond --config config/pvmond.json "$@"
