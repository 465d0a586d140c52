#!/usr/bin/env bash
# auth_key_file: adverts authenticated between xvipd peers (HMAC-SHA-256
# trailer, docs/security.md). node1 (150) and node2 (100) share a key; a
# rogue host on the segment tries to take the VIP three ways, and each is
# refused, counted by reason and said in the log:
#   - keepalived at priority 254 (no trailer: "not xvipd"),
#   - xvipd at priority 254 with another key (a wrong tag),
#   - node1's own adverts, captured and played back (a replay; python3),
#     also to a restarted xvipd (the pinned vrrp_auth_seq map remembers).
# Also: a key rotation with a second key file, no transition, nothing refused.
# Without the key check, each of the first two makes node1 step down at once.
# Also: -t shows the key file and never the key; a reload with a key file
# others may read is refused and the running configuration kept.
. "$(dirname "$0")/lib.sh"
e2e_init vauth "$1"
need tcpdump || summary

lab_bridge
lab_host node1 10.88.0.1/24
lab_host node2 10.88.0.2/24
lab_host rogue 10.88.0.3/24
VIP=10.88.0.100
KEYHEX=4f6e65206b657920666f72207468652070616972206f6620746573742d6e6f646573
mkdir -p "$WORK/keys"
printf '%s\n' "$KEYHEX" >"$WORK/keys/pair.key"
printf '%s\n' 416e6f74686572206b65792c206e6f7420746865207061697227732c20666f7267 >"$WORK/keys/other.key"
chmod 600 "$WORK/keys/"*.key

# conf NODE PRIORITY KEYFILE|-
conf() {
	local key=""
	[ "$3" = - ] || key="auth_key_file $3"
	cat >"$WORK/$1.conf" <<EOF
global_defs {
    router_id $1
    vrrp_version 3
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 88
    priority $2
    advert_int 0.05
    $key
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
field() { xctl "$1" status --json 2>/dev/null | json_get "$2"; }
is_state() { [ "$(field "$1" state)" = "$2" ]; }
became() { field "$1" became_master; }
# rejected NODE REASON: adverts NODE refused for REASON (empty: none)
rejected() { xctl "$1" status --json 2>/dev/null | grep -o "\"$2\":[0-9]*" | head -1 | cut -d: -f2; }
rejected_at_least() { [ "$(rejected "$1" "$2")" -ge "$3" ] 2>/dev/null; }
received_above() { [ "$(field "$1" adverts_received)" -gt "$2" ] 2>/dev/null; }
# NODE is in STATE and never became master more often than N times
steady() { is_state "$1" "$2" && [ "$(became "$1")" = "$3" ]; }

LOG2=$WORK/node2.log # node2's xvipd's log
conf node1 150 "$WORK/keys/pair.key"
conf node2 100 "$WORK/keys/pair.key"
"$BUILD/xvipd" -t -f "$WORK/node1.conf" >"$WORK/t.out" 2>&1
check_eq "xvipd -t accepts the configuration" 0 "$?"
check "  and shows the key file" grep -q "auth_key_file $WORK/keys/pair.key" "$WORK/t.out"
check "  but never the key" sh -c "! grep -q '${KEYHEX:0:16}' '$WORK/t.out'"

bg_start rogue "$WORK/tcpdump.log" tcpdump -n -v -i eth0 -l "ip proto 112"
check "tcpdump listens on rogue's eth0" wait_log "$WORK/tcpdump.log" "listening on eth0" 10
start_node node1
check "node1 (150) becomes MASTER" wait_until 10 is_state node1 MASTER
start_node node2
check "node2 (100) is BACKUP" wait_until 10 is_state node2 BACKUP
check_eq "node1's status says how adverts are authenticated" hmac-sha256 "$(field node1 auth)"
check "the adverts carry the trailer: 12 + 28 bytes" wait_log "$WORK/tcpdump.log" "vrid 88, prio 150, intvl 5cs, length 40" 5
check "node2 accepts node1's adverts" wait_until 5 received_above node2 20
check_eq "node2 refused none" "" "$(rejected node2 auth_bad_mac)$(rejected node2 auth_replay)$(rejected node2 auth_missing)"
B1=$(became node1)
B2=$(became node2)

if command -v keepalived >/dev/null; then
	note "keepalived on the rogue host, priority 254, no key"
	cat >"$WORK/ka.conf" <<EOF
global_defs {
    router_id rogue
    vrrp_version 3
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 88
    priority 254
    advert_int 0.05
    virtual_ipaddress {
        $VIP
    }
}
EOF
	bg_start rogue "$WORK/ka.log" "$(command -v keepalived)" -n -P -l -G -D -f "$WORK/ka.conf" \
		-p "$WORK/ka.pid" -r "$WORK/ka-vrrp.pid" -c "$WORK/ka-check.pid" -b "$WORK/ka-bfd.pid"
	KA=$BG_PID
	KA_T0=$SECONDS
	# (keepalived refuses xvipd's adverts: "vrrp packet too long"; it
	# becomes master, sending fewer than its 20 a second meanwhile)
	check "node1 refuses 10 of keepalived's adverts (auth_missing)" wait_until 30 rejected_at_least node1 auth_missing 10
	check "node2 refuses them too" wait_until 10 rejected_at_least node2 auth_missing 10
	check "keepalived refuses xvipd's adverts in turn (too long for it)" grep -q "vrrp packet too long" "$WORK/ka.log"
	check "node1 is still MASTER, never stepped down" steady node1 MASTER "$B1"
	check "node2 is still BACKUP, never took over" steady node2 BACKUP "$B2"
	check "node1 says why, naming the rogue" grep -q "advert from 10.88.0.3 carries no xvip authentication: the peer is not xvipd" "$WORK/node1.log"
	check "  once per 10 s, not per advert" test "$(grep -c 'carries no xvip authentication' "$WORK/node1.log")" -le $((1 + (SECONDS - KA_T0) / 10))
	bg_stop "$KA"
else
	note "no keepalived: its case is skipped"
fi

note "xvipd on the rogue host, priority 254, another key"
conf rogue 254 "$WORK/keys/other.key"
start_node rogue
check "the rogue's xvipd refuses node1's adverts (auth_bad_mac)" wait_until 10 rejected_at_least rogue auth_bad_mac 5
check "node1 refuses 40 of the rogue's adverts (auth_bad_mac)" wait_until 20 rejected_at_least node1 auth_bad_mac 40
check "node2 refuses them too" wait_until 5 rejected_at_least node2 auth_bad_mac 40
check "node1 is still MASTER, never stepped down" steady node1 MASTER "$B1"
check "node2 is still BACKUP, never took over" steady node2 BACKUP "$B2"
check "node1 says why" grep -q "advert from 10.88.0.3 fails authentication (another key" "$WORK/node1.log"
bg_stop "$PID_rogue"

if command -v python3 >/dev/null; then
	note "node1's adverts captured on the rogue host and played back to node2"
	cat >"$WORK/replay.py" <<'EOF'
import socket, sys
# replay.py capture FROM LOCAL FILE: 5 of FROM's adverts (IP packets, as a
#   raw socket gets them) into FILE
# replay.py replay LOCAL FILE: each sent again, unchanged, 4 times: same
#   source, same tag, old sequence
mode, local, path = sys.argv[1], sys.argv[-2], sys.argv[-1]
if mode == "capture":
    rx = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
    rx.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                  socket.inet_aton("224.0.0.18") + socket.inet_aton(local))
    rx.settimeout(5)
    got = []
    while len(got) < 5:
        pkt, addr = rx.recvfrom(2048)
        if addr[0] == sys.argv[2]:
            got.append(pkt)
    open(path, "wb").write(b"".join(len(p).to_bytes(2, "big") + p for p in got))
    print("captured", len(got))
else:
    data, got = open(path, "rb").read(), []
    while data:
        n = int.from_bytes(data[:2], "big")
        got.append(data[2:2 + n])
        data = data[2 + n:]
    tx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    tx.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    tx.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"eth0")
    tx.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(local))
    n = 0
    for _ in range(4):
        for p in got:
            tx.sendto(p, ("224.0.0.18", 0))
            n += 1
    print("replayed", n)
EOF
	ns rogue python3 "$WORK/replay.py" capture 10.88.0.1 10.88.0.3 "$WORK/cap1" >"$WORK/replay.out" 2>&1
	ns rogue python3 "$WORK/replay.py" replay 10.88.0.3 "$WORK/cap1" >>"$WORK/replay.out" 2>&1
	check "20 captured adverts played back" grep -q "replayed 20" "$WORK/replay.out"
	check "node2 refuses them (auth_replay)" wait_until 5 rejected_at_least node2 auth_replay 20
	check "node2 says so" grep -q "advert from 10.88.0.1 has sequence [0-9]*, [0-9.]* s behind the last accepted from it: a replay" "$WORK/node2.log"
	rx0=$(field node2 adverts_received)
	check "node2 still accepts node1's own adverts" wait_until 5 received_above node2 $((rx0 + 10))
	# a keyed backup never hands adverts to the kernel's socket filter:
	# the newest one played back would be absorbed there unchecked
	check_eq "node2 absorbed no advert in the kernel (it checks each)" 0 "$(field node2 adverts_absorbed)"
else
	note "no python3: the replay case is skipped"
fi

note "reload with a key file others may read: refused, the running one kept"
chmod 644 "$WORK/keys/pair.key"
kill -HUP "$PID_node2"
check "node2 refuses the reload, naming the file" wait_log "$WORK/node2.log" "auth_key_file $WORK/keys/pair.key is accessible by others" 10
chmod 600 "$WORK/keys/pair.key"
rx0=$(field node2 adverts_received)
check "node2 still accepts node1's adverts" wait_until 5 received_above node2 $((rx0 + 10))
check "node2 is still BACKUP" is_state node2 BACKUP
check "no VRRP transition on node1 or node2 the whole time" sh -c "[ '$(became node1)' = '$B1' ] && [ '$(became node2)' = '$B2' ]"

note "key rotation, one node at a time: sign old + accept new, then sign new + accept old, then new alone"
reloads() { field "$1" reloads; }
reloads_above() { [ "$(reloads "$1")" -gt "$2" ] 2>/dev/null; }
reload_to() { # NODE KEYS...: reload NODE with auth_key_file KEYS, wait until applied
	local n=$1 r
	shift
	r=$(reloads "$n")
	sed -i "s|^    auth_key_file .*|    auth_key_file $*|" "$WORK/$n.conf"
	kill -HUP "$(eval echo "\$PID_$n")"
	wait_until 10 reloads_above "$n" "$r"
}
signs_with_next() { xctl node1 status 2>/dev/null | grep -q "key from $WORK/keys/next.key$"; }
cp "$WORK/keys/other.key" "$WORK/keys/next.key"
B1=$(became node1)
B2=$(became node2)
M1=$(rejected node1 auth_bad_mac)
M2=$(rejected node2 auth_bad_mac)
for step in "pair.key next.key" "next.key pair.key" "next.key"; do
	set -- $step
	keys="$WORK/keys/$1${2:+ $WORK/keys/$2}"
	check "node1 reloaded to: $step" reload_to node1 "$keys"
	check "node2 reloaded to: $step" reload_to node2 "$keys"
	check "  node2 still accepts node1's adverts" wait_until 5 received_above node2 $(($(field node2 adverts_received) + 10))
done
check "node1 signs with the new key alone: its status names it" signs_with_next
check "no VRRP transition during the rotation" sh -c "[ '$(became node1)' = '$B1' ] && [ '$(became node2)' = '$B2' ]"
check_eq "no advert refused for its tag during the rotation" "$M1 $M2" "$(rejected node1 auth_bad_mac) $(rejected node2 auth_bad_mac)"

if command -v python3 >/dev/null; then
	note "node2's xvipd restarts while node1 is frozen (SIGSTOP); node1's adverts from before are played back"
	ns rogue python3 "$WORK/replay.py" capture 10.88.0.1 10.88.0.3 "$WORK/cap2" >"$WORK/replay2.out" 2>&1
	check "5 adverts of node1 captured" grep -q "captured 5" "$WORK/replay2.out"
	kill -STOP "$PID_node1"
	bg_stop "$PID_node2"
	bg_start node2 "$WORK/node2-again.log" "$BUILD/xvipd" -n -l -f "$WORK/node2.conf" --pin-root "$(pin_of node2)"
	PID_node2=$BG_PID
	LOG2=$WORK/node2-again.log
	answers() { xctl node2 status --json >/dev/null 2>&1; }
	check "node2's new xvipd answers" wait_until 10 answers
	ns rogue python3 "$WORK/replay.py" replay 10.88.0.3 "$WORK/cap2" >>"$WORK/replay2.out" 2>&1
	check "20 played back" grep -q "replayed 20" "$WORK/replay2.out"
	# within the 30 s window, so only the pinned vrrp_auth_seq map (what the
	# first xvipd accepted) tells the new one they are old
	check "the new xvipd refuses them as replays (what the old one accepted is pinned)" wait_until 5 rejected_at_least node2 auth_replay 20
	check "  and takes over from the frozen node1" wait_until 10 is_state node2 MASTER
	check "the map holds node1's last sequence" sh -c "bpftool map dump pinned '$(pin_of node2)/vrrp_auth_seq' | grep -q last_seq"
	kill -CONT "$PID_node1"
	check "node1 thawed: node2 goes back to BACKUP" wait_until 10 is_state node2 BACKUP
	check "  node1 is MASTER" wait_until 10 is_state node1 MASTER
fi

note "node1 stops: its priority-0 advert is signed too, and node2 takes over at once"
bg_stop "$PID_node1"
check "node2 becomes MASTER" wait_until 5 is_state node2 MASTER
check "  on node1's priority 0, not by VRRP's master-down timer" grep -q "BACKUP -> MASTER: master down timer fired (skew after priority 0)" "$LOG2"

# the pins of an older xvipd (still running after an upgrade) have no
# vrrp_auth_seq: xvipctl does without it
rm -f "$(pin_of node2)/vrrp_auth_seq"
check "xvipctl status works without the vrrp_auth_seq pin" xctl node2 status

sanitizer_check
stop_all_gently
summary
