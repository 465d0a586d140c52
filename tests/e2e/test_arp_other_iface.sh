#!/usr/bin/env bash
# A VIP kept on lo (vip_mode lo, the default) is a local address for every
# interface of the node. The XDP program answers ARP on the service
# interface only, for the owner only; another interface of a BACKUP on the
# same segment, with the kernel's default arp_ignore 0, answers for the VIP
# too, and clients may send the VIP's traffic there (issue 10).
# - xvipd names such interfaces in a warning (and not again on a reload
#   that changes nothing);
# - with vip_arp_all_interfaces on, it sets net.ipv4.conf.all.arp_ignore 1
#   and arp_announce 2, and only the master answers for the VIP.
. "$(dirname "$0")/lib.sh"
e2e_init arpif "$1"
need arping || summary

lab_bridge
lab_host client 10.94.0.10/24
lab_host node1 10.94.0.1/24
lab_host node2 10.94.0.2/24
VIP=10.94.0.100
# node2's second interface, on the same segment, left as the kernel makes it
ip -n "${P}br" link add n2e1p type veth peer name eth1 netns "${P}node2"
ip -n "${P}br" link set n2e1p master br0
ip -n "${P}br" link set n2e1p up
ip -n "${P}node2" addr add 10.94.0.12/24 dev eth1
ip -n "${P}node2" link set eth1 up
E1=$(ip netns exec "${P}node2" cat /sys/class/net/eth1/address)
M1=$(mac_of node1)

conf() { # NODE PRIORITY [GLOBAL_EXTRA]
	cat >"$WORK/$1.conf" <<EOC
global_defs {
    router_id $1
    vrrp_version 3
    ${3:-}
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 94
    priority $2
    advert_int 0.1
    virtual_ipaddress {
        $VIP
    }
}
EOC
}
start_node() {
	bg_start "$1" "$WORK/$1.log" "$BUILD/xvipd" -n -l -f "$WORK/$1.conf" --pin-root "$(pin_of "$1")"
	eval "PID_$1=$BG_PID"
}
state_of() { xctl "$1" status --json 2>/dev/null | json_get state; }
is_state() { [ "$(state_of "$1")" = "$2" ]; }
# the MACs that answer ARP for the VIP, as the client sees them
arp_macs() {
	ns client ip neigh flush dev eth0 2>/dev/null
	ns client arping -c 3 -w 3 -i eth0 "$VIP" 2>/dev/null |
		sed -n 's/.* from \([0-9a-f:]*\) .*/\1/p' | sort -u | tr '\n' ' ' | sed 's/ $//'
}
has_mac() { arp_macs | grep -q "$1"; }

conf node1 100
conf node2 90
start_node node1
check "node1 becomes MASTER" wait_until 10 is_state node1 MASTER
start_node node2
check "node2 becomes BACKUP" wait_until 10 is_state node2 BACKUP
check "node2 warns that eth1 answers ARP for the VIPs on lo" \
	wait_log "$WORK/node2.log" "interface(s) eth1 answer ARP for the VIPs kept on lo" 10
check "the warning names the way out" grep -q "vip_arp_all_interfaces on" "$WORK/node2.log"
check "not about eth0, its service interface" sh -c "! grep 'answer ARP for the VIPs' '$WORK/node2.log' | grep -q eth0"
# what the warning is about: the backup's eth1 claims the VIP
check "without the setting, the backup's eth1 ($E1) answers for the VIP too" \
	wait_until 10 has_mac "$E1"
kill -HUP "$PID_node2"
check "node2 reloads" wait_log "$WORK/node2.log" "reload done" 10
check "a reload that changes nothing does not say it again" sh -c \
	"[ \$(grep -c 'answer ARP for the VIPs' '$WORK/node2.log') = 1 ]"

bg_stop "$PID_node2"
wait_gone "$PID_node2" 10
conf node2 90 "vip_arp_all_interfaces on"
: >"$WORK/node2.log"
start_node node2
check "node2 becomes BACKUP again" wait_until 10 is_state node2 BACKUP
check "with vip_arp_all_interfaces on, node2 sets conf.all" \
	wait_log "$WORK/node2.log" "vip_arp_all_interfaces: net.ipv4.conf.all.arp_ignore = 1" 10
check_eq "net.ipv4.conf.all.arp_ignore on node2" 1 \
	"$(ip netns exec "${P}node2" cat /proc/sys/net/ipv4/conf/all/arp_ignore)"
check_eq "net.ipv4.conf.all.arp_announce on node2" 2 \
	"$(ip netns exec "${P}node2" cat /proc/sys/net/ipv4/conf/all/arp_announce)"
check "and no warning" sh -c "! grep -q 'answer ARP for the VIPs' '$WORK/node2.log'"
check_eq "only the master answers for the VIP" "$M1" "$(arp_macs)"
check "xvipd -t prints the setting" sh -c \
	"'$BUILD/xvipd' -t -f '$WORK/node2.conf' 2>&1 | grep -q 'vip_arp_all_interfaces on'"
summary
