#!/usr/bin/env bash
# shellcheck disable=SC2317 # helpers are called through check and wait_until
# Self-test of tests/e2e/mysql_lib.sh: a MariaDB dual-master pair in the lab.
#
#   tests/e2e/test_mysql_lab.sh BUILD_DIR
#
# Lab (all in namespaces, see lib.sh): bridge; client 10.79.0.10, db1
# 10.79.0.1 (server_id 1, auto-increment offset 1), db2 10.79.0.2 (server_id
# 2, offset 2). Checks: both start read-only, semi-sync dual master, writes
# replicate both ways with ids of the right parity, read_only refuses the
# application user, the monitoring user can do what a health checker does,
# broken replication shows error 1062 and can be repaired, pause/resume,
# kill -9 and restart with crash recovery, the writer load helper, clean stop.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh
. tests/e2e/mysql_lib.sh
e2e_init mysql "${1:-}"
T0=$(date +%s)

need mariadbd mariadb mariadb-admin mariadb-install-db ethtool || summary

IP1=10.79.0.1
IP2=10.79.0.2
lab_bridge || { echo "FAIL - lab bridge"; E2E_FAILED=1; summary; }
lab_host client 10.79.0.10/24 || { echo "FAIL - lab client"; E2E_FAILED=1; summary; }
lab_host db1 $IP1/24 || { echo "FAIL - lab db1"; E2E_FAILED=1; summary; }
lab_host db2 $IP2/24 || { echo "FAIL - lab db2"; E2E_FAILED=1; summary; }

check_here "db1 starts" db_start db1 1 1 || summary
check_here "db2 starts" db_start db2 2 2 || summary
note "both started after $(($(date +%s) - T0)) s"
is_mariadbd() { [ "$(cat "/proc/$(db_pid "$1")/comm")" = mariadbd ]; }
check "db_pid db1 is the mariadbd process" is_mariadbd db1
check_eq "db1 read_only by default" 1 "$(db_var db1 read_only)"
check_eq "db2 read_only by default" 1 "$(db_var db2 read_only)"
check_eq "db2 server_id" 2 "$(db_var db2 server_id)"
check_eq "db2 gtid_domain_id" 2 "$(db_var db2 gtid_domain_id)"
check_eq "db2 binlog_format" ROW "$(db_var db2 binlog_format)"
# mariadbd listens on the namespace's own stack only: nothing in the
# default namespace.
no_listener_outside() { ! ss -ltnH 'sport = :3306' | grep -q .; }
check "nothing listens on :3306 in the default namespace" no_listener_outside

check_here "dual master in semi-sync" db_dual_master db1 $IP1 db2 $IP2 semisync || summary
for n in db1 db2; do
	check "$n Rpl_semi_sync_master_status becomes ON" wait_until 10 db__status_is $n Rpl_semi_sync_master_status ON
	check "$n Rpl_semi_sync_slave_status becomes ON" wait_until 10 db__status_is $n Rpl_semi_sync_slave_status ON
	check_eq "$n wait point AFTER_SYNC" AFTER_SYNC "$(db_var $n rpl_semi_sync_master_wait_point)"
	check "$n replication threads Yes" db_repl_ok $n
done

# Writes through TCP as the application user: only the writer accepts them.
check "db_set_writer db1" db_set_writer db1
check_eq "db1 read_only OFF" 0 "$(db_var db1 read_only)"
check_eq "db2 read_only ON" 1 "$(db_var db2 read_only)"
check "client writes on db1 over TCP" db_sql_tcp client $IP1 \
	"INSERT INTO app.t (v, node) VALUES ('from-db1', @@report_host)"
refused() {
	local out
	out=$(db_sql_tcp client "$IP2" "INSERT INTO app.t (v, node) VALUES ('refused', @@report_host)" 2>&1)
	echo "$out"
	grep -q 'ERROR 1290' <<<"$out"
}
check "read-only db2 refuses the application user (1290)" refused
row_on() { [ "$(db_sql "$1" "SELECT COUNT(*) FROM app.t WHERE v='$2'")" = 1 ]; }
check "row written on db1 is on db2" wait_until 10 row_on db2 from-db1
check_eq "its id is odd (offset 1)" 1 "$(db_sql db2 "SELECT id % 2 FROM app.t WHERE v='from-db1'")"
check_eq "its node is db1" db1 "$(db_sql db2 "SELECT node FROM app.t WHERE v='from-db1'")"
check "db_set_writer db2" db_set_writer db2
check_eq "db1 read_only ON again" 1 "$(db_var db1 read_only)"
check "client writes on db2 over TCP" db_sql_tcp client $IP2 \
	"INSERT INTO app.t (v, node) VALUES ('from-db2', @@report_host)"
check "row written on db2 is on db1" wait_until 10 row_on db1 from-db2
check_eq "its id is even (offset 2)" 0 "$(db_sql db1 "SELECT id % 2 FROM app.t WHERE v='from-db2'")"
check_eq "no 'refused' row anywhere" 0 "$(db_sql db1 "SELECT COUNT(*) FROM app.t WHERE v='refused'")"
yes_tx_gt0() { [ "$(db_status db2 Rpl_semi_sync_master_yes_tx)" -gt 0 ] 2>/dev/null; }
check "semi-sync acknowledged transactions on db2 (Rpl_semi_sync_master_yes_tx > 0)" \
	wait_until 10 yes_tx_gt0
check "db1 and db2 reach the same GTID position" db_wait_synced 10 db1 db2
gtid_both_domains() { db_gtid db1 | grep -q '^gtid_current_pos=.*1-1-.*2-2-\|^gtid_current_pos=.*2-2-.*1-1-'; }
check "gtid_current_pos has domains 1 and 2" gtid_both_domains
db_gtid db1 | sed 's/^/# db1 /'

# The monitoring account does what a health checker needs, over TCP.
mon() { DB_TCP_USER=$DB_MON_USER DB_TCP_PASS=$DB_MON_PASS db_sql_tcp client "$@"; }
check "monitor: SHOW SLAVE STATUS" mon $IP1 "SHOW SLAVE STATUS"
check "monitor: gtid positions" mon $IP1 "SELECT @@gtid_current_pos, @@gtid_slave_pos, @@gtid_binlog_pos"
check "monitor: SHOW MASTER STATUS" mon $IP1 "SHOW MASTER STATUS"
check "monitor: SET GLOBAL read_only=OFF" mon $IP1 "SET GLOBAL read_only=OFF"
check_eq "db1 read_only OFF via the monitor" 0 "$(db_var db1 read_only)"
check "monitor: SET GLOBAL read_only=ON" mon $IP1 "SET GLOBAL read_only=ON"

# Broken replication: duplicate key on db2's SQL thread.
check_here "db_break_replication db2 -> Last_SQL_Errno 1062" db_break_replication db2
db_repl_status db2 | sed 's/^/# db2 /'
shows() { db_repl_status "$1" | grep -q "$2"; }
check "db_repl_status shows Slave_SQL_Running: No" shows db2 '^Slave_SQL_Running: No$'
check "db_repl_status shows Last_SQL_Errno: 1062" shows db2 '^Last_SQL_Errno: 1062$'
check "db_repl_status shows the duplicate key error" shows db2 '^Last_SQL_Error: .*Duplicate entry'
check_eq "db2's IO thread still runs" Yes "$(db_repl_field db2 Slave_IO_Running)"
check_here "db_fix_replication db2" db_fix_replication db2
check "db1 and db2 converge after the repair" db_wait_synced 10 db1 db2

# Pause / resume.
pstate() { awk '{print $3}' "/proc/$(db_pid "$1")/stat"; }
pstate_is() { [ "$(pstate "$1")" = "$2" ]; }
check "db_pause db2" db_pause db2
# SIGSTOP is delivered asynchronously: every thread has to stop first
check "db2 becomes stopped (T)" wait_until 10 pstate_is db2 T
hangs() { ! DB_TCP_TIMEOUT=2 db_sql_tcp client "$IP2" "SELECT 1"; }
check "paused db2 does not answer" hangs
check "db_resume db2" db_resume db2
check "db2 answers after resume" db_wait_ready db2 10
check "db2 answers over TCP after resume" db_sql_tcp client "$IP2" "SELECT 1"
check "replication on db1 fine after resume" wait_until 15 db_repl_ok db1

# Writer load through TCP on db2 (the writer): every acknowledged insert is
# on both nodes.
ACK=$WORK/load1
db_writer_load client $IP2 3 "$ACK"
wait "$DB_LOAD_PID"
sed "s/^/# /" "$ACK.log"
N=$(wc -l <"$ACK")
note "writer load: $N acknowledged in 3 s, $(wc -l <"$ACK.fail") not"
check "writer load acknowledged > 10 inserts" test "$N" -gt 10
check "no failures from a healthy writer" test ! -s "$ACK.fail"
check "all replicated" db_wait_synced 10 db1 db2
check "every acknowledged token is on db1" db_missing_acked db1 "$ACK"
check "every acknowledged token is on db2" db_missing_acked db2 "$ACK"
check_eq "acked rows are even ids (db2)" 0 "$(db_sql db1 "SELECT COUNT(*) FROM app.t WHERE v LIKE 'load1-%' AND id % 2 = 1")"

# Writer load against a node that dies midway: nothing acknowledged is lost
# on the node itself after crash recovery, failures are recorded.
ACK2=$WORK/load2
db_writer_load client $IP2 3 "$ACK2"
sleep 1.5
PID2=$(db_pid db2)
check_here "db_kill db2 (kill -9)" db_kill db2
# db_kill returns once mariadbd is dead; it is gone (kill -0 fails) only
# once this shell has reaped it
check "db2's process is gone (reaped after kill -9)" wait_gone "$PID2" 10
check "db_pid db2 fails after kill" eval '! db_pid db2'
io_down() { [ "$(db_repl_field "$1" Slave_IO_Running)" != Yes ]; }
check "db1 sees its master gone" wait_until 10 io_down db1
wait "$DB_LOAD_PID"
sed "s/^/# /" "$ACK2.log"
check "writer load recorded failures after the kill" test -s "$ACK2.fail"
check_here "db2 restarts after kill -9 (crash recovery)" db_start db2 2 2
check_eq "restarted db2 is read_only" 1 "$(db_var db2 read_only)"
check "db2 replication resumes by itself" wait_until 15 db_repl_ok db2
check "db1 replication reconnects" wait_until 15 db_repl_ok db1
check "db1 has its semi-sync replica back" wait_until 15 db__status_is db1 Rpl_semi_sync_master_clients 1
check "db1 and db2 converge after restart" db_wait_synced 15 db1 db2
check "every acknowledged token survived on db2" db_missing_acked db2 "$ACK2"
check "every acknowledged token is on db1" db_missing_acked db1 "$ACK2"

# Clean stop.
PID1=$(db_pid db1)
check_here "db_stop db1" db_stop db1
check "db1's process is gone (reaped after the shutdown)" wait_gone "$PID1" 10
check "db2 sees db1 gone" wait_until 10 io_down db2

note "run time $(($(date +%s) - T0)) s"
summary
