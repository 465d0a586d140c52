#!/usr/bin/env bash
# tools/demo.sh [BUILD]: the failover lab, for a human (`make demo` runs it).
#
# Builds a throw-away lab in network namespaces (a client and two MariaDB
# nodes in dual-master, semi-synchronous replication), runs xvipd on both
# nodes with one writable MySQL behind a VIP, kills the writer's mariadbd
# under write load and shows what a MySQL operator cares about: how long
# clients could not connect, how fast the writer moved, that no acknowledged
# row was lost, that the dead node comes back read-only with no fail-back,
# and that `xvipctl promote` hands the writer back safely.
#
# Needs root (namespaces, XDP, bpffs) and the packages of tools/deps.sh.
# Nothing touches the default namespace: every address, program and process
# lives in namespaces this script creates and removes on exit or Ctrl-C
# (tests/e2e/lib.sh and mysql_lib.sh do the work; see docs/lab.md).
#
#   DEMO_KEEP=1    pause before cleanup (press Enter) to look around the lab;
#                  DEMO_KEEP=N (N > 1) keeps it N seconds instead.
#   DEMO_ADVERT_INT=0.05   VRRP advert interval (default 0.01 s); a longer one
#                  on a machine too loaded to deliver adverts every 10 ms.
#
# Exit status: 0 if everything went as expected, 1 otherwise.

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ARG_BUILD=${1:-${XVIP_BUILD:-build}}
T0=$(date +%s%N)

if [ -t 1 ]; then
	BOLD=$'\e[1m' DIM=$'\e[2m' RED=$'\e[31m' GREEN=$'\e[32m' OFF=$'\e[0m'
else
	BOLD='' DIM='' RED='' GREEN='' OFF=''
fi

# ---- presentation --------------------------------------------------------
SECTION=0
FAILS=()
section() {
	SECTION=$((SECTION + 1))
	printf '\n%s%d. %s%s\n' "$BOLD" "$SECTION" "$*" "$OFF"
}
say() { printf '   %s\n' "$*"; }          # explanation
indent() { sed 's/^/      /'; }           # output of a command
cmd() { printf '   %s$ %s%s\n' "$DIM" "$*" "$OFF"; }
good() { printf '   %s[ok]%s   %s\n' "$GREEN" "$OFF" "$*"; }
bad() {
	printf '   %s[FAIL]%s %s\n' "$RED" "$OFF" "$*"
	FAILS+=("$*")
}
# expect DESC CMD...: run CMD (in a subshell, output captured), [ok] or [FAIL]
expect() {
	local desc=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		good "$desc"
	else
		bad "$desc"
		[ -z "$out" ] || printf '%s\n' "$out" | tail -8 | indent
	fi
	return $rc
}
# expect_eq DESC EXPECTED ACTUAL
expect_eq() {
	if [ "$2" = "$3" ]; then
		good "$1"
		return 0
	fi
	bad "$1 (expected '$2', got '${3}')"
	return 1
}
ms() { echo $((($(date +%s%N) - T0) / 1000000)); }

# ---- preconditions (before any lab exists) -------------------------------
if [ "$(id -u)" != 0 ]; then
	echo "demo: needs root (network namespaces, XDP, bpffs): sudo make demo" >&2
	exit 1
fi
missing=""
for c in ip mariadbd mariadb mariadb-admin mariadb-install-db ethtool; do
	command -v "$c" >/dev/null 2>&1 || [ -x "/usr/sbin/$c" ] || missing="$missing $c"
done
if [ -n "$missing" ]; then
	echo "demo: missing commands:$missing (install them with tools/deps.sh)" >&2
	exit 1
fi
for f in xvipd xvipctl xvip-probe xdp_pass.bpf.o xvip.bpf.o; do
	if [ ! -e "$ARG_BUILD/$f" ]; then
		echo "demo: $ARG_BUILD/$f not found: build first (make all, or make demo)" >&2
		exit 1
	fi
done

# shellcheck source=../tests/e2e/lib.sh
. "$ROOT/tests/e2e/lib.sh"
# shellcheck source=../tests/e2e/mysql_lib.sh
. "$ROOT/tests/e2e/mysql_lib.sh"
unset XVIP_KEEP # DEMO_KEEP is this script's own pause

NET=10.86.0
VIP=$NET.100
N1=$NET.1
N2=$NET.2
VRID=86
ADV=${DEMO_ADVERT_INT:-0.01}
# a backup takes over after 3 adverts + skew without hearing the master (ms)
DOWN_MS=$(awk -v a="$ADV" 'BEGIN { printf "%.0f", (3 * a + (256 - 90) / 256 * a) * 1000 }')
ADV_MS=$(awk -v a="$ADV" 'BEGIN { printf "%.0f", a * 1000 }')

# ---- keep / finish / die -------------------------------------------------
keep_pause() {
	local k=${DEMO_KEEP:-0}
	[ "$k" != 0 ] && [ -n "$k" ] || return 0
	printf '\n%sThe lab is still up%s (prefix %s, files in %s). Try:\n' "$BOLD" "$OFF" "$P" "$WORK"
	cat <<-EOF
	   ip netns exec ${P}db1 bash                                  # a shell on db1 (db2, client alike)
	   ip netns exec ${P}db1 $BUILD/xvipctl --pin-root $WORK/bpf/db1 status
	   ip netns exec ${P}db2 $BUILD/xvipctl --pin-root $WORK/bpf/db2 status --json
	   ip netns exec ${P}db1 $BUILD/xvipctl --pin-root $WORK/bpf/db1 promote $N2
	   MYSQL_PWD=$DB_PASS mariadb --no-defaults -uroot -S $(db_sock db1)   # db1 as root
	   ip netns exec ${P}client env MYSQL_PWD=$DB_APP_PASS mariadb --no-defaults -h $VIP -u $DB_APP_USER app
	   less $WORK/xvipd-db1.log $WORK/xvipd-db2.log $WORK/db-db1.log
	EOF
	keep_wait "$k" DEMO_KEEP
}

finish() {
	keep_pause
	printf '\nCleaning up the lab (namespaces %s*, %s) ...\n' "$P" "$WORK"
	db_cleanup
	if [ "$1" = 0 ]; then
		printf '%sDemo finished: everything went as expected%s (%d s).\n' "$GREEN" "$OFF" $(($(ms) / 1000))
	fi
	exit "$1"
}

show_logs() {
	local n
	for n in db1 db2; do
		[ -s "$WORK/xvipd-$n.log" ] || continue
		say "last lines of xvipd's log on $n:"
		grep -v debug "$WORK/xvipd-$n.log" | tail -12 | indent
	done
}

die() {
	printf '\n%sDEMO FAILED: %s%s\n' "$RED" "$*" "$OFF"
	show_logs
	finish 1
}

# ---- status helpers -------------------------------------------------------
owner() { xctl db1 "$@"; }
status_json() { owner status --json 2>/dev/null; }
writer() { status_json | json_get writer; }
writer_is() { [ "$(writer)" = "$1:3306" ]; }
vrrp_state() { xctl "$1" status --json 2>/dev/null | json_get state; }
ro() { db_var "$1" read_only 2>/dev/null; }
ro_is() { [ "$(ro "$1")" = "$2" ]; }
# the daemon's part of `xvipctl status`, without the raw map dump
status_daemon() { owner status | sed '/^pin root:/,$d'; }
# the service part only
status_service() { owner status | sed -n '/^virtual_server/,/^pin root:/p' | sed '$d' | grep -v '^  preflight '; }
# the DR entry in the data plane's map
status_dr() { owner status | sed -n '/^Services:/,/^Data plane/p' | sed '1d;$d'; }
client_arp() { ip -n "${P}client" neigh show "$VIP" | awk '{for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1)}'; }
# writer_event EVENT ADDR FIELD: FIELD (wall_ms or took_us) of the newest such event
writer_event() {
	status_json | grep -o "{\"wall_ms\":[0-9]*,\"event\":\"$1\",\"addr\":\"$2\",\"took_us\":[0-9]*" |
		head -1 | sed "s/.*\"$3\":\([0-9]*\).*/\1/;s/[^0-9]//g"
}
# times db2 went MASTER (each one: the VIP moved to db2 for a moment)
db2_flaps() { grep -c 'BACKUP -> MASTER' "$WORK/xvipd-db2.log"; }
rows_by_node() { db_sql "$1" "SELECT node, COUNT(*) FROM app.t GROUP BY node ORDER BY node" | awk -F'\t' '{printf "%s%s: %s", s, $1, $2; s = ", "}'; }
vip_write() { db_sql_tcp client "$VIP" "INSERT INTO app.t (v, node) VALUES ('$1', @@report_host); SELECT node FROM app.t WHERE v='$1'"; }

# ==========================================================================
cat <<EOF
${BOLD}xvip demo: millisecond failover of a MariaDB dual-master pair${OFF}
   Two MariaDB nodes replicate to each other; xvipd on each runs VRRP for a
   virtual IP and keeps exactly ONE node writable (read_only=OFF) behind it.
   We kill -9 the writer's mariadbd under load and watch what clients see.
EOF

# ==========================================================================
section "Build the lab: client, db1, db2 on one bridge (network namespaces)"
e2e_init demo "$ARG_BUILD" >/dev/null || exit 1
say "lab prefix $P: namespaces ${P}client, ${P}db1, ${P}db2, ${P}br; files in $WORK"
say "(nothing is configured outside these namespaces; all is removed at exit or Ctrl-C)"
lab_bridge || die "creating the bridge namespace"
lab_host client $NET.10/24 || die "creating the client namespace"
lab_host db1 $N1/24 || die "creating db1"
lab_host db2 $N2/24 || die "creating db2"
say "client $NET.10    db1 $N1    db2 $N2    VIP $VIP (port 3306)"

say "starting mariadbd on db1 (server_id 1, auto_increment_offset 1) and db2 (2, offset 2) ..."
db_start db1 1 1 || die "mariadbd did not start on db1 (log: $WORK/db-db1.log)"
db_start db2 2 2 || die "mariadbd did not start on db2 (log: $WORK/db-db2.log)"
# mysql_lib.sh's traps (set by db_start), with a word for the user
trap 'printf "\ndemo: interrupted, cleaning up the lab\n"; db_cleanup; exit 130' INT
trap 'printf "\ndemo: terminated, cleaning up the lab\n"; db_cleanup; exit 143' TERM
say "dual-master replication (GTID), semi-synchronous, wait point AFTER_SYNC ..."
db_dual_master db1 $N1 db2 $N2 semisync || die "dual-master replication did not come up"
for n in db1 db2; do
	printf '      %s: %s, server_id %s, auto_increment %s/%s, semi-sync master %s (%s), read_only %s, replica IO/SQL %s/%s\n' \
		"$n" "$(db_var $n version | cut -d- -f1-2)" "$(db_var $n server_id)" \
		"$(db_var $n auto_increment_offset)" "$(db_var $n auto_increment_increment)" \
		"$(db_var $n rpl_semi_sync_master_enabled | sed 's/1/ON/;s/0/OFF/')" \
		"$(db_var $n rpl_semi_sync_master_wait_point)" "$(ro $n | sed 's/1/ON/;s/0/OFF/')" \
		"$(db_repl_field $n Slave_IO_Running)" "$(db_repl_field $n Slave_SQL_Running)"
done
good "MariaDB pair up: each node a replica of the other, both read-only for now"

# ==========================================================================
section "Start xvipd on both nodes"
printf '#!/bin/sh\necho "$*" >> %s/notify_writer.log\n' "$WORK" >"$WORK/notify_writer.sh"
chmod +x "$WORK/notify_writer.sh"
# the pair's config, as the tests write it (tests/e2e/mysql_lib.sh)
for n in db1:100 db2:90; do
	XC_ADVERT_INT=$ADV XC_NOTIFY_WRITER="$WORK/notify_writer.sh" \
		xvipd_mysql_conf "$WORK/${n%:*}.conf" "${n%:*}" "${n#*:}" "$VIP" "$VRID" "$N1" "$N2"
done
say "The same keepalived.conf on both nodes but for priority (db1 100, db2 90)."
say "$WORK/db1.conf (the second MYSQL_CHECK is the same as the first):"
awk '/real_server/ { rs++ } rs == 2 && /MYSQL_CHECK/ { print "        MYSQL_CHECK { ...same... }"; skip = 1; next }
	skip && /^        }/ { skip = 0; next } !skip' "$WORK/db1.conf" | sed '/^global_defs/,/^}/d' | indent
say "VRRPv3 adverts every $ADV_MS ms; nopreempt: a recovered node never takes the VIP back."
say "lb_algo fo + manage_read_only: the VIP owner picks one healthy writer, sets"
say "read_only=OFF there and ON everywhere else; MYSQL_CHECK every 100 ms, down"
say "after 3 failures, up after 2 successes."
# With 10 ms adverts a backup declares the master dead after ~36 ms of
# silence; on a busy machine an ordinary process can wait that long for a
# CPU: the config asks for real-time scheduling, as keepalived's does.
say "xvipd runs with real-time scheduling (vrrp_rt_priority 50, as /etc/xvip/xvipd.conf"
say "ships): with $ADV_MS ms adverts the backup takes over after ~$DOWN_MS ms of silence,"
say "and a busy machine can keep an ordinary process off the CPU that long."
bg_start db1 "$WORK/xvipd-db1.log" "$BUILD/xvipd" -n -l -f "$WORK/db1.conf" --pin-root "$(pin_of db1)"
wait_until 15 sh -c "[ \"\$(ip netns exec ${P}db1 '$BUILD/xvipctl' --pin-root '$(pin_of db1)' status --json 2>/dev/null | grep -o '\"state\":\"MASTER\"')\" ]" ||
	die "xvipd on db1 did not become VRRP master"
bg_start db2 "$WORK/xvipd-db2.log" "$BUILD/xvipd" -n -l -f "$WORK/db2.conf" --pin-root "$(pin_of db2)"
wait_until 15 writer_is $N1 || die "xvipd did not open db1 as the writer"
wait_until 10 sh -c "[ \"\$(ip netns exec ${P}db2 '$BUILD/xvipctl' --pin-root '$(pin_of db2)' status --json 2>/dev/null | grep -o '\"state\":\"BACKUP\"')\" ]" ||
	die "xvipd on db2 did not settle as VRRP backup"
# both checkers must see both nodes up before the show starts
wait_until 10 sh -c "ip netns exec ${P}db1 '$BUILD/xvipctl' --pin-root '$(pin_of db1)' status | grep -q 'real_server $N2:3306 weight 2: UP'" ||
	die "xvipd on db1 does not see db2 healthy"
good "db1 is VRRP master (owns the VIP), db2 backup; xvipd made db1 the writer"
echo
say "xvipctl status on db1, the VIP owner:"
cmd "ip netns exec ${P}db1 xvipctl --pin-root $(pin_of db1) status"
status_daemon | indent
echo
say "xvipctl check-mysql: preflight of the pair (server ids, auto-increment, replication, semi-sync):"
cmd "xvipctl check-mysql"
owner check-mysql 2>&1 | indent
echo
out=$(vip_write first)
expect_eq "a write through the VIP lands on db1" db1 "$out"
out=$(db_sql_tcp client $N2 "INSERT INTO app.t (v, node) VALUES ('direct', @@report_host)" 2>&1)
if grep -q 1290 <<<"$out"; then
	good "a write sent straight to db2 is refused: $(grep -o 'ERROR 1290.*' <<<"$out" | cut -c1-60)..."
else
	bad "a write sent straight to db2 should be refused by read_only (got: ${out:-success})"
fi

# ==========================================================================
section "kill -9 the writer's mariadbd under write load"
say "The client writes through the VIP: 2 connections, one INSERT each per mysql"
say "client call, for 6 s; each acknowledged row is recorded. At the same time"
say "xvip-probe opens a TCP connection to $VIP:3306 every 1 ms (5 ms timeout) for"
say "4 s: the longest gap between two successful connections is the outage a"
say "client sees. After 2 s: kill -9 of mariadbd on db1."
arp_before=$(client_arp)
dr_before=$(status_dr)
db_writer_load client "$VIP" 6 "$WORK/load" || die "the writer load did not start"
bg_start client "$WORK/outage.txt" "$BUILD/xvip-probe" outage "$VIP" 3306 4000
PROBE=$BG_PID
sleep 2
db_kill db1 || die "kill -9 of db1's mariadbd"
t_kill=$((DB_KILLED_US / 1000))
say "$(date +%T.%3N): kill -9 mariadbd on db1"
wait_until 5 writer_is $N2 || bad "the writer did not move to db2 within 5 s"
wait "$PROBE"
wait "$DB_LOAD_PID"
bg_forget "$PROBE" "$DB_LOAD_PID"
echo
say "xvipctl status on db1 (still the VIP owner) after the kill:"
status_service | indent
echo
lost_ms=$(writer_event lost $N1 wall_ms)
prom_ms=$(writer_event promoted $N2 wall_ms)
took_us=$(writer_event promoted $N2 took_us)
if [ -n "$lost_ms" ] && [ -n "$prom_ms" ]; then
	say "timeline: kill -9 at 0 ms, xvipd saw db1's mariadbd gone at +$((lost_ms - t_kill)) ms,"
	say "db2 writable (fenced db1, waited for db2 to apply its relay log, read_only=OFF)"
	say "at +$((prom_ms - t_kill)) ms: the switch itself took $took_us us."
fi
expect "the writer moved to db2" writer_is $N2
expect "db2 read_only=OFF" wait_until 10 ro_is db2 0
expect_eq "db1 is still the VRRP master (the VIP did not move)" MASTER "$(vrrp_state db1)"
expect_eq "db2 is still VRRP backup" BACKUP "$(vrrp_state db2)"
arp_after=$(client_arp)
expect_eq "the client's ARP entry for the VIP is unchanged (db1's MAC $arp_before)" "$arp_before" "$arp_after"
flaps3=$(db2_flaps)
expect_eq "db2 never took the VIP, not even for a moment" 0 "$flaps3"
say "only the DR entry in the data plane changed: the XDP program on db1 now"
say "forwards VIP:3306 to db2's MAC (fo: only the writer's backend is up):"
printf '      before:\n'
printf '%s\n' "$dr_before" | indent
printf '      after:\n'
status_dr | indent
echo
outage=$(sed -n 's/.*longest_gap_ms \([0-9.]*\).*/\1/p' "$WORK/outage.txt")
attempts=$(awk '{print $2}' "$WORK/outage.txt")
okc=$(awk '{print $4}' "$WORK/outage.txt")
if [ -n "$outage" ]; then
	say "client-visible outage: ${BOLD}$outage ms${OFF} (longest gap; $okc of $attempts connection attempts succeeded)"
else
	bad "xvip-probe gave no result: $(cat "$WORK/outage.txt")"
fi
acked=$(wc -l <"$WORK/load")
notacked=$(wc -l <"$WORK/load.fail")
say "writer load: $acked INSERTs acknowledged, $notacked failed (errors during the switch; an app retries them)"
if [ "$notacked" -gt 0 ]; then
	grep -o 'ERROR [0-9]* ([A-Z0-9]*)[^,]*' "$WORK/load.err" | sort | uniq -c | sort -rn | head -3 | indent
fi
if missing=$(db_missing_acked db2 "$WORK/load"); then
	good "every acknowledged row ($acked) is on the survivor db2 (semi-sync AFTER_SYNC: 0 lost)"
	lost_rows=0
else
	lost_rows=$(printf '%s\n' "$missing" | wc -l)
	bad "$lost_rows acknowledged rows are missing on db2: $(printf '%s\n' "$missing" | head -3 | tr '\n' ' ')"
fi
expect "the load had acknowledged writes ($acked)" test "$acked" -gt 5
after=$(db_sql db2 "SELECT COUNT(*) FROM app.t WHERE v LIKE 'load-%' AND node='db2'")
expect "the load's writes went on, on db2 ($after rows written there after the switch)" test "${after:-0}" -gt 0
say "rows in app.t on db2 by the node that executed the INSERT: $(rows_by_node db2)"
dups=$(db_sql db2 "SELECT COUNT(*) - COUNT(DISTINCT v) FROM app.t")
expect_eq "no duplicate rows" 0 "$dups"
# notify_writer runs in the background: its lines are awaited
expect "notify_writer ran for the loss and the promotion" wait_until 10 sh -c "grep -q 'lost $N1' '$WORK/notify_writer.log' && grep -q 'promoted $N2' '$WORK/notify_writer.log'"

# ==========================================================================
section "db1 comes back: read-only, and the writer stays on db2"
say "Restarting mariadbd on db1 (InnoDB crash recovery; replication resumes by itself)."
say "It starts read_only=ON and xvipd keeps it so: fail-back to a node that just"
say "crashed is what a MySQL pair must not do automatically."
db_start db1 1 1 || die "mariadbd did not restart on db1"
wait_until 10 sh -c "ip netns exec ${P}db1 '$BUILD/xvipctl' --pin-root '$(pin_of db1)' status | grep -q 'real_server $N1:3306 (this host) weight 3: UP'" ||
	bad "xvipd does not see db1 UP again within 10 s"
expect_eq "db1 is back read_only=ON" 1 "$(ro db1)"
wait_until 10 sh -c "ip netns exec ${P}db1 '$BUILD/xvipctl' --pin-root '$(pin_of db1)' status | grep -q 'writer $N2:3306, semi-synchronous'" ||
	bad "semi-sync did not come back on the writer db2"
# negative: a fail-back would follow db1 being UP (awaited above); sampled
# 1 s (10 probes) after that
sleep 1
expect "the writer stays db2 (no automatic fail-back)" writer_is $N2
if db_wait_synced 20 db1 db2; then
	good "db1 caught up: same GTID position on both ($(db_var db1 gtid_current_pos))"
else
	bad "db1 did not catch up with db2 within 20 s"
fi
c1=$(db_sql db1 "SELECT COUNT(*) FROM app.t") c2=$(db_sql db2 "SELECT COUNT(*) FROM app.t")
expect_eq "same row count on db1 and db2 ($c2)" "$c2" "$c1"
status_service | indent
echo
say "The operator hands the writer back when ready:"
cmd "xvipctl promote $N1"
t_p=$(date +%s%N)
owner promote $N1 2>&1 | indent
prc=${PIPESTATUS[0]}
promote_ms=$((($(date +%s%N) - t_p) / 1000000))
if [ "$prc" = 0 ]; then
	good "promote returned in $promote_ms ms"
else
	bad "xvipctl promote $N1 failed (status $prc)"
fi
# promote returned once the promotion was over (fence, then open): sampled
expect "the writer is db1" writer_is $N1
expect_eq "db1 read_only=OFF" 0 "$(ro db1)"
expect_eq "db2 read_only=ON (fenced before db1 was opened)" 1 "$(ro db2)"
out=$(vip_write back)
expect_eq "a write through the VIP lands on db1 again" db1 "$out"
echo
status_service | indent

flaps=$(db2_flaps)
if [ "$flaps" != "$flaps3" ]; then
	bad "db2 took the VIP for a moment, $((flaps - flaps3)) time(s) since the switch"
fi

# ==========================================================================
section "Summary"
fmt() { printf '   %-52s %s\n' "$1" "$2"; }
fmt "client-visible outage (longest gap, 1 ms probes)" "${outage:-?} ms"
[ -z "$lost_ms" ] || fmt "kill -9 -> xvipd saw the writer gone" "$((lost_ms - t_kill)) ms"
fmt "writer switch (loss -> db2 writable)" "${took_us:-?} us"
[ -z "$prom_ms" ] || fmt "kill -9 -> db2 writable" "$((prom_ms - t_kill)) ms"
if [ "$flaps" = 0 ]; then
	fmt "VIP (VRRP master)" "db1 all along; the client's ARP entry never changed"
else
	fmt "VIP (VRRP master)" "db1, but db2 took it $flaps time(s) for a moment"
fi
fmt "acknowledged rows" "$acked, lost: ${lost_rows:-?}"
fmt "writes refused during the switch (app retries)" "$notacked"
fmt "db1 after restart" "read-only standby, no fail-back"
fmt "xvipctl promote $N1 (hand-back)" "$promote_ms ms"
fmt "run time" "$(($(ms) / 1000)) s"
if [ ${#FAILS[@]} -gt 0 ]; then
	printf '\n%sDEMO FAILED: %d expectation(s) not met:%s\n' "$RED" ${#FAILS[@]} "$OFF"
	printf '   - %s\n' "${FAILS[@]}"
	if [ "$flaps" != 0 ]; then
		say "db2 heard no advert from db1 for ~$DOWN_MS ms, $flaps time(s) (load average"
		say "$(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs): this machine is too busy for"
		say "$ADV_MS ms adverts; try DEMO_ADVERT_INT=0.05 (the writer switch does not depend on it)."
	fi
	show_logs
	finish 1
fi
finish 0
