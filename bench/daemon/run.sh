#!/usr/bin/env bash
# bench/daemon: pvmond's start-up time and memory.
#
#   bench/daemon/run.sh PVMOND CONFIG BIG_DB [OUT_JSON]
#
# BIG_DB is a database made by `bench_report generate` (1,000 subjects, 1,000,000 AE reports).
# For each of an empty database (the baseline) and a copy of BIG_DB, RUNS times alternating:
#   - start-up: from exec until /readyz answers 200 (the database open, migrated and writable);
#   - idle RSS 5 s after ready (VmRSS), and the peak (VmHWM) after one scheduler tick, which on
#     BIG_DB includes any DSMB report that fell due.
# Prints the medians as a table and writes JSON. Targets (issue 9): idle RSS < 30 MiB,
# start-up with 1,000,000 reports < 1 s.
set -euo pipefail
[[ $# -ge 3 ]] || { echo "usage: $0 PVMOND CONFIG BIG_DB [OUT_JSON]" >&2; exit 2; }
PVMOND=$(realpath -m "$1"); CONFIG=$(realpath -m "$2"); BIG=$(realpath -m "$3")
OUT=${4:-bench-daemon.json}
RUNS=${RUNS:-3}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pvmon-bench-daemon.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
kb() { awk -v k="$2" '$1==k":" {print $2}' "/proc/$1/status"; }

# one_run DB_OR_EMPTY -> "ready_ms idle_kb hwm_kb"
one_run() {
  local dir="$TMP/run.$RANDOM"; mkdir -p "$dir"
  [[ -n "$1" ]] && cp "$1" "$dir/pvmon.db"
  local port; port=$(free_port)
  local t0 t1 pid
  t0=$(date +%s%N)
  "$PVMOND" --config "$CONFIG" --data-dir "$dir" --listen "127.0.0.1:$port" 2>"$dir/log" &
  pid=$!
  until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do sleep 0.002; done
  t1=$(date +%s%N)
  sleep 5
  local idle; idle=$(kb "$pid" VmRSS)
  # The shipped config ticks every 30 s; wait for the scheduled work to finish.
  sleep "${TICK_WAIT:-35}"
  local hwm; hwm=$(kb "$pid" VmHWM)
  kill "$pid"; wait "$pid" || true
  rm -rf "$dir"
  echo "$(( (t1 - t0) / 1000000 )) $idle $hwm"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -a e_ready e_idle e_hwm b_ready b_idle b_hwm
for ((i = 0; i < RUNS; i++)); do
  read -r r m h < <(one_run ""); e_ready+=("$r"); e_idle+=("$m"); e_hwm+=("$h")
  read -r r m h < <(one_run "$BIG"); b_ready+=("$r"); b_idle+=("$m"); b_hwm+=("$h")
done
er=$(printf '%s\n' "${e_ready[@]}" | median); ei=$(printf '%s\n' "${e_idle[@]}" | median); eh=$(printf '%s\n' "${e_hwm[@]}" | median)
br=$(printf '%s\n' "${b_ready[@]}" | median); bi=$(printf '%s\n' "${b_idle[@]}" | median); bh=$(printf '%s\n' "${b_hwm[@]}" | median)
printf '%-28s %12s %14s %16s\n' "database (median of $RUNS)" "ready ms" "idle RSS MiB" "peak RSS MiB"
printf '%-28s %12s %14.1f %16.1f\n' "empty (baseline)" "$er" "$(echo "$ei/1024" | bc -l)" "$(echo "$eh/1024" | bc -l)"
printf '%-28s %12s %14.1f %16.1f\n' "1,000,000 AE reports" "$br" "$(echo "$bi/1024" | bc -l)" "$(echo "$bh/1024" | bc -l)"
cat > "$OUT" <<JSON
{"runs": $RUNS, "empty": {"ready_ms": $er, "idle_rss_kib": $ei, "peak_rss_kib": $eh},
 "big": {"ready_ms": $br, "idle_rss_kib": $bi, "peak_rss_kib": $bh}}
JSON
echo "wrote $OUT"
