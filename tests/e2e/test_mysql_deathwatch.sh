#!/usr/bin/env bash
# The local mysqld's death seen by the kernel, its clients released
# (issue 12): two MariaDB nodes, xvipd on each (fo service, MYSQL_CHECK
# 100 ms x fall 3, manage_read_only), the VIP owned by db1.
# a. each xvipd watches its own mariadbd (log, and the pinned map
#    mysqld_pids through bpftool); kill -9 of the writer db1: seen by the
#    tracepoint before the held connection's EOF, its sockets destroyed,
#    the writer moves to db2 in one pipelined promotion, every
#    acknowledged row on db2;
# b. db1 restarted: its new pid is watched;
# c. kill -9 of the remote writer db2: db2's xvipd resets db1's held
#    connection (RST, not the teardown's EOF) and refuses its connects, so
#    the VIP owner moves the writer back to db1 at once;
# d. SIGSTOP of the writer db1 (a hang): the stop is reported, the probes'
#    deadlines decide, and a client blocked in a query through the VIP on
#    the hung node gets an error at once, not when its query or read
#    timeout ends; the woken node is fenced, never two writable.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mysql_lib.sh"
e2e_init mydw "$1"
need mariadbd mariadb bpftool jq || summary

lab_bridge
lab_host client 10.86.0.10/24
lab_host db1 10.86.0.1/24
lab_host db2 10.86.0.2/24
VIP=10.86.0.100
N1=10.86.0.1
N2=10.86.0.2

check_here "mariadbd starts on db1" db_start db1 1 1
check_here "mariadbd starts on db2" db_start db2 2 2
check_here "dual-master semi-sync replication" db_dual_master db1 $N1 db2 $N2 semisync

xvipd_mysql_conf "$WORK/db1.conf" db1 100 $VIP 63 $N1 $N2
xvipd_mysql_conf "$WORK/db2.conf" db2 90 $VIP 63 $N1 $N2
L1=$WORK/xvipd-db1.log
L2=$WORK/xvipd-db2.log
# a client of db1 connected before its xvipd starts: in the kernel's table
# of db1's connections only through the seeding dump
(
	ns client env MYSQL_PWD="$DB_APP_PASS" mariadb --no-defaults -h $N1 -P 3306 -u "$DB_APP_USER" \
		--connect-timeout=2 -N -B -e "SELECT SLEEP(50)" >"$WORK/early.out" 2>&1
) &
early_running() { db_sql db1 "SELECT COUNT(*) FROM information_schema.processlist WHERE info='SELECT SLEEP(50)'" | grep -qx 1; }
check "a client of db1 runs SELECT SLEEP(50) before xvipd starts" wait_until 10 early_running
bg_start db1 "$L1" "$BUILD/xvipd" -n -l -f "$WORK/db1.conf" --pin-root "$(pin_of db1)"
check "db1 becomes VRRP master" wait_until 15 sh -c "'$BUILD/xvipctl' --pin-root '$(pin_of db1)' status --json | grep -q '\"state\":\"MASTER\"'"
bg_start db2 "$L2" "$BUILD/xvipd" -n -l -f "$WORK/db2.conf" --pin-root "$(pin_of db2)"
XV2=$BG_PID
OWNER="$BUILD/xvipctl --pin-root $(pin_of db1)"
writer_is() { [ "$($OWNER status --json 2>/dev/null | json_get writer)" = "$1:3306" ]; }
ro() { db_var "$1" read_only 2>/dev/null; }
ro_is() { [ "$(ro "$1")" = "$2" ]; }
# lines of LOG after line N that match RE
log_after() { tail -n +"$(($2 + 1))" "$1" | grep -- "$3"; }
nlines() { wc -l <"$1"; }
watched() { grep -q "$1:3306: watching the local mysqld, pid $2 " "$3"; }
in_map() { bpftool map dump pinned "$(pin_of "$1")/mysqld_pids" 2>/dev/null | grep -q "\"key\": $2,"; }

check "xvipd makes db1 the writer" wait_until 15 writer_is $N1
check "db1 read_only=OFF" wait_until 10 ro_is db1 0

note "a. each xvipd watches its own mariadbd; kill -9 of the writer db1"
P1=$(db_pid db1)
P2=$(db_pid db2)
check "db1's xvipd watches db1's mariadbd (pid $P1, from its pid_file)" wait_until 10 watched "MYSQL_CHECK $N1" "$P1" "$L1"
check "db2's xvipd watches db2's mariadbd (pid $P2)" wait_until 10 watched "MYSQL_CHECK $N2" "$P2" "$L2"
check "bpftool shows pid $P1 in db1's pinned mysqld_pids" in_map db1 "$P1"
check "status --json shows the watched pid" sh -c "$OWNER status --json | grep -q '\"watched_pid\":$P1,'"
check "db1's xvipd does not watch the remote db2" sh -c "! grep -q 'MYSQL_CHECK $N2:3306: watching' '$L1'"
# the table of db1's connections, kept by the kernel (mysqld_conns)
check "db1's xvipd has the kernel keep the table of port 3306's connections" \
	wait_until 10 grep -q 'port 3306: the kernel keeps the table of its connections (mysqld_conns): [1-9][0-9]* seeded' "$L1"
conns() { bpftool -j map dump pinned "$(pin_of db1)/mysqld_conns" 2>/dev/null; }
# conn_in_table RPORT_IS_ZERO STATE RADDR4: an entry of port 3306 with that state and remote address
conn_in_table() {
	conns | jq -e --argjson st "$2" --arg ra "$3" --argjson lis "$1" '[.[] | .formatted
		| select(.value.lport == 3306 and .value.state == $st and ((.value.rport == 0) == $lis)
		and ((.value.raddr[0:4] | map(tostring) | join(".")) == $ra))] | length > 0' >/dev/null
}
check "bpftool shows db1's listener in mysqld_conns by field name (state 10, rport 0)" conn_in_table true 10 0.0.0.0
check "and the client that came before xvipd (seeded, ESTABLISHED from 10.86.0.10)" conn_in_table false 1 10.86.0.10
check "and db2's xvipd's held connection, which came after (from the tracepoint)" \
	wait_until 10 conn_in_table false 1 $N2
check_here "writer load starts" db_writer_load client $VIP 6 "$WORK/acked"
sleep 1
m1=$(nlines "$L1")
check_here "kill -9 db1's mariadbd" db_kill db1
check "db1's xvipd: the kernel saw the kill" wait_until 10 sh -c "tail -n +$((m1 + 1)) '$L1' | grep -q 'MYSQL_CHECK $N1:3306: mysql $N1:3306: mysqld (pid $P1) killed by signal 9 (SIGKILL) from pid [0-9]* ([a-z]*), seen by the kernel'"
first=$(log_after "$L1" "$m1" "MYSQL_CHECK $N1:3306: .*\\(seen by the kernel\\|connection to mysqld lost\\)" | head -1)
note "first word of the death on db1: ${first#*: }"
check "the tracepoint saw it before the held connection did" grep -q "seen by the kernel" <<<"$first"
check "db1's xvipd moved the dying mysqld's threads to SCHED_IDLE (its teardown yields the CPU)" \
	wait_until 10 sh -c "tail -n +$((m1 + 1)) '$L1' | grep -q 'the dying mysqld (pid $P1): [1-9][0-9]* thread(s) moved to SCHED_IDLE'"
check "db1's xvipd closed the dead mysqld's listener" wait_until 10 sh -c "tail -n +$((m1 + 1)) '$L1' | grep -q 'the dead mysqld.s listener was closed [0-9]* us after'"
# the connections: reset, unless the teardown closed them first (a race
# in this lab: a 32 MB buffer pool unmaps in 3-4 ms, the dump of the
# kernel's connection hash takes as long)
check "db1's xvipd released the dead mysqld's connections" wait_until 10 sh -c "tail -n +$((m1 + 1)) '$L1' | grep -q 'released [0-9]* connection(s) of the dead mysqld'"
# a RST would drop the events still in the dump socket: on db1's binlog,
# never on db2's, errant when db1 returns
check "from the kernel's table, without a dump of the connection hash" sh -c "tail -n +$((m1 + 1)) '$L1' | grep 'connection(s) of the dead mysqld' | grep -q 'from the kernel.s table of its connections, no dump'"
check "the early client's query failed, it did not run out its 50 s" wait_until 10 grep -q 'ERROR' "$WORK/early.out"
check "but not db2's binlog dump connection (its last events still flow)" sh -c "tail -n +$((m1 + 1)) '$L1' | grep 'connection(s) of the dead mysqld' | grep -q 'binlog dump connections spared'"
check "the writer moves to db2" wait_until 20 writer_is $N2
check "db2 read_only=OFF" wait_until 10 ro_is db2 0
wait "$DB_LOAD_PID"
check "the load had acknowledged inserts ($(wc -l <"$WORK/acked"))" test "$(wc -l <"$WORK/acked")" -gt 10
check "every acknowledged row is on db2" db_missing_acked db2 "$WORK/acked"
promo=$(grep -o "writer is now $N2:3306 (.*" "$L1" | tail -1)
note "db1's xvipd: ${promo:0:400}"
# db1 proven stopped by the kernel: the last steps in one operation
check "db2 promoted in two round trips (one PROMOTE, each step timed on the server)" \
	grep -q "us on the server, in 2 round trips" <<<"$promo"
note "kill -> seen: $(log_after "$L1" "$m1" "seen by the kernel" | head -1 | sed -n 's/.*; \([0-9]* us ago\)/\1/p') at the log line; teardown: $(log_after "$L1" "$m1" "mysqld pid $P1 gone" | sed -n 's/.*, \([0-9]* us\) after.*/\1/p' | head -1)"

note "b. db1 restarted: the new mariadbd is watched"
check_here "mariadbd restarts on db1" db_start db1 1 1
P1b=$(db_pid db1)
check "db1's xvipd watches the new pid $P1b" wait_until 15 watched "MYSQL_CHECK $N1" "$P1b" "$L1"
check "and the old pid $P1 left the map" sh -c "! bpftool map dump pinned '$(pin_of db1)/mysqld_pids' | grep -q '\"key\": $P1,'"
check "db1 back read-only, a standby" ro_is db1 1
check "db1 catches up" db_wait_synced 60 db1 db2

note "c. kill -9 of the remote writer db2: the VIP owner hears it through a RST"
m1=$(nlines "$L1")
m2=$(nlines "$L2")
check_here "kill -9 db2's mariadbd" db_kill db2
check "db2's xvipd saw the kill and closed its listener" wait_until 10 sh -c "tail -n +$((m2 + 1)) '$L2' | grep -q 'the dead mysqld.s listener was closed'"
check "db1's xvipd: db2 DOWN, its held connection lost" wait_until 10 sh -c "tail -n +$((m1 + 1)) '$L1' | grep -q 'MYSQL_CHECK $N2:3306: DOWN: .*connection to mysqld lost'"
how=$(log_after "$L1" "$m1" "MYSQL_CHECK $N2:3306: DOWN" | head -1 | grep -o 'connection to mysqld lost ([^)]*)')
note "db1's xvipd heard of db2's death as: $how (a reset: db2's xvipd won the race against the teardown)"
check "the writer moves to db1" wait_until 20 writer_is $N1
check "db1 read_only=OFF" wait_until 10 ro_is db1 0
down=$(log_after "$L1" "$m1" "MYSQL_CHECK $N2:3306: DOWN" | head -1)
note "db1's xvipd: ${down:0:200}"
check_here "mariadbd restarts on db2" db_start db2 2 2
check "db2 is watched again" wait_until 15 watched "MYSQL_CHECK $N2" "$(db_pid db2)" "$L2"
check "db2 catches up" db_wait_synced 60 db2 db1
# a writer that went asynchronous (no standby) and then hangs cannot be
# proven unable to acknowledge: nobody would be promoted (the single-writer
# rule); the pair is semi-synchronous again first
check "status: semi-synchronous again" wait_until 15 sh -c "$OWNER status | grep -q 'writer $N1:3306, semi-synchronous'"
semi_seen() { $OWNER status --json | grep -q "\"addr\":\"$N1:3306\"[^}]*\"semi_sync_master_status\":1,"; }
check "xvipd's facts of db1 show its semi-sync master side on" wait_until 15 semi_seen

note "d. SIGSTOP of the writer db1: a client blocked in a query on it is released"
# read_only sampler (as test_mysql_failover.sh): never both writable
touch "$WORK/sampling"
(
	while [ -e "$WORK/sampling" ]; do
		a1=$(ro db1) b=$(ro db2) a2=$(ro db1)
		echo "$a1 $b $a2 ${EPOCHREALTIME}" >>"$WORK/ro.samples"
	done
) &
SAMPLER=$!
(
	ns client env MYSQL_PWD="$DB_APP_PASS" mariadb --no-defaults -h $VIP -P 3306 -u "$DB_APP_USER" \
		--connect-timeout=2 -N -B -e "SELECT SLEEP(60)" >"$WORK/blocked.out" 2>&1
	echo "$? ${EPOCHREALTIME/./}" >"$WORK/blocked.end"
) &
blocked_running() { db_sql db1 "SELECT COUNT(*) FROM information_schema.processlist WHERE info='SELECT SLEEP(60)'" | grep -qx 1; }
check "a client runs SELECT SLEEP(60) on db1 through the VIP" wait_until 10 blocked_running
m1=$(nlines "$L1")
t0=${EPOCHREALTIME/./}
# from the SIGSTOP until the woken db1 is fenced, db1 keeps read_only=OFF
# (it cannot run the fence) but cannot acknowledge either (semi-sync with
# no standby left, no fallback): samples then are not counted
echo STOP >>"$WORK/ro.samples"
check_here "SIGSTOP db1's mariadbd" db_pause db1
check "db1's xvipd reports the stop" wait_until 10 sh -c "tail -n +$((m1 + 1)) '$L1' | grep -q 'mysqld pid $P1b stopped by signal 19 (SIGSTOP)'"
check "the blocked client gets an error while db1 is still stopped" wait_until 10 test -s "$WORK/blocked.end"
read -r brc bend <"$WORK/blocked.end" || true
note "the blocked client ended $(((${bend:-$t0} - t0) / 1000)) ms after the SIGSTOP, status ${brc:-?}: $(head -c 160 "$WORK/blocked.out")"
check "its query failed (connection reset), it did not finish" test "${brc:-0}" -ne 0
check "db1's xvipd released the hung mysqld's VIP connections" sh -c "tail -n +$((m1 + 1)) '$L1' | grep -q 'released [1-9][0-9]* connection(s) of the hung mysqld'"
check "the writer moves to db2" wait_until 10 writer_is $N2
check "db2 read_only=OFF" wait_until 10 ro_is db2 0
check_here "SIGCONT db1's mariadbd" db_resume db1
check "the woken db1 is fenced: read_only=ON" wait_until 10 ro_is db1 1
echo FENCED >>"$WORK/ro.samples"
rm -f "$WORK/sampling"
wait $SAMPLER
both=$(awk '/^STOP/ { held = 1; next } /^FENCED/ { held = 0; next } !held && /^0 0 0 / { n++ } END { print n + 0 }' "$WORK/ro.samples")
[ "$both" = 0 ] || grep -B2 -A2 '^0 0 0 ' "$WORK/ro.samples" | head -20 | sed 's/^/#   sample: /'
check_eq "read_only sampled $(grep -c '^[01]' "$WORK/ro.samples") times: never both writable (but while db1 is stopped or not yet fenced after it woke, held by semi-sync)" 0 "$both"

note "e. a SIGSTOP starts the probes' deadline at once (db2's xvipd, checks every 20 s)"
# db2's own check of db2 with a 20 s interval: without the stop signal
# acted on, the first failing probe would start up to 20 s after the stop
# (here 19-20 s: the checks restart with the reload); with it, DOWN comes
# read_timeout + (fall - 1) x connect_timeout (300 ms) after the stop
XC_CHECK_EXTRA=$'interval 20s\nrise 1' xvipd_mysql_conf "$WORK/db2.conf" db2 90 $VIP 63 $N1 $N2
P2c=$(db_pid db2)
m2=$(nlines "$L2")
kill -HUP "$XV2"
check "db2's xvipd reloads with 20 s checks" wait_until 10 sh -c "tail -n +$((m2 + 1)) '$L2' | grep -q 'reload done'"
check "and watches db2's mariadbd again (pid $P2c)" wait_until 10 sh -c "tail -n +$((m2 + 1)) '$L2' | grep -q 'MYSQL_CHECK $N2:3306: watching the local mysqld, pid $P2c '"
up2() { tail -n +$((m2 + 1)) "$L2" | grep -q "MYSQL_CHECK $N2:3306.*: UP"; }
check "db2's restarted check says UP" wait_until 10 up2
sleep 0.5 # past the first probe's end: the next one is 19.5 s away
m2=$(nlines "$L2")
check_here "SIGSTOP db2's mariadbd" db_pause db2
t_stop=${EPOCHREALTIME/./}
down2() { tail -n +$((m2 + 1)) "$L2" | grep -q "MYSQL_CHECK $N2:3306.*: DOWN"; }
check "db2's xvipd probes at once on the stop" wait_until 5 sh -c "tail -n +$((m2 + 1)) '$L2' | grep -q 'stopped by signal 19 (SIGSTOP).*probing at once'"
check "db2's xvipd has db2 DOWN within 5 s of the stop (its interval is 20 s)" wait_until 5 down2
t_down=${EPOCHREALTIME/./}
note "db2 DOWN in db2's xvipd $(((t_down - t_stop) / 1000)) ms or less after the SIGSTOP: $(tail -n +$((m2 + 1)) "$L2" | grep "MYSQL_CHECK $N2:3306.*: DOWN" | head -1 | cut -c1-220)"
# the writer db2 hung: db1's xvipd (100 ms checks) moves the writer
check "the writer moves to db1" wait_until 10 writer_is $N1
check_here "SIGCONT db2's mariadbd" db_resume db2
check "the woken db2 is fenced: read_only=ON" wait_until 10 ro_is db2 1

note "known connections: $(grep -ho '[0-9]* of its [0-9]* known client connection(s) reset [0-9]* us.*spared)' "$L1" "$L2" | tr '\n' ';')"
note "releases: $(grep -ho 'released [0-9]* connection(s) of the [a-z]* mysqld.* in [0-9]* us' "$L1" "$L2" | sed 's/ (reset[^)]*)//' | tr '\n' ';')"
if [ "$E2E_FAILED" -gt 0 ]; then
	[ -z "${XVIP_E2E_SAVE:-}" ] || cp "$L1" "$L2" "$WORK/ro.samples" "$XVIP_E2E_SAVE/" 2>/dev/null
	for n in db1 db2; do
		note "xvipd on $n:"
		grep -v debug "$WORK/xvipd-$n.log" | tail -70 | sed 's/^/#   /'
	done
fi
summary
