#!/usr/bin/env bash
# Backups that sleep, masters that batch (docs/architecture.md): five
# instances at 10 ms VRRPv3 adverts between two xvipd nodes.
# - the backup hands its masters' routine adverts to the kernel (socket
#   filter + kernel master-down timer): it wakes a few times a second, not
#   500 times;
# - the master sends the five instances' adverts in one wakeup (sendmmsg),
#   still every 10 ms each, as the peer's capture shows;
# - what the backup must act on still reaches it: a master whose priority
#   drops below the backup's is preempted;
# - a master that falls silent (its link down) is taken over through the
#   kernel's timer, for every instance.
. "$(dirname "$0")/lib.sh"
e2e_init slp "$1"
need jq tcpdump || summary

lab_bridge
lab_host node1 10.89.0.1/24
lab_host node2 10.89.0.2/24
NINST=5

# conf NODE PRIORITY
conf() {
	{
		echo "global_defs { vrrp_version 3 }"
		for v in $(seq 1 $NINST); do
			cat <<EOF
vrrp_instance VI_$v {
    state BACKUP
    interface eth0
    virtual_router_id $v
    priority $2
    advert_int 0.01
    virtual_ipaddress {
        10.89.1.$v/32
    }
}
EOF
		done
	} >"$WORK/$1.conf"
}
start_node() {
	bg_start "$1" "$WORK/$1.log" "$BUILD/xvipd" -n -l -f "$WORK/$1.conf" --pin-root "$(pin_of "$1")"
	eval "PID_$1=$BG_PID"
}
js() { xctl "$1" status --json 2>/dev/null; }
# all_state NODE STATE: every instance in STATE
all_state() { [ "$(js "$1" | jq -r '[.daemon.instances[].state] | unique | join(",")')" = "$2" ]; }
# every instance of NODE absorbed at least one advert in the kernel
all_absorbing() { js "$1" | jq -e '[.daemon.instances[].adverts_absorbed > 0] | all' >/dev/null; }
# wakeups PID: context switches of the daemon's thread(s) so far
wakeups() { awk '/ctxt_switches/ { n += $2 } END { print n }' "/proc/$1/status"; }
received() { js "$1" | jq '[.daemon.instances[].adverts_received] | add'; }

conf node1 100
conf node2 90
start_node node1
check "node1 becomes MASTER of all $NINST instances" wait_until 15 all_state node1 MASTER
start_node node2
check "node2 is BACKUP of all $NINST" wait_until 15 all_state node2 BACKUP
check "node2's kernel absorbs its masters' adverts for every instance" wait_until 10 all_absorbing node2

# --- the backup sleeps -------------------------------------------------
r0=$(received node2)
w0=$(wakeups "$PID_node2")
m0=$(wakeups "$PID_node1")
sleep 3
w1=$(wakeups "$PID_node2")
m1=$(wakeups "$PID_node1")
r1=$(received node2)
note "in 3 s: node2 received $((r1 - r0)) adverts and woke $((w1 - w0)) times; node1 woke $((m1 - m0)) times"
check "node2 received adverts meanwhile (at least half of 5 x 300)" test $((r1 - r0)) -ge 750
# awake for each: >= 1500; asleep: the 1 s backstop of each instance (15)
# and a few more (status queries between the samples: none)
check "node2 woke at most 100 times for them (it sleeps)" test $((w1 - w0)) -le 100
# one wakeup per interval for all five (300 in 3 s), not one per advert (1500)
check "node1 woke at most 750 times to send 1500 adverts (it batches)" test $((m1 - m0)) -le 750

# --- adverts still on time at the peer ----------------------------------
bg_start node2 "$WORK/cap.log" tcpdump -n -tt -i eth0 -l "ip proto 112"
CAP_PID=$BG_PID
check "tcpdump listens on node2" wait_log "$WORK/cap.log" "listening on eth0" 10
sleep 2
bg_stop "$CAP_PID"
# median spacing per VRID, in ms ("vrid N" in tcpdump's VRRP line)
spacing() {
	awk '/VRRPv3/ { for (i = 1; i <= NF; i++) if ($i == "vrid") v = $(i + 1) + 0;
		if (v in last) { d = ($1 - last[v]) * 1000; g[v, ++n[v]] = d } last[v] = $1 }
	END { for (v in n) { m = n[v]; for (i = 1; i <= m; i++) a[i] = g[v, i];
		asort(a); printf "%d %.1f %d\n", v, a[int((m + 1) / 2)], m; delete a } }' "$WORK/cap.log" | sort -n
}
spacing >"$WORK/spacing.txt"
note "per VRID: median spacing (ms), adverts: $(tr '\n' ';' <"$WORK/spacing.txt")"
check "each of the $NINST VRIDs seen at the peer" test "$(wc -l <"$WORK/spacing.txt")" -eq $NINST
check "every VRID's median spacing is 10 ms (9-11)" awk '{ if ($2 < 9 || $2 > 11) bad = 1 } END { exit bad }' "$WORK/spacing.txt"

# --- a change the backup must act on reaches it ---------------------------
conf node1 80
kill -HUP "$PID_node1"
check "node1 at priority 80: node2 (90) preempts every instance" wait_until 10 all_state node2 MASTER
check "node1 steps down to BACKUP" wait_until 10 all_state node1 BACKUP
check "now node1 sleeps on node2's adverts" wait_until 10 all_absorbing node1

# --- a silent master: the kernel's timer decides ----------------------------
ns node2 ip link set eth0 down
check "node2's link down: node1 takes over every instance" wait_until 10 all_state node1 MASTER
check "by the kernel's master down timer (log and status)" sh -c \
	"grep -q 'master down timer fired (in the kernel)' '$WORK/node1.log' &&
	 [ \$('$BUILD/xvipctl' --pin-root '$(pin_of node1)' status --json | jq '[.daemon.instances[].kernel_master_down] | add') -ge $NINST ]"
ns node2 ip link set eth0 up

stop_all_gently
sanitizer_check
summary
