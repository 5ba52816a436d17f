#!/usr/bin/env bash
# bench/intake/scale_out.sh PVMOND: intake on SQLite, on PostgreSQL with one pvmond, and with two
# pvmond on one PostgreSQL database (issue 23); then the fail-over time.
#
#   bash scripts/pg-test.sh bash bench/intake/scale_out.sh build/default/daemon/pvmond
#
# Needs the server of scripts/pg-test.sh (its PVMON_TEST_PG_* variables) and wrk. Each side:
# fresh database, the shipped config, wrk (ae_post.lua, the SAE report, SUBJECTS subjects)
# for DURATION at CONNECTIONS connections in all (with two instances half to each, one wrk
# each, at the same time); RUNS runs per side, sides interleaved; prints the median 2xx req/s
# per side and its ratio to SQLite. Fail-over: two instances, a client posting to A; A killed
# with SIGKILL; the time from the kill to the first report B acknowledges (the client switches
# at once, as a load balancer's retry would), median of RUNS.
# Environment: RUNS=3, DURATION=10s, CONNECTIONS=8, SUBJECTS=1.
set -euo pipefail
[[ $# -eq 1 ]] || { sed -n 2,14p "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
PVMOND=$(realpath "$1")
: "${PVMON_TEST_PG_DSN:?run under scripts/pg-test.sh}"
RUNS=${RUNS:-3}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-8}
SUBJECTS=${SUBJECTS:-1}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TMP=$(mktemp -d /tmp/pvmon-scale.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }

# config NAME ENGINE -> a config file (a fresh PostgreSQL database for engine postgresql)
config() {
  local name=$1 engine=$2 db=""
  if [[ $engine == postgresql ]]; then
    db="bench_$$_${RANDOM}${RANDOM}"
    psql -q "$PVMON_TEST_PG_ADMIN_DSN" -c "CREATE DATABASE $db" >/dev/null
  fi
  python3 - "$ROOT" "$TMP/$name.json" "$engine" "${PVMON_TEST_PG_DSN/dbname=pvmon/dbname=$db}" \
    "${PVMON_TEST_PG_PASSWORD_FILE:-}" <<'PY'
import json, os, re, sys
root, out, engine, dsn, pw = sys.argv[1:]
text = open(os.path.join(root, "config", "pvmond.json")).read()
cfg = json.loads("\n".join(l for l in text.split("\n") if not l.strip().startswith("//")))
cfg["studies"] = [os.path.join(root, "config", s) for s in cfg["studies"]]
cfg["listen"] = "127.0.0.1:0"
cfg["log"] = {"level": "warn", "json": False}
if engine == "postgresql":
    cfg["storage"].update({"engine": "postgresql", "dsn": dsn, "password_file": pw})
json.dump(cfg, open(out, "w"))
PY
  echo "$TMP/$name.json"
}

# start CONFIG DATA_DIR: sets ADDR; the pid goes to pids (not in a subshell: pids is ours)
start() {
  "$PVMOND" --config "$1" --data-dir "$2" >/dev/null 2>"$2.log" &
  pids+=($!)
  for _ in $(seq 1 300); do
    [[ -s "$2/pvmond.addr" ]] && curl -sf "http://$(head -1 "$2/pvmond.addr")/readyz" >/dev/null && break
    sleep 0.05
  done
  ADDR=$(head -1 "$2/pvmond.addr")
}

enrol() {
  curl -sf -X POST "http://$1/v1/studies/hcc-pvtt-imrt/subjects" -H "Authorization: Bearer demo-site-s01" \
    -H 'Content-Type: application/json' -d '{"subject":"S01-0007","enrolled":"2026-09-01","sex":"M","age":58}' >/dev/null || true
  for i in $(seq 1 "$((SUBJECTS > 1 ? SUBJECTS : 0))"); do
    curl -sf -X POST "http://$1/v1/studies/hcc-pvtt-imrt/subjects" -H "Authorization: Bearer demo-site-s01" \
      -H 'Content-Type: application/json' \
      -d "{\"subject\":\"S01-B$(printf %04d "$i")\",\"enrolled\":\"2026-09-01\",\"sex\":\"M\",\"age\":58}" >/dev/null || true
  done
}

# wrk_rate ADDR CONNS TAG -> 2xx requests per second
wrk_rate() {
  local out
  out=$(wrk -t1 -c"$2" -d"$DURATION" --timeout 10s -s "$HERE/ae_post.lua" \
    "http://$1/v1/studies/hcc-pvtt-imrt/ae" -- "$3" sae "$SUBJECTS" 2>&1)
  local total non2xx secs
  total=$(awk '/requests in/ {print $1}' <<<"$out")
  secs=$(awk '/requests in/ {gsub(/s,/,"",$4); print $4}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  python3 -c "print(round(($total - ${non2xx:-0}) / $secs, 1))"
}

stop_all() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; pids=(); }

declare -A rates
for run in $(seq 1 "$RUNS"); do
  # SQLite, one instance
  c=$(config "lite$run" sqlite); start "$c" "$TMP/lite$run"; a=$ADDR; enrol "$a"
  rates[sqlite]+="$(wrk_rate "$a" "$CONNECTIONS" "L$run") "; stop_all
  # PostgreSQL, one instance
  c=$(config "pg1_$run" postgresql); start "$c" "$TMP/pg1a$run"; a=$ADDR; enrol "$a"
  rates[pg1]+="$(wrk_rate "$a" "$CONNECTIONS" "P$run") "; stop_all
  # PostgreSQL, two instances, half the connections each, at the same time
  c=$(config "pg2_$run" postgresql); start "$c" "$TMP/pg2a$run"; a=$ADDR; start "$c" "$TMP/pg2b$run"; b=$ADDR
  enrol "$a"
  half=$((CONNECTIONS / 2))
  wrk_rate "$a" "$half" "A$run" >"$TMP/ra" & w1=$!
  wrk_rate "$b" "$half" "B$run" >"$TMP/rb" & w2=$!
  wait $w1 $w2
  rates[pg2]+="$(python3 -c "print($(cat "$TMP/ra") + $(cat "$TMP/rb"))") "; stop_all
done
median() { python3 -c "import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))" $1; }
base=$(median "${rates[sqlite]}")
printf '%-28s %12s %8s   %s\n' side "req/s (med)" "ratio" "runs"
for side in sqlite pg1 pg2; do
  m=$(median "${rates[$side]}")
  printf '%-28s %12s %8s   %s\n' "$side" "$m" "$(python3 -c "print(round($m / $base, 2))")" "${rates[$side]}"
done

# Fail-over: A and B on one database; post to A until it answers, kill it, then post to B.
fail=()
for run in $(seq 1 "$RUNS"); do
  c=$(config "fo$run" postgresql); start "$c" "$TMP/foa$run"; a=$ADDR; start "$c" "$TMP/fob$run"; b=$ADDR
  enrol "$a"
  victim=${pids[0]}
  body() { python3 -c "import json,sys; print(json.dumps({'report_id': sys.argv[1], 'subject': 'S01-0007', 'term': 'Fatigue', 'grade': 3, 'onset': '2026-10-02', 'site_aware_at': '2026-10-03T08:10:00Z', 'serious': {'death': False, 'life_threatening': False, 'hospitalization': True, 'disability': False, 'congenital_anomaly': False, 'medically_important': False}, 'causality': {'camrelizumab': 'probable', 'apatinib': 'possible', 'imrt': 'unlikely', 'surgery': 'unrelated'}, 'outcome': 'recovering'}))" "$1"; }
  for i in 1 2 3; do curl -sf -o /dev/null -X POST "http://$a/v1/studies/hcc-pvtt-imrt/ae" -H "Authorization: Bearer demo-site-s01" -H 'Content-Type: application/json' -d "$(body "FO$run-$i")"; done
  payload=$(body "FO$run-after")
  t0=$(date +%s%N)
  kill -9 "$victim"
  until curl -sf -o /dev/null -X POST "http://$b/v1/studies/hcc-pvtt-imrt/ae" -H "Authorization: Bearer demo-site-s01" \
      -H 'Content-Type: application/json' -d "$payload"; do :; done
  t1=$(date +%s%N)
  fail+=("$(python3 -c "print(round(($t1 - $t0) / 1e6, 1))")")
  stop_all
done
echo "fail-over, kill -9 of A to B's first acknowledged report (ms): median $(median "${fail[*]}") of ${fail[*]}"
