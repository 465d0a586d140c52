# shellcheck shell=bash
# The MariaDB pair under test of test_mysql_partition.sh and test_chaos.sh,
# sourced after lib.sh, mysql_lib.sh and e2e_init: a bridge, a client and
# db1/db2 with real mariadbd (dual-master, semi-sync AFTER_SYNC, timeout a
# day or more, wait_no_slave), xvipd on both (xvipd_mysql_conf: db1 priority
# 100, db2 90), db1 the VRRP master. Then the helpers both tests judge by:
#   stable                 db1 the writer (semi-sync), db2 UP and read-only
#   one_writer             one VRRP master; the writer it names is open; the
#                          other node read-only or held (cannot acknowledge)
#   fence_start T SECS [vip] / fence_end T
#                          `xvip-probe fence` writing to both nodes directly
#                          (2 ms rounds) and, with vip, `xvip-probe writes`
#                          through the VIP; mark VAR notes an event on the
#                          sampler's clock
#   check_one_acker T      no round in which both nodes acknowledged
#   pair_reset / reset_or_stop
#                          the pair put back as an operator would, db1 the
#                          writer
#   part_on MODE / part_off
#                          a partition in the bridge (12, 21, both)
#   part_run T MODE SECS   a partition under the writers and its checks
need mariadbd mariadb nft || summary

lab_bridge
lab_host client 10.89.0.10/24
lab_host db1 10.89.0.1/24
lab_host db2 10.89.0.2/24
VIP=10.89.0.100
N1=10.89.0.1
N2=10.89.0.2
declare -A IP=([db1]=$N1 [db2]=$N2)
# a hundred connections a second through the VIP (one that times out in
# its handshake must never get the client blocked), and the threads of
# commits left waiting for an ack on a cut-off writer (up to 100 a second)
DB_OPTS=(--max-connect-errors=4294967295 --max-connections=3000)
APP=("$DB_APP_USER" "$DB_APP_PASS")

check_here "mariadbd starts on db1" db_start db1 1 1 "${DB_OPTS[@]}"
check_here "mariadbd starts on db2" db_start db2 2 2 "${DB_OPTS[@]}"
check_here "dual-master semi-sync replication" db_dual_master db1 $N1 db2 $N2 semisync || summary
# mysql_lib.sh's semi-sync timeout is beyond any partition (xvipd counts a
# writer as held by semi-sync only with a timeout of a day or more)
check "semi-sync timeout on db1 ($(db_var db1 rpl_semi_sync_master_timeout) ms) is a day or more" \
	test "$(db_var db1 rpl_semi_sync_master_timeout)" -ge 86400000
check_eq "semi-sync waits with no replica (wait_no_slave) on db1" 1 "$(db_var db1 rpl_semi_sync_master_wait_no_slave)"

conf() { xvipd_mysql_conf "$WORK/$1.conf" "$1" "$2" $VIP 64 $N1 $N2; }
confs() { conf db1 100 && conf db2 90; }
confs
LOG1=$WORK/xvipd-db1.log
LOG2=$WORK/xvipd-db2.log
declare -A LOG=([db1]=$LOG1 [db2]=$LOG2) XV=()
bg_start db1 "$LOG1" "$BUILD/xvipd" -n -l -f "$WORK/db1.conf" --pin-root "$(pin_of db1)"
XV[db1]=$BG_PID
is_master() { xctl "$1" status --json 2>/dev/null | grep -q '"state":"MASTER"'; }
check "db1 becomes VRRP master" wait_until 8 is_master db1
bg_start db2 "$LOG2" "$BUILD/xvipd" -n -l -f "$WORK/db2.conf" --pin-root "$(pin_of db2)"
XV[db2]=$BG_PID

writer_on() { xctl "$1" status --json 2>/dev/null | json_get writer; }
ro() { db_var "$1" read_only 2>/dev/null; }
ro_is() { [ "$(ro "$1")" = "$2" ]; }
other() { [ "$1" = db1 ] && echo db2 || echo db1; }
# db1 the writer (semi-sync), db2 UP and read-only, as db1's xvipd says
stable() {
	local t
	t=$(xctl db1 status 2>/dev/null) || return 1
	grep -q "writer $N1:3306, semi-synchronous" <<<"$t" &&
		grep -q "real_server $N2:3306 weight 2: UP" <<<"$t" && ro_is db1 0 && ro_is db2 1
}
# the node with read_only=OFF when it is the only one
open_node() {
	case "$(ro db1)$(ro db2)" in
	01) echo db1 ;;
	10) echo db2 ;;
	*) return 1 ;;
	esac
}
# NODE cannot acknowledge a write although read_only=OFF: after a heal, the
# old writer's commits that wait for an ack hold read_only=ON, and none can
# come: semi-sync on (no fallback) and the other node does not receive
# from it (its IO thread stopped)
held() {
	[ "$(db_status "$1" Rpl_semi_sync_master_status 2>/dev/null)" = ON ] &&
		[ "$(db_repl_field "$(other "$1")" Slave_IO_Running 2>/dev/null)" = No ]
}
held_why() {
	echo "its Rpl_semi_sync_master_status $(db_status "$1" Rpl_semi_sync_master_status 2>&1)," \
		"$(other "$1")'s Slave_IO_Running $(db_repl_field "$(other "$1")" Slave_IO_Running 2>&1)"
}
# db2's settle row ($SETTLE_TOK) is on db1, or db1 is held
settled_or_held() {
	db__row_on db1 probe "$SETTLE_TOK" 2>/dev/null && return 0
	held db1 && return 0
	echo "db1: $(held_why db1); its replication: $(db_repl_status db1 | tr '\n' ' ')"
	return 1
}
settle_wait() { wait_until 60 settled_or_held || settled_or_held; }
# the writer the VRRP master's xvipd names (db1/db2), or nothing
named_writer() {
	local m n
	if is_master db1; then m=db1; elif is_master db2; then m=db2; else return 1; fi
	! is_master "$(other $m)" || return 1
	for n in db1 db2; do
		[ "$(writer_on $m)" = "${IP[$n]}:3306" ] && echo $n && return 0
	done
	return 1
}
# one VRRP master; the writer it names is open; the other node is
# read-only or held (cannot acknowledge)
one_writer() {
	local w o
	w=$(named_writer) || return 1
	o=$(other "$w")
	[ "$(ro "$w")" = 0 ] || return 1
	[ "$(ro "$o")" = 1 ] || held "$o"
}
# a row written on the writer W reaches the other node
lines() { wc -l <"$1"; }
# db1's log since line N1L says its writes wait for a standby
waits() { since "$LOG1" "$N1L" | grep -q "writes wait"; }
since() { tail -n +$(($2 + 1)) "$1"; }
now_us() { echo "${EPOCHREALTIME/./}"; }

# The partition: frames the bridge forwards from one host's port to the
# other's are dropped (12: db1 -> db2, 21: db2 -> db1, both).
part_on() {
	local r12="" r21=""
	case $1 in 12 | both) r12='iifname "db1p" oifname "db2p" drop' ;; esac
	case $1 in 21 | both) r21='iifname "db2p" oifname "db1p" drop' ;; esac
	ns br nft -f - <<-EOF
		table bridge xvpart {
			chain cut {
				type filter hook forward priority 0; policy accept;
				$r12
				$r21
			}
		}
	EOF
}
part_off() { ns br nft delete table bridge xvpart; }

# fence output: the value after KEY on the line starting with WHAT
fval() { awk -v w="$2" -v k="$3" '$1 == w { for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }' "$1"; }
# wall clock (us) -> ms since the start of the run whose output is FILE
# (notes only: a step of the wall clock moves it)
rel_ms() { echo $(($2 / 1000 - $(fval "$1" start_wall_ms start_wall_ms))); }
# mark VAR: an event of the test on the sampler's own clock (checks): the
# sampler notes the time it gets a SIGUSR1 (xvip-probe fence), and VAR
# names the mark; mark_ms T VAR is its ms since the start of run T. Sent
# right after an action, the mark is no earlier than it; sent right
# before one, every acknowledgement the action allows is later than it.
# fence_end checks that the sampler noted as many marks as were sent (one
# sent after it ended, or two merged into one signal, would shift them).
mark() {
	kill -USR1 "$FPID" || note "mark $1: the sampler (pid $FPID) is gone"
	MARKN=$((MARKN + 1))
	printf -v "$1" %s "$MARKN"
}
mark_ms() { awk -v k="$2" '$1 == "mark" && $2 == k { printf "%d\n", $3; exit }' "$WORK/$1.fence.txt"; }
# acknowledgements in OUT.N.at between FROM and TO (ms since the start)
acks_between() { awk -v a="$2" -v b="$3" '$1 > a && $1 < b' "$1" | wc -l; }
first_ack_after() { awk -v a="$2" '$1 > a { print int($1); exit }' <(sort -g "$1"); }
# the longest gap between consecutive acknowledgements in an .at file
gap_of() { sort -g "$@" | awk 'NR > 1 && $1 - p > g { g = $1 - p; at = p } { p = $1 } END { printf "%.0f at %.0f\n", g, at }'; }
count_ge() { [ "$(lines "$1" 2>/dev/null || echo 0)" -ge "$2" ]; }

# every token a client saw acknowledged in run T (in time or late, both
# nodes, through the VIP) into $WORK/T.acked
all_acked() {
	local t=$1
	{
		cat "$WORK/$t.f.1" "$WORK/$t.f.2"
		awk '{ print $2 }' "$WORK/$t.f.1.late" "$WORK/$t.f.2.late"
		[ ! -f "$WORK/$t.w" ] || cat "$WORK/$t.w"
	} >"$WORK/$t.acked"
}

# fence_start T DURATION_S [VIP]: the sampler on both nodes (and with VIP,
# writes through it) for DURATION_S, once they flow
fence_start() {
	local t=$1 dur=$(($2 * 1000))
	N1L=$(lines "$LOG1") N2L=$(lines "$LOG2") F0=$E2E_FAILED
	bg_start client "$WORK/$t.fence.txt" "$BUILD/xvip-probe" fence $N1 $N2 "${APP[@]}" $dur "$WORK/$t.f" 2 50 32
	FPID=$BG_PID
	MARKN=0
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
	[ "$MARKN" = 0 ] || check_eq "$t: the sampler noted every mark sent ($MARKN)" "$MARKN" \
		"$(grep -c '^mark ' "$WORK/$t.fence.txt")"
	[ -z "$WPID" ] || note "$t: VIP writes: $(tr '\n' ' ' <"$WORK/$t.writes.txt")"
	all_acked "$t"
}
# after a scenario with a failure: what both xvipds said since it began,
# and what the servers' threads do
diag() {
	local n k
	[ "$E2E_FAILED" -gt "$F0" ] || return 0
	for n in db1 db2; do
		[ $n = db1 ] && k=$N1L || k=$N2L
		note "$1: xvipd on $n since the scenario began:"
		since "${LOG[$n]}" "$k" | grep -v debug | cut -c1-400 | head -40 | sed 's/^/#   /'
		note "$1: $n's threads by state:"
		db_sql $n "SELECT user, state, COUNT(*) FROM information_schema.processlist GROUP BY 1, 2" 2>&1 |
			sed 's/^/#   /'
		db_repl_status $n 2>&1 | sed 's/^/#   /'
	done
}

# both_acked from run T's summary: must be 0
check_one_acker() {
	local t=$1 both
	both=$(fval "$WORK/$t.fence.txt" both_acked both_acked)
	check_eq "$t: no round in which both nodes acknowledged (both_acked; longest run $(fval "$WORK/$t.fence.txt" both_acked longest_run), first at $(fval "$WORK/$t.fence.txt" both_acked first_ms) ms)" 0 "${both:-missing}"
}

# The pair as an operator puts it back between scenarios: the test's
# client threads killed (commits waiting for an ack included), replication
# started where xvipd left it stopped, the nodes synced, db1 the writer.
pair_reset() {
	local n m
	for n in db1 db2; do db_kill_clients "$n"; done
	# the client may still hold the MAC of the node that was VRRP master
	# during the partition (after_heal notes it): the next scenario starts
	# from a fresh ARP entry
	ns client ip neigh flush $VIP
	for n in db1 db2; do
		db_repl_ok "$n" || db_sql "$n" "START SLAVE" >/dev/null 2>&1
	done
	if ! wait_until 20 db_repl_ok db1 || ! wait_until 20 db_repl_ok db2; then
		for n in db1 db2; do db_repl_status "$n" | sed "s/^/$n: /"; done
		return 1
	fi
	db_wait_synced 60 db1 db2 || { db_gtid db1; db_gtid db2; return 1; }
	# db2 still the VRRP master (nopreempt: db1 came back as a backup):
	# restarted, as an operator would, its priority-0 advert hands over
	if ! is_master db1 && is_master db2; then
		xv_restart db2 || return 1
		wait_until 10 is_master db1 || return 1
	fi
	if ! stable; then
		if is_master db1; then m=db1; else m=db2; fi
		xctl "$m" promote $N1 || true
	fi
	wait_until 20 stable || { xctl db1 status; return 1; }
}

# xv_start NODE: NODE's xvipd started (again), its log appended to
xv_start() {
	bg_start "$1" /dev/null sh -c 'exec "$@" >>"$0" 2>&1' "${LOG[$1]}" \
		"$BUILD/xvipd" -n -l -f "$WORK/$1.conf" --pin-root "$(pin_of "$1")"
	XV[$1]=$BG_PID
	wait_until 10 xctl "$1" status
}
# xv_restart NODE: stopped (SIGTERM) and started again, as systemctl restart
xv_restart() {
	bg_stop "${XV[$1]}"
	xv_start "$1"
}

# the scenarios after one that left the pair broken would test nothing
reset_or_stop() {
	F0=$E2E_FAILED
	check_here "the pair put back (db1 the writer)" pair_reset && return 0
	diag "reset"
	note "the pair could not be put back: the remaining scenarios are skipped"
	summary
}

# db1's commits that db2 does not have (db1's own domain, 1): "first last"
# sequence numbers, or nothing
errant_of_db1() {
	local mine theirs
	mine=$(db_var db1 gtid_binlog_pos | tr ',' '\n' | awk -F- '$1 == 1 { print $3 }')
	theirs=$(db_var db2 gtid_current_pos | tr ',' '\n' | awk -F- '$1 == 1 { print $3 }')
	[ "${mine:-0}" -gt "${theirs:-0}" ] && echo "$((${theirs:-0} + 1)) $mine"
}

# after the heal of run T: one writer, replication from it settled, nothing
# acknowledged lost, db1's unacknowledged commits reported as errant
after_heal() {
	local t=$1 mode=$2 secs=$3 w o e l1 l2 p
	check "$t: one writer after the heal (named by the VRRP master, open; the other read-only or held)" wait_until 30 one_writer
	note "$t: heal -> one writer: $((($(now_us) - POFF) / 1000)) ms or less"
	w=$(named_writer) || w=db2
	o=$(other "$w")
	e=$(errant_of_db1)
	if [ -n "$e" ] && [ "$w" = db2 ] && held db1; then
		# its replication's commits wait for an ack as well, until the
		# errant transactions are resolved (docs/operations.md)
		note "$t: db1 is held (commits waiting for an ack that cannot come): its replication waits too"
	fi
	fence_end "$t"
	# under load (2 busy cores) a check of the writer can time out fall
	# times after the heal, and xvipd moves the writer: a failover of its
	# own, with the same guarantees (seen: db1's semi-sync status query
	# timed out 8 s after a one-way heal). What follows holds for the
	# writer once the loads ended.
	local w2
	w2=$(wait_until 30 one_writer && named_writer) || w2=$w
	if [ "$w2" != "$w" ]; then
		note "$t: the writer moved from $w to $w2 after the heal (the logs below say why)"
		since "$LOG1" "$N1L" | grep -E "writer .* lost|promoting|writer is now" | cut -c1-300 | sed 's/^/#   /'
		w=$w2
		o=$(other "$w")
		e=$(errant_of_db1)
	fi
	# after the writers end: under load a replica may apply more slowly
	# than commits arrive. db1 with errant transactions under the writer
	# db2 may be held (its commits wait for an ack that cannot come, its
	# replication's too, until they are resolved: docs/operations.md): a
	# row from db2 then never arrives. Either outcome is awaited, not a
	# single sample taken (one such sample once said "not held" in a run
	# where db1 was held before and after it).
	if [ -n "$e" ] && [ "$w" = db2 ]; then
		SETTLE_TOK=settle-db2-$(date +%s%N)
		timeout 10 env MYSQL_PWD="$DB_PASS" mariadb --no-defaults -S "$(db_sock db2)" -uroot -N -B \
			-e "INSERT INTO app.probe (v, node) VALUES ('$SETTLE_TOK', @@report_host)" ||
			note "$t: cannot write the settle row on db2"
		check "$t: replication from the writer (db2) to db1 settled, or db1 is held" \
			settle_wait
		if db__row_on db1 probe "$SETTLE_TOK" 2>/dev/null; then
			note "$t: db2's row reached db1"
		elif held db1; then
			note "$t: db1 is held: $(held_why db1)"
		fi
	else
		check "$t: replication from the writer ($w) to $o settled" db_repl_reaches "$w" "$o"
	fi
	check_one_acker "$t"
	# db2, VRRP master once db1's adverts stop, promotes itself: db1's
	# last facts say its semi-sync master side is on, so db1 cannot
	# acknowledge without db2. A check where the partition leaves time
	# for it under load, a note otherwise.
	p=$(cat "$WORK/$t.f.2.at" | acks_between /dev/stdin "$(mark_ms "$t" "$MON")" "$(mark_ms "$t" "$MOFF")")
	if [ "$mode" = 21 ]; then
		note "$t: db2 heard db1's adverts: writes acknowledged by db2 during the partition: $p"
	elif [ "$secs" -ge 5 ]; then
		check "$t: db2 promoted itself during the partition (writes acknowledged by it: $p)" test "$p" -gt 0
	else
		note "$t: writes acknowledged by db2 during the partition: $p"
	fi
	check "$t: every acknowledged write ($(lines "$WORK/$t.acked")) is on the writer $w" \
		db_missing_acked $w "$WORK/$t.acked"
	# the loads are over: still one node that can acknowledge
	check "$t: still one writer: $w open, $o read-only or held ($(ro db1) $(ro db2))" one_writer
	e=$(errant_of_db1)
	if [ -n "$e" ] && [ "$w" = db2 ]; then
		note "$t: db1 has $((${e#* } - ${e% *} + 1)) commits db2 does not (1-1-${e% *} .. 1-1-${e#* })"
		errant_lines() { since "$LOG1" "$N1L"; since "$LOG2" "$N2L"; }
		errant_logged() { errant_lines | grep -i errant | grep -q "1-1-"; }
		check "$t: xvipd reports db1's errant transactions with their GTIDs" wait_until 10 errant_logged
		errant_lines | grep -i errant | tail -2 | sed 's/^/#   /'
		check_eq "$t: db2 does not replicate db1's errant transactions (IO thread)" No \
			"$(db_repl_field db2 Slave_IO_Running)"
	elif [ -n "$e" ]; then
		note "$t: db1 stayed the writer with commits db2 lacks (1-1-${e% *} .. 1-1-${e#* })"
	else
		note "$t: db1 took no write it could not get acknowledged (no errant transaction)"
		check "$t: replication runs both ways" wait_until 15 db_repl_ok $w
	fi
	# not part of the contract, but what a client of the VIP sees after the heal
	local h mac who
	h=$(rel_ms "$WORK/$t.writes.txt" "$POFF")
	mac=$(ns client ip neigh show $VIP | awk '{ for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1) }')
	case $mac in "$(mac_of db1)") who=db1 ;; "$(mac_of db2)") who=db2 ;; *) who="${mac:-none}" ;; esac
	note "$t: VIP writes acknowledged after the heal: $(awk -v h="$h" '$1 > h' "$WORK/$t.w.at" | wc -l), the last at $(($(sort -g "$WORK/$t.w.at" | tail -1 | cut -d. -f1) - h)) ms after it; the client's ARP entry for the VIP: $who"
	l1=$(fval "$WORK/$t.fence.txt" both_acked longest_gap_ms)
	[ -z "$WPID" ] || l2=$(sed -n 's/.*longest_gap_ms \([0-9.]*\).*/\1/p' "$WORK/$t.writes.txt")
	note "RESULT $t: both_acked $(fval "$WORK/$t.fence.txt" both_acked both_acked), longest gap between acknowledgements: sampler ${l1:-?} ms, VIP writes ${l2:--} ms; writer after: $w"
	diag "$t"
}

# part_run T MODE SECS: a partition under the writers, healed after SECS
part_run() {
	local t=$1 mode=$2 secs=$3
	note "$t: partition ($mode) for $secs s"
	check "$t: db1 the writer, db2 UP, semi-sync" wait_until 20 stable
	fence_start "$t" $((secs + 12)) vip
	sleep 1
	check "$t: the partition is set" part_on "$mode"
	PON=$(now_us)
	mark MON
	if [ "$secs" -ge 5 ]; then
		check "$t: the client reaches db1's mysqld" ns client "$BUILD/xvip-probe" connect $N1 3306 1000
		check "$t: the client reaches db2's mysqld" ns client "$BUILD/xvip-probe" connect $N2 3306 1000
		check "$t: db1 does not reach db2's mysqld" sh -c "! ip netns exec ${P}db1 '$BUILD/xvip-probe' connect $N2 3306 1000"
	fi
	left=$(((secs * 1000000 - ($(now_us) - PON)) / 1000))
	[ "$left" -le 0 ] || sleep "$((left / 1000)).$(printf %03d $((left % 1000)))"
	mark MOFF
	check "$t: the partition heals" part_off
	POFF=$(now_us)
	check "$t: db1's xvipd said its writes wait (no standby, no proof it is stopped)" wait_until 5 waits
	after_heal "$t" "$mode" "$secs"
}
