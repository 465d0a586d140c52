#!/usr/bin/env bash
# Two xvipd nodes electing the owner of one VIP, with a client on the same
# bridge: election by priority, kill -9 of the master (lease fence), nopreempt,
# graceful stop (priority 0), track_interface -> FAULT, a VRRP partition and
# its healing (the winner re-announces), reload with a broken and a good
# config, notify scripts, switchover times in xvipctl status.
. "$(dirname "$0")/lib.sh"
e2e_init vrrp "$1"
need arping nft || summary

lab_bridge
lab_host client 10.78.0.10/24
lab_host node1 10.78.0.1/24
lab_host node2 10.78.0.2/24
VIP=10.78.0.100
PROBE=$BUILD/xvip-probe

cat >"$WORK/notify.sh" <<EOF
#!/bin/sh
echo "\$*" >> "$WORK/notify.log"
EOF
chmod +x "$WORK/notify.sh"

# conf NODE PRIORITY [nopreempt]: VRRPv3 at 100 ms adverts (master_down ~0.36 s)
conf() {
	cat >"$WORK/$1.conf" <<EOF
global_defs {
    router_id $1
    vrrp_version 3
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority $2
    advert_int 0.1
    ${3:-}
    track_interface {
        trk
    }
    notify "$WORK/notify.sh $1"
    virtual_ipaddress {
        $VIP
    }
}
EOF
}

start_node() {
	bg_start "$1" "$WORK/$1.log" "$BUILD/xvipd" -n -l -f "$WORK/$1.conf" --pin-root "$(pin_of "$1")"
	eval "PID_$1=$BG_PID"
}
state_of() { xctl "$1" status --json 2>/dev/null | json_get state; }
is_state() { [ "$(state_of "$1")" = "$2" ]; }
# MACs that answer ARP for the VIP, as seen from the client
arp_macs() {
	ns client arping -c "${1:-2}" -w 2 -i eth0 "$VIP" 2>/dev/null |
		sed -n 's/.* from \([0-9a-f:]*\) .*/\1/p' | sort -u | tr '\n' ' ' | sed 's/ $//'
}
neigh_mac() { ns client ip neigh show "$VIP" | sed -n 's/.*lladdr \([0-9a-f:]*\).*/\1/p'; }

# The tracked link: a veth pair (this kernel has no dummy driver).
for n in node1 node2; do
	ns $n ip link add trk type veth peer name trkp
	ns $n ip link set trkp up
	ns $n ip link set trk up
done
M1=$(mac_of node1)
M2=$(mac_of node2)
conf node1 100
conf node2 90 nopreempt

note "election by priority: node2 starts first, node1 (preempt) takes over"
start_node node2
check "node2 alone becomes MASTER" wait_until 10 is_state node2 MASTER
start_node node1
check "node1 (priority 100) preempts and becomes MASTER" wait_until 10 is_state node1 MASTER
check "node2 (priority 90) steps down to BACKUP" wait_until 10 is_state node2 BACKUP
vip_on_lo() { ip -n "$P$1" -br addr show lo | grep -q "$VIP"; }
vip_on_both_lo() { vip_on_lo node1 && vip_on_lo node2; }
check "the VIP is on lo of both nodes (DR)" wait_until 10 vip_on_both_lo
check_eq "only node1 answers ARP for the VIP" "$M1" "$(arp_macs 3)"
for n in node1 node2; do
	bg_start $n "$WORK/serve-$n.log" "$PROBE" serve "$VIP" 3306 "$n"
done
listening() { ns "$1" ss -ltnH "src $VIP:3306" | grep -q 3306; }
both_listening() { listening node1 && listening node2; }
check "responders listen on VIP:3306 on both nodes" wait_until 10 both_listening
check_eq "a TCP client reaches the VIP on node1" node1 "$(ns client "$PROBE" connect "$VIP" 3306 3000)"

note "kill -9 of the master's xvipd"
kill -9 "$PID_node1"
check "node2 takes over" wait_until 10 is_state node2 MASTER
check_eq "only node2 answers ARP now (node1's lease ran out)" "$M2" "$(arp_macs 3)"
check "node1's data plane shows its VIP lease expired" sh -c "'$BUILD/xvipctl' --pin-root '$(pin_of node1)' status --json | grep -q '\"answering\":false'"
# the client's entry still pointed at node1, whose kernel would answer (the
# VIP is on its lo, its responder runs): node2's GARP moves it
neigh_is() { [ "$(neigh_mac)" = "$1" ]; }
check "the client's neighbour entry for the VIP moves to node2 (its GARP)" wait_until 5 neigh_is "$M2"
check_eq "the TCP client reaches node2" node2 "$(ns client "$PROBE" connect "$VIP" 3306 3000)"
t=$(xctl node2 status --json | json_get decision_to_garp_us)
check "node2 recorded its switchover time (decision -> GARP ${t} us)" test "${t:-0}" -gt 0

note "nopreempt: node1 comes back (now with nopreempt) and stays BACKUP"
conf node1 100 nopreempt
start_node node1
hears_node2() { xctl node1 status --json 2>/dev/null | grep -q '"state":"BACKUP".*"master_priority":90'; }
check "node1 comes up as BACKUP and hears node2's adverts (priority 90)" wait_until 10 hears_node2
# negative: without nopreempt node1 would preempt on node2's first advert;
# sampled 1 s (10 adverts) after it heard them
sleep 1
check "node1 stays BACKUP" is_state node1 BACKUP
check "node2 is still MASTER" is_state node2 MASTER

note "graceful stop of the master: priority 0, takeover after skew time"
bg_stop "$PID_node2"
check "node1 takes over" wait_until 10 is_state node1 MASTER
check "node1 took over on the priority-0 advert" sh -c "'$BUILD/xvipctl' --pin-root '$(pin_of node1)' status | grep -qi 'priority 0'"
# sampled once node2's xvipd has exited (bg_stop waited for it)
check "node2's XDP program is detached after a clean stop" sh -c "! ip -n ${P}node2 link show eth0 | grep -q xdp"
start_node node2
check "node2 rejoins as BACKUP" wait_until 10 is_state node2 BACKUP

note "track_interface: the tracked link goes down"
ns node1 ip link set trk down
check "node1 goes to FAULT" wait_until 10 is_state node1 FAULT
check "node2 takes over" wait_until 10 is_state node2 MASTER
ns node1 ip link set trk up
check "node1 leaves FAULT for BACKUP" wait_until 10 is_state node1 BACKUP

note "partition: VRRP dropped between the nodes, then healed"
check "the client's neighbour entry for the VIP moves to node2 (its GARP)" wait_until 5 neigh_is "$M2"
check_eq "client reaches node2 (fills its neighbour cache)" node2 "$(ns client "$PROBE" connect "$VIP" 3306 3000)"
ns node1 nft add table inet part
ns node1 nft add chain inet part in '{ type filter hook input priority 0; }'
ns node1 nft add chain inet part out '{ type filter hook output priority 0; }'
ns node1 nft add rule inet part in ip protocol 112 drop
ns node1 nft add rule inet part out ip protocol 112 drop
check "both nodes are MASTER during the partition" wait_until 10 sh -c "[ \"\$('$BUILD/xvipctl' --pin-root '$(pin_of node1)' status --json | sed -n 's/.*\"state\":\"\\([A-Z]*\\)\".*/\\1/p')\" = MASTER ] && [ \"\$('$BUILD/xvipctl' --pin-root '$(pin_of node2)' status --json | sed -n 's/.*\"state\":\"\\([A-Z]*\\)\".*/\\1/p')\" = MASTER ]"
check "the data plane saw the split brain (ARP conflict counted)" wait_until 10 sh -c "'$BUILD/xvipctl' --pin-root '$(pin_of node2)' status --json | grep -q '\"arp_conflict\":[1-9]'"
ns node1 nft delete table inet part
check "after healing, node1 (higher priority) is the only MASTER" wait_until 10 sh -c "[ \"\$('$BUILD/xvipctl' --pin-root '$(pin_of node2)' status --json | sed -n 's/.*\"state\":\"\\([A-Z]*\\)\".*/\\1/p')\" = BACKUP ]"
check "node1 is MASTER" is_state node1 MASTER
check "the client's neighbour entry points at the winner" wait_until 10 sh -c "ip -n ${P}client neigh show $VIP | grep -q $M1"

note "reload"
cp "$WORK/node1.conf" "$WORK/node1.good"
echo "vrrp_instance BROKEN { priority abc" >>"$WORK/node1.conf"
ns node1 kill -HUP "$PID_node1"
check "a broken config is refused on SIGHUP and reported with file:line" \
	wait_log "$WORK/node1.log" "node1.conf:[0-9]*: error" 10
# sampled once the refused reload is over (status comes from the same loop)
check "node1 keeps running as MASTER" is_state node1 MASTER
# input that used to kill the daemon in the parser on SIGHUP (a 1 MB line of
# '{': SIGSEGV) or be read for seconds (/dev/zero): refused the same way
{ cat "$WORK/node1.good"; head -c 1000000 /dev/zero | tr '\0' '{'; echo; echo "include /dev/zero"; } >"$WORK/node1.conf"
ns node1 kill -HUP "$PID_node1"
check "a 1 MB line of '{' is refused on SIGHUP, with file:line" \
	wait_log "$WORK/node1.log" "node1.conf:[0-9]*: error: line is longer than 64 KiB" 10
check "and an include of /dev/zero" wait_log "$WORK/node1.log" "include '/dev/zero': not a regular file" 10
# sampled once the reload was refused (its errors are in the log); a
# crashed node1 would be gone, or a zombie until this shell reaps it
check "node1 is still running" awk '/^State:/ { exit $2 == "Z" }' "/proc/$PID_node1/status"
check "still MASTER" is_state node1 MASTER
check "with the running config (priority 100)" sh -c "'$BUILD/xvipctl' --pin-root '$(pin_of node1)' status --json | grep -q '\"priority\":100'"
sed 's/priority 100$/priority 120/' "$WORK/node1.good" >"$WORK/node1.conf"
ns node1 kill -HUP "$PID_node1"
check "a good config is applied without dropping the VIP (priority 120)" wait_until 10 sh -c "'$BUILD/xvipctl' --pin-root '$(pin_of node1)' status --json | grep -q '\"priority\":120'"
check "node1 stayed MASTER through the reload" is_state node1 MASTER
check_eq "only node1 answers ARP" "$M1" "$(arp_macs 2)"

note "notify scripts (keepalived's argument order)"
# notify scripts run in the background: their lines are awaited
check "notify ran with: node1 INSTANCE VI_1 MASTER 100" wait_log "$WORK/notify.log" "^node1 INSTANCE VI_1 MASTER 100" 10
check "notify ran for FAULT" wait_log "$WORK/notify.log" "^node1 INSTANCE VI_1 FAULT" 10

note "status"
xctl node1 status | sed 's/^/#   /'
if [ "$E2E_FAILED" -gt 0 ]; then
	for n in node1 node2; do
		note "last lines of $n's log:"
		grep -v debug "$WORK/$n.log" | tail -25 | sed 's/^/#   /'
	done
fi
summary
