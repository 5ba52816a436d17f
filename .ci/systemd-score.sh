#!/usr/bin/env bash
# Hardening gate for the unit file: fails when systemd-analyze's exposure score exceeds 2.0.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "systemd-score: systemd-analyze not found, skipping"
  exit 0
fi
exec systemd-analyze security --offline=true --threshold=20 systemd/pvmond.service
