#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (build/fuzz) and runs each for SECONDS (default 120),
# one job at a time, on a copy of its corpus; new crashers land in build/fuzz/crash-<target>-*.
# Minimise a crasher with `build/fuzz/tests/fuzz/fuzz_X -minimize_crash=1 FILE`, add it to
# tests/fuzz/corpus/X/ and it replays under ctest from then on.
#   scripts/fuzz.sh [SECONDS] [TARGET...]      targets: intake ctcae config fhir http
# (http: raw bytes through the front door's request reader and the API over the demo config.)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-120}
shift || true
TARGETS=("${@:-intake ctcae config fhir http}")
command -v clang++ >/dev/null || { echo "fuzz: needs clang++ (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }
cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DPVMON_FUZZ=ON -DPVMON_BUILD_BENCH=OFF >/dev/null
for t in ${TARGETS[*]}; do
  cmake --build build/fuzz --target "fuzz_$t"
  work=build/fuzz/corpus-$t
  mkdir -p "$work"
  cp -n tests/fuzz/corpus/$t/* "$work"/ 2>/dev/null || true
  echo "fuzz_$t: ${SECONDS_EACH}s"
  build/fuzz/tests/fuzz/fuzz_$t "$work" -max_total_time="$SECONDS_EACH" \
    -artifact_prefix="build/fuzz/crash-$t-" -print_final_stats=1 2>&1 | tail -n 12
done
