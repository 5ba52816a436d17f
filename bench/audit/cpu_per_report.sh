#!/usr/bin/env bash
# CPU seconds of pvmond per accepted report under wrk (user+sys from /proc), and audit rows per report.
set -euo pipefail
PVMOND=$1; CONFIG=$2; TMP=$(mktemp -d)
"$PVMOND" --config "$CONFIG" --data-dir "$TMP/data" --listen 127.0.0.1:0 2>"$TMP/log" &
PID=$!
for i in $(seq 100); do test -s "$TMP/data/pvmond.addr" && break; sleep 0.1; done
addr=$(tr -d ' \r\n' <"$TMP/data/pvmond.addr"); addr=${addr#http://}
for i in $(seq 100); do curl -fsS -o /dev/null "http://$addr/readyz" && break; sleep 0.1; done
curl -sS -o /dev/null -X POST -H 'Authorization: Bearer demo-site-s01' -H 'Content-Type: application/json' \
  -d '{"subject":"S01-0007","enrolled":"2026-09-01","sex":"M","age":58}' "http://$addr/v1/studies/hcc-pvtt-imrt/subjects"
t0=$(awk '{print $14+$15}' /proc/$PID/stat)
wrk -t2 -c8 -d8s -s "$(dirname "$0")/../intake/ae_post.lua" "http://$addr/v1/studies/hcc-pvtt-imrt/ae" -- "cpu$$" sae > "$TMP/wrk.txt" 2>&1
t1=$(awk '{print $14+$15}' /proc/$PID/stat)
n=$(sqlite3 "$TMP/data/pvmon.db" "select count(*) from ae_reports")
rows=$(sqlite3 "$TMP/data/pvmon.db" "select count(*) from audit")
col=$(sqlite3 "$TMP/data/pvmon.db" "select count(*) from pragma_table_info('audit') where name='content_sha256'"); [ "$col" = 1 ] && CS=content_sha256 || CS=NULL
bytes=$(sqlite3 "$TMP/data/pvmon.db" "select sum(length(at)+length(principal)+length(action)+length(entity)+ifnull(length(new_value),0)+ifnull(length(prev_value),0)+128+ifnull(length($CS),0)) from audit")
kill $PID; wait $PID 2>/dev/null || true
tck=$(getconf CLK_TCK)
echo "reports $n cpu_ms_per_report $(echo "scale=3; ($t1-$t0)*1000/$tck/$n" | bc) audit_rows_per_report $(echo "scale=2; $rows/$n" | bc) audit_bytes_per_report $(echo "scale=0; $bytes/$n" | bc)"
rm -rf "$TMP"
