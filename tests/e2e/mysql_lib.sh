# shellcheck shell=bash
# tests/e2e/mysql_lib.sh: MariaDB dual-master labs for end-to-end tests.
#
# Sourced after lib.sh (and after e2e_init, which sets P and WORK). Every
# mariadbd runs inside a lab namespace ${P}NAME, listens on that namespace's
# own stack (0.0.0.0:3306 there) and on a socket under $WORK; its datadir is
# $WORK/db-NAME, so lib.sh's cleanup removes it with the rest of $WORK.
# DB_TMPFS=1 (before the first db_start): the datadirs on a tmpfs of the
# lab's own ($WORK/dbfs/db-NAME, unmounted by the cleanup), so that the
# disk's fsync stalls do not hide what is measured (tools/bench_mysql.sh).
#
#   . tests/e2e/lib.sh
#   . tests/e2e/mysql_lib.sh
#   e2e_init mylab "$1"
#   lab_bridge; lab_host db1 10.79.0.1/24; lab_host db2 10.79.0.2/24
#   db_start db1 1 1 && db_start db2 2 2
#   db_dual_master db1 10.79.0.1 db2 10.79.0.2 semisync
#   db_set_writer db1
#   db_sql db2 "SELECT COUNT(*) FROM app.t"
#
# Accounts (every node, created with sql_log_bin=0 so nothing replicates)
#   root@localhost, root@'%'  password $DB_PASS (default xvip); ALL, which in
#                          10.11 includes READ_ONLY ADMIN: root ignores
#                          read_only. Use it for set-up, not to test read_only.
#   repl@'%'/repl          REPLICATION SLAVE ($DB_REPL_USER/$DB_REPL_PASS)
#   xvip@'%'/xvipmon       the health checker ($DB_MON_USER/$DB_MON_PASS):
#                          PROCESS, SUPER, BINLOG MONITOR (= REPLICATION
#                          CLIENT), SLAVE MONITOR, REPLICATION SLAVE ADMIN,
#                          READ_ONLY ADMIN, CONNECTION ADMIN: SHOW SLAVE
#                          STATUS, SHOW MASTER STATUS, @@gtid_*, semi-sync
#                          status, SET GLOBAL read_only / rpl_semi_sync_*,
#                          STOP/START SLAVE, KILL of client threads.
#   app@'%'/app            ALL on app.* only ($DB_APP_USER/$DB_APP_PASS): an
#                          ordinary application, refused by read_only=ON
#                          (error 1290). db_sql_tcp and db_writer_load use it
#                          unless DB_TCP_USER/DB_TCP_PASS say otherwise.
# Schema: database app, table app.t (id INT AUTO_INCREMENT PRIMARY KEY,
#   v VARCHAR(64), node VARCHAR(16)) for the tests, app.probe (same columns)
#   for this library's own replication probes. node is filled from
#   @@report_host, which db_start sets to NAME.
#
# Nodes
#   db_start NAME SERVER_ID AUTO_INC_OFFSET [MARIADBD_OPTION...]
#                          start mariadbd in ${P}NAME (bg_start: the cleanup
#                          trap kills it), log $WORK/db-NAME.log. First start:
#                          datadir copied from a per-run template made once by
#                          mariadb-install-db, then accounts and schema. A
#                          later start (after db_stop/db_kill) reuses the
#                          datadir: crash recovery, replication resumes by
#                          itself, semi-sync settings from db_dual_master are
#                          given again as options. Settings: --no-defaults,
#                          server_id=gtid_domain_id=SERVER_ID,
#                          auto_increment_increment=2, auto_increment_offset=
#                          AUTO_INC_OFFSET, log-bin, binlog_format=ROW,
#                          log_slave_updates, read_only=ON, report_host=NAME,
#                          slave_net_timeout=$DB_SLAVE_NET_TIMEOUT (5 s),
#                          innodb_buffer_pool_size=32M, innodb_log_file_size=
#                          8M, performance_schema=OFF, skip-name-resolve,
#                          tmpdir=$WORK/db-NAME.tmp (its own: a starting
#                          mariadbd deletes every #sql* file in its tmpdir,
#                          other servers' temporary tables included),
#                          innodb_flush_log_at_trx_commit=2, sync_binlog=0
#                          (commits reach the OS at once, so they survive
#                          kill -9 of mariadbd, only not a crash of the
#                          machine, which the lab never does; no fsync per
#                          commit keeps writer loads fast).
#                          Extra options come last and win. Waits up to 30 s
#                          for the server to answer; returns 1 (log tail
#                          shown) if it does not.
#   db_wait_ready NAME SECS   until mariadbd answers a ping on its socket
#                          (returns 1 at once if the process is gone)
#   db_stop NAME           clean shutdown (mariadb-admin shutdown), waits for
#                          the process to end
#   db_kill NAME           kill -9 of mariadbd, waits (5 s) for it to be dead;
#                          DB_KILLED_US: the wall clock (us) right after kill
#                          (after either, the process can stay a zombie for a
#                          moment, until this shell reaps it: a check that it
#                          is gone uses lib.sh's wait_gone)
#   db_pause NAME / db_resume NAME   SIGSTOP / SIGCONT
#   db_pid NAME            mariadbd's pid (returns 1 if it is not running)
#   db_sock NAME           its socket path
# SQL (batch output: -N -B, tab separated, no column names)
#   db_sql NAME [SQL]      as root over NAME's socket (SQL from stdin if
#                          omitted); no network involved
#   db_sql_tcp CLIENT_NS HOST SQL
#                          over TCP from namespace ${P}CLIENT_NS to HOST:3306
#                          as $DB_TCP_USER (default app), connect timeout 1 s,
#                          whole command bounded by $DB_TCP_TIMEOUT (5 s)
#   db_var NAME VARIABLE   value of a global variable (@@VARIABLE)
#   db_status NAME STATUS  value of a global status variable
#                          (e.g. Rpl_semi_sync_master_status)
# Replication
#   db_dual_master NODE_A IP_A NODE_B IP_B [semisync|async]
#                          each one a replica of the other: CHANGE MASTER TO
#                          the peer's IP as repl, MASTER_USE_GTID=slave_pos,
#                          MASTER_CONNECT_RETRY=1; START SLAVE. semisync
#                          (default): master and slave semi-sync on both,
#                          wait point AFTER_SYNC, timeout $DB_SEMISYNC_TIMEOUT
#                          ms (4294967295: no fallback to async, the fence
#                          xvipd counts on), set before the slave threads start.
#                          Waits (20 s) for IO and SQL threads Yes on both,
#                          for one semi-sync client on each master, and for a
#                          probe row written on each to appear on the other.
#   db_set_writer NAME     read_only=OFF on NAME, ON on every other running
#                          node
#   db_kill_clients NAME [USER]
#                          KILL every connection of USER (default
#                          $DB_APP_USER) on NAME, commits waiting for a
#                          semi-sync ack included: between the scenarios of
#                          a test, so none leaves threads behind for the next
#   db_repl_status NAME    "Field: value" lines of SHOW SLAVE STATUS:
#                          Slave_IO_Running, Slave_SQL_Running,
#                          Seconds_Behind_Master, Last_SQL_Errno,
#                          Last_SQL_Error, Last_IO_Errno, Last_IO_Error
#   db_repl_field NAME FIELD   one field of SHOW SLAVE STATUS
#   db_repl_ok NAME        both threads Yes (status 0/1)
#   db_gtid NAME           gtid_current_pos=, gtid_slave_pos=,
#                          gtid_binlog_pos= lines
#   db_repl_reaches FROM TO [SECS]
#                          a row written on FROM (app.probe) appears on TO
#                          within SECS (default 60); else says so with TO's
#                          replication status and both GTID positions. Run
#                          it once the test's writers have ended: under load a
#                          replica may apply more slowly than commits arrive
#   db_wait_synced SECS NODE...  until every listed node has the same
#                          @@gtid_current_pos (nothing left to apply)
#   db_break_replication NAME
#                          NAME's SQL thread stops with a duplicate key: a row
#                          is inserted on NAME with sql_log_bin=0, then the
#                          same id on its peer; waits (10 s) for
#                          Last_SQL_Errno=1062
#   db_fix_replication NAME   undoes that: deletes the local row (not
#                          logged), START SLAVE, waits for both threads Yes
# Writer load (for failover tests)
#   db_writer_load CLIENT_NS HOST DURATION_S OUTFILE
#                          in the background (bg_start in CLIENT_NS; pid in
#                          DB_LOAD_PID, log OUTFILE.log): for DURATION_S
#                          seconds, $DB_LOAD_WORKERS (2) loops each running
#                          one mariadb client per INSERT INTO app.t (v =
#                          token BASE-wK-N, BASE = OUTFILE's basename up to
#                          the first dot; node = @@report_host) to HOST over
#                          TCP as $DB_TCP_USER, connect timeout 1 s, each
#                          bounded by $DB_LOAD_TIMEOUT s (5). A token goes to
#                          OUTFILE only when its client exited 0
#                          (acknowledged), otherwise to OUTFILE.fail (it may
#                          or may not have committed); client errors go to
#                          OUTFILE.err. One process per insert: 20-100
#                          inserts/s depending on the machine's load.
#                          `wait $DB_LOAD_PID` for the end.
#   db_missing_acked NAME OUTFILE
#                          prints the acknowledged tokens of OUTFILE missing
#                          from app.t on NAME; returns 1 if there is any
#
# Checks
#   check_here DESC CMD... like lib.sh's check, but CMD runs in the calling
#                          shell, not in check's $(...) subshell. db_start,
#                          db_stop, db_kill, db_dual_master,
#                          db_break_replication, db_fix_replication and
#                          db_writer_load keep state in shell variables (and
#                          db_start installs the cleanup trap): call them
#                          directly or through check_here, never inside
#                          check or $(...); they refuse to run in a subshell.
#
# Cleanup: the first db_start replaces lib.sh's traps with db_cleanup, which
# kills every mariadbd (paused ones too) with SIGKILL at once, then runs
# e2e_cleanup (namespaces, processes, $WORK with the datadirs). With
# XVIP_KEEP=1 it first prints how to reach the lab and waits for Enter on the
# terminal (XVIP_KEEP=N, N > 1: sleeps N seconds instead).

DB_PASS=${DB_PASS:-xvip}
DB_REPL_USER=${DB_REPL_USER:-repl}
DB_REPL_PASS=${DB_REPL_PASS:-repl}
DB_MON_USER=${DB_MON_USER:-xvip}
DB_MON_PASS=${DB_MON_PASS:-xvipmon}
DB_APP_USER=${DB_APP_USER:-app}
DB_APP_PASS=${DB_APP_PASS:-app}
DB_TCP_USER=${DB_TCP_USER:-$DB_APP_USER}
DB_TCP_PASS=${DB_TCP_PASS:-$DB_APP_PASS}
DB_TCP_TIMEOUT=${DB_TCP_TIMEOUT:-5}
DB_LOAD_TIMEOUT=${DB_LOAD_TIMEOUT:-5}
DB_LOAD_WORKERS=${DB_LOAD_WORKERS:-2}
DB_SEMISYNC_TIMEOUT=${DB_SEMISYNC_TIMEOUT:-4294967295}
DB_SLAVE_NET_TIMEOUT=${DB_SLAVE_NET_TIMEOUT:-5}
MARIADBD=${MARIADBD:-$(command -v mariadbd 2>/dev/null || echo /usr/sbin/mariadbd)}

declare -A DB_PID=() DB_IP=() DB_PEER=() DB_MODE=() DB_BREAK_ID=()
DB_TRAPPED=0
DB_LOAD_PID=

# db__main FUNC: FUNC keeps state in this shell's variables, so it must not
# run in a subshell (check runs its command in one: use check_here).
db__main() {
	[ "$BASHPID" = "$$" ] && return 0
	echo "$1 called in a subshell (inside check?): use check_here" >&2
	return 1
}

# check_here DESC CMD...: like check, but CMD runs in this shell (its
# variables survive; its output is not captured but shown as it comes).
check_here() {
	local desc=$1 rc
	shift
	"$@"
	rc=$?
	if [ $rc -eq 0 ]; then
		echo "ok - $desc"
		E2E_PASSED=$((E2E_PASSED + 1))
	else
		echo "FAIL - $desc"
		E2E_FAILED=$((E2E_FAILED + 1))
	fi
	return $rc
}

# db__dir: where the datadirs live ($WORK, or the lab's tmpfs)
db__dir() {
	if [ "${DB_TMPFS:-0}" = 1 ]; then
		if ! mountpoint -q "$WORK/dbfs"; then
			mkdir -p "$WORK/dbfs" && mount -t tmpfs -o size=2g,mode=0700 xvip-db "$WORK/dbfs" ||
				{ note "cannot mount a tmpfs on $WORK/dbfs"; return 1; }
		fi
		echo "$WORK/dbfs"
	else
		echo "$WORK"
	fi
}
db_sock() { echo "$(db__dir)/db-$1/mysqld.sock"; }

# db__alive PID: the process exists and is not a zombie.
db__alive() {
	local st
	[ -n "$1" ] || return 1
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

db_pid() {
	local pid=${DB_PID[$1]:-}
	db__alive "$pid" || return 1
	echo "$pid"
}

# db__forget NAME: drop NAME's pid from our table and from lib.sh's list.
db__forget() {
	local pid=${DB_PID[$1]:-}
	unset "DB_PID[$1]"
	[ -n "$pid" ] || return 0
	wait "$pid" 2>/dev/null
	bg_forget "$pid"
}

db_cleanup() {
	local n pid
	[ "$BASHPID" = "$$" ] || return 0
	trap - EXIT INT TERM
	if [ "${1:-}" = exit ] && [ -n "${XVIP_KEEP:-}" ] && [ "${XVIP_KEEP}" != 0 ]; then
		db__keep_banner
		keep_wait "$XVIP_KEEP" XVIP_KEEP
	fi
	for n in "${!DB_PID[@]}"; do
		pid=${DB_PID[$n]}
		kill -KILL "$pid" 2>/dev/null
	done
	for n in "${!DB_PID[@]}"; do
		wait "${DB_PID[$n]}" 2>/dev/null
	done
	DB_PID=()
	if mountpoint -q "$WORK/dbfs" 2>/dev/null; then
		umount "$WORK/dbfs" 2>/dev/null || umount -l "$WORK/dbfs"
	fi
	e2e_cleanup
}

db__keep_banner() {
	local n
	note "lab prefix $P, work dir $WORK"
	note "namespaces: $(ip netns list | awk '{print $1}' | grep "^$P" | tr '\n' ' ')"
	for n in "${!DB_PID[@]}"; do
		note "$n: ip netns exec $P$n bash  |  MYSQL_PWD=$DB_PASS mariadb --no-defaults -uroot -S $(db_sock "$n")"
	done
}

db__trap() {
	[ "$DB_TRAPPED" = 1 ] && return 0
	# In a subshell (e.g. inside check's $(...)) a trap would clean up the
	# whole lab when that subshell ends.
	[ "$BASHPID" = "$$" ] || return 0
	DB_TRAPPED=1
	trap 'db_cleanup exit' EXIT
	trap 'db_cleanup; exit 130' INT
	trap 'db_cleanup; exit 143' TERM
}

# db__template: a datadir made once per run by mariadb-install-db.
# Every server here, the bootstrap one included, has a tmpdir of its own:
# mariadbd deletes every #sql* file in its tmpdir when it starts, so with
# the shared /tmp a server starting (a restart in this test, or any other
# test or lab on the machine) removed the temporary tables of one already
# running ("Could not remove temporary table '/tmp/#sql-temptable-...'",
# then "ERROR: 1051 Unknown table 'mysql.tmp_user_sys'" and
# mariadb-install-db failed; seen 2 times in 12 with 4 run at once).
db__template() {
	local t
	t=$(db__dir)/db-template || return 1
	[ -d "$t/mysql" ] && return 0
	rm -rf "$t"
	mkdir -p "$t.tmp" || return 1
	if ! mariadb-install-db --no-defaults --user=root --datadir="$t" \
		--tmpdir="$t.tmp" \
		--auth-root-authentication-method=normal --skip-test-db \
		--innodb-buffer-pool-size=32M --innodb-log-file-size=8M \
		--performance-schema=OFF --skip-name-resolve \
		>"$WORK/db-template.log" 2>&1; then
		note "mariadb-install-db failed:"
		# its errors come first, then a long generic explanation
		{ grep -E "ERROR|Warning" "$WORK/db-template.log" | head -10
		  tail -5 "$WORK/db-template.log"; } | sed 's/^/#   /'
		return 1
	fi
}

db__cli() { # NAME PASSWORD ARGS...
	local name=$1 pw=$2
	shift 2
	MYSQL_PWD=$pw mariadb --no-defaults -S "$(db_sock "$name")" -uroot \
		--connect-timeout=2 -N -B "$@"
}

# db__slave_status NAME: SHOW SLAVE STATUS as "  Field: value" lines (-E;
# without -N, which would drop the field names).
db__slave_status() {
	MYSQL_PWD=$DB_PASS timeout 10 mariadb --no-defaults -S "$(db_sock "$1")" \
		-uroot --connect-timeout=2 -E -e "SHOW SLAVE STATUS"
}

db_sql() {
	local name=$1
	shift
	if [ $# -eq 0 ]; then
		db__cli "$name" "$DB_PASS"
	else
		db__cli "$name" "$DB_PASS" -e "$1"
	fi
}

db_sql_tcp() {
	local cns=$1 host=$2 sql=$3
	ns "$cns" env MYSQL_PWD="$DB_TCP_PASS" timeout -k 1 "$DB_TCP_TIMEOUT" \
		mariadb --no-defaults -h "$host" -P 3306 -u "$DB_TCP_USER" \
		--connect-timeout=1 -N -B -e "$sql"
}

db_var() { db_sql "$1" "SELECT @@GLOBAL.$2"; }
db_status() {
	db_sql "$1" "SHOW GLOBAL STATUS LIKE '$2'" | awk -F'\t' '{print $2}'
}

db_wait_ready() {
	local name=$1 secs=$2 end pid
	mono_cs
	end=$((MONO_CS + secs * 100))
	while :; do
		pid=${DB_PID[$name]:-}
		db__alive "$pid" || return 1
		timeout 2 mariadb-admin --no-defaults -S "$(db_sock "$name")" \
			--connect-timeout=1 ping >/dev/null 2>&1 && return 0
		mono_cs
		[ "$MONO_CS" -lt "$end" ] || return 1
		sleep 0.05
	done
}

db_start() {
	local name=$1 sid=$2 off=$3 d fresh=0 log semi=()
	shift 3
	d=$(db__dir)/db-$name || return 1
	log=$WORK/db-$name.log
	if db__alive "${DB_PID[$name]:-}"; then
		note "db_start $name: already running"
		return 1
	fi
	db__main db_start || return 1
	db__trap
	if [ ! -d "$d/mysql" ]; then
		db__template || return 1
		cp -a "$(db__dir)/db-template" "$d" || return 1
		fresh=1
	fi
	[ ! -f "$log" ] || cat "$log" >>"$log.old"
	mkdir -p "$d.tmp" || return 1
	if [ "${DB_MODE[$name]:-}" = semisync ]; then
		# init-rpl-role=SLAVE: a killed writer, restarted, rolls back
		# the prepared transactions of its binlog's tail that its
		# replica never acknowledged and truncates them (MariaDB's
		# semi-sync crash recovery, MDEV-21117/MDEV-33465), instead of
		# committing them as errant transactions (docs/configuration.md)
		semi=(--rpl-semi-sync-master-enabled=ON --rpl-semi-sync-slave-enabled=ON
			--rpl-semi-sync-master-wait-point=AFTER_SYNC
			--rpl-semi-sync-master-timeout="$DB_SEMISYNC_TIMEOUT" --init-rpl-role=SLAVE)
	fi
	bg_start "$name" "$log" "$MARIADBD" --no-defaults --user=root \
		--datadir="$d" --tmpdir="$d.tmp" --socket="$d/mysqld.sock" --pid-file="$d/mysqld.pid" \
		--port=3306 --bind-address=0.0.0.0 --skip-name-resolve \
		--innodb-buffer-pool-size=32M --innodb-log-file-size=8M \
		--performance-schema=OFF --innodb-flush-log-at-trx-commit=2 \
		--sync-binlog=0 \
		--server-id="$sid" --gtid-domain-id="$sid" --report-host="$name" \
		--log-bin=mysql-bin --relay-log=relay-bin --binlog-format=ROW \
		--log-slave-updates --auto-increment-increment=2 \
		--auto-increment-offset="$off" --read-only=ON \
		--slave-net-timeout="$DB_SLAVE_NET_TIMEOUT" \
		"${semi[@]}" "$@"
	DB_PID[$name]=$BG_PID
	# No "Killed" job notice from bash after db_kill; db__alive uses /proc.
	disown "$BG_PID" 2>/dev/null
	if ! db_wait_ready "$name" 30; then
		note "mariadbd $name did not come up; last lines of $log:"
		tail -15 "$log" | sed 's/^/#   /'
		return 1
	fi
	[ "$fresh" = 1 ] || return 0
	# Fresh datadir: root has no password yet. Nothing here is binlogged,
	# so the peers never replay it.
	if ! db__cli "$name" "" <<-EOF
		SET SESSION sql_log_bin=0;
		DELETE FROM mysql.global_priv WHERE User='' OR (User='root' AND Host<>'localhost');
		FLUSH PRIVILEGES;
		ALTER USER root@localhost IDENTIFIED BY '$DB_PASS';
		CREATE USER root@'%' IDENTIFIED BY '$DB_PASS';
		GRANT ALL ON *.* TO root@'%' WITH GRANT OPTION;
		CREATE USER '$DB_REPL_USER'@'%' IDENTIFIED BY '$DB_REPL_PASS';
		GRANT REPLICATION SLAVE ON *.* TO '$DB_REPL_USER'@'%';
		CREATE USER '$DB_MON_USER'@'%' IDENTIFIED BY '$DB_MON_PASS';
		GRANT PROCESS, SUPER, BINLOG MONITOR, SLAVE MONITOR, REPLICATION SLAVE ADMIN,
		      READ_ONLY ADMIN, CONNECTION ADMIN ON *.* TO '$DB_MON_USER'@'%';
		CREATE USER '$DB_APP_USER'@'%' IDENTIFIED BY '$DB_APP_PASS';
		GRANT ALL ON app.* TO '$DB_APP_USER'@'%';
		CREATE DATABASE app;
		CREATE TABLE app.t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(64), node VARCHAR(16));
		CREATE TABLE app.probe (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(64), node VARCHAR(16));
		RESET MASTER;
	EOF
	then
		note "db_start $name: creating accounts and schema failed"
		return 1
	fi
}

db_stop() {
	local name=$1 pid i
	db__main db_stop || return 1
	pid=$(db_pid "$name") || { db__forget "$name"; return 0; }
	kill -CONT "$pid" 2>/dev/null
	MYSQL_PWD=$DB_PASS timeout 30 mariadb-admin --no-defaults -uroot \
		-S "$(db_sock "$name")" shutdown >/dev/null 2>&1 || kill -TERM "$pid"
	for ((i = 0; i < 1500; i++)); do
		db__alive "$pid" || break
		sleep 0.02
	done
	kill -KILL "$pid" 2>/dev/null
	db__forget "$name"
}

db_kill() {
	local name=$1 pid i
	db__main db_kill || return 1
	pid=$(db_pid "$name") || { db__forget "$name"; return 0; }
	kill -KILL "$pid"
	DB_KILLED_US=${EPOCHREALTIME/./} # when the signal went (no fork in between)
	for ((i = 0; i < 500; i++)); do
		db__alive "$pid" || break
		sleep 0.01
	done
	db__forget "$name"
	! db__alive "$pid"
}

db_pause() {
	local pid
	pid=$(db_pid "$1") || return 1
	kill -STOP "$pid"
}

db_resume() {
	local pid
	pid=$(db_pid "$1") || return 1
	kill -CONT "$pid"
}

db_repl_field() {
	db__slave_status "$1" |
		awk -v f="$2" '{ k=$1; sub(/:$/, "", k) } k == f { sub(/^[ \t]*[^:]*: ?/, ""); print; exit }'
}

db_repl_reaches() {
	local from=$1 to=$2 secs=${3:-60} tok
	tok=settle-$from-$(date +%s%N)
	MYSQL_PWD=$DB_PASS timeout 10 mariadb --no-defaults -S "$(db_sock "$from")" -uroot -N -B \
		-e "INSERT INTO app.probe (v, node) VALUES ('$tok', @@report_host)" 2>&1 || return 1
	wait_until "$secs" db__row_on "$to" probe "$tok" 2>/dev/null && return 0
	echo "$tok did not reach $to within $secs s; its replication:"
	db_repl_status "$to" | sed 's/^/  /'
	echo "  $to's gtid_slave_pos $(db_var "$to" gtid_slave_pos 2>&1); $from's gtid_binlog_pos $(db_var "$from" gtid_binlog_pos 2>&1)"
	return 1
}

db_repl_status() {
	db__slave_status "$1" |
		awk '{ k=$1; sub(/:$/, "", k) }
		k ~ /^(Slave_IO_Running|Slave_SQL_Running|Seconds_Behind_Master|Last_SQL_Errno|Last_SQL_Error|Last_IO_Errno|Last_IO_Error)$/ {
			v=$0; sub(/^[ \t]*[^:]*: ?/, "", v); print k ": " v }'
}

db_repl_ok() {
	local s
	s=$(db_repl_status "$1") || return 1
	grep -qx 'Slave_IO_Running: Yes' <<<"$s" && grep -qx 'Slave_SQL_Running: Yes' <<<"$s"
}

db_gtid() {
	db_sql "$1" "SELECT CONCAT('gtid_current_pos=', @@gtid_current_pos), CONCAT('gtid_slave_pos=', @@gtid_slave_pos), CONCAT('gtid_binlog_pos=', @@gtid_binlog_pos)" | tr '\t' '\n'
}

db__same_gtid() {
	local n first="" g
	for n in "$@"; do
		g=$(db_var "$n" gtid_current_pos) || return 1
		if [ -z "$first" ]; then first="x$g"; elif [ "x$g" != "$first" ]; then return 1; fi
	done
}

db_wait_synced() {
	local secs=$1
	shift
	wait_until "$secs" db__same_gtid "$@"
}

db__row_on() { [ "$(db_sql "$1" "SELECT COUNT(*) FROM app.$2 WHERE v='$3'")" = 1 ]; }

db_dual_master() {
	local a=$1 ipa=$2 b=$3 ipb=$4 mode=${5:-semisync} n ip tok
	db__main db_dual_master || return 1
	case $mode in semisync | async) ;; *) note "db_dual_master: mode $mode?"; return 1 ;; esac
	DB_IP[$a]=$ipa DB_IP[$b]=$ipb DB_PEER[$a]=$b DB_PEER[$b]=$a
	DB_MODE[$a]=$mode DB_MODE[$b]=$mode
	for n in "$a" "$b"; do
		if [ "$mode" = semisync ]; then
			db_sql "$n" "SET GLOBAL rpl_semi_sync_master_wait_point=AFTER_SYNC;
				SET GLOBAL rpl_semi_sync_master_timeout=$DB_SEMISYNC_TIMEOUT;
				SET GLOBAL rpl_semi_sync_master_enabled=ON;
				SET GLOBAL rpl_semi_sync_slave_enabled=ON" || return 1
		else
			db_sql "$n" "SET GLOBAL rpl_semi_sync_master_enabled=OFF;
				SET GLOBAL rpl_semi_sync_slave_enabled=OFF" || return 1
		fi
	done
	for n in "$a" "$b"; do
		ip=${DB_IP[${DB_PEER[$n]}]}
		# STOP first: a running IO thread would keep its old semi-sync mode.
		db_sql "$n" "STOP SLAVE;
			CHANGE MASTER TO MASTER_HOST='$ip', MASTER_PORT=3306,
				MASTER_USER='$DB_REPL_USER', MASTER_PASSWORD='$DB_REPL_PASS',
				MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1;
			START SLAVE" || return 1
	done
	for n in "$a" "$b"; do
		if ! wait_until 20 db_repl_ok "$n"; then
			note "db_dual_master: replication on $n not running:"
			db_repl_status "$n" | sed 's/^/#   /'
			return 1
		fi
	done
	if [ "$mode" = semisync ]; then
		for n in "$a" "$b"; do
			if ! wait_until 20 db__status_is "$n" Rpl_semi_sync_master_clients 1; then
				note "db_dual_master: no semi-sync replica connected to $n"
				return 1
			fi
		done
	fi
	for n in "$a" "$b"; do
		tok=probe-$n-$(date +%s%N)
		db_sql "$n" "INSERT INTO app.probe (v, node) VALUES ('$tok', @@report_host)" || return 1
		if ! wait_until 20 db__row_on "${DB_PEER[$n]}" probe "$tok"; then
			note "db_dual_master: a row written on $n did not reach ${DB_PEER[$n]}"
			db_repl_status "${DB_PEER[$n]}" | sed 's/^/#   /'
			return 1
		fi
	done
}

db__status_is() { [ "$(db_status "$1" "$2")" = "$3" ]; }

db_set_writer() {
	local w=$1 n
	db_sql "$w" "SET GLOBAL read_only=OFF" || return 1
	for n in "${!DB_PID[@]}"; do
		[ "$n" != "$w" ] || continue
		db_pid "$n" >/dev/null || continue
		db_sql "$n" "SET GLOBAL read_only=ON" || return 1
	done
}

db_kill_clients() {
	local name=$1 user=${2:-$DB_APP_USER}
	db_sql "$name" "SELECT CONCAT('KILL ', id, ';') FROM information_schema.processlist
		WHERE user='$user'" | db__cli "$name" "$DB_PASS" -f >/dev/null 2>&1
	return 0
}

db_break_replication() {
	local name=$1 peer=${DB_PEER[$1]:-} id
	db__main db_break_replication || return 1
	[ -n "$peer" ] || { note "db_break_replication $name: no peer (db_dual_master)"; return 1; }
	id=$(db_sql "$name" "SELECT GREATEST(COALESCE(MAX(id), 0), 1000000) + 1000 + FLOOR(RAND() * 1000) FROM app.t") || return 1
	DB_BREAK_ID[$name]=$id
	db_sql "$name" "SET SESSION sql_log_bin=0;
		INSERT INTO app.t (id, v, node) VALUES ($id, 'conflict-local', @@report_host)" || return 1
	db_sql "$peer" "INSERT INTO app.t (id, v, node) VALUES ($id, 'conflict-peer', @@report_host)" || return 1
	wait_until 10 db__errno_is "$name" 1062
}

db__errno_is() { [ "$(db_repl_field "$1" Last_SQL_Errno)" = "$2" ]; }

db_fix_replication() {
	local name=$1 id=${DB_BREAK_ID[$1]:-}
	db__main db_fix_replication || return 1
	[ -n "$id" ] || return 1
	db_sql "$name" "SET SESSION sql_log_bin=0; DELETE FROM app.t WHERE id=$id; START SLAVE" || return 1
	unset "DB_BREAK_ID[$name]"
	wait_until 10 db_repl_ok "$name"
}

db_writer_load() {
	local cns=$1 host=$2 dur=$3 out=$4 tag
	db__main db_writer_load || return 1
	tag=$(basename "$out")
	tag=${tag%%.*}
	: >"$out"
	: >"$out.fail"
	: >"$out.err"
	# shellcheck disable=SC2016 # expanded by the inner bash
	bg_start "$cns" "$out.log" env MYSQL_PWD="$DB_TCP_PASS" bash -c '
		host=$1 dur=$2 out=$3 user=$4 tmo=$5 tag=$6 workers=$7
		end=${EPOCHREALTIME/./}
		end=$((end + dur * 1000000))
		worker() {
			local n=0 ok=0 bad=0 tok
			while [ "${EPOCHREALTIME/./}" -lt "$end" ]; do
				n=$((n + 1))
				tok=$tag-$1-$n
				if timeout -k 1 "$tmo" mariadb --no-defaults -h "$host" \
					-P 3306 -u "$user" --connect-timeout=1 -N -B -e \
					"INSERT INTO app.t (v, node) VALUES (\"$tok\", @@report_host)" \
					2>>"$out.err"; then
					echo "$tok" >>"$out"
					ok=$((ok + 1))
				else
					echo "$tok" >>"$out.fail"
					bad=$((bad + 1))
					sleep 0.02
				fi
			done
			echo "writer $1: $n attempts, $ok acknowledged, $bad not"
		}
		for ((w = 1; w <= workers; w++)); do
			worker "w$w" &
		done
		wait
		echo "writer load $tag to $host done"
	' _ "$host" "$dur" "$out" "$DB_TCP_USER" "$DB_LOAD_TIMEOUT" "$tag" \
		"$DB_LOAD_WORKERS"
	# shellcheck disable=SC2034 # for the test
	DB_LOAD_PID=$BG_PID
}

db_missing_acked() {
	local name=$1 out=$2 missing
	missing=$(comm -23 <(sort -u "$out") <(db_sql "$name" "SELECT v FROM app.t" | sort -u)) || return 1
	[ -z "$missing" ] && return 0
	echo "$missing"
	return 1
}

# xvipd for a MariaDB pair (one config, used by the tests and the demo)
#   xvipd_mysql_conf FILE NODE PRIORITY VIP VRID ADDR1 ADDR2
#                          writes an xvipd config for NODE: VRRPv3 instance
#                          VI_1 on eth0 (state BACKUP, nopreempt), the VIP, and
#                          a virtual_server VIP:3306 with lb_algo fo,
#                          manage_read_only, real servers ADDR1 (weight 3) and
#                          ADDR2 (weight 2), each with a MYSQL_CHECK as the
#                          monitoring user (100 ms timeouts and interval, rise
#                          2, fall 3). Env: XC_ADVERT_INT (0.1),
#                          XC_PROMOTE_TIMEOUT (2), XC_NOTIFY_WRITER (a script:
#                          called as "SCRIPT NODE" + xvipd's arguments; none),
#                          XC_VS_EXTRA (lines added to the virtual_server
#                          block after promote_timeout, e.g.
#                          "standby_loss_timeout 2"; none), XC_GLOBAL_EXTRA
#                          (lines added to global_defs; none),
#                          XC_RT_PRIORITY (vrrp_rt_priority; 50 as
#                          tools/xvipd.conf ships, 0 for none).
xvipd_mysql_conf() {
	local file=$1 node=$2 prio=$3 vip=$4 vrid=$5 a1=$6 a2=$7 notify="" rs
	[ -n "${XC_NOTIFY_WRITER:-}" ] && notify="notify_writer \"$XC_NOTIFY_WRITER $node\""
	{
		cat <<EOC
global_defs {
    router_id $node
    vrrp_version 3
EOC
		# as /etc/xvip/xvipd.conf ships: on two busy cores an xvipd at
		# normal priority was held 60-1040 ms at times (preempted: its
		# adverts stopped, the peer took over); at SCHED_RR none
		[ "${XC_RT_PRIORITY-50}" = 0 ] || echo "    vrrp_rt_priority ${XC_RT_PRIORITY-50}"
		[ -z "${XC_GLOBAL_EXTRA:-}" ] || printf '%s\n' "$XC_GLOBAL_EXTRA" | sed 's/^[[:space:]]*/    /'
		cat <<EOC
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id $vrid
    priority $prio
    advert_int ${XC_ADVERT_INT:-0.1}
    nopreempt
    virtual_ipaddress {
        $vip
    }
}
virtual_server $vip 3306 {
    lb_algo fo
    lb_kind DR
    protocol TCP
    manage_read_only on
    promote_timeout ${XC_PROMOTE_TIMEOUT:-2}
EOC
		[ -z "${XC_VS_EXTRA:-}" ] || printf '%s\n' "$XC_VS_EXTRA" | sed 's/^[[:space:]]*/    /'
		echo "    $notify"
		for rs in "$a1 3" "$a2 2"; do
			set -- $rs
			cat <<EOC
    real_server $1 3306 {
        weight $2
        MYSQL_CHECK {
            user $DB_MON_USER
            password $DB_MON_PASS
            connect_timeout 100ms
            read_timeout 100ms
            interval 100ms
            rise 2
            fall 3
EOC
			[ -z "${XC_CHECK_EXTRA:-}" ] || printf '%s\n' "$XC_CHECK_EXTRA" | sed 's/^[[:space:]]*/            /'
			cat <<EOC
        }
    }
EOC
		done
		echo "}"
	} >"$file"
}
