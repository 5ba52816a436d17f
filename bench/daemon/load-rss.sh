#!/usr/bin/env bash
# bench/daemon: pvmond's memory under sustained load, against its idle memory.
#
#   bench/daemon/load-rss.sh PVMOND PVMON CONFIG [OUT_JSON]
#
# For each of RUNS runs, a fresh daemon on an empty database: idle RSS 5 s after ready (the
# baseline), then `pvmon simulate --scale` posts REPORTS AE reports (default 50,000) over
# CONNECTIONS keep-alive connections (default 8) while VmRSS is sampled every 0.5 s. Prints the
# medians over runs of the idle RSS, the median and peak RSS under load and the throughput, as a
# table, and writes JSON. Target (issue 9): idle RSS < 30 MiB; under load it should stay flat
# (no growth with the number of reports stored).
set -euo pipefail
[[ $# -ge 3 ]] || { echo "usage: $0 PVMOND PVMON CONFIG [OUT_JSON]" >&2; exit 2; }
PVMOND=$(realpath -m "$1"); PVMON=$(realpath -m "$2"); CONFIG=$(realpath -m "$3")
OUT=${4:-bench-load-rss.json}
RUNS=${RUNS:-3}; REPORTS=${REPORTS:-50000}; CONNECTIONS=${CONNECTIONS:-8}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pvmon-bench-rss.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
kb() { awk -v k="$2" '$1==k":" {print $2}' "/proc/$1/status"; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf 'S01 demo-site-s01\nS02 demo-site-s02\n' > "$TMP/tokens"

# one_run -> "idle_kb load_median_kb load_peak_kb reports_per_s"
one_run() {
  local dir="$TMP/run.$RANDOM"; mkdir -p "$dir"
  local port; port=$(free_port)
  "$PVMOND" --config "$CONFIG" --data-dir "$dir" --listen "127.0.0.1:$port" 2>"$dir/log" &
  local pid=$!
  until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do sleep 0.01; done
  sleep 5
  local idle; idle=$(kb "$pid" VmRSS)
  "$PVMON" simulate --scale --quiet --url "http://127.0.0.1:$port" --token-file "$TMP/tokens" \
    --subjects 200 --reports "$REPORTS" --connections "$CONNECTIONS" > "$dir/sim.out" 2>&1 &
  local sim=$!
  : > "$dir/rss"
  while kill -0 "$sim" 2>/dev/null; do kb "$pid" VmRSS >> "$dir/rss"; sleep 0.5; done
  wait "$sim" || { echo "simulate failed:" >&2; cat "$dir/sim.out" >&2; exit 1; }
  local med peak rate
  med=$(median < "$dir/rss"); peak=$(sort -n "$dir/rss" | tail -1)
  rate=$(sed -n 's/.*(\([0-9]*\) reports\/s.*/\1/p' "$dir/sim.out")
  kill "$pid"; wait "$pid" || true
  rm -rf "$dir"
  echo "$idle $med $peak $rate"
}

declare -a idle lmed lpeak rate
for ((i = 0; i < RUNS; i++)); do
  read -r a b c d < <(one_run); idle+=("$a"); lmed+=("$b"); lpeak+=("$c"); rate+=("$d")
done
mi=$(printf '%s\n' "${idle[@]}" | median); mm=$(printf '%s\n' "${lmed[@]}" | median)
mp=$(printf '%s\n' "${lpeak[@]}" | median); mr=$(printf '%s\n' "${rate[@]}" | median)
printf '%-44s %12s\n' "pvmond, median of $RUNS runs" "RSS MiB"
printf '%-44s %12.1f\n' "idle, empty database (baseline)" "$(echo "$mi/1024" | bc -l)"
printf '%-44s %12.1f\n' "under load: median sample" "$(echo "$mm/1024" | bc -l)"
printf '%-44s %12.1f\n' "under load: peak sample" "$(echo "$mp/1024" | bc -l)"
printf '%-44s %12.2f\n' "peak / idle" "$(echo "$mp/$mi" | bc -l)"
echo "load: $REPORTS AE reports over $CONNECTIONS connections, $mr reports/s (median)"
cat > "$OUT" <<JSON
{"runs": $RUNS, "reports": $REPORTS, "connections": $CONNECTIONS,
 "idle_rss_kib": $mi, "load_median_rss_kib": $mm, "load_peak_rss_kib": $mp, "reports_per_s": $mr}
JSON
echo "wrote $OUT"
