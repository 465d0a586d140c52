#!/usr/bin/env bash
# metrics_listen (issue 11): xvipd serves GET /metrics in Prometheus' text
# format from its own loop: the families of `xvipctl metrics` plus xvip_up
# and xvip_build_info, accepted by `promtool check metrics`; other paths
# 404, other methods 405; a client that sends nothing is dropped after 2 s;
# the election goes on meanwhile.
. "$(dirname "$0")/lib.sh"
e2e_init met "$1"
PROMTOOL=$(command -v promtool || echo /usr/local/lib/xvip-test/promtool)
[ -x "$PROMTOOL" ] || { note "skipped: no promtool (tools/deps.sh fetches it)"; summary; }
need jq || summary

lab_bridge
lab_host client 10.88.0.10/24
lab_host node1 10.88.0.1/24
cat >"$WORK/node1.conf" <<EOF
global_defs {
    metrics_listen 10.88.0.1:10112
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 55
    priority 100
    advert_int 0.1
    version 3
    virtual_ipaddress {
        10.88.0.100
    }
}
EOF
"$BUILD/xvipd" -t -f "$WORK/node1.conf" >"$WORK/t.out" 2>&1
check "xvipd -t prints metrics_listen" grep -q "^    metrics_listen 10.88.0.1:10112$" "$WORK/t.out"
bg_start node1 "$WORK/node1.log" "$BUILD/xvipd" -n -l -f "$WORK/node1.conf" --pin-root "$(pin_of node1)"
PID=$BG_PID
is_master() { xctl node1 status --json 2>/dev/null | grep -q '"state":"MASTER"'; }
check "node1 becomes MASTER" wait_until 10 is_master
check "xvipd says where it serves" wait_log "$WORK/node1.log" "metrics: http://10.88.0.1:10112/metrics" 5
get() { ns client "$BUILD/xvip-probe" http 10.88.0.1 10112 "$@"; }
# the client asks for the VIP once, so that the data plane has answered ARP
ns client arping -c 1 -w 1 -i eth0 10.88.0.100 >/dev/null 2>&1
scrape() { get GET /metrics >"$WORK/scrape.txt" && grep -q '^xvip_instance_state{instance="VI_1",vrid="55",state="MASTER"} 1' "$WORK/scrape.txt"; }
check "GET /metrics from the client: 200 with the instance MASTER" wait_until 10 scrape
check "status 200" grep -q "^HTTP/1.[01] 200" "$WORK/scrape.txt"
check "content type: the text exposition format" grep -qi "^Content-Type: text/plain; version=0.0.4" "$WORK/scrape.txt"
sed '1,/^\r\?$/d' "$WORK/scrape.txt" >"$WORK/body.txt"
check "xvip_up 1" grep -qx "xvip_up 1" "$WORK/body.txt"
check "xvip_build_info with the version" grep -q '^xvip_build_info{version="[^"]*"} 1$' "$WORK/body.txt"
check "the daemon's families (xvipd_uptime_seconds)" grep -q "^xvipd_uptime_seconds " "$WORK/body.txt"
check "and the maps' (xvip_vip_answering for the VIP)" \
	grep -q '^xvip_vip_answering{vip="10.88.0.100",vrid="55"} 1' "$WORK/body.txt"
check "verdicts (arp_reply counted)" grep -q '^xvip_verdicts_total{reason="arp_reply"} [1-9]' "$WORK/body.txt"
"$PROMTOOL" check metrics <"$WORK/body.txt" >"$WORK/promtool.txt" 2>&1
check_eq "promtool check metrics accepts it" 0 $?
sed 's/^/#   /' "$WORK/promtool.txt" | head -20
check "every family xvipctl metrics prints is served" sh -c "
	'$BUILD/xvipctl' --pin-root '$(pin_of node1)' metrics 2>/dev/null | sed -n 's/^# TYPE \([a-z_]*\) .*/\1/p' | grep -v '^xvipd_up$' | sort >'$WORK/ctl.fam'
	sed -n 's/^# TYPE \([a-z_]*\) .*/\1/p' '$WORK/body.txt' | sort >'$WORK/http.fam'
	[ -s '$WORK/ctl.fam' ] && comm -23 '$WORK/ctl.fam' '$WORK/http.fam' | { ! grep .; }"

note "the shipped alert rules and dashboard"
"$PROMTOOL" check rules tools/prometheus/alerts.yml >"$WORK/rules.txt" 2>&1
check_eq "promtool check rules tools/prometheus/alerts.yml" 0 $?
# every metric an alert or a panel asks for is one that xvipd serves (the
# page has each family's # TYPE even when it has no sample yet)
sed -n 's/^# TYPE \([a-z_]*\) .*/\1/p' "$WORK/body.txt" | sort -u >"$WORK/served.fam"
check "every metric in alerts.yml is served" \
	sh -c "names_in() { grep -o 'xvipd\?_[a-z_]*' \"\$1\" | sort -u; }; names_in tools/prometheus/alerts.yml | comm -23 - '$WORK/served.fam' | { ! grep .; }"
check "the dashboard is valid JSON with 6 panels" sh -c "[ \"\$(jq '.panels | length' tools/grafana/xvip.json)\" = 6 ]"
jq -r '.panels[].targets[].expr' tools/grafana/xvip.json >"$WORK/dash.expr"
check "every metric of the dashboard is served" \
	sh -c "grep -o 'xvipd\?_[a-z_]*' '$WORK/dash.expr' | sort -u | comm -23 - '$WORK/served.fam' | { ! grep .; }"

note "anything else is refused"
check "GET /other: 404" sh -c "ip netns exec ${P}client '$BUILD/xvip-probe' http 10.88.0.1 10112 GET /other | head -1 | grep -q ' 404'"
check "POST /metrics: 405" sh -c "ip netns exec ${P}client '$BUILD/xvip-probe' http 10.88.0.1 10112 POST /metrics | head -1 | grep -q ' 405'"
check "with Allow: GET, HEAD" sh -c "ip netns exec ${P}client '$BUILD/xvip-probe' http 10.88.0.1 10112 DELETE /metrics | grep -qi '^Allow: GET, HEAD'"

note "a client that sends nothing is dropped after 2 s"
silent() {
	ns client bash -c 'exec 3<>/dev/tcp/10.88.0.1/10112 || exit 2; s=$(date +%s%N); timeout 6 cat <&3 >/dev/null; echo $((($(date +%s%N) - s) / 1000000))'
}
ms=$(silent)
note "the silent connection lasted ${ms:-?} ms"
check "closed by xvipd within 5 s (after ${ms:-?} ms)" test "${ms:-9999}" -lt 5000
check "not before its 2 s (1.5 s at least)" test "${ms:-0}" -ge 1500
check "node1 stayed MASTER" sh -c "! grep -q 'MASTER -> ' '$WORK/node1.log'"
bg_stop "$PID"
sanitizer_check "$WORK/node1.log"
summary
