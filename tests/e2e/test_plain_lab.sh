#!/usr/bin/env bash
# xvip on a plain veth lab, as a user meets it in containers or a namespace
# lab (issue 7): no XDP program on any bridge port, default offloads
# (senders leave checksums to be filled in), no sysctls set by the test,
# default xvipd options (fast liveness on, 30 ms x 10: its echoes answered
# in generic mode). xvipd must pick a mode whose frames leave (generic
# here) and say why; arping and TCP through the VIP work, DR steering to a
# remote backend works and follows its MAC when it changes, status names
# the mode, xvipctl selftest passes, and
# --native is refused loudly. Then, on a prepared port, selftest is seen to
# catch native XDP_TX frames dropped by a veth: the live test frames of
# BPF_F_TEST_XDP_LIVE_FRAMES leave no counter behind there, so selftest
# tells from the veth's peer.
#
#   tests/e2e/test_plain_lab.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
e2e_init plain "$1"
need arping ethtool || summary

LAB_PLAIN=1
lab_bridge
lab_host client 10.79.0.10/24
lab_host node1 10.79.0.1/24
lab_host node2 10.79.0.2/24
VIP=10.79.0.100
PROBE=$BUILD/xvip-probe

no_xdp_on_bridge() { ! ip -n "${P}br" link show | grep -q "xdp"; }
check "plain lab: no XDP program on any bridge port" no_xdp_on_bridge
tx_csum_on() { ns "$1" ethtool -k eth0 | grep -q "^tx-checksumming: on"; }
check "plain lab: tx checksum offload on (the default) on every host" \
	sh -c "$(declare -f ns tx_csum_on); P=$P; tx_csum_on client && tx_csum_on node1 && tx_csum_on node2"
check_eq "plain lab: arp_ignore left at the default on node1" 0 \
	"$(ns node1 sysctl -n net.ipv4.conf.eth0.arp_ignore)"

# VIP:8081 served by node1 itself (local: passed to its stack), VIP:8080 by
# node2 only (the owner steers every flow there with XDP_TX: DR).
conf() {
	cat >"$WORK/$1.conf" <<EOF
global_defs {
    router_id $1
    vrrp_version 3
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 52
    priority $2
    advert_int 0.1
    # 30 ms: its lease (2 intervals) outlasts the stalls of a busy CI
    # host (a renewal 12 ms late lapsed a 20 ms lease, and selftest saw
    # the VIP unanswered); the daemon runs without vrrp_rt_priority here
    liveness_interval 30ms
    liveness_multiplier 10
    virtual_ipaddress {
        $VIP
    }
}
virtual_server $VIP 8080 {
    lb_algo wrr
    lb_kind DR
    protocol TCP
    real_server 10.79.0.2 8080 {
        # checks that a loaded CI host does not fail by itself (a DOWN here
        # sends a flow to node1's own stack: seen once in 10 with 0.2 s
        # timeouts and no retry)
        TCP_CHECK {
            connect_timeout 1
            retry 2
            delay_before_retry 0.1
            delay_loop 0.2
        }
        MISC_CHECK {
            misc_path "/bin/sh $WORK/weight.sh"
            misc_dynamic
            misc_timeout 2
            delay_loop 0.2
        }
    }
}
virtual_server $VIP 8081 {
    lb_algo wrr
    lb_kind DR
    protocol TCP
    real_server 10.79.0.1 8081 {
        TCP_CHECK {
            connect_timeout 1
            retry 2
            delay_before_retry 0.1
            delay_loop 0.2
        }
    }
}
EOF
}
conf node1 100
conf node2 90
# misc_dynamic: exit 0 keeps the configured weight, 2 sets weight 0 (drain)
echo 0 >"$WORK/weight"
printf 'exit $(cat %s)\n' "$WORK/weight" >"$WORK/weight.sh"
for n in node1 node2; do
	bg_start $n "$WORK/serve-$n.log" "$PROBE" serve 0.0.0.0 8080 $n
	bg_start $n "$WORK/serve1-$n.log" "$PROBE" serve 0.0.0.0 8081 $n
done
declare -A XV=()
for n in node1 node2; do
	bg_start $n "$WORK/$n.log" "$BUILD/xvipd" -n -l -f "$WORK/$n.conf" --pin-root "$(pin_of $n)"
	XV[$n]=$BG_PID
done
state_of() { xctl "$1" status --json 2>/dev/null | json_get state; }
is_state() { [ "$(state_of "$1")" = "$2" ]; }
check "node1 becomes MASTER" wait_until 15 is_state node1 MASTER
check "node2 is BACKUP" wait_until 10 is_state node2 BACKUP

note "the mode: generic, with the reason, logged once and in status"
WHY="veth: native XDP_TX frames would be dropped: its peer"
check "xvipd logged the mode and why" wait_log "$WORK/node1.log" \
	"XDP attached to eth0 (generic mode: $WHY (ifindex [0-9]* in netns id [0-9]*) has no XDP program in native mode)" 10
# negative: sampled once the attach was logged and node1 is MASTER (xvipd
# attaches once, at start)
check_eq "... once" 1 "$(grep -c "XDP attached to eth0" "$WORK/node1.log")"
status_text_mode() { xctl node1 status | grep -q "interface eth0: XDP generic mode ($WHY"; }
check "status (text) names the mode and why" status_text_mode
status_json_mode() { xctl node1 status --json | grep -q '"name":"eth0","ifindex":[0-9]*,"xdp_mode":"generic","xdp_why":"veth: native XDP_TX frames would be dropped'; }
check "status --json names the mode and why" status_json_mode
metrics_mode() {
	local m
	m=$(xctl node1 metrics)
	grep -qx 'xvip_interface_xdp_mode{interface="eth0",mode="generic"} 1' <<<"$m" &&
		grep -qx 'xvip_interface_xdp_mode{interface="eth0",mode="native"} 0' <<<"$m"
}
check "metrics name the mode" metrics_mode
check "xvipd set arp_ignore on its interface itself" \
	wait_until 10 sh -c "[ \"\$(ip netns exec ${P}node1 sysctl -n net.ipv4.conf.eth0.arp_ignore)\" = 1 ]"

note "fast liveness in generic mode, default offloads"
check "node2's echoes are answered by node1's generic-mode XDP" \
	wait_log "$WORK/node2.log" "liveness: master 10.79.0.1 answers" 10

note "clients reach the VIP"
M1=$(mac_of node1)
arp_from_node1() { ns client arping -c 1 -w 1 -i eth0 $VIP 2>/dev/null | grep -qi "from $M1"; }
check "arping the VIP: node1 answers" wait_until 10 arp_from_node1
answered_by() { [ "$(ns client "$PROBE" connect $VIP "$1" 2000 2>/dev/null)" = "$2" ]; }
check "TCP to VIP:8081 reaches node1 (local backend)" wait_until 10 answered_by 8081 node1
backend_up() { xctl node1 status | awk '/:8080\/tcp /{f=1; next} /^  [0-9]/{f=0} f && /backend .* up/{n++} END{exit !(n == 1)}'; }
check "VIP:8080's remote backend is up in the data plane" wait_until 10 backend_up
check "TCP to VIP:8080 reaches node2 (DR: steered by node1 with XDP_TX)" wait_until 10 answered_by 8080 node2
ok=0
for i in $(seq 1 10); do answered_by 8080 node2 && ok=$((ok + 1)); done
check_eq "10 of 10 more connections to VIP:8080 reach node2" 10 "$ok"
note "weight 0 drains (keepalived): no new connection goes to the backend"
echo 2 >"$WORK/weight"
weight_is() { xctl node1 status | grep -q "real_server 10.79.0.2:8080 weight $1: UP"; }
check "misc_dynamic exit 2: node1's status says weight 0, UP" wait_until 10 weight_is 0
check "new connections to VIP:8080 no longer reach node2 (node1's own stack answers)" \
	wait_until 10 answered_by 8080 node1
check "xvipd logged the drain" grep -q "real server 10.79.0.2:8080: weight 1 -> 0 .*drained" "$WORK/node1.log"
echo 0 >"$WORK/weight"
check "misc_dynamic exit 0: the configured weight again" wait_until 10 weight_is 1
check "and connections reach node2 again" wait_until 10 answered_by 8080 node2

note "node2's address on another interface of node1 is not node2"
# the same address in node1's table on a second interface (another L2,
# where XDP_TX cannot send): its MAC must never reach the DR maps, from an
# event (now) or from the overrun's dump (below)
OTHER=02:79:00:00:0e:ee
check "node1 gets a second interface (other0, a veth whose peer stays in node1)" \
	ns node1 ip link add other0 type veth peer name other1
ns node1 ip link set other0 up
ns node1 ip link set other1 up
check "node1's table holds 10.79.0.2 at $OTHER on other0" \
	ns node1 ip neigh add 10.79.0.2 lladdr $OTHER dev other0 nud permanent

note "node2's MAC changes (a replaced NIC): node1 follows the neighbour table"
OLD2=$(mac_of node2)
NEW2=02:79:00:00:02:22
ns node2 ip link set eth0 down
ns node2 ip link set eth0 address $NEW2
ns node2 ip link set eth0 up
# node2 announces itself (gratuitous ARP) until node1's kernel takes the new
# address (its entry is locked for a second after an update) and xvipd says so
new_mac_seen() {
	ns node2 arping -U -c 1 -S 10.79.0.2 -i eth0 10.79.0.2 >/dev/null 2>&1
	grep -q "real server 10.79.0.2:8080 is at $NEW2 now (was $OLD2): the DR maps follow" \
		"$WORK/node1.log"
}
check "node1's xvipd logs node2's new MAC" wait_until 15 new_mac_seen
check "connections to VIP:8080 reach node2 at its new MAC" wait_until 10 answered_by 8080 node2
# the other0 entry's event came before eth0's
check "node1's xvipd ignored node2's address on other0 ($OTHER)" sh -c "! grep -q 'is at $OTHER' '$WORK/node1.log'"

note "node2's MAC changes again while node1's netlink queue overflows: the resync reads the neighbours"
# node1's xvipd stopped for a moment, 6000 neighbour entries flood its
# netlink socket (its 1 MB asked for, as much as rmem_max allows: a few
# thousand of these messages at most), then node2 gets a
# new MAC and node1's entry for it changes: that message is among those
# the kernel drops (the entry set permanent, so that no ARP of node2's
# after the stop updates it again). After SIGCONT xvipd reads ENOBUFS
# and must read the neighbour table again to learn it.
NEW3=02:79:00:00:02:33
for ((i = 0; i < 6000; i++)); do
	printf 'neigh add 10.%d.%d.%d lladdr 02:7a:00:%02x:%02x:%02x dev eth0 nud permanent\n' \
		$((200 + i / 65536)) $((i / 256 % 256)) $((i % 256)) $((i >> 16 & 255)) $((i >> 8 & 255)) $((i & 255))
done >"$WORK/neigh-flood"
L1=$(wc -l <"$WORK/node1.log")
kill -STOP "${XV[node1]}"
ns node1 ip -batch "$WORK/neigh-flood"
ns node2 ip link set eth0 down
ns node2 ip link set eth0 address $NEW3
ns node2 ip link set eth0 up
ns node1 ip neigh replace 10.79.0.2 lladdr $NEW3 dev eth0 nud permanent
kill -CONT "${XV[node1]}"
since_l1() { tail -n +$((L1 + 1)) "$WORK/node1.log"; }
resynced() { since_l1 | grep -q "dropped netlink messages .*: links and neighbours read again"; }
check "node1's xvipd saw the overrun and read links and neighbours again" wait_until 10 resynced
new3_seen() { since_l1 | grep -q "real server 10.79.0.2:8080 is at $NEW3 now (was $NEW2)"; }
check "node1's xvipd logs node2's MAC from the resync" wait_until 10 new3_seen
check "and ignored other0's entry in the dump" sh -c "! grep -q 'is at $OTHER' '$WORK/node1.log'"
since_l1 | grep -E "netlink|is at" | cut -c1-200 | sed 's/^/#   /'
# the flood's entries go again (node2's permanent entry with them: node1
# resolves it anew); xvipd keeps the MAC it has
ns node1 ip neigh flush dev eth0 nud permanent
steered_new() { is_state node1 MASTER && answered_by 8080 node2; }
check "node1 (MASTER) steers VIP:8080 to node2 at that MAC" wait_until 15 steered_new

remote_count() { xctl node1 status | sed -n "s|.*$VIP:8080/tcp .* remote \([0-9]*\) .*|\1|p"; }
steered_remote() { [ "$(remote_count)" -ge 11 ] 2>/dev/null; }
check "the data plane counted the steered flows (to_remote)" wait_until 10 steered_remote

note "xvipctl selftest"
out=$(xctl node1 selftest 2>&1)
rc=$?
echo "$out" | sed 's/^/#   /'
check_eq "selftest on the master exits 0" 0 "$rc"
check "selftest: replies left eth0" grep -q "ok   3 of 3 replies left eth0" <<<"$out"
check "selftest: PASS" grep -q "^PASS" <<<"$out"
out=$(xctl node2 selftest 2>&1)
rc=$?
check_eq "selftest on the backup exits 0" 0 "$rc"
check "selftest on the backup: ARP for the VIP is dropped there" grep -q "is dropped here (not the owner)" <<<"$out"

note "--native where native cannot work: refused loudly"
cp "$WORK/node2.conf" "$WORK/client.conf"
sed -i 's/router_id node2/router_id client/' "$WORK/client.conf"
out=$(ns client timeout 20 "$BUILD/xvipd" -n -l --native -f "$WORK/client.conf" --pin-root "$(pin_of client)" 2>&1)
rc=$?
check "xvipd --native exits with an error (not a timeout)" test "$rc" -ne 0 -a "$rc" -ne 124
check "... saying why" grep -q "refusing native XDP on eth0: $WHY" <<<"$out"
check "... and nothing is attached" sh -c "! ip -n ${P}client link show eth0 | grep -q xdp"
out=$(xctl client attach eth0 --native 2>&1)
check "xvipctl attach --native is refused the same way" grep -q "refusing native XDP on eth0" <<<"$out"

note "selftest catches native XDP_TX dropped by a veth (the prepared port, then unprepared)"
ip -n "${P}br" link set dev clientp xdpgeneric obj "$BUILD/xdp_pass.bpf.o" sec xdp
out=$(xctl client attach eth0 --native 2>&1)
check "a generic-mode program on the peer is not enough: --native is refused" \
	grep -q "refusing native XDP on eth0: .*has no XDP program in native mode" <<<"$out"
ip -n "${P}br" link set dev clientp xdpgeneric off
ip -n "${P}br" link set dev clientp xdpdrv obj "$BUILD/xdp_pass.bpf.o" sec xdp
check "with a native XDP program on the peer, attach --native works" xctl client attach eth0 --native
CM=$(mac_of client)
check "a VIP owned by the client, by hand" xctl client vip set 10.79.0.200 mac "$CM" owner 1 lease-ms 600000
st_out=$(xctl client selftest 2>&1)
rc=$?
echo "$st_out" | sed 's/^/#   /'
check_eq "native mode, peer with a program: selftest exits 0" 0 "$rc"
# (check has a local "out": read the report from another name)
native_left() { grep -q "eth0, native mode" <<<"$st_out" && grep -q "ok   3 of 3 replies left eth0" <<<"$st_out"; }
check "... in native mode, and the replies left" native_left
ip -n "${P}br" link set dev clientp xdpdrv off
out=$(xctl client selftest 2>&1)
rc=$?
echo "$out" | sed 's/^/#   /'
check_eq "peer program removed: selftest exits 1" 1 "$rc"
check "... saying the replies did not leave" grep -q "FAIL none of 3 replies left eth0" <<<"$out"
check "... and why (a veth peer without XDP program)" grep -q "is a veth whose peer .* has no XDP program" <<<"$out"

note "an xvip program left in native mode (an older xvipd) is replaced by a generic one"
bg_start client "$WORK/client.log" "$BUILD/xvipd" -n -l -f "$WORK/client.conf" --pin-root "$(pin_of client)"
check "xvipd detached the native program and attached generic, saying so" wait_log "$WORK/client.log" \
	"XDP attached to eth0 (generic mode: $WHY .*xvip's program in native mode was detached first)" 10
generic_now() { ip -n "${P}client" link show eth0 | grep -q "xdpgeneric"; }
check "eth0 now runs the program in generic mode" wait_until 10 generic_now
st_out=$(xctl client selftest eth0 2>&1)
check "selftest passes again" grep -q "^PASS" <<<"$st_out"

if [ "$E2E_FAILED" != 0 ]; then
	note "state changes in the nodes' logs (a failed check above may follow one):"
	grep -h -E "MASTER|BACKUP|presum|refut|lease" "$WORK"/node[12].log | sed 's/^/#   /'
fi
summary
