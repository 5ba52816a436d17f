#!/usr/bin/env bash
# Installs exactly what pvmon needs to build and test, from Debian 12 packages.
# Idempotent: installs only what is missing. Works as root or through sudo.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config        # toolchain
  libboost-dev                            # Boost.Asio, Boost.Math (header-only)
  libsqlite3-dev sqlite3                  # storage; the sqlite3 CLI is used by tests and operators
  libpqxx-dev                             # the PostgreSQL store (storage.engine "postgresql"), libpq with it
  nlohmann-json3-dev libspdlog-dev        # JSON, logging
  libcpp-httplib-dev libssl-dev openssl   # HTTP server and client; OpenSSL for hashes, HMAC, TLS (CLI: test certificates)
  libzip-dev                              # DSMB reports: all CSV tables in one zip
  libxml2-dev libxml2-utils               # ICSRs: schema validation in process; xmllint for the tests
  doctest-dev                             # tests
)
if [[ "${PVMON_BENCH:-0}" == 1 ]]; then packages+=(wrk); fi
# The test suite (scripts/test.sh sets PVMON_TESTS=1): the safety desk in Debian's Chromium, driven
# by Node.js (tests/browser; Node 18 or later: Debian's when the machine has none); R's haven,
# which reads the SDTM SAS transport files back (tests/e2e/test_sdtm.cpp).
if [[ "${PVMON_TESTS:-0}" == 1 ]]; then
  packages+=(chromium fonts-dejavu-core r-cran-haven)
  # A real PostgreSQL 15 server for the PostgreSQL store's tests (scripts/pg-test.sh starts one
  # in a temporary folder on its own port; no cluster of the package is used).
  packages+=(postgresql-15)
  command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
