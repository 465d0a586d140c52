#!/usr/bin/env bash
# One writer even when the network splits (issue 13), on real mariadbd:
# xvipd on both nodes (xvipd_mysql_conf, VRRPv3 100 ms adverts, fo service,
# MYSQL_CHECK 100 ms x fall 3, manage_read_only), semi-sync AFTER_SYNC with
# a timeout beyond any partition (mysql_lib.sh's: 49 days) and wait_no_slave
# ON: a writer cannot acknowledge a commit its standby did not receive.
# A partition drops the frames the bridge forwards between db1's and db2's
# ports (nftables in the bridge's namespace); the client still reaches both.
# Across each partition and its heal, `xvip-probe fence` writes as the app
# user to BOTH nodes directly (a round every 2 ms, 50 ms deadline each) and
# `xvip-probe writes` through the VIP:
# a. symmetric partitions of 1 s, then 10 s: never a round in which both
#    nodes acknowledged (both_acked 0); after the heal one writer, every
#    acknowledged write on it, and db1's unacknowledged commits of the
#    partition reported as errant (with their GTIDs), not replicated to db2;
# b. one-way partitions (db1->db2 dropped, then db2->db1), 2 s each: the same;
# c. the standby's host dies with no witness (db2's xvipd and mariadbd
#    frozen, its link down): db1's writes wait ("writes wait") instead of
#    going async, and resume when db2 returns; with standby_loss_policy
#    async and standby_loss_timeout 1 (SIGHUP reload) they resume after the
#    timeout;
# d. the standby's mysqld stopped cleanly (connection refused: proof it is
#    stopped): db1 goes on acknowledging, semi-sync returns with db2.
# Between scenarios the pair is put back as an operator would: the test's
# client threads killed, replication started where xvipd left it stopped
# (db2 takes db1's errant rows: they are test rows nobody was told about),
# and db1 made the writer again (xvipctl promote).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mysql_lib.sh"
e2e_init myp "$1"
. "$(dirname "$0")/pair_lib.sh"

note "a. symmetric partitions"
part_run a1 both 1
reset_or_stop
part_run a10 both 10
reset_or_stop

note "b. one-way partitions"
part_run b12 12 2
reset_or_stop
part_run b21 21 2
reset_or_stop

# the standby's host dies (frozen, link down) / comes back
PIDS2=
host2_die() {
	PIDS2="${XV[db2]} $(db_pid db2)"
	# shellcheck disable=SC2086
	kill -STOP $PIDS2
	ip -n "${P}db2" link set eth0 down
	mark MDIED
}
host2_back() {
	# taken first: on a loaded machine db2 can acknowledge within a few ms
	# of SIGCONT, before a timestamp taken after it
	mark MBACK
	ip -n "${P}db2" link set eth0 up
	# shellcheck disable=SC2086
	kill -CONT $PIDS2
}

# the pair must still be as it was when the fault comes: on two busy
# cores db1's xvipd was once held 318 ms (a check's callback) and db2 took
# the VIP before the fault (VRRP did its job; the scenario had no premise
# left). Then the run's safety is checked, the pair put back, and the
# scenario run once more; a second such run fails.
premise_held() {
	stable && return 0
	note "$t: the pair changed before the fault (db1 $(ro db1), db2 $(ro db2), writer by db1: $(writer_on db1)); db1's xvipd said:"
	since "$LOG1" "$N1L" | grep -E "event loop held|writer|MASTER|BACKUP" | head -5 | cut -c1-200 | sed 's/^/#   /'
	fence_end $t
	check_one_acker $t
	return 1
}
note "c. the standby's host dies, no witness: writes wait"
for t in cb cb2; do
	check "$t: db1 the writer, db2 UP, semi-sync" wait_until 20 stable
	fence_start $t 12
	sleep 1
	premise_held && break
	[ $t = cb ] || { check "$t: the pair as it was when the fault came" false; summary; }
	reset_or_stop
done
host2_die
check "$t: db1's xvipd says writes wait" wait_until 5 waits
since "$LOG1" "$N1L" | grep "writes wait" | head -2 | sed 's/^/#   /'
# well past the moment the old daemon switched semi-sync off (fall 3 x 100 ms)
sleep 2.5
n=$(lines "$WORK/$t.f.1")
host2_back
check "$t: writes on db1 resume when db2 is back" wait_until 20 count_ge "$WORK/$t.f.1" $((n + 50))
check "$t: one writer" wait_until 30 one_writer
fence_end $t
d=$(mark_ms $t "$MDIED")
b=$(mark_ms $t "$MBACK")
# a commit db2 received before it froze may still be acknowledged a moment
# after; none later, until db2 is back (both ends on the sampler's clock)
check_eq "$t: no write acknowledged while db2 was gone ($((d + 100))..$b ms)" 0 \
	"$(cat "$WORK/$t.f.1.at" "$WORK/$t.f.2.at" | acks_between /dev/stdin $((d + 100)) "$b")"
check_one_acker $t
w=$(open_node) || w=db1
check "$t: every acknowledged write ($(lines "$WORK/$t.acked")) is on the writer $w" db_missing_acked $w "$WORK/$t.acked"
note "RESULT $t: db1's writes resumed $(($(first_ack_after "$WORK/$t.f.1.at" "$b") - b)) ms after db2 came back (late acks: $(lines "$WORK/$t.f.1.late"))"
diag $t
reset_or_stop

note "c. the same with standby_loss_policy async, standby_loss_timeout 1 (SIGHUP)"
t=ca
reload_all() {
	local n k
	for n in db1 db2; do
		k=$(lines "${LOG[$n]}")
		kill -HUP "${XV[$n]}"
		reloaded() { since "$1" "$2" | grep -q "reload done"; }
		check "$t: $n's xvipd reloads" wait_until 10 reloaded "${LOG[$n]}" "$k"
	done
}
XC_VS_EXTRA=$'standby_loss_timeout 1\nstandby_loss_policy async' confs
reload_all
check "$t: db1 the writer, db2 UP, semi-sync" wait_until 20 stable
fence_start $t 12
sleep 1
host2_die
check "$t: db1's writes resume without db2" wait_until 10 count_ge "$WORK/$t.f.1" $(($(lines "$WORK/$t.f.1") + 50))
sleep 0.5
host2_back
semi_on() { [ "$(db_status db1 Rpl_semi_sync_master_status)" = ON ]; }
check "$t: db1's semi-sync is back on with db2" wait_until 30 semi_on
fence_end $t
d=$(mark_ms $t "$MDIED")
r=$(first_ack_after "$WORK/$t.f.1.at" $((d + 100)))
# detection (fall 3 x 100 ms) + the 1 s timeout, bounded for 2 busy cores
check "$t: db1's writes waited the timeout, then resumed (${r:-?} - $d = $((${r:-0} - d)) ms: 1000..4000)" \
	test -n "$r" -a $((${r:-0} - d)) -ge 1000 -a $((${r:-0} - d)) -le 4000
since "$LOG1" "$N1L" | grep -iE "writes wait|async|two writers" | head -4 | sed 's/^/#   /'
check_one_acker $t
check "$t: every acknowledged write ($(lines "$WORK/$t.acked")) is on db1" db_missing_acked db1 "$WORK/$t.acked"
check "$t: and on db2 once it caught up" db_wait_synced 60 db1 db2
note "RESULT $t: db1's writes resumed $((${r:-0} - d)) ms after db2's host died (policy async, timeout 1 s)"
diag $t
confs
reload_all
reset_or_stop

note "d. the standby's mysqld stopped cleanly: proof, db1 goes async at once"
t=d
fence_start $t 10
sleep 1
mark MD
check_here "$t: db2's mariadbd stops" db_stop db2
mark MS
sleep 1.5
mark ME
check_here "$t: db2's mariadbd starts again" db_start db2 2 2 "${DB_OPTS[@]}"
check "$t: db1's semi-sync is back on with db2" wait_until 30 semi_on
fence_end $t
d=$(mark_ms $t "$MD")
s=$(mark_ms $t "$MS")
e=$(mark_ms $t "$ME")
check "$t: db1 acknowledged writes while db2's mysqld was down ($s..$e ms)" \
	test "$(acks_between "$WORK/$t.f.1.at" "$s" "$e")" -gt 100
g=$(awk -v a="$d" -v b="$e" '$1 > a - 500 && $1 < b' "$WORK/$t.f.1.at" | gap_of /dev/stdin)
check "$t: db1's longest write gap around the stop (${g% at*} ms) is under 2000 ms" test "${g% at*}" -lt 2000
check_one_acker $t
check "$t: every acknowledged write ($(lines "$WORK/$t.acked")) is on db1" db_missing_acked db1 "$WORK/$t.acked"
check "$t: db1 is still the writer" stable
note "RESULT $t: db1's longest write gap across db2's clean stop: ${g:-?} ms (stop began at $d ms)"
diag $t

if [ "$E2E_FAILED" -gt 0 ]; then
	for n in db1 db2; do
		note "xvipd on $n:"
		grep -v debug "${LOG[$n]}" | tail -40 | sed 's/^/#   /'
	done
fi
summary
