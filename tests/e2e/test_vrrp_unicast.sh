#!/usr/bin/env bash
# VRRP over unicast peers (unicast_src_ip / unicast_peer, no multicast), and
# the keepalived-style vip_mode interface (the VIP itself moves to the
# master's interface). Also: adverts from an address that is not a
# configured peer are ignored and counted.
. "$(dirname "$0")/lib.sh"
e2e_init uni "$1"
need arping || summary

lab_bridge
lab_host client 10.87.0.10/24
lab_host node1 10.87.0.1/24
lab_host node2 10.87.0.2/24
lab_host rogue 10.87.0.3/24
VIP=10.87.0.100

# conf NODE SRC PEER PRIORITY
conf() {
	cat >"$WORK/$1.conf" <<EOF
global_defs {
    vrrp_version 3
    ${GLOBAL_EXTRA:-}
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 71
    priority $4
    advert_int 0.1
    unicast_src_ip $2
    unicast_peer {
        $3
    }
    vip_mode interface
    virtual_ipaddress {
        $VIP/24
    }
}
EOF
}
start_node() {
	bg_start "$1" "$WORK/$1.log" "$BUILD/xvipd" -n -l -f "$WORK/$1.conf" --pin-root "$(pin_of "$1")"
	eval "PID_$1=$BG_PID"
}
field() { xctl "$1" status --json 2>/dev/null | json_get "$2"; }
is_state() { [ "$(field "$1" state)" = "$2" ]; }
vip_on_eth0() { ns "$1" ip -br addr show eth0 | grep -q "$VIP/24"; }
arp_macs() {
	ns client arping -c 2 -w 2 -i eth0 "$VIP" 2>/dev/null |
		sed -n 's/.* from \([0-9a-f:]*\) .*/\1/p' | sort -u | tr '\n' ' ' | sed 's/ $//'
}

# node1 also runs as keepalived's vrrp_rt_priority/vrrp_priority/vrrp_no_swap say
GLOBAL_EXTRA="vrrp_rt_priority 10
    vrrp_priority -5
    vrrp_no_swap" conf node1 10.87.0.1 10.87.0.2 100
conf node2 10.87.0.2 10.87.0.1 90
# capture on node2: the adverts must be unicast, never to 224.0.0.18
bg_start node2 "$WORK/tcpdump.log" tcpdump -n -i eth0 -l "ip proto 112"
# the capture must cover the whole election, or "no multicast" proves nothing
check "tcpdump listens on node2's eth0" wait_log "$WORK/tcpdump.log" "listening on eth0" 10
start_node node2
check "node2 alone becomes MASTER" wait_until 10 is_state node2 MASTER
start_node node1
check "node1 (priority 100) preempts over unicast" wait_until 10 is_state node1 MASTER
check "node2 steps down to BACKUP" wait_until 10 is_state node2 BACKUP
check "vrrp_rt_priority 10: node1's xvipd runs SCHED_RR at priority 10" sh -c "chrt -p $PID_node1 | grep -q 'SCHED_RR' && chrt -p $PID_node1 | grep -q 'priority: 10'"
check "  with SCHED_RESET_ON_FORK (its scripts start with normal scheduling)" sh -c "chrt -p $PID_node1 | grep -q 'RESET_ON_FORK'"
if grep -qa __asan_init "$BUILD/xvipd"; then
	# ASan makes mlockall a no-op (it will not lock its shadow memory)
	check "vrrp_no_swap: mlockall accepted (sanitized build: not observable)" \
		sh -c "! grep -q 'vrrp_no_swap' '$WORK/node1.log'"
else
	check "vrrp_no_swap: node1's memory is locked" sh -c "awk '/VmLck/ { exit !(\$2 > 0) }' /proc/$PID_node1/status"
fi
check "vrrp_priority -5: node1's nice value" sh -c "[ \$(cut -d' ' -f19 /proc/$PID_node1/stat) -eq -5 ]"
check "vip_mode interface: the VIP is on node1's eth0" wait_until 10 vip_on_eth0 node1
no_vip_on_eth0() { ! vip_on_eth0 "$1"; }
check "and leaves node2's eth0" wait_until 10 no_vip_on_eth0 node2
check_eq "the client's ARP is answered by node1 only" "$(mac_of node1)" "$(arp_macs)"
# tcpdump prints what it captured with a delay (its buffer timeout): awaited
check "adverts travel unicast (node1 -> node2)" wait_log "$WORK/tcpdump.log" "10.87.0.1 > 10.87.0.2: VRRPv3" 10
# negative, sampled once the capture shows node1's unicast adverts: both
# nodes' adverts of the election (node2 master alone, then node1) are in it
check "no multicast advert was sent" sh -c "! grep -q '224.0.0.18' '$WORK/tcpdump.log'"

note "an advert from an address that is not a peer is ignored"
cat >"$WORK/rogue.conf" <<EOF
global_defs {
    vrrp_version 3
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 71
    priority 200
    advert_int 0.1
    unicast_src_ip 10.87.0.3
    unicast_peer {
        10.87.0.1
        10.87.0.2
    }
    virtual_ipaddress {
        10.87.0.200/32
    }
}
EOF
bg_start rogue "$WORK/rogue.log" "$BUILD/xvipd" -n -l -f "$WORK/rogue.conf" --pin-root "$(pin_of rogue)"
ROGUE=$BG_PID
check "node1 counts the rogue's adverts as not from a unicast peer" wait_until 10 sh -c "'$BUILD/xvipctl' --pin-root '$(pin_of node1)' status --json | grep -q '\"not_a_unicast_peer\":[1-9]'"
check "and stays MASTER despite the rogue's priority 200" is_state node1 MASTER
bg_stop "$ROGUE"

note "unicast adverts must carry TTL 255 too (unicast_ttl 64: as if routed, or forged off the link)"
sed 's/^    advert_int 0.1$/    advert_int 0.1\n    unicast_ttl 64/' "$WORK/rogue.conf" >"$WORK/rogue64.conf"
bg_start rogue "$WORK/rogue64.log" "$BUILD/xvipd" -n -l -f "$WORK/rogue64.conf" --pin-root "$(pin_of rogue)"
ROGUE=$BG_PID
# xvipd's own rejections ("rejected":{...}), not the data plane's vrrp_stats
rejected_ttl() { xctl node1 status --json | grep -o '"rejected":{[^}]*}' | grep -q '"bad_ttl":[1-9]'; }
check "node1 rejects the TTL-64 adverts for their TTL (rejected bad_ttl counted)" wait_until 10 rejected_ttl
check "and stays MASTER" is_state node1 MASTER
bg_stop "$ROGUE"

note "kill -9 of node1: node2 takes over, the VIP moves to its eth0"
kill -9 "$PID_node1"
check "node2 becomes MASTER" wait_until 10 is_state node2 MASTER
check "the VIP is on node2's eth0" wait_until 10 vip_on_eth0 node2
check_eq "the client's ARP is answered by node2" "$(mac_of node2)" "$(arp_macs)"
note "graceful stop of node2: the VIP leaves its eth0"
bg_stop "$PID_node2"
# sampled once node2's xvipd has exited (bg_stop waited for it)
check "node2 removed the VIP from eth0 on stop" sh -c "! ip -n ${P}node2 -br addr show eth0 | grep -q $VIP/"
summary
