#!/usr/bin/env bash
# xvipd's control socket (issue 10): created 0600 (no window with a wider
# mode), only root and xvipd's own user are served (SO_PEERCRED, checked
# with the socket widened to 0666 and a client running as nobody), a client
# that sends nothing is closed after 2 s, and out of file descriptors
# xvipd pauses accepting instead of spinning, then serves again. One xvipd
# per pin root: a second one over the same pins is refused at once (it would
# fight the first over the VIP and the writer), and the first goes on.
. "$(dirname "$0")/lib.sh"
e2e_init ctl "$1"
need prlimit runuser || summary
id nobody >/dev/null 2>&1 || { note "skipped: no user nobody"; summary; }

lab_bridge
lab_host node1 10.85.0.1/24
cat >"$WORK/node1.conf" <<EOF
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 54
    priority 100
    advert_int 0.1
    version 3
    virtual_ipaddress {
        10.85.0.100
    }
}
EOF
bg_start node1 "$WORK/node1.log" "$BUILD/xvipd" -n -l -f "$WORK/node1.conf" --pin-root "$(pin_of node1)"
PID=$BG_PID
is_master() { xctl node1 status --json 2>/dev/null | grep -q '"state":"MASTER"'; }
check "node1 becomes MASTER" wait_until 10 is_master
SOCK=/run/xvip/$(pin_of node1 | tr / _).sock
check "the control socket is $SOCK" test -S "$SOCK"
check_eq "created with mode 0600" 600 "$(stat -c %a "$SOCK")"

note "a second xvipd over the same pins is refused"
out=$(timeout 10 ip netns exec "${P}node1" "$BUILD/xvipd" -n -l -f "$WORK/node1.conf" --pin-root "$(pin_of node1)" 2>&1)
rc=$?
note "second xvipd (exit $rc): $(grep -v debug <<<"$out" | tail -2 | tr '\n' ' ')"
check_eq "it exits 1 (not the timeout's 124)" 1 "$rc"
check "it names the running one (pid $PID)" grep -q "another xvipd (pid $PID) runs over the same pins" <<<"$out"
loaded_nothing() { ! grep -q "data plane loaded" <<<"$out"; }
check "before loading anything" loaded_nothing
check "the first is still MASTER and answers" is_master
check "it never left MASTER" sh -c "! grep -q 'MASTER -> ' '$WORK/node1.log'"

note "silent clients are closed after 2 s"
out=$("$BUILD/xvip-probe" ctl-idle "$SOCK" 10 6000)
note "ctl-idle 10: $out"
check "all 10 were accepted and closed within 6 s" grep -q "^opened 10 closed 10 " <<<"$out"
slowest=$(sed -n 's/.*slowest_close_ms \([0-9]*\).*/\1/p' <<<"$out")
check "not before the 2 s idle timeout (slowest close after ${slowest:-?} ms)" test "${slowest:-0}" -ge 1500
check "status still answers" is_master

note "only root and xvipd's user: a client as nobody is refused even on a 0666 socket"
chmod 0666 "$SOCK"
out=$(runuser -u nobody -- "$BUILD/xvip-probe" ctl-idle "$SOCK" 1 3000)
note "ctl-idle as nobody: $out"
check "nobody's connection is closed at once" grep -Eq "^opened 1 closed 1 slowest_close_ms [0-9]{1,3}$" <<<"$out"
check "and the refusal is logged with its uid" \
	wait_log "$WORK/node1.log" "control socket: refused pid [0-9]* uid $(id -u nobody)" 5
chmod 0600 "$SOCK"

note "out of file descriptors: a pause, not a busy loop"
# new fds take the lowest free numbers: the first gap, plus 5
free=$(ls /proc/$PID/fd | sort -n | awk '$1 != NR - 1 { print NR - 1; f = 1; exit } END { if (!f) print NR }')
lim=$((free + 12))
check "lower xvipd's fd limit to $lim (its lowest free fd is $free): room for a few clients" \
	prlimit --pid "$PID" --nofile=$lim:$lim
cpu() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; }
"$BUILD/xvip-probe" ctl-idle "$SOCK" 40 5000 >"$WORK/flood.out" &
FLOOD=$!
sleep 1
c0=$(cpu)
sleep 1
c1=$(cpu)
note "xvipd's CPU during the flood: $((c1 - c0)) ticks of 1/100 s in 1 s"
check "xvipd does not spin (under 30 ticks in 1 s)" test $((c1 - c0)) -lt 30
check "it says it pauses" wait_log "$WORK/node1.log" "control socket: .*not accepting for 100 ms" 5
wait "$FLOOD"
note "flood: $(cat "$WORK/flood.out")"
check "the clients it could take were served (closed after their idle time)" \
	grep -Eq "^opened [0-9]+ closed [1-9]" "$WORK/flood.out"
check "it serves again once the idle clients are gone" wait_until 10 is_master
check "and stayed MASTER throughout" sh -c "! grep -q 'MASTER -> ' '$WORK/node1.log'"
bg_stop "$PID"
sanitizer_check "$WORK/node1.log"
summary
