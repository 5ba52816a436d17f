#!/usr/bin/env bash
# bench/intake: pvmond's durable AE intake against a bare cpp-httplib server, side by side.
#
#   bench/intake/run.sh PVMOND CONFIG [OUT_JSON]
#
# Starts bench_bare_server, bench_durable_floor and pvmond (a temporary --data-dir, --listen 127.0.0.1:0; pvmond
# writes its bound address to DIR/pvmond.addr), enrols subject S01-0007 of hcc-pvtt-imrt
# through the API, then runs wrk with ae_post.lua against each, RUNS times, alternating which
# goes first. Prints req/s and p99 per side (median of the runs) and their ratio; writes JSON.
# The durable floor (durable_floor.cpp) is the bare server plus a group-committed SQLite insert
# of the raw body: what durability alone costs here, with none of pvmond's work.
# Environment: BARE_SERVER and FLOOR_SERVER (paths; default: searched in PVMOND's build tree),
# FLOOR=1 (0: leave the floor out), KIND=sae (or routine: a grade 1 non-serious AE; see
# ae_post.lua), RUNS=5,
# DURATION=10s, WRK_THREADS=2, CONNECTIONS=8, SERVER_THREADS=8 and KEEPALIVE_MAX=1000 (set
# these two to pvmond's configured worker count and keep-alive limit, so both sides match).
# Target (issue 2): pvmond >= 0.5 x the bare server's req/s at 8 connections, p99 < 5 ms.
set -euo pipefail

usage() { echo "usage: $0 PVMOND CONFIG [OUT_JSON]" >&2; exit 2; }
[[ $# -ge 2 ]] || usage
PVMOND=$(realpath -m "$1")
CONFIG=$(realpath -m "$2")
OUT=${3:-bench-intake.json}
RUNS=${RUNS:-5}
DURATION=${DURATION:-10s}
WRK_THREADS=${WRK_THREADS:-2}
CONNECTIONS=${CONNECTIONS:-8}
SERVER_THREADS=${SERVER_THREADS:-8}
KEEPALIVE_MAX=${KEEPALIVE_MAX:-1000}
HERE=$(cd "$(dirname "$0")" && pwd)
SCRIPT="$HERE/ae_post.lua"
STUDY=hcc-pvtt-imrt
TOKEN=demo-site-s01
BARE_ONLY=${BARE_ONLY:-0}  # 1: measure the bare server alone (checks this script without pvmond)
FLOOR=${FLOOR:-1}
KIND=${KIND:-sae}
[[ "$KIND" == sae || "$KIND" == routine ]] || { echo "KIND must be sae or routine" >&2; exit 2; }

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
[[ -x "$PVMOND" || "$BARE_ONLY" == 1 ]] || { echo "not executable: $PVMOND" >&2; exit 1; }

# The bare server: given, or built in the same CMake build tree as pvmond.
if [[ -z "${BARE_SERVER:-}" ]]; then
  dir=$(dirname "$PVMOND")
  while [[ "$dir" != / && ! -f "$dir/CMakeCache.txt" ]]; do dir=$(dirname "$dir"); done
  BARE_SERVER=$(find "$dir" -type f -name bench_bare_server -perm -u+x 2>/dev/null | head -n1)
fi
[[ -n "${BARE_SERVER:-}" && -x "$BARE_SERVER" ]] || {
  echo "bench_bare_server not found: build the target or set BARE_SERVER" >&2; exit 1; }
if [[ "$FLOOR" == 1 && -z "${FLOOR_SERVER:-}" ]]; then
  FLOOR_SERVER=$(find "$(dirname "$BARE_SERVER")" -type f -name bench_durable_floor -perm -u+x 2>/dev/null | head -n1)
  [[ -n "$FLOOR_SERVER" ]] || {
    echo "bench_durable_floor not found: build the target, set FLOOR_SERVER, or FLOOR=0" >&2; exit 1; }
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pvmon-bench.XXXXXX")
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

wait_for() {  # wait_for SECONDS COMMAND...: poll until COMMAND succeeds
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    (( SECONDS < deadline )) || return 1
    sleep 0.1
  done
}

# --- start the servers ---------------------------------------------------------------------
start_baseline() {  # start_baseline SIDE VAR CMD...: runs CMD, which prints "port N"; sets VAR to its URL
  local side=$1 var=$2; shift 2
  "$@" >"$TMP/$side.out" 2>"$TMP/$side.err" &
  PIDS+=($!)
  wait_for 10 grep -qs '^port ' "$TMP/$side.out" || { cat "$TMP/$side.err" >&2; exit 1; }
  printf -v "$var" 'http://127.0.0.1:%s/v1/studies/%s/ae' "$(awk '/^port /{print $2; exit}' "$TMP/$side.out")" "$STUDY"
}
start_baseline bare BARE_URL "$BARE_SERVER" 0 "$SERVER_THREADS" "$KEEPALIVE_MAX"
FLOOR_URL=""
if [[ "$FLOOR" == 1 ]]; then
  start_baseline floor FLOOR_URL "$FLOOR_SERVER" 0 "$TMP/floor.db" "$SERVER_THREADS" "$KEEPALIVE_MAX"
fi

PVMOND_URL=""
if [[ "$BARE_ONLY" != 1 ]]; then
  mkdir -p "$TMP/data"
  "$PVMOND" --config "$CONFIG" --data-dir "$TMP/data" --listen 127.0.0.1:0 2>"$TMP/pvmond.log" &
  PIDS+=($!)
  if ! wait_for 30 test -s "$TMP/data/pvmond.addr"; then
    echo "pvmond did not write $TMP/data/pvmond.addr; its log:" >&2; tail -n 20 "$TMP/pvmond.log" >&2; exit 1
  fi
  addr=$(tr -d ' \r\n' <"$TMP/data/pvmond.addr"); addr=${addr#http://}
  PVMOND_BASE="http://$addr"
  PVMOND_URL="$PVMOND_BASE/v1/studies/$STUDY/ae"
  wait_for 30 curl -fsS -o /dev/null "$PVMOND_BASE/readyz" || { echo "pvmond not ready" >&2; exit 1; }
  # The subject every report names; 409 means it is there already.
  code=$(curl -sS -o "$TMP/enrol.json" -w '%{http_code}' -X POST \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d '{"subject":"S01-0007","enrolled":"2026-09-01","sex":"M","age":58}' \
    "$PVMOND_BASE/v1/studies/$STUDY/subjects")
  case "$code" in
    200|201|409) ;;
    *) echo "enrolment failed: HTTP $code $(cat "$TMP/enrol.json")" >&2; exit 1 ;;
  esac
fi

# --- measure -------------------------------------------------------------------------------
to_ms() {  # "812.00us" | "1.23ms" | "1.01s" -> milliseconds
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
    else if (v ~ /m$/) { sub(/m$/, "", v); printf "%.3f", v * 60000 }
    else { sub(/s$/, "", v); printf "%.3f", v * 1000 } }'
}

run_one() {  # run_one SIDE URL RUN -> appends "side run rps p99_ms non2xx errors" to results
  local side=$1 url=$2 run=$3
  local out="$TMP/wrk-$side-$run.txt"
  # The previous run's dirty pages are written out first, so that no run pays for the one
  # before it (the durable sides write 10-100 MB per run).
  sync
  wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$SCRIPT" "$url" -- "r$run$side$$" "$KIND" >"$out" 2>&1
  local rps p99 non2xx errors
  rps=$(awk '/^Requests\/sec:/{print $2}' "$out")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")
  non2xx=$(awk '/Non-2xx or 3xx responses:/{print $NF}' "$out"); non2xx=${non2xx:-0}
  errors=$(awk '/Socket errors:/{gsub(",", ""); print $4 + $6 + $8 + $10}' "$out"); errors=${errors:-0}
  [[ -n "$rps" ]] || { echo "wrk failed against $side:" >&2; cat "$out" >&2; exit 1; }
  if [[ "$non2xx" != 0 ]]; then
    echo "warning: $side run $run: $non2xx responses were not 2xx (the figures are not valid)" >&2
  fi
  printf '%s %s %s %s %s %s\n' "$side" "$run" "$rps" "$p99" "$non2xx" "$errors" >>"$TMP/results"
  printf '  run %s %-6s %10.0f req/s  p99 %7.2f ms  non-2xx %s  socket errors %s\n' \
    "$run" "$side" "$rps" "$p99" "$non2xx" "$errors"
}

echo "bench/intake: $KIND reports, wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION --latency, $RUNS runs, alternating"
: >"$TMP/results"
for run in $(seq 1 "$RUNS"); do
  if [[ "$BARE_ONLY" == 1 ]]; then
    run_one bare "$BARE_URL" "$run"
  elif (( run % 2 )); then
    run_one bare "$BARE_URL" "$run"
    [[ -z "$FLOOR_URL" ]] || run_one floor "$FLOOR_URL" "$run"
    run_one pvmond "$PVMOND_URL" "$run"
  else
    run_one pvmond "$PVMOND_URL" "$run"
    [[ -z "$FLOOR_URL" ]] || run_one floor "$FLOOR_URL" "$run"
    run_one bare "$BARE_URL" "$run"
  fi
done

median() {  # median SIDE COLUMN
  awk -v s="$1" -v c="$2" '$1 == s {print $c}' "$TMP/results" | sort -g |
    awk '{v[NR] = $1} END { if (NR == 0) { print "null"; exit }
      if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
sum_col() { awk -v s="$1" -v c="$2" '$1 == s {t += $c} END {print t + 0}' "$TMP/results"; }

bare_rps=$(median bare 3); bare_p99=$(median bare 4)
pv_rps=$(median pvmond 3); pv_p99=$(median pvmond 4)
floor_rps=$(median floor 3); floor_p99=$(median floor 4)
ratio_of() { if [[ "$1" != null && "$2" != null ]]; then awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; else echo null; fi; }
ratio=$(ratio_of "$pv_rps" "$bare_rps")
floor_ratio=$(ratio_of "$floor_rps" "$bare_rps")
pv_floor_ratio=$(ratio_of "$pv_rps" "$floor_rps")

echo
printf '%-8s %14s %12s\n' side "req/s (med)" "p99 ms (med)"
printf '%-8s %14s %12s\n' bare "$bare_rps" "$bare_p99"
[[ "$floor_rps" == null ]] || printf '%-8s %14s %12s\n' floor "$floor_rps" "$floor_p99"
[[ "$BARE_ONLY" == 1 ]] || printf '%-8s %14s %12s\n' pvmond "$pv_rps" "$pv_p99"
[[ "$floor_rps" == null ]] || printf 'ratio floor/bare req/s: %s (the most that acknowledging after a durable commit allows here)\n' "$floor_ratio"
[[ "$floor_rps" == null || "$BARE_ONLY" == 1 ]] || printf 'ratio pvmond/floor req/s: %s\n' "$pv_floor_ratio"
[[ "$BARE_ONLY" == 1 ]] || printf 'ratio pvmond/bare req/s: %s (target >= 0.5; pvmond p99 target < 5 ms)\n' "$ratio"

runs_json() {
  awk -v s="$1" '$1 == s {printf "%s{\"run\": %s, \"rps\": %s, \"p99_ms\": %s, \"non_2xx\": %s, \"socket_errors\": %s}",
    (n++ ? ", " : ""), $2, $3, $4, $5, $6}' "$TMP/results"
}
cat >"$OUT" <<JSON
{
  "bench": "intake",
  "kind": "$KIND",
  "wrk": {"threads": $WRK_THREADS, "connections": $CONNECTIONS, "duration": "$DURATION", "runs": $RUNS},
  "server_threads": $SERVER_THREADS,
  "keepalive_max": $KEEPALIVE_MAX,
  "host": "$(uname -n)", "cpus": $(nproc), "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "bare": {"median_rps": $bare_rps, "median_p99_ms": $bare_p99, "non_2xx": $(sum_col bare 5), "runs": [$(runs_json bare)]},
  "floor": {"median_rps": $floor_rps, "median_p99_ms": $floor_p99, "non_2xx": $(sum_col floor 5), "runs": [$(runs_json floor)]},
  "pvmond": {"median_rps": $pv_rps, "median_p99_ms": $pv_p99, "non_2xx": $(sum_col pvmond 5), "runs": [$(runs_json pvmond)]},
  "ratio_rps": $ratio,
  "ratio_floor_to_bare": $floor_ratio,
  "ratio_pvmond_to_floor": $pv_floor_ratio
}
JSON
echo "wrote $OUT"
