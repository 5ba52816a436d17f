#!/usr/bin/env bash
# bench/intake/front_door.sh: the front door on Boost.Beast (issue 19) against cpp-httplib.
#
#   bench/intake/front_door.sh bare BUILD_DIR
#       bench_bare_server (cpp-httplib) and bench_bare_beast (pvmond's front door), 201 to the
#       AE POST, at each of CONNECTION_LIST (default "8 64"): req/s, p99, beast/httplib.
#   bench/intake/front_door.sh durable PVMOND CONFIG [OLD_PVMOND OLD_CONFIG]
#       At 8 connections (CONNECTIONS): pvmond, bench_durable_floor_beast and (FLOOR_HTTPLIB=1,
#       the default) bench_durable_floor, and the old pvmond when given: pvmond/floor-beast and
#       new/old pvmond in the same session (this disk's fsync rate varies over the day).
#   bench/intake/front_door.sh c1000 PVMOND CONFIG [OLD_PVMOND OLD_CONFIG]
#       pvmond at 8 and at HIGH (default 1000) connections, one instance, its config copied
#       with http.max_connections and http.max_connections_per_address set to HIGH + 100; the
#       old pvmond (its config as it is) at 8 and HIGH when given. Ratio at HIGH / at 8.
#   bench/intake/front_door.sh all PVMOND CONFIG [OLD_PVMOND OLD_CONFIG]
#       The three above, one after the other (the baselines from PVMOND's build tree).
#
# Each session starts its servers once, then runs wrk (ae_post.lua, the SAE report) against
# every side RUNS times, the order of the sides reversed on every other run (each run after the
# servers are idle and the disk synced), and prints per side the median req/s (2xx answers only)
# and p99 with their ranges; writes OUT_DIR/front-door-MODE.json.
# Environment: RUNS=5, DURATION=10s, WRK_THREADS=2, WRK_TIMEOUT=10s (a request slower than
# that counts as a timeout, not in the latency), CONNECTIONS=8, CONNECTION_LIST="8 64",
# HIGH=1000, SERVER_THREADS=8 and KEEPALIVE_MAX=1000 (the baselines; pvmond takes its config's),
# FLOOR_HTTPLIB=1, KIND=sae|routine, SUBJECTS=10000 (the reports go round that many subjects,
# enrolled first: intake reads all of a subject's AEs for each new one, see ae_post.lua; 1: all
# to S01-0007, as run.sh), OUT_DIR=. ; BUILD_DIR for durable/c1000 (default: PVMOND's
# CMake build tree). wrk needs a descriptor per connection: the soft limit is raised to the hard one.
# The old pvmond: git worktree add ../wt-old 9a2dc9f, then in it cmake --preset default and
# cmake --build --preset default -j2 --target pvmond; its config is its config/pvmond.json.
set -euo pipefail

usage() { sed -n '3,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[[ $# -ge 2 ]] || usage
MODE=$1; shift
RUNS=${RUNS:-5}
DURATION=${DURATION:-10s}
WRK_THREADS=${WRK_THREADS:-2}
WRK_TIMEOUT=${WRK_TIMEOUT:-10s}
CONNECTIONS=${CONNECTIONS:-8}
CONNECTION_LIST=${CONNECTION_LIST:-8 64}
HIGH=${HIGH:-1000}
SERVER_THREADS=${SERVER_THREADS:-8}
KEEPALIVE_MAX=${KEEPALIVE_MAX:-1000}
FLOOR_HTTPLIB=${FLOOR_HTTPLIB:-1}
KIND=${KIND:-sae}
SUBJECTS=${SUBJECTS:-10000}
OUT_DIR=${OUT_DIR:-.}
HERE=$(cd "$(dirname "$0")" && pwd)
SCRIPT="$HERE/ae_post.lua"
STUDY=hcc-pvtt-imrt
TOKEN=demo-site-s01
[[ "$KIND" == sae || "$KIND" == routine ]] || { echo "KIND must be sae or routine" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }

PVMOND="" CONFIG="" OLD_PVMOND="" OLD_CONFIG=""
case "$MODE" in
  bare) BUILD_DIR=$(realpath -m "$1") ;;
  durable|c1000|all)
    [[ $# -eq 2 || $# -eq 4 ]] || usage
    PVMOND=$(realpath -m "$1"); CONFIG=$(realpath -m "$2")
    if [[ $# -eq 4 ]]; then OLD_PVMOND=$(realpath -m "$3"); OLD_CONFIG=$(realpath -m "$4"); fi
    for f in "$PVMOND" ${OLD_PVMOND:+"$OLD_PVMOND"}; do [[ -x "$f" ]] || { echo "not executable: $f" >&2; exit 1; }; done
    if [[ -z "${BUILD_DIR:-}" ]]; then
      BUILD_DIR=$(dirname "$PVMOND")
      while [[ "$BUILD_DIR" != / && ! -f "$BUILD_DIR/CMakeCache.txt" ]]; do BUILD_DIR=$(dirname "$BUILD_DIR"); done
    fi ;;
  *) usage ;;
esac
find_bin() {  # find_bin NAME: the executable NAME in BUILD_DIR
  local f
  f=$(find "$BUILD_DIR" -type f -name "$1" -perm -u+x 2>/dev/null | head -n1)
  [[ -n "$f" ]] || { echo "$1 not found in $BUILD_DIR: build the target" >&2; exit 1; }
  echo "$f"
}

# wrk and the servers take a descriptor per connection.
if [[ "$(ulimit -n)" != unlimited && "$(ulimit -n)" -lt $((HIGH + 1000)) ]]; then
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
fi
if [[ "$MODE" == c1000 || "$MODE" == all ]] && [[ "$(ulimit -n)" != unlimited && "$(ulimit -n)" -lt $((HIGH + 100)) ]]; then
  echo "ulimit -n is $(ulimit -n): too few descriptors for $HIGH connections" >&2; exit 1
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pvmon-front-door.XXXXXX")
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

stop_servers() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
}

# --- servers: each sets URL and SERVER_PID -------------------------------------------------
start_baseline() {  # start_baseline NAME CMD...: CMD prints "port N"
  local name=$1; shift
  "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
  SERVER_PID=$!; PIDS+=("$SERVER_PID")
  wait_for 10 grep -qs '^port ' "$TMP/$name.out" || { echo "$name did not start:" >&2; cat "$TMP/$name.err" >&2; exit 1; }
  URL=$(printf 'http://127.0.0.1:%s/v1/studies/%s/ae' "$(awk '/^port /{print $2; exit}' "$TMP/$name.out")" "$STUDY")
}

enrol() {  # enrol BASE SUBJECT...: one curl, one connection; 201, or 409 if enrolled already
  local base=$1 s; shift
  for s in "$@"; do
    [[ "$s" == "$1" ]] || printf 'next\n'
    printf 'url = "%s/v1/studies/%s/subjects"\nrequest = "POST"\n' "$base" "$STUDY"
    printf 'header = "Authorization: Bearer %s"\nheader = "Content-Type: application/json"\n' "$TOKEN"
    printf 'data = "{\\"subject\\":\\"%s\\",\\"enrolled\\":\\"2026-09-01\\",\\"sex\\":\\"M\\",\\"age\\":58}"\n' "$s"
    printf 'output = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n'
  done >"$TMP/enrol.curl"
  local bad
  bad=$(curl -sS -K "$TMP/enrol.curl" | grep -cvE '^(200|201|409)$' || true)
  [[ "$bad" == 0 ]] || { echo "enrolment: $bad of $# subjects refused" >&2; exit 1; }
}

start_pvmond() {  # start_pvmond NAME PVMOND CONFIG: a fresh --data-dir, the subjects enrolled
  local name=$1 bin=$2 config=$3 data
  data=$(mktemp -d "$TMP/$name-data.XXXX")
  "$bin" --config "$config" --data-dir "$data" --listen 127.0.0.1:0 2>"$TMP/$name.log" &
  SERVER_PID=$!; PIDS+=("$SERVER_PID")
  if ! wait_for 30 test -s "$data/pvmond.addr"; then
    echo "$name did not write $data/pvmond.addr; its log:" >&2; tail -n 20 "$TMP/$name.log" >&2; exit 1
  fi
  local addr base
  addr=$(tr -d ' \r\n' <"$data/pvmond.addr"); addr=${addr#http://}
  base="http://$addr"
  wait_for 30 curl -fs -o /dev/null "$base/readyz" || { echo "$name not ready" >&2; exit 1; }
  if (( SUBJECTS > 1 )); then
    # shellcheck disable=SC2046
    enrol "$base" $(seq -f 'S01-B%04g' 1 "$SUBJECTS")
  else
    enrol "$base" S01-0007
  fi
  URL="$base/v1/studies/$STUDY/ae"
  local limits
  limits=$(grep -m1 -o 'descriptors: .*' "$TMP/$name.log" || true)
  echo "$name: $bin on $addr${limits:+ ($limits)}"
}

# CONFIG with http.max_connections and http.max_connections_per_address set to $2 (the config
# is JSON with comments: edited as text, after the "http": { that opens the section).
config_with_connections() {  # config_with_connections CONFIG N OUT
  local cfg=$1 n=$2 out=$3
  sed -E -e '/"max_connections(_per_address)?"[[:space:]]*:/d' \
      -e "s/(\"http\"[[:space:]]*:[[:space:]]*\\{)/\\1 \"max_connections\": $n, \"max_connections_per_address\": $n,/" \
      "$cfg" >"$out"
  grep -q "\"max_connections_per_address\": $n" "$out" || { echo "cannot set the connection limits in $cfg" >&2; exit 1; }
}

# --- sides ---------------------------------------------------------------------------------
# A side: NAME URL CONNECTIONS SERVER_PID, in the arrays below; run order alternates.
SIDE_NAMES=() SIDE_URLS=() SIDE_CONNS=() SIDE_PIDS=()
add_side() { SIDE_NAMES+=("$1"); SIDE_URLS+=("$2"); SIDE_CONNS+=("$3"); SIDE_PIDS+=("$4"); }

to_ms() {  # "812.00us" | "1.23ms" | "1.01s" -> milliseconds
  awk -v v="$1" 'BEGIN {
    if (v == "") { print "null"; exit }
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
    else if (v ~ /m$/) { sub(/m$/, "", v); printf "%.3f", v * 60000 }
    else { sub(/s$/, "", v); printf "%.3f", v * 1000 } }'
}

cpu_ticks() {  # cpu_ticks PID...: user + system clock ticks of these processes, all threads
  local pid t=0 v
  for pid in "$@"; do
    v=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)
    t=$((t + v))
  done
  echo "$t"
}

settle() {  # until the servers are idle (< 5% of a core over 0.5 s; 60 s at most): a run at
  # 1,000 connections leaves requests queued after wrk stops, and they must not fall into the
  # next run (nor a scheduler tick, when it can be helped)
  local deadline=$((SECONDS + 60)) a b
  while (( SECONDS < deadline )); do
    a=$(cpu_ticks "${PIDS[@]}"); sleep 0.5; b=$(cpu_ticks "${PIDS[@]}")
    (( b - a < 3 )) && return 0
  done
  echo "  (servers still busy after 60 s)" >&2
}

run_one() {  # run_one INDEX RUN: appends "side run ok_rps p99 non2xx errors timeouts rps" to results
  local i=$1 run=$2
  local side=${SIDE_NAMES[$i]} url=${SIDE_URLS[$i]} conns=${SIDE_CONNS[$i]} pid=${SIDE_PIDS[$i]}
  local out="$TMP/wrk-$side-$run.txt"
  if ! kill -0 "$pid" 2>/dev/null; then
    printf '  run %s %-18s server not running: skipped\n' "$run" "$side"
    return
  fi
  sync  # the previous run's dirty pages first: no run pays for the one before
  settle
  local threads=$WRK_THREADS
  (( threads <= conns )) || threads=$conns
  wrk -t"$threads" -c"$conns" -d"$DURATION" --timeout "$WRK_TIMEOUT" --latency -s "$SCRIPT" "$url" \
    -- "r$run$side$$" "$KIND" "$SUBJECTS" >"$out" 2>&1 || true
  local rps p99 non2xx errors timeouts requests ok_rps
  rps=$(awk '/^Requests\/sec:/{print $2}' "$out")
  requests=$(awk '/requests in/{print $1; exit}' "$out")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")
  non2xx=$(awk '/Non-2xx or 3xx responses:/{print $NF}' "$out"); non2xx=${non2xx:-0}
  errors=$(awk '/Socket errors:/{gsub(",", ""); print $4 + $6 + $8}' "$out"); errors=${errors:-0}
  timeouts=$(awk '/Socket errors:/{gsub(",", ""); print $10}' "$out"); timeouts=${timeouts:-0}
  if [[ -z "$rps" ]]; then
    echo "  run $run $side: wrk failed: $(tail -n 3 "$out" | tr '\n' ' ')" >&2
    return
  fi
  # req/s counts 2xx answers only: a refusal (503 past a connection limit, 429) is no intake.
  ok_rps=$(awk -v r="$rps" -v n="$requests" -v x="$non2xx" 'BEGIN {printf "%.2f", (n > 0 ? r * (n - x) / n : r)}')
  printf '%s %s %s %s %s %s %s %s\n' "$side" "$run" "$ok_rps" "$p99" "$non2xx" "$errors" "$timeouts" "$rps" >>"$TMP/results"
  # The load average after the run: every runnable thread counts (the baselines' and pvmond's
  # workers too), so it is only a hint; a compile alongside shows as a wide range.
  printf '  run %s %-18s %10.0f req/s  p99 %8.2f ms  non-2xx %s  socket errors %s  timeouts %s  load %s\n' \
    "$run" "$side" "$ok_rps" "$p99" "$non2xx" "$errors" "$timeouts" "$(cut -d' ' -f1 /proc/loadavg)"
  if ! kill -0 "$pid" 2>/dev/null; then echo "  $side: its server exited during the run" >&2; fi
}

median() {  # median SIDE COLUMN
  awk -v s="$1" -v c="$2" '$1 == s && $c != "null" {print $c}' "$TMP/results" | sort -g |
    awk '{v[NR] = $1} END { if (NR == 0) { print "null"; exit }
      if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
range_of() {  # range_of SIDE COLUMN -> "min-max"
  awk -v s="$1" -v c="$2" '$1 == s && $c != "null" {print $c}' "$TMP/results" | sort -g |
    awk 'NR == 1 {lo = $1} {hi = $1} END { if (NR == 0) print "-"; else printf "%s-%s", lo, hi }'
}
sum_col() { awk -v s="$1" -v c="$2" '$1 == s {t += $c} END {print t + 0}' "$TMP/results"; }
ratio() {  # ratio A_SIDE B_SIDE: median req/s of A over B
  local a b; a=$(median "$1" 3); b=$(median "$2" 3)
  if [[ "$a" != null && "$b" != null ]]; then awk -v a="$a" -v b="$b" 'BEGIN {printf "%.3f", a / b}'; else echo null; fi
}

RATIOS=()  # "label A B"
measure() {  # measure SESSION: runs every side RUNS times, alternating; prints; writes JSON
  local session=$1 n=${#SIDE_NAMES[@]} run i order
  : >"$TMP/results"
  echo "== $session: $KIND reports over $SUBJECTS subject(s), wrk -t$WRK_THREADS -d$DURATION --timeout $WRK_TIMEOUT, $RUNS runs, alternating"
  for run in $(seq 1 "$RUNS"); do
    if (( run % 2 )); then order=$(seq 0 $((n - 1))); else order=$(seq $((n - 1)) -1 0); fi
    for i in $order; do run_one "$i" "$run"; done
  done
  echo
  printf '%-18s %6s %12s %20s %10s %18s %8s %8s %8s\n' side conns "2xx/s (med)" "2xx/s range" "p99 ms" "p99 range" non-2xx errors timeouts
  for i in $(seq 0 $((n - 1))); do
    local s=${SIDE_NAMES[$i]}
    printf '%-18s %6s %12s %20s %10s %18s %8s %8s %8s\n' "$s" "${SIDE_CONNS[$i]}" "$(median "$s" 3)" "$(range_of "$s" 3)" \
      "$(median "$s" 4)" "$(range_of "$s" 4)" "$(sum_col "$s" 5)" "$(sum_col "$s" 6)" "$(sum_col "$s" 7)"
  done
  local r label a b json_ratios=""
  for r in "${RATIOS[@]}"; do
    read -r label a b <<<"$r"
    printf 'ratio %-28s %s (%s / %s)\n' "$label" "$(ratio "$a" "$b")" "$a" "$b"
    json_ratios+="${json_ratios:+, }\"$label\": $(ratio "$a" "$b")"
  done
  local json_sides=""
  for i in $(seq 0 $((n - 1))); do
    local s=${SIDE_NAMES[$i]} runs
    runs=$(awk -v s="$s" '$1 == s {printf "%s{\"run\": %s, \"rps_2xx\": %s, \"p99_ms\": %s, \"non_2xx\": %s, \"socket_errors\": %s, \"timeouts\": %s, \"rps_all\": %s}",
      (k++ ? ", " : ""), $2, $3, $4, $5, $6, $7, $8}' "$TMP/results")
    json_sides+="${json_sides:+,
    }\"$s\": {\"connections\": ${SIDE_CONNS[$i]}, \"median_rps\": $(median "$s" 3), \"median_p99_ms\": $(median "$s" 4), \"runs\": [$runs]}"
  done
  local out="$OUT_DIR/front-door-$session.json"
  cat >"$out" <<JSON
{
  "bench": "intake/front_door",
  "session": "$session",
  "kind": "$KIND",
  "subjects": $SUBJECTS,
  "wrk": {"threads": $WRK_THREADS, "duration": "$DURATION", "timeout": "$WRK_TIMEOUT", "runs": $RUNS},
  "baselines": {"threads": $SERVER_THREADS, "keepalive_max": $KEEPALIVE_MAX},
  "host": "$(uname -n)", "cpus": $(nproc), "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "sides": {
    $json_sides
  },
  "ratios": {$json_ratios}
}
JSON
  echo "wrote $out"
  echo
  SIDE_NAMES=() SIDE_URLS=() SIDE_CONNS=() SIDE_PIDS=() RATIOS=()
}

# --- sessions ------------------------------------------------------------------------------
session_bare() {
  local c
  start_baseline bare-httplib "$(find_bin bench_bare_server)" 0 "$SERVER_THREADS" "$KEEPALIVE_MAX"
  local h_url=$URL h_pid=$SERVER_PID
  start_baseline bare-beast "$(find_bin bench_bare_beast)" 0 "$SERVER_THREADS" "$KEEPALIVE_MAX"
  for c in $CONNECTION_LIST; do
    add_side "httplib@$c" "$h_url" "$c" "$h_pid"
    add_side "beast@$c" "$URL" "$c" "$SERVER_PID"
    RATIOS+=("beast/httplib@$c beast@$c httplib@$c")
  done
  measure bare
  stop_servers
}

session_durable() {
  local c=$CONNECTIONS
  start_pvmond pvmond "$PVMOND" "$CONFIG"; add_side "pvmond@$c" "$URL" "$c" "$SERVER_PID"
  start_baseline floor-beast "$(find_bin bench_durable_floor_beast)" 0 "$TMP/floor-beast.db" "$SERVER_THREADS" "$KEEPALIVE_MAX"
  add_side "floor-beast@$c" "$URL" "$c" "$SERVER_PID"
  RATIOS+=("pvmond/floor-beast@$c pvmond@$c floor-beast@$c")
  if [[ "$FLOOR_HTTPLIB" == 1 ]]; then
    start_baseline floor-httplib "$(find_bin bench_durable_floor)" 0 "$TMP/floor-httplib.db" "$SERVER_THREADS" "$KEEPALIVE_MAX"
    add_side "floor-httplib@$c" "$URL" "$c" "$SERVER_PID"
    RATIOS+=("floor-beast/floor-httplib@$c floor-beast@$c floor-httplib@$c")
  fi
  if [[ -n "$OLD_PVMOND" ]]; then
    start_pvmond old-pvmond "$OLD_PVMOND" "$OLD_CONFIG"; add_side "old-pvmond@$c" "$URL" "$c" "$SERVER_PID"
    RATIOS+=("pvmond/old-pvmond@$c pvmond@$c old-pvmond@$c")
    [[ "$FLOOR_HTTPLIB" != 1 ]] || RATIOS+=("old-pvmond/floor-httplib@$c old-pvmond@$c floor-httplib@$c")
  fi
  measure durable
  stop_servers
}

session_c1000() {
  # A copy of the config's folder, so that the copy's relative paths (studies) still hold.
  mkdir -p "$TMP/config"
  cp -R "$(dirname "$CONFIG")/." "$TMP/config/"
  local cfg
  cfg="$TMP/config/$(basename "$CONFIG")"
  config_with_connections "$CONFIG" $((HIGH + 100)) "$cfg"
  start_pvmond pvmond "$PVMOND" "$cfg"
  add_side "pvmond@$CONNECTIONS" "$URL" "$CONNECTIONS" "$SERVER_PID"
  add_side "pvmond@$HIGH" "$URL" "$HIGH" "$SERVER_PID"
  RATIOS+=("pvmond@$HIGH/@$CONNECTIONS pvmond@$HIGH pvmond@$CONNECTIONS")
  if [[ -n "$OLD_PVMOND" ]]; then
    start_pvmond old-pvmond "$OLD_PVMOND" "$OLD_CONFIG"
    add_side "old-pvmond@$CONNECTIONS" "$URL" "$CONNECTIONS" "$SERVER_PID"
    add_side "old-pvmond@$HIGH" "$URL" "$HIGH" "$SERVER_PID"
    RATIOS+=("old-pvmond@$HIGH/@$CONNECTIONS old-pvmond@$HIGH old-pvmond@$CONNECTIONS")
    RATIOS+=("pvmond/old-pvmond@$HIGH pvmond@$HIGH old-pvmond@$HIGH")
  fi
  measure c1000
  stop_servers
}

echo "front_door.sh $MODE: $(nproc) cpus, ulimit -n $(ulimit -n), $(date -u +%Y-%m-%dT%H:%M:%SZ)"
case "$MODE" in
  bare) session_bare ;;
  durable) session_durable ;;
  c1000) session_c1000 ;;
  all) session_bare; session_durable; session_c1000 ;;
esac
