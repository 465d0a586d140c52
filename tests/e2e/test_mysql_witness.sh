#!/usr/bin/env bash
# One writer, and writes that go on, with a witness (ZooKeeper), on real
# mariadbd: the pair of test_mysql_partition.sh (xvipd on both nodes from
# xvipd_mysql_conf: VRRPv3 100 ms adverts, fo service, MYSQL_CHECK 100 ms x
# fall 3, manage_read_only; semi-sync AFTER_SYNC, no fallback timeout,
# wait_no_slave ON) plus `witness_zookeeper` on both xvipds (session timeout
# 0.5 s), the ZooKeeper server on a host of its own (zk) that both nodes and
# the client reach. The service's key ROOT/VIP:3306, an ephemeral znode
# "writer=ADDR:3306 state=sync|async", is held by the session of the xvipd
# that manages the writer; `xvipctl status --json` shows it ("witness").
# `xvip-probe fence` writes as the app user to BOTH nodes directly across
# each scenario (a round every 2 ms, 50 ms deadline) and checks that no
# round had both nodes acknowledge (both_acked 0):
# a. start: both xvipds connected to the witness; db1 the writer, its
#    xvipd holds the key naming db1, state=sync;
# b. db1 and db2 cannot reach each other for 5 s (both still reach the
#    client and the witness), writes through the VIP as well: either db1
#    (holding the key) set state=async and goes on acknowledging (its
#    longest gap well under the partition, no "writes wait" alarm), or db2
#    took the key and acknowledges; after the heal one writer, nothing
#    acknowledged lost;
# c. the standby's host dies (db2's xvipd and mariadbd frozen, its link
#    down): db1's writes resume within detection + a witness round trip,
#    the key says state=async; db2 back: semi-sync on again, state=sync;
# d. the writer's host dies (db1 frozen, link down): db2 takes the key and
#    opens; db1 back: fenced, nothing acknowledged lost.
# Between scenarios the pair is put back as in test_mysql_partition.sh.
# XVIP_TEST_NO_WITNESS=1 runs the same checks with no witness configured
# (the control: the witness checks, b's availability and c's resumption
# must fail there).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mysql_lib.sh"
e2e_init myw "$1"
ZKJAR=/usr/share/java/zookeeper.jar
if ! command -v java >/dev/null 2>&1 || [ ! -f "$ZKJAR" ]; then
	echo "# skipped: needs java and $ZKJAR (package zookeeper, tools/deps.sh)"
	echo "0 passed, 0 failed"
	exit 0
fi
need mariadbd mariadb nft || summary
T0=$(date +%s)

lab_bridge
lab_host client 10.86.0.10/24
lab_host db1 10.86.0.1/24
lab_host db2 10.86.0.2/24
lab_host zk 10.86.0.9/24
VIP=10.86.0.100
N1=10.86.0.1
N2=10.86.0.2
ZK=10.86.0.9
declare -A IP=([db1]=$N1 [db2]=$N2)
DB_OPTS=(--max-connect-errors=4294967295 --max-connections=3000)
APP=("$DB_APP_USER" "$DB_APP_PASS")
WITNESS=1
[ "${XVIP_TEST_NO_WITNESS:-0}" = 0 ] || WITNESS=0

# the witness: a standalone ZooKeeper in its own namespace
mkdir -p "$WORK/zk"
cat >"$WORK/zoo.cfg" <<EOF
tickTime=100
initLimit=10
syncLimit=5
dataDir=$WORK/zk
clientPort=2181
clientPortAddress=$ZK
minSessionTimeout=200
maxSessionTimeout=10000
admin.enableServer=false
4lw.commands.whitelist=ruok
EOF
bg_start zk "$WORK/zk.log" java -Dzookeeper.root.logger=INFO,CONSOLE \
	-cp /etc/zookeeper/conf:$ZKJAR org.apache.zookeeper.server.quorum.QuorumPeerMain "$WORK/zoo.cfg"
ZKPID=$BG_PID
# the ZooKeeper server answers "imok" to "ruok", asked from namespace NODE
zk_ok() {
	[ "$(ns "$1" timeout 2 bash -c "exec 3<>/dev/tcp/$ZK/2181 && printf ruok >&3 && cat <&3" 2>/dev/null)" = imok ]
}
check "the ZooKeeper server answers ruok (from the client)" wait_until 30 zk_ok client ||
	{ tail -20 "$WORK/zk.log" | sed 's/^/#   /'; summary; }

check_here "mariadbd starts on db1" db_start db1 1 1 "${DB_OPTS[@]}"
check_here "mariadbd starts on db2" db_start db2 2 2 "${DB_OPTS[@]}"
check_here "dual-master semi-sync replication" db_dual_master db1 $N1 db2 $N2 semisync || summary

conf() {
	xvipd_mysql_conf "$WORK/$1.conf" "$1" "$2" $VIP 65 $N1 $N2 || return 1
	[ "$WITNESS" = 1 ] || return 0
	sed -i "/^    vrrp_version 3\$/a\\
    witness_zookeeper \"$ZK:2181\"\\
    witness_session_timeout 0.5" "$WORK/$1.conf"
}
conf db1 100 && conf db2 90
[ "$WITNESS" = 1 ] && check "the witness is in db1's config" grep -q "witness_zookeeper \"$ZK:2181\"" "$WORK/db1.conf"
[ "$WITNESS" = 1 ] || note "CONTROL RUN: no witness configured (XVIP_TEST_NO_WITNESS)"
LOG1=$WORK/xvipd-db1.log
LOG2=$WORK/xvipd-db2.log
declare -A LOG=([db1]=$LOG1 [db2]=$LOG2) XV=()
xv_start() {
	bg_start "$1" "${LOG[$1]}" "$BUILD/xvipd" -n -l -f "$WORK/$1.conf" --pin-root "$(pin_of "$1")"
	XV[$1]=$BG_PID
}
is_master() { xctl "$1" status --json 2>/dev/null | grep -q '"state":"MASTER"'; }
xv_start db1
check "db1 becomes VRRP master" wait_until 8 is_master db1
xv_start db2

# --- what the xvipds say -------------------------------------------------
writer_on() { xctl "$1" status --json 2>/dev/null | json_get writer; }
# FIELD of the service's "witness" object in NODE's status JSON
wit() { xctl "$1" status --json 2>/dev/null | grep -o '"witness":{[^}]*}' | json_get "$2"; }
# NODE's xvipd sees the key: exists, held by it (MINE true/false), data DATA
key_is() {
	local j
	j=$(xctl "$1" status --json 2>/dev/null | grep -o '"witness":{[^}]*}') || return 1
	[ "$(json_get exists <<<"$j")" = true ] && [ "$(json_get mine <<<"$j")" = "$2" ] &&
		[ "$(json_get data <<<"$j")" = "$3" ]
}
key_db2() { [ "$(wit db2 mine)" = true ] && [[ "$(wit db2 data)" == "writer=$N2:3306 "* ]]; }
# key_wait SECS NODE MINE DATA: until key_is, else what NODE's xvipd says
key_wait() { wait_until "$1" key_is "$2" "$3" "$4" || { echo "$2: $(key_says "$2")"; return 1; }; }
key_says() {
	local j
	j=$(xctl "$1" status --json 2>/dev/null | grep -o '"witness":{[^}]*}')
	echo "$(json_get data <<<"$j") (mine $(json_get mine <<<"$j"), version $(json_get version <<<"$j"))"
}
wwait() { xctl "$1" status --json 2>/dev/null | json_get writes_wait; }
KS1="writer=$N1:3306 state=sync"
KA1="writer=$N1:3306 state=async"
ro() { db_var "$1" read_only 2>/dev/null; }
ro_is() { [ "$(ro "$1")" = "$2" ]; }
other() { [ "$1" = db1 ] && echo db2 || echo db1; }
stable() {
	local t
	t=$(xctl db1 status 2>/dev/null) || return 1
	grep -q "writer $N1:3306, semi-synchronous" <<<"$t" &&
		grep -q "real_server $N2:3306 weight 2: UP" <<<"$t" && ro_is db1 0 && ro_is db2 1
}
held() {
	[ "$(db_status "$1" Rpl_semi_sync_master_status 2>/dev/null)" = ON ] &&
		[ "$(db_repl_field "$(other "$1")" Slave_IO_Running 2>/dev/null)" = No ]
}
named_writer() {
	local m n
	if is_master db1; then m=db1; elif is_master db2; then m=db2; else return 1; fi
	! is_master "$(other $m)" || return 1
	for n in db1 db2; do
		[ "$(writer_on $m)" = "${IP[$n]}:3306" ] && echo $n && return 0
	done
	return 1
}
one_writer() {
	local w o
	w=$(named_writer) || return 1
	o=$(other "$w")
	[ "$(ro "$w")" = 0 ] || return 1
	[ "$(ro "$o")" = 1 ] || held "$o"
}
semi_on() { [ "$(db_status "$1" Rpl_semi_sync_master_status 2>/dev/null)" = ON ]; }
lines() { wc -l <"$1"; }
since() { tail -n +$(($2 + 1)) "$1"; }
now_us() { echo "${EPOCHREALTIME/./}"; }

part_on() {
	ns br nft -f - <<-EOF
		table bridge xvpart {
			chain cut {
				type filter hook forward priority 0; policy accept;
				iifname "db1p" oifname "db2p" drop
				iifname "db2p" oifname "db1p" drop
			}
		}
	EOF
}
part_off() { ns br nft delete table bridge xvpart; }

# --- the fence sampler (as in test_mysql_partition.sh) -------------------
fval() { awk -v w="$2" -v k="$3" '$1 == w { for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }' "$1"; }
rel_ms() { echo $(($2 / 1000 - $(fval "$1" start_wall_ms start_wall_ms))); }
acks_between() { awk -v a="$2" -v b="$3" '$1 > a && $1 < b' "$1" | wc -l; }
first_ack_after() { awk -v a="$2" '$1 > a { print int($1); exit }' <(sort -g "$1"); }
# the longest gap between consecutive acknowledgements (stdin: ms values)
gap_of() { sort -g "$@" | awk 'NR > 1 && $1 - p > g { g = $1 - p; at = p } { p = $1 } END { printf "%.0f at %.0f\n", g, at }'; }
count_ge() { [ "$(lines "$1" 2>/dev/null || echo 0)" -ge "$2" ]; }
all_acked() {
	local t=$1
	{
		cat "$WORK/$t.f.1" "$WORK/$t.f.2"
		awk '{ print $2 }' "$WORK/$t.f.1.late" "$WORK/$t.f.2.late"
		[ ! -f "$WORK/$t.w" ] || cat "$WORK/$t.w"
	} >"$WORK/$t.acked"
}
fence_start() {
	local t=$1 dur=$(($2 * 1000))
	N1L=$(lines "$LOG1") N2L=$(lines "$LOG2") F0=$E2E_FAILED
	bg_start client "$WORK/$t.fence.txt" "$BUILD/xvip-probe" fence $N1 $N2 "${APP[@]}" $dur "$WORK/$t.f" 2 50 32
	FPID=$BG_PID
	WPID=
	if [ -n "${3:-}" ]; then
		bg_start client "$WORK/$t.writes.txt" "$BUILD/xvip-probe" writes $VIP 3306 "${APP[@]}" $dur "$WORK/$t.w" 10 200
		WPID=$BG_PID
		check "$t: writes through the VIP are acknowledged" wait_until 10 count_ge "$WORK/$t.w" 20
	fi
	check "$t: the sampler's writes to db1 are acknowledged" wait_until 10 count_ge "$WORK/$t.f.1" 50
}
fence_end() {
	local t=$1 pid
	for pid in $FPID $WPID; do
		check "$t: the writers end" wait_gone "$pid" 40
		wait "$pid" 2>/dev/null
		bg_forget "$pid"
	done
	note "$t: fence: $(tr '\n' ' ' <"$WORK/$t.fence.txt")"
	[ -z "$WPID" ] || note "$t: VIP writes: $(tr '\n' ' ' <"$WORK/$t.writes.txt")"
	all_acked "$t"
}
check_one_acker() {
	local t=$1 both
	both=$(fval "$WORK/$t.fence.txt" both_acked both_acked)
	check_eq "$t: no round in which both nodes acknowledged (both_acked; longest run $(fval "$WORK/$t.fence.txt" both_acked longest_run), first at $(fval "$WORK/$t.fence.txt" both_acked first_ms) ms)" 0 "${both:-missing}"
}
# what both xvipds said about the witness and the writer since the scenario
# began (always), and everything after a failure
wlog() {
	local n k
	for n in db1 db2; do
		[ $n = db1 ] && k=$N1L || k=$N2L
		note "$1: xvipd on $n (witness, writes, promotions):"
		since "${LOG[$n]}" "$k" | grep -v debug | grep -iE "witness|writes wait|async|promot|refus" |
			cut -c1-300 | head -12 | sed 's/^/#   /'
	done
}
diag() {
	local n k
	[ "$E2E_FAILED" -gt "$F0" ] || return 0
	for n in db1 db2; do
		[ $n = db1 ] && k=$N1L || k=$N2L
		note "$1: xvipd on $n since the scenario began:"
		since "${LOG[$n]}" "$k" | grep -v debug | cut -c1-400 | head -40 | sed 's/^/#   /'
		db_repl_status $n 2>&1 | sed 's/^/#   /'
	done
	note "$1: the ZooKeeper server's last warnings:"
	grep -E "WARN|ERROR" "$WORK/zk.log" | tail -8 | cut -c1-300 | sed 's/^/#   /'
}

# the pair put back as an operator would (test_mysql_partition.sh), and
# db1 the VRRP master: if db2's xvipd kept the VIP, it is restarted (its
# priority-0 advert hands the VIP to db1)
pair_reset() {
	local n m
	for n in db1 db2; do db_kill_clients "$n"; done
	ns client ip neigh flush $VIP
	for n in db1 db2; do
		db_repl_ok "$n" || db_sql "$n" "START SLAVE" >/dev/null 2>&1
	done
	if ! wait_until 20 db_repl_ok db1 || ! wait_until 20 db_repl_ok db2; then
		for n in db1 db2; do db_repl_status "$n" | sed "s/^/$n: /"; done
		return 1
	fi
	db_wait_synced 60 db1 db2 || { db_gtid db1; db_gtid db2; return 1; }
	if ! stable; then
		if is_master db1; then m=db1; else m=db2; fi
		xctl "$m" promote $N1 || true
	fi
	wait_until 20 stable || { xctl db1 status; return 1; }
	if ! is_master db1; then
		note "db2's xvipd holds the VIP: restarted"
		bg_stop "${XV[db2]}"
		cat "$LOG2" >>"$LOG2.old"
		xv_start db2
	fi
	wait_until 10 is_master db1 && wait_until 20 stable
}
reset_or_stop() {
	F0=$E2E_FAILED
	check_here "the pair put back (db1 the writer and VRRP master)" pair_reset && return 0
	diag "reset"
	note "the pair could not be put back: the remaining scenarios are skipped"
	summary
}
# before each scenario: db1's xvipd holds the key naming db1, synchronous
key_ready() {
	check "$1: db1's xvipd holds the key: $KS1" key_wait 10 db1 true "$KS1"
}

# --- a. start ------------------------------------------------------------
note "a. start: both xvipds on the witness, db1's key"
F0=$E2E_FAILED
N1L=0 N2L=0
connected() { [ "$(wit "$1" connected)" = true ]; }
for n in db1 db2; do
	check "a: $n's xvipd is connected to the witness" wait_until 15 connected "$n"
done
check "a: db1 the writer, db2 UP, semi-sync" wait_until 20 stable
check "a: the key exists, held by db1's xvipd, names db1, state=sync" key_wait 10 db1 true "$KS1"
check "a: db2's xvipd sees the same key, not its own" key_wait 10 db2 false "$KS1"
note "RESULT a: db1: $(key_says db1); db2: $(key_says db2)"
diag a

# --- b. the pair split, both reach the client and the witness ------------
note "b. db1 and db2 cannot reach each other for 5 s"
t=b
SECS=5
check "$t: db1 the writer, db2 UP, semi-sync" wait_until 20 stable
key_ready $t
fence_start $t $((SECS + 9)) vip
sleep 1
check "$t: the partition is set" part_on
PON=$(now_us)
check "$t: the client reaches db1's mysqld" ns client "$BUILD/xvip-probe" connect $N1 3306 1000
check "$t: the client reaches db2's mysqld" ns client "$BUILD/xvip-probe" connect $N2 3306 1000
check "$t: db1 does not reach db2's mysqld" sh -c "! ip netns exec ${P}db1 '$BUILD/xvip-probe' connect $N2 3306 1000"
check "$t: db1 reaches the witness" zk_ok db1
check "$t: db2 reaches the witness" zk_ok db2
# who holds the key once the split is decided: db1's xvipd with state=async
# (db1 goes on), or db2's naming db2 (db2 promoted)
WHO=
decided() {
	if key_is db1 true "$KA1"; then WHO=db1; elif key_db2; then WHO=db2; else return 1; fi
}
wait_until 3.5 decided
check "$t: the split is decided by the key: db1's xvipd holds it async, or db2's names db2 (db1: $(key_says db1); db2: $(key_says db2))" test -n "$WHO"
KEY_DURING="db1: $(key_says db1); db2: $(key_says db2)"
WW_DURING=$(wwait db1)
left=$(((SECS * 1000000 - ($(now_us) - PON)) / 1000))
[ "$left" -le 0 ] || sleep "$((left / 1000)).$(printf %03d $((left % 1000)))"
check "$t: the partition heals" part_off
POFF=$(now_us)
check "$t: one writer after the heal (named by the VRRP master, open; the other read-only or held)" wait_until 30 one_writer
note "$t: heal -> one writer: $((($(now_us) - POFF) / 1000)) ms or less"
w=$(named_writer) || w=db1
if [ "$WHO" = db1 ]; then
	check "$t: db1's semi-sync is back on with db2" wait_until 30 semi_on db1
	check "$t: the key is state=sync again, held by db1's xvipd" key_wait 20 db1 true "$KS1"
fi
fence_end $t
# after the writers end: under load a replica's SQL thread may apply more
# slowly than 500 commits a second arrive
[ "$WHO" != db1 ] || check "$t: replication from db1 to db2 settled" db_repl_reaches db1 db2
check_one_acker $t
pon=$(rel_ms "$WORK/$t.fence.txt" "$PON")
poff=$(rel_ms "$WORK/$t.fence.txt" "$POFF")
a1=$(acks_between "$WORK/$t.f.1.at" "$pon" "$poff")
a2=$(acks_between "$WORK/$t.f.2.at" "$pon" "$poff")
# db1's longest gap from the split to the heal (the heal counts as the end
# of a gap still open then)
g1=$({ awk -v a="$pon" -v b="$poff" '$1 > a - 200 && $1 < b' "$WORK/$t.f.1.at"; echo "$poff"; } | gap_of /dev/stdin)
g2=$({ awk -v a="$pon" -v b="$poff" '$1 > a - 200 && $1 < b' "$WORK/$t.f.2.at"; echo "$poff"; } | gap_of /dev/stdin)
ALARM=$(since "$LOG1" "$N1L" | grep -c "writes wait")
case $WHO in
db1)
	check "$t: db1 (holding the key) acknowledged writes during the partition ($a1; db2: $a2)" test "$a1" -gt 0
	check "$t: db1's longest gap during the partition (${g1% at*} ms at ${g1#* at } ms, split at $pon) is under 2000 ms" \
		test "${g1% at*}" -lt 2000
	# the partition is over: db1's log since it began
	check "$t: db1's xvipd raised no \"writes wait\" alarm (lines: $ALARM; writes_wait during the split: $WW_DURING)" \
		test "$ALARM" = 0 -a "$WW_DURING" = false
	;;
db2)
	check "$t: db2 (holding the key) acknowledged writes during the partition ($a2; db1: $a1)" test "$a2" -gt 0
	note "$t: db1's log has $ALARM \"writes wait\" lines (db2 took the key: db1 must wait)"
	;;
*)
	check "$t: a node acknowledged writes during the partition (db1 $a1, db2 $a2) under the witness's key" false
	;;
esac
since "$LOG1" "$N1L" | grep "writes wait" | head -2 | cut -c1-300 | sed 's/^/#   /'
check "$t: every acknowledged write ($(lines "$WORK/$t.acked")) is on the writer $w" db_missing_acked "$w" "$WORK/$t.acked"
check "$t: still one writer: $w open, $(other "$w") read-only or held ($(ro db1) $(ro db2))" one_writer
l2=$(sed -n 's/.*longest_gap_ms \([0-9.]*\).*/\1/p' "$WORK/$t.writes.txt")
note "RESULT $t: decided by ${WHO:-nobody} (key during the split: $KEY_DURING); acks during the split db1 $a1, db2 $a2; longest gap in the split: db1 ${g1% at*} ms, db2 ${g2% at*} ms; VIP writes' longest gap ${l2:-?} ms; writer after: $w"
wlog $t
diag $t
reset_or_stop

# --- e. the split, then ZooKeeper stalls --------------------------------
# The key's holder loses its session while its writer is asynchronous, the
# key vanishes when the session expires: the other side must not start a
# fresh key and go asynchronous too (seen once: both nodes acknowledging).
note "e. db1 and db2 cannot reach each other; ZooKeeper stalls 1.5 s meanwhile"
t=e
check "$t: db1 the writer, db2 UP, semi-sync" wait_until 20 stable
key_ready $t
fence_start $t 12 vip
sleep 1
check "$t: the partition is set" part_on
WHO=
wait_until 3.5 decided
note "$t: decided by ${WHO:-nobody} before the stall"
kill -STOP "$ZKPID"
sleep 1.5
kill -CONT "$ZKPID"
sleep 2
check "$t: the partition heals" part_off
check "$t: one writer after the heal (named by the VRRP master, open; the other read-only or held)" wait_until 30 one_writer
w=$(named_writer) || w=db1
fence_end $t
check_one_acker $t
check "$t: every acknowledged write ($(lines "$WORK/$t.acked")) is on the writer $w" db_missing_acked "$w" "$WORK/$t.acked"
wlog $t
diag $t
reset_or_stop

# --- c. the standby's host dies ------------------------------------------
note "c. the standby's host dies (db2 frozen, link down), then comes back"
t=c
PIDS2=
host2_die() {
	PIDS2="${XV[db2]} $(db_pid db2)"
	# shellcheck disable=SC2086
	kill -STOP $PIDS2
	ip -n "${P}db2" link set eth0 down
	DIED=$(now_us)
}
host2_back() {
	ip -n "${P}db2" link set eth0 up
	# shellcheck disable=SC2086
	kill -CONT $PIDS2
	BACK=$(now_us)
}
check "$t: db1 the writer, db2 UP, semi-sync" wait_until 20 stable
key_ready $t
fence_start $t 12
sleep 1
host2_die
n=$(lines "$WORK/$t.f.1")
check "$t: db1's writes resume without db2" wait_until 5 count_ge "$WORK/$t.f.1" $((n + 50))
check "$t: the key says state=async, held by db1's xvipd" key_wait 5 db1 true "$KA1"
KEY_DURING=$(key_says db1)
# db2 gone a while (its witness session expires meanwhile)
sleep 1.5
host2_back
check "$t: db1's semi-sync is back on with db2" wait_until 30 semi_on db1
check "$t: the key is state=sync again, held by db1's xvipd" key_wait 20 db1 true "$KS1"
check "$t: one writer" wait_until 30 one_writer
fence_end $t
d=$(rel_ms "$WORK/$t.fence.txt" "$DIED")
b=$(rel_ms "$WORK/$t.fence.txt" "$BACK")
# a commit db2 received before it froze may still be acknowledged a moment
# after (100 ms); the next one is the resumption
r=$(first_ack_after "$WORK/$t.f.1.at" $((d + 100)))
check "$t: db1's writes resumed within 2000 ms of db2's death (first ack ${r:-none} ms, death $d ms: $((${r:-999999} - d)) ms, before db2's return at $b ms)" \
	test -n "$r" -a $((${r:-999999} - d)) -le 2000 -a "${r:-999999}" -lt "$b"
g=$(awk -v a="$d" -v b="$b" '$1 > a - 500 && $1 < b' "$WORK/$t.f.1.at" | gap_of /dev/stdin)
check_one_acker $t
check "$t: every acknowledged write ($(lines "$WORK/$t.acked")) is on db1" db_missing_acked db1 "$WORK/$t.acked"
check "$t: and on db2 once it caught up" db_wait_synced 60 db1 db2
note "RESULT $t: db1's writes resumed $((${r:-0} - d)) ms after db2's host died (longest gap ${g:-?} ms); key then: $KEY_DURING; after: $(key_says db1)"
wlog $t
diag $t
reset_or_stop

# --- d. the writer's host dies -------------------------------------------
note "d. the writer's host dies (db1 frozen, link down)"
t=d
PIDS1=
check "$t: db1 the writer, db2 UP, semi-sync" wait_until 20 stable
key_ready $t
fence_start $t 12
sleep 1
PIDS1="${XV[db1]} $(db_pid db1)"
# shellcheck disable=SC2086
kill -STOP $PIDS1
ip -n "${P}db1" link set eth0 down
DIED=$(now_us)
check "$t: db2 is opened (read_only OFF)" wait_until 10 ro_is db2 0
OPEN=$(now_us)
key_wait_db2() { wait_until 5 key_db2 || { key_says db2; return 1; }; }
check "$t: db2's xvipd holds the key naming db2" key_wait_db2
KEY_DURING=$(key_says db2)
n=$(lines "$WORK/$t.f.2")
check "$t: db2 acknowledges writes" wait_until 5 count_ge "$WORK/$t.f.2" $((n + 50))
sleep 0.5
ip -n "${P}db1" link set eth0 up
# shellcheck disable=SC2086
kill -CONT $PIDS1
BACK=$(now_us)
db2_only() { one_writer && [ "$(named_writer)" = db2 ]; }
check "$t: one writer, db2, once db1 is back (db1 read-only or held)" wait_until 30 db2_only
fence_end $t
d=$(rel_ms "$WORK/$t.fence.txt" "$DIED")
r=$(first_ack_after "$WORK/$t.f.2.at" "$d")
check_one_acker $t
check "$t: every acknowledged write ($(lines "$WORK/$t.acked"), db1's late: $(lines "$WORK/$t.f.1.late")) is on db2" \
	db_missing_acked db2 "$WORK/$t.acked"
note "RESULT $t: db2 open $(((OPEN - DIED) / 1000)) ms after db1's host died (the poll's bound), its first ack $((${r:-0} - d)) ms after; key: $KEY_DURING"
wlog $t
diag $t
wlog $t
diag $t

if [ "$E2E_FAILED" -gt 0 ]; then
	for n in db1 db2; do
		note "xvipd on $n:"
		grep -v debug "${LOG[$n]}" | tail -30 | cut -c1-300 | sed 's/^/#   /'
	done
fi
note "runtime $(($(date +%s) - T0)) s"
summary
