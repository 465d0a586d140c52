#!/usr/bin/env bash
# End-to-end test of the XDP data plane (issue "Foundation"), driven with
# xvipctl only (no daemon): ARP answered only under a fresh lease, silent when
# expired or not owner, conflicts seen, BTF field names in bpftool dumps, DR
# steering to a remote and then the local backend, keepalived's VRRP adverts
# counted, detach.
#
#   tests/e2e/test_dataplane.sh BUILD_DIR
#
# Lab (all in namespaces, see lib.sh): bridge; client 10.77.0.10, node1
# 10.77.0.1 (xvip on eth0), node2 10.77.0.2; VIP 10.77.0.100 on lo of both
# nodes (arp_ignore=1/arp_announce=2 keep their kernels quiet about it).
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh
e2e_init dataplane "${1:-}"

VIP=10.77.0.100
need arping bpftool keepalived ethtool || summary

lab_bridge || { echo "FAIL - lab bridge"; E2E_FAILED=1; summary; }
lab_host client 10.77.0.10/24 || { echo "FAIL - lab client"; E2E_FAILED=1; summary; }
lab_host node1 10.77.0.1/24 || { echo "FAIL - lab node1"; E2E_FAILED=1; summary; }
lab_host node2 10.77.0.2/24 || { echo "FAIL - lab node2"; E2E_FAILED=1; summary; }
ns node1 ip addr add $VIP/32 dev lo
ns node2 ip addr add $VIP/32 dev lo
MAC1=$(mac_of node1)
MAC2=$(mac_of node2)

status() { xctl node1 status --json; }
# val KEY: first value of KEY in node1's status (one VIP, one VRID here)
val() { status | json_get "$1"; }
stat_gt0() { [ "$(val "$1")" -gt 0 ] 2>/dev/null; }
# arping from the client; prints its output
arp_client() { ns client arping -c "$1" -W 0.3 -w 3 -i eth0 $VIP 2>&1; }
# replies_from MAC N: arping N times, succeed if N replies came from MAC
replies_from() {
	local out n
	out=$(arp_client "$2")
	echo "$out"
	n=$(grep -ci "bytes from $1" <<<"$out")
	[ "$n" -eq "$2" ]
}
no_reply() {
	local out
	out=$(arp_client 2)
	echo "$out"
	! grep -qi "bytes from" <<<"$out"
}

check "xvipctl attach eth0 on node1" xctl node1 attach eth0
check "xdp program on node1 eth0" bash -c "ip -n ${P}node1 link show eth0 | grep -q xdp"

# a) owner with a fresh lease: the data plane answers with node1's MAC.
xctl node1 vip set $VIP mac "$MAC1" vrid 51 owner 1 lease-ms 3000
check "a) 3 ARP replies from node1's MAC $MAC1 under a fresh lease" replies_from "$MAC1" 3
# counters are per-CPU map slots, summed by xvipctl: waited for like any event
check "a) arp_replies counted" wait_until 5 stat_gt0 arp_replies

# b) the lease runs out: silence, counted as expired.
not_answering() { [ "$(val answering)" = false ]; }
check "b) lease runs out within 4 s" wait_until 4 not_answering
sleep 0.1
check "b) no ARP reply after the lease expired" no_reply
check "b) arp_drop_expired > 0" wait_until 5 stat_gt0 arp_drop_expired
check_eq "b) status says answering false" false "$(val answering)"
check "b) counter arp_drop_lease_expired > 0" wait_until 5 stat_gt0 arp_drop_lease_expired

# c) not the owner: silence, counted as not-owner.
xctl node1 vip set $VIP owner 0 lease-ms 60000
check "c) no ARP reply when owner 0" no_reply
check "c) arp_drop_not_owner > 0" wait_until 5 stat_gt0 arp_drop_not_owner
check_eq "c) status says owner false" false "$(val owner)"

# e) node1 owns (fresh lease); node2 claims the VIP with a gratuitous ARP.
xctl node1 vip set $VIP owner 1 lease-ms 60000
# arping exits 1 (no replies to a gratuitous ARP): check what it sent.
garp() { ns node2 arping -U -c 2 -W 0.2 -S $VIP -i eth0 $VIP 2>&1 | grep '2 packets transmitted'; }
check "e) node2 sends gratuitous ARPs for the VIP" garp
check "e) VIP conflicts > 0" wait_until 5 stat_gt0 conflicts
check "e) counter arp_conflict > 0" wait_until 5 stat_gt0 arp_conflict
check_eq "e) status still answering true" true "$(val answering)"

# f) DR steering: failover service, node2 (weight 3) preferred over the local
# node1 (weight 1); then node2 down -> local.
bg_start node2 "$WORK/listen2.log" "$BUILD/xvip-probe" serve "$VIP" 3306 node2
bg_start node1 "$WORK/listen1.log" "$BUILD/xvip-probe" serve "$VIP" 3306 node1
listening() { ns "$1" ss -ltnH "src $VIP:3306" | grep -q 3306; }
both_listening() { listening node1 && listening node2; }
check "f) listeners up on node1 and node2" wait_until 10 both_listening
check "f) service set fo: node2 weight 3, node1 local weight 1" \
	xctl node1 service set $VIP:3306 tcp sched fo backend "10.77.0.2,$MAC2,3" \
	backend "10.77.0.1,$MAC1,1,local"
# The gratuitous ARPs of e) may have pointed the client's cache at node2.
ns client ip neigh flush all
fetch() { ns client timeout 5 bash -c "exec 3<>/dev/tcp/$VIP/3306 && cat <&3"; }
out=$(fetch 2>&1)
check_eq "f) client's connection to $VIP:3306 answered by node2" node2 "$out"
check "f) counter svc_remote > 0" wait_until 5 stat_gt0 svc_remote
if command -v python3 >/dev/null; then
	# the whole document parses, and the service lists both backends
	nback() { status | python3 -c 'import json, sys; s = json.load(sys.stdin)["dataplane"]["services"][0]; print(len(s["backends"]), s["sched"])'; }
	check_eq "f) status --json is valid JSON: one service, 2 backends, fo" "2 fo" "$(nback)"
fi
metrics() { xctl node1 metrics; }
metrics_valid() { metrics | prom_valid; }
check "f) xvipctl metrics: valid Prometheus text" metrics_valid
out=$(metrics)
check "f) metrics without a daemon: xvipd_up 0" grep -qx "xvipd_up 0" <<<"$out"
check "f) metrics: the VIP answers" grep -qx "xvip_vip_answering{vip=\"$VIP\",vrid=\"51\"} 1" <<<"$out"
check "f) metrics: the fo service's preferred backend is healthy" grep -qx "xvip_backend_healthy{service=\"$VIP:3306\",proto=\"tcp\",backend=\"10.77.0.2\"} 1" <<<"$out"
check "f) metrics: svc_remote verdicts counted" grep -q '^xvip_verdicts_total{reason="svc_remote"} [1-9]' <<<"$out"
check "f) service to_remote > 0" wait_until 5 stat_gt0 to_remote

# d) BTF field names in bpftool's dumps of the pinned maps.
dump() { ns node1 bpftool map dump pinned "$(pin_of node1)/$1" 2>&1; }
has_fields() {
	local map=$1 out f
	shift
	out=$(dump "$map")
	for f in "$@"; do
		grep -q "\"$f\"" <<<"$out" || { echo "$map: no field $f in:"; head -40 <<<"$out"; return 1; }
	done
}
check "d) vips dump names lease_expires_ns mac vrid owner" \
	has_fields vips lease_expires_ns mac vrid owner
check "d) vrrp_stats dump names adverts bad_checksum" has_fields vrrp_stats adverts bad_checksum
check "d) services dump names vip port proto id sched generation" \
	has_fields services vip port proto id sched generation
check "d) backends dump names addr mac healthy local weight" \
	has_fields backends addr mac healthy local weight
check "d) counters dump lists per-CPU values" has_fields counters key values cpu value
check "d) vip_stats dump names arp_replies conflicts" has_fields vip_stats arp_replies conflicts
check "d) svc_stats dump names to_local to_remote" has_fields svc_stats to_local to_remote

check "f) service set: node2 down" \
	xctl node1 service set $VIP:3306 tcp sched fo backend "10.77.0.2,$MAC2,3,down" \
	backend "10.77.0.1,$MAC1,1,local"
out=$(fetch 2>&1)
check_eq "f) with node2 down the connection reaches node1's local listener" node1 "$out"
check "f) counter svc_local > 0" wait_until 5 stat_gt0 svc_local

# g) keepalived in the client namespace: its adverts are counted for VRID 51.
cat >"$WORK/keepalived.conf" <<EOF
global_defs {
	router_id $P
}
vrrp_instance XV$P {
	state BACKUP
	interface eth0
	virtual_router_id 51
	priority 50
	advert_int 1
	authentication {
		auth_type PASS
		auth_pass 1111
	}
	virtual_ipaddress {
		10.77.0.200/24
	}
}
EOF
bg_start client "$WORK/keepalived.log" /usr/sbin/keepalived -n -l -D -G -P \
	-f "$WORK/keepalived.conf" -p "$WORK/keepalived.pid" -r "$WORK/vrrp.pid"
KA=$BG_PID
adverts_ge2() { [ "$(val adverts)" -ge 2 ] 2>/dev/null; }
# keepalived (advert_int 1) is master after ~3.8 s, then adverts every 1 s
check "g) VRID 51 adverts >= 2 from keepalived" wait_until 15 adverts_ge2 ||
	tail -20 "$WORK/keepalived.log" | sed 's/^/#   /'
vrrp=$(status | grep -o '"vrrp":\[[^]]*\]')
check_eq "g) last_priority 50" 50 "$(json_get last_priority <<<"$vrrp")"
check_eq "g) last_version 2" 2 "$(json_get last_version <<<"$vrrp")"
check_eq "g) last_sender the client" 10.77.0.10 "$(json_get last_sender <<<"$vrrp")"
check_eq "g) vrid 51" 51 "$(json_get vrid <<<"$vrrp")"
check_eq "g) no checksum rejections" 0 "$(json_get bad_checksum <<<"$vrrp")"
# XVIP_E2E_KEEP=DIR: keep sample outputs (docs/maps.md quotes them).
if [ -n "${XVIP_E2E_KEEP:-}" ]; then
	dump vips >"$XVIP_E2E_KEEP/vips.dump"
	dump vrrp_stats | grep -A16 '"key": 51,' >"$XVIP_E2E_KEEP/vrrp_stats.dump"
	xctl node1 status >"$XVIP_E2E_KEEP/status.txt"
	xctl node1 status --json >"$XVIP_E2E_KEEP/status.json"
fi
bg_stop "$KA"
check "g) keepalived's shutdown advert (priority 0) counted" wait_until 10 stat_gt0 prio_zero

# h) detach.
check "h) xvipctl detach eth0" xctl node1 detach eth0
check "h) no xdp on node1 eth0 any more" bash -c "! ip -n ${P}node1 link show eth0 | grep -q xdp"

# i) pinned maps of another layout are refused, loudly, and nothing attaches.
BOGUS=$WORK/bpf/bogus
mkdir -p "$BOGUS"
# same name and sizes as ours (vip_entry is 24 bytes), but no BTF
bpftool map create "$BOGUS/vips" type hash key 4 value 24 entries 256 name vips
out=$(ns node1 "$BUILD/xvipctl" --pin-root "$BOGUS" attach eth0 2>&1)
check_eq "i) attach with a foreign pinned map fails" 1 "$?"
check "i) and says which map and why" grep -q "pinned map $BOGUS/vips has another layout.*no BTF" <<<"$out"
check "i) nothing was attached" bash -c "! ip -n ${P}node1 link show eth0 | grep -q xdp"
rm -f "$BOGUS/vips"
# a real xvip map of another shape: our counters map pinned under the name vips
ns node1 "$BUILD/xvipctl" --pin-root "$WORK/bpf/donor" attach eth0 >/dev/null
ns node1 "$BUILD/xvipctl" --pin-root "$WORK/bpf/donor" detach eth0
cp_pin() { bpftool map pin pinned "$WORK/bpf/donor/$1" "$BOGUS/$2"; }
cp_pin vip_stats vips
out=$(ns node1 "$BUILD/xvipctl" --pin-root "$BOGUS" attach eth0 2>&1)
check_eq "i) attach with an xvip map of another layout fails" 1 "$?"
check "i) and names the map" grep -q "pinned map $BOGUS/vips has another layout" <<<"$out"

summary
