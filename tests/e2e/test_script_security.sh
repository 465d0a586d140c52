#!/usr/bin/env bash
# Who runs the scripts, and which may run (issue 10, script_sec.h), with
# real files, modes and users (nobody, root): script_user is enforced (the
# notify script runs as nobody, with its groups), a script's own `user`
# wins, enable_script_security disables a root script that someone else
# could modify (xvipd -t fails naming it; the daemon runs without it), and
# on a clean stop notify_stop is given time to finish.
. "$(dirname "$0")/lib.sh"
e2e_init sec "$1"
id nobody >/dev/null 2>&1 || { note "skipped: no user nobody"; summary; }

lab_bridge
lab_host node1 10.84.0.1/24
VIP=10.84.0.100
# nobody must reach the scripts: the work dir is root's, 0711
chmod 0711 "$WORK"
mkdir -m 0755 "$WORK/bin"
mkdir -m 0777 "$WORK/out"
# each script records who ran it: "USER GROUP" in out/NAME
mk() { # NAME MODE [SLEEP]
	printf '#!/bin/sh\nsleep %s\necho "$(id -un) $(id -gn)" > %s/out/%s\n' "${3:-0}" "$WORK" "$1" \
		>"$WORK/bin/$1"
	chmod "$2" "$WORK/bin/$1"
}
mk master 0755
mk chk 0755
mk stop 0755 0.5
mk open-chk 0755
chgrp nogroup "$WORK/bin/open-chk" 2>/dev/null || chgrp 65534 "$WORK/bin/open-chk"
chmod 0775 "$WORK/bin/open-chk" # its group, not root's, may write it

conf() { # GLOBAL_LINES CHECK_SCRIPT CHECK_USER_LINE
	cat >"$WORK/node1.conf" <<EOF
global_defs {
    vrrp_version 3
$1
}
vrrp_script chk {
    script "$WORK/bin/$2"
    interval 0.2
    $3
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 53
    priority 100
    advert_int 0.1
    track_script {
        chk
    }
    virtual_ipaddress {
        $VIP
    }
    notify_master "$WORK/bin/master"
    notify_stop "$WORK/bin/stop"
}
EOF
}
start() {
	rm -f "$WORK"/out/*
	bg_start node1 "$WORK/node1.log" "$BUILD/xvipd" -n -l -f "$WORK/node1.conf" \
		--pin-root "$(pin_of node1)"
	PID=$BG_PID
}
is_master() { xctl node1 status --json 2>/dev/null | grep -q '"state":"MASTER"'; }
ran_as() { [ "$(cat "$WORK/out/$1" 2>/dev/null)" = "$2" ]; }
NOBODY="nobody $(id -gn nobody)"

note "script_user nobody; the vrrp_script's own user root"
conf "    script_user nobody" chk "user root"
"$BUILD/xvipd" -t -f "$WORK/node1.conf" >"$WORK/t1.out" 2>"$WORK/t1.err"
check_eq "xvipd -t accepts it (exit 0)" 0 $?
check "-t says who runs each script" grep -q "! runs $WORK/bin/master as nobody" "$WORK/t1.out"
start
check "node1 becomes MASTER" wait_until 10 is_master
check "notify_master ran as nobody, with nobody's group ($NOBODY)" wait_until 10 ran_as master "$NOBODY"
check "the vrrp_script ran as root (its own user)" wait_until 10 ran_as chk "root root"

note "a clean stop: notify_stop (0.5 s) finishes before xvipd exits"
bg_stop "$PID"
check "notify_stop ran to its end, as nobody" ran_as stop "$NOBODY"

note "enable_script_security: a root script its group can modify is disabled"
conf "    enable_script_security" open-chk "user root"
"$BUILD/xvipd" -t -f "$WORK/node1.conf" >"$WORK/t2.out" 2>"$WORK/t2.err"
check_eq "xvipd -t fails (exit 1)" 1 $?
check "and names the script, its line and why" \
	grep -q "node1.conf:6: error: vrrp_script chk disabled: $WORK/bin/open-chk can be modified by a user other than root" "$WORK/t2.err"
start
check "the daemon starts all the same and says so" \
	wait_log "$WORK/node1.log" "vrrp_script chk is disabled" 10
check "node1 becomes MASTER (the disabled script is tracked by no one)" wait_until 10 is_master
check "notify_master ran (it is safe)" wait_until 10 test -s "$WORK/out/master"
# the check would have run every 0.2 s since the start: 1 s after MASTER
sleep 1
check "the insecure script never ran" test ! -e "$WORK/out/open-chk"
bg_stop "$PID"

note "the same without enable_script_security: it runs, and the load warns"
conf "" open-chk "user root"
"$BUILD/xvipd" -t -f "$WORK/node1.conf" >"$WORK/t3.out" 2>"$WORK/t3.err"
check_eq "xvipd -t accepts it (exit 0)" 0 $?
check "with a warning at its line" \
	grep -q "node1.conf:6: warning: vrrp_script chk runs as root and is not safe" "$WORK/t3.err"
start
check "the script runs, as root" wait_until 10 ran_as open-chk "root root"
bg_stop "$PID"
sanitizer_check "$WORK/node1.log"
summary
