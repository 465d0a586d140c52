#!/usr/bin/env bash
# Interoperability with keepalived: xvipd (node1) and keepalived (node2) are
# the two routers of one vrrp_instance, with a client on the same bridge.
# Two rounds with fresh daemons: VRRPv2 with PASS authentication at 1 s
# adverts, and VRRPv3 at 100 ms adverts. In each: election (xvipd 100 over
# keepalived 90, both "state BACKUP"), kill -9 of xvipd (keepalived takes
# over once xvipd's lease ran out), xvipd restarted preempts, keepalived's
# graceful stop as master (priority 0 advert, xvipd takes over after skew
# time); in v2 also a wrong password on keepalived's side (both MASTER,
# xvipd counts auth_failed). Each side must accept the other's adverts:
# xvipd rejects none, keepalived logs no complaint.
#
# keepalived runs in the foreground (-n), VRRP only (-P), logging to the
# console only (-l -G), with every pid file under $WORK (it reads or writes
# /run otherwise), so the trap in lib.sh ends it and its VRRP child.
. "$(dirname "$0")/lib.sh"
e2e_init keepalived "$1"
need arping keepalived || summary
KEEPALIVED=$(command -v keepalived)

lab_bridge
lab_host client 10.81.0.10/24
lab_host node1 10.81.0.1/24
lab_host node2 10.81.0.2/24
VIP=10.81.0.100
M1=$(mac_of node1)
M2=$(mac_of node2)

# conf FILE ROUTER_ID VERSION ADVERT_INT PRIORITY AUTH_PASS|- [EXTRA]
# (the same text serves both daemons: it is keepalived's syntax)
conf() {
	local auth=""
	[ "$6" = - ] || auth="authentication {
        auth_type PASS
        auth_pass $6
    }"
	cat >"$1" <<EOF
global_defs {
    router_id $2
    vrrp_version $3
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority $5
    advert_int $4
    ${7:-}
    $auth
    virtual_ipaddress {
        $VIP
    }
}
EOF
}

# xvipd_start VERSION ADVERT_INT PRIORITY AUTH [nopreempt]
xvipd_start() {
	conf "$WORK/node1.conf" node1 "$1" "$2" "$3" "$4" "${5:-}"
	keep_log node1
	bg_start node1 "$WORK/node1.log" "$BUILD/xvipd" -n -l -f "$WORK/node1.conf" \
		--pin-root "$(pin_of node1)"
	XPID=$BG_PID
}
# ka_start VERSION ADVERT_INT PRIORITY AUTH
ka_start() {
	conf "$WORK/node2.conf" node2 "$1" "$2" "$3" "$4"
	keep_log node2
	bg_start node2 "$WORK/node2.log" "$KEEPALIVED" -n -P -l -G -D \
		-f "$WORK/node2.conf" -p "$WORK/ka.pid" -r "$WORK/ka-vrrp.pid" \
		-c "$WORK/ka-check.pid" -b "$WORK/ka-bfd.pid"
	KPID=$BG_PID
}
# keep_log NODE: append NODE's log to NODE.all (for the failure report)
# before a new daemon overwrites it
keep_log() {
	[ -f "$WORK/$1.log" ] || return 0
	echo "----" >>"$WORK/$1.all"
	cat "$WORK/$1.log" >>"$WORK/$1.all"
	rm -f "$WORK/$1.log"
}

x_state() { xctl node1 status --json 2>/dev/null | json_get state; }
x_is() { [ "$(x_state)" = "$1" ]; }
# keepalived's state: the last "(VI_1) Entering X STATE" it logged
ka_state() { grep -o 'Entering [A-Z]* STATE' "$WORK/node2.log" | tail -1 | cut -d' ' -f2; }
ka_is() { [ "$(ka_state)" = "$1" ]; }
vip_on_node2() { ip -n "${P}node2" addr show eth0 | grep -q " $VIP/"; }
no_vip_on_node2() { ! vip_on_node2; }
# MACs that answer ARP for the VIP, as seen from the client
arp_macs() {
	ns client arping -c "${1:-2}" -w 2 -i eth0 "$VIP" 2>/dev/null |
		sed -n 's/.* from \([0-9a-f:]*\) .*/\1/p' | sort -u | tr '\n' ' ' | sed 's/ $//'
}
x_json() { xctl node1 status --json 2>/dev/null; }
no_rejections() { x_json | grep -q '"rejected":{}'; }
got_adverts() { [ "$(x_json | json_get adverts_received)" -gt 0 ] 2>/dev/null; }
# keepalived complained about nothing it received (prints what it said).
# In the good case it logs none of these words; with a wrong password it
# logs "(VI_1) received an invalid passwd!". Lines naming $WORK are its
# command line and config file.
ka_clean() {
	! grep -i 'invalid\|error\|checksum\|auth\|passw\|wrong\|mismatch\|discard\|ttl' \
		"$WORK/node2.log" | grep -vF "$WORK"
}

# round VERSION ADVERT_INT AUTH_PASS|- SLOW FAST: SLOW is the wait for a
# takeover after master down (3 x advert_int + skew, plus a daemon start),
# FAST the wait for one after a priority 0 advert (skew time only)
round() {
	local v=$1 adv=$2 auth=$3 slow=$4 fast=$5 pass
	pass=${auth/-/}

	note "VRRPv$v, advert_int $adv${pass:+, PASS authentication}: election, both start as BACKUP"
	ip -n "${P}node2" addr del "$VIP/32" dev eth0 2>/dev/null
	ka_start "$v" "$adv" 90 "$auth"
	xvipd_start "$v" "$adv" 100 "$auth"
	check "v$v: xvipd (priority 100) becomes MASTER" wait_until "$slow" x_is MASTER
	check "v$v: keepalived (priority 90) is in BACKUP" wait_until "$slow" ka_is BACKUP
	# let keepalived's master down timer run out several times over: it
	# stays BACKUP only if it accepts our adverts
	sleep "$((${adv%%.*} * 4 + 1))"
	check "v$v: keepalived stays BACKUP (accepts xvipd's adverts)" ka_is BACKUP
	check "v$v: xvipd is still MASTER" x_is MASTER
	check "v$v: keepalived does not hold the VIP on its eth0" no_vip_on_node2
	check_eq "v$v: only node1 (xvipd's XDP) answers ARP for the VIP" "$M1" "$(arp_macs 3)"

	note "v$v: kill -9 of xvipd"
	kill -9 "$XPID"
	wait "$XPID" 2>/dev/null
	check "v$v: keepalived becomes MASTER" wait_until "$slow" ka_is MASTER
	check "v$v: keepalived holds the VIP on its eth0" wait_until 10 vip_on_node2
	check_eq "v$v: only node2 answers ARP now (xvipd's lease ran out)" "$M2" "$(arp_macs 3)"

	note "v$v: xvipd restarts (priority 100, preempt)"
	xvipd_start "$v" "$adv" 100 "$auth"
	check "v$v: xvipd preempts and becomes MASTER" wait_until "$slow" x_is MASTER
	check "v$v: keepalived goes back to BACKUP" wait_until "$slow" ka_is BACKUP
	check "v$v: keepalived removed the VIP from its eth0" wait_until 10 no_vip_on_node2
	check "v$v: xvipd heard keepalived's adverts" wait_until 5 got_adverts
	check "v$v: xvipd rejected none of them" no_rejections
	check_eq "v$v: only node1 answers ARP again" "$M1" "$(arp_macs 2)"

	note "v$v: graceful stop of xvipd as master, then roles reversed"
	bg_stop "$XPID"
	XPID=""
	check "v$v: keepalived takes over on xvipd's priority 0 advert" wait_until "$fast" ka_is MASTER
	check "v$v: keepalived logs the priority 0 advert" wait_log "$WORK/node2.log" 'received priority 0 advert' 10
	conf "$WORK/node2.conf" node2 "$v" "$adv" 110 "$auth"
	ns node2 kill -HUP "$KPID"
	check "v$v: keepalived reloads with priority 110" wait_log "$WORK/node2.log" 'Reload complete' 10
	xvipd_start "$v" "$adv" 100 "$auth" nopreempt
	check "v$v: xvipd (100, nopreempt) starts as BACKUP under keepalived at 110" \
		wait_until "$slow" sh -c "'$BUILD/xvipctl' --pin-root '$(pin_of node1)' status --json | grep -q '\"state\":\"BACKUP\".*\"master_priority\":110'"
	check "v$v: keepalived is MASTER" ka_is MASTER
	check_eq "v$v: only node2 answers ARP" "$M2" "$(arp_macs 2)"
	note "v$v: SIGTERM to keepalived as master"
	bg_stop "$KPID"
	KPID=""
	# negative, sampled once keepalived has exited: its log is complete
	check "v$v: keepalived logged no complaint about xvipd's adverts" ka_clean
	check "v$v: xvipd takes over" wait_until "$fast" x_is MASTER
	check "v$v: on keepalived's priority 0 advert (skew after priority 0)" \
		sh -c "'$BUILD/xvipctl' --pin-root '$(pin_of node1)' status | grep -q 'skew after priority 0'"
	check "v$v: keepalived releases the VIP from its eth0" wait_until 10 no_vip_on_node2
	check_eq "v$v: only node1 answers ARP" "$M1" "$(arp_macs 2)"
	check "v$v: xvipd rejected none of keepalived's adverts" no_rejections

	if [ -n "$pass" ]; then
		note "v$v: wrong password on keepalived's side"
		ka_start "$v" "$adv" 90 "${pass}x"
		check "v$v: xvipd counts auth_failed rejections" \
			wait_until "$slow" sh -c "'$BUILD/xvipctl' --pin-root '$(pin_of node1)' status --json | grep -q '\"rejected\":{\"auth_failed\":[1-9]'"
		check "v$v: keepalived becomes MASTER too (unauthenticated peer)" wait_until "$slow" ka_is MASTER
		check "v$v: keepalived logs that it refuses xvipd's adverts (invalid passwd)" \
			wait_log "$WORK/node2.log" 'invalid passwd' 10
		check "v$v: xvipd stays MASTER" x_is MASTER
		bg_stop "$KPID"
		KPID=""
	fi
	bg_stop "$XPID"
	XPID=""
}

# SLOW: generous (a daemon start on 2 busy cores); FAST for v2 stays below
# keepalived's master_down_interval (3.65 s), so a takeover within it is
# the priority 0 advert's, not the timer's
round 2 1 1111 15 2.5
round 3 0.1 - 10 5

for n in node1 node2; do
	keep_log $n
done
if [ "$E2E_FAILED" -gt 0 ]; then
	for n in node1 node2; do
		note "last lines of $n's log:"
		grep -v 'debug\|Sending gratuitous ARP on' "$WORK/$n.all" | tail -40 | sed 's/^/#   /'
	done
fi
summary
