#!/usr/bin/env bash
# vrrp_script / track_script: a failing check lowers the priority by its
# weight so the peer takes over; a check that hangs past its timeout is
# killed and counts as failed; weight 0 means FAULT; recovery after rise.
. "$(dirname "$0")/lib.sh"
e2e_init trk "$1"

lab_bridge
lab_host client 10.83.0.10/24
lab_host node1 10.83.0.1/24
lab_host node2 10.83.0.2/24
VIP=10.83.0.100
# the check's verdict is a file the test flips: ok, fail or hang
echo ok >"$WORK/verdict"
# the hung check sleeps a duration unique to this run, so pgrep (which sees
# every process on the machine, namespaces or not) counts only ours
HANG="sleep 30.$$"
printf '#!/bin/sh\ncase $(cat "%s/verdict") in\nok) exit 0 ;;\nhang) exec %s ;;\n*) exit 1 ;;\nesac\n' \
	"$WORK" "$HANG" >"$WORK/check.sh"
chmod +x "$WORK/check.sh"

# conf NODE PRIORITY WEIGHT [no-track]
conf() {
	local track="track_script {
        chk_mysql
    }"
	[ -n "${4:-}" ] && track=""
	cat >"$WORK/$1.conf" <<EOF
global_defs {
    vrrp_version 3
}
vrrp_script chk_mysql {
    script "$WORK/check.sh"
    interval 0.2
    timeout 0.5
    weight $3
    rise 2
    fall 2
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 52
    priority $2
    advert_int 0.1
    $track
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
prio_is() { [ "$(field "$1" priority)" = "$2" ]; }

conf node1 100 -20
conf node2 90 0 no-track
start_node node1
check "node1 becomes MASTER with its check passing" wait_until 10 is_state node1 MASTER
start_node node2
check "node2 is BACKUP" wait_until 10 is_state node2 BACKUP
check "node2 logs that it does not run a vrrp_script that no instance tracks (as keepalived)" \
	wait_log "$WORK/node2.log" "vrrp_script chk_mysql is tracked by no instance: not run" 10

note "the check fails: priority 100 - 20 = 80 < 90, node2 preempts"
echo fail >"$WORK/verdict"
check "node1's priority drops to 80 after fall=2 failures" wait_until 10 prio_is node1 80
check "node2 takes over" wait_until 10 is_state node2 MASTER
check "node1 is BACKUP" wait_until 10 is_state node1 BACKUP

note "the check recovers: priority 100, node1 preempts back"
echo ok >"$WORK/verdict"
check "node1's priority is 100 again after rise=2" wait_until 10 prio_is node1 100
check "node1 is MASTER again" wait_until 10 is_state node1 MASTER

note "the check hangs: killed at its 0.5 s timeout, counted as failed"
echo hang >"$WORK/verdict"
check "node1's priority drops to 80" wait_until 10 prio_is node1 80
check "the timeout is logged" wait_log "$WORK/node1.log" "chk_mysql timed out" 10
# Hung checks have been started since the priority dropped (fall=2), one
# every 0.5 s timeout + 0.2 s interval, each sleeping 30 s unless killed. A
# killed one may exist for a moment after its successor started (SIGKILL,
# then reaped), so wait for at most one alive: were they not killed, their
# count would only grow for the 30 s they sleep.
hung_alive() { pgrep -c -f "$HANG" || true; }
at_most_one_hung() { [ "$(hung_alive)" -le 1 ]; }
check "hung checks are killed: at most the one running now stays alive" wait_until 5 at_most_one_hung ||
	note "hung checks alive: $(hung_alive)"
echo ok >"$WORK/verdict"
check "and recovers" wait_until 10 prio_is node1 100

note "weight 0: a failing check puts the instance in FAULT"
bg_stop "$PID_node2"
conf node1 100 0
ns node1 kill -HUP "$PID_node1"
# node1 was MASTER before the reload too: wait for the reload itself
check "node1 logs the reload with weight 0 done" wait_log "$WORK/node1.log" "reload done" 10
check "reloaded with weight 0, node1 MASTER" wait_until 10 is_state node1 MASTER
echo fail >"$WORK/verdict"
check "node1 goes to FAULT" wait_until 10 is_state node1 FAULT
not_owner() { xctl node1 status --json | grep -q '"owner":false'; }
check "and no longer owns the VIP in the data plane" wait_until 10 not_owner
echo ok >"$WORK/verdict"
check "node1 leaves FAULT and, alone, becomes MASTER" wait_until 10 is_state node1 MASTER
if [ "$E2E_FAILED" -gt 0 ]; then
	note "node1's log:"
	tail -30 "$WORK/node1.log" | sed 's/^/#   /'
fi
summary
