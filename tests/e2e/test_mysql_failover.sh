#!/usr/bin/env bash
# Single-writer failover of a MariaDB dual-master pair behind one VIP, with
# xvipd on both nodes (fo service, MYSQL_CHECK, manage_read_only):
# - xvipd opens exactly one writer; writes go through the VIP;
# - kill -9 of the writer's mariadbd (semi-sync): the VIP owner steers the
#   VIP to the peer (no ARP change); every acknowledged row is on the
#   survivor; at no sampled moment are both nodes writable;
# - the dead node comes back read-only and stays a standby (no fail-back);
# - xvipctl promote moves the writer back safely;
# - SIGSTOP of the writer's mariadbd (a hang) is detected by the probe
#   deadlines and the writer moves; the frozen node is fenced when it wakes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mysql_lib.sh"
e2e_init myf "$1"
need mariadbd mariadb arping || summary

lab_bridge
lab_host client 10.84.0.10/24
lab_host db1 10.84.0.1/24
lab_host db2 10.84.0.2/24
VIP=10.84.0.100
N1=10.84.0.1
N2=10.84.0.2

check_here "mariadbd starts on db1" db_start db1 1 1
check_here "mariadbd starts on db2" db_start db2 2 2
check_here "dual-master semi-sync replication" db_dual_master db1 $N1 db2 $N2 semisync

printf '#!/bin/sh\necho "$*" >> %s/writer.log\n' "$WORK" >"$WORK/notify_writer.sh"
chmod +x "$WORK/notify_writer.sh"
# conf NODE PRIORITY
conf() {
	XC_NOTIFY_WRITER="$WORK/notify_writer.sh" xvipd_mysql_conf "$WORK/$1.conf" "$1" "$2" $VIP 61 $N1 $N2
}
conf db1 100
conf db2 90
bg_start db1 "$WORK/xvipd-db1.log" "$BUILD/xvipd" -n -l -f "$WORK/db1.conf" --pin-root "$(pin_of db1)"
check "db1 becomes VRRP master" wait_until 15 sh -c "'$BUILD/xvipctl' --pin-root '$(pin_of db1)' status --json | grep -q '\"state\":\"MASTER\"'"
bg_start db2 "$WORK/xvipd-db2.log" "$BUILD/xvipd" -n -l -f "$WORK/db2.conf" --pin-root "$(pin_of db2)"
OWNER="$BUILD/xvipctl --pin-root $(pin_of db1)"
writer() { $OWNER status --json 2>/dev/null | json_get writer; }
writer_is() { [ "$(writer)" = "$1:3306" ]; }
ro() { db_var "$1" read_only 2>/dev/null; }
ro_is() { [ "$(ro "$1")" = "$2" ]; }

note "one writer, chosen by xvipd"
check "xvipd makes db1 (weight 3) the writer" wait_until 15 writer_is $N1
check "db1 read_only=OFF" wait_until 10 ro_is db1 0
check_eq "db2 read_only=ON" 1 "$(ro db2)"
out=$(db_sql_tcp client $VIP "INSERT INTO app.t (v, node) VALUES ('first', @@report_host); SELECT node FROM app.t WHERE v='first'")
check_eq "a write through the VIP lands on db1" db1 "$out"
# the daemon's preflight uses each node's facts from its latest probe
check "preflight: semi-synchronous replication reported" wait_until 10 sh -c "$OWNER check-mysql | grep -q 'semi-synchronous'"
check "status shows the writer and replication mode" wait_until 10 sh -c "$OWNER status | grep -q 'writer $N1:3306, semi-synchronous'"

note "kill -9 of the writer's mariadbd under write load"
# read_only sampler: both nodes writable at the same moment would be split
# brain. Reads are not instantaneous (one client each), so a sample brackets:
# A writable, then B writable, then A still writable means both were
# writable at the moment B was read. The order alternates.
touch "$WORK/sampling"
(
	while [ -e "$WORK/sampling" ]; do
		a1=$(ro db1) b=$(ro db2) a2=$(ro db1)
		echo "$a1 $b $a2" >>"$WORK/ro.samples"
		b1=$(ro db2) a=$(ro db1) b2=$(ro db2)
		echo "$b1 $a $b2" >>"$WORK/ro.samples"
	done
) &
SAMPLER=$!
check_here "writer load starts" db_writer_load client $VIP 8 "$WORK/acked.semi"
sleep 2
ns client "$BUILD/xvip-probe" outage $VIP 3306 3000 1 5 >"$WORK/outage.txt" &
PROBE=$!
sleep 1
check_here "kill -9 db1's mariadbd" db_kill db1
# Usually milliseconds. MariaDB 10.11 with semi-sync can hold a received
# transaction unapplied for seconds after its master died; xvipd then keeps
# refusing (it never opens a node that has not applied what it received)
# and retries on every probe. Hence the generous bound.
check "the VIP owner moves the writer to db2" wait_until 20 writer_is $N2
check "db2 read_only=OFF" wait_until 10 ro_is db2 0
wait $PROBE
note "client-visible outage (connect every 1 ms, 5 ms timeout): $(cat "$WORK/outage.txt")"
wait "$DB_LOAD_PID"
acked=$(wc -l <"$WORK/acked.semi")
check "the load had acknowledged inserts before and after ($acked)" test "$acked" -gt 20
check "every acknowledged row is on the survivor (semi-sync)" db_missing_acked db2 "$WORK/acked.semi"
dups=$(db_sql db2 "SELECT COUNT(*) - COUNT(DISTINCT v) FROM app.t")
check_eq "no duplicate rows" 0 "$dups"
after=$(db_sql db2 "SELECT COUNT(*) FROM app.t WHERE node='db2'")
note "the load's inserts taken by db2 after the switch: $after; not acknowledged: $(wc -l <"$WORK/acked.semi.fail" 2>/dev/null || echo 0)"
sort "$WORK/acked.semi.err" 2>/dev/null | uniq -c | sort -rn | head -3 | sed 's/^/#   load error: /'
tail -3 "$WORK/acked.semi.log" 2>/dev/null | sed 's/^/#   load log: /'
check "the load's writes resumed on db2 (semi-sync off: no standby to wait for)" test "$after" -gt 0
check "status says writes are asynchronous while no standby is up" wait_until 10 sh -c "$OWNER status | grep -q 'asynchronous (no standby up)'"
out=$(db_sql_tcp client $VIP "INSERT INTO app.t (v, node) VALUES ('after', @@report_host); SELECT node FROM app.t WHERE v='after'")
check_eq "a write through the VIP now lands on db2" db2 "$out"
check "the VIP did not move (db1 still VRRP master: the DR entry changed, not ARP)" sh -c "$OWNER status --json | grep -q '\"state\":\"MASTER\"'"
took=$($OWNER status --json | sed -n 's/.*"event":"promoted","addr":"10.84.0.2","took_us":\([0-9]*\).*/\1/p' | head -1)
note "writer switch: decision to promoted in ${took:-?} us"
# notify_writer runs in the background: its lines are awaited
check "notify_writer told about the loss and the promotion" wait_until 10 sh -c "grep -q 'db1 WRITER $VIP:3306 lost $N1' '$WORK/writer.log' && grep -q 'db1 WRITER $VIP:3306 promoted $N2' '$WORK/writer.log'"

note "the dead node returns: read-only standby, no fail-back"
check_here "mariadbd restarts on db1" db_start db1 1 1
check "db1 is UP again in xvipd's eyes" wait_until 15 sh -c "$OWNER status | grep -q 'real_server $N1:3306 (this host) weight 3: UP'"
check_eq "db1 came back read_only=ON" 1 "$(ro db1)"
check "with db1 replicating again, semi-sync is back on the writer" wait_until 15 sh -c "$OWNER status | grep -q 'writer $N2:3306, semi-synchronous'"
# negative: a fail-back would follow db1 being UP (awaited above); sampled
# 1 s (10 probes) after that
sleep 1
check "the writer stays db2" writer_is $N2

note "operator hand-back: xvipctl promote"
check "db1 catches up" db_wait_synced 60 db1 db2
# xvipctl promote returns once the promotion is over (fence, then open):
# what follows is its result, sampled on purpose
check "xvipctl promote $N1 succeeds" $OWNER promote $N1
check "writer is db1" writer_is $N1
check_eq "db1 read_only=OFF" 0 "$(ro db1)"
check_eq "db2 read_only=ON (fenced before db1 opened)" 1 "$(ro db2)"

rm -f "$WORK/sampling"
wait $SAMPLER
both=$(grep -c '^0 0 0$' "$WORK/ro.samples" || true)
n=$(wc -l <"$WORK/ro.samples")
check_eq "read_only sampled $n times: never both nodes writable" 0 "$both"

note "reload of the VIP owner keeps the writer"
XPID=$(pgrep -f "xvipd -n -l -f $WORK/db1.conf" | head -1)
sed -i 's/priority 100/priority 110/' "$WORK/db1.conf"
kill -HUP "$XPID"
check "reload applied (priority 110)" wait_until 10 sh -c "$OWNER status --json | grep -q '\"priority\":110'"
check "the writer is still db1" writer_is $N1
check "the services are still steered by db1" sh -c "$OWNER status | grep -q 'steering (VIP owner), writer $N1:3306'"
out=$(db_sql_tcp client $VIP "INSERT INTO app.t (v, node) VALUES ('reloaded', @@report_host); SELECT node FROM app.t WHERE v='reloaded'")
check_eq "writes still go to db1 after the reload" db1 "$out"

note "reload with virtual_server changes: applied at once, the writer kept"
for n in db1 db2; do
	bg_start $n "$WORK/serve3307-$n.log" "$BUILD/xvip-probe" serve 0.0.0.0 3307 $n
done
listens3307() { ns db1 ss -ltnH "sport = :3307" | grep -q . && ns db2 ss -ltnH "sport = :3307" | grep -q .; }
check "responders listen on port 3307 on both nodes" wait_until 10 listens3307
cp "$WORK/db1.conf" "$WORK/db1.conf.orig"
# db2's weight 2 -> 1, its MYSQL_CHECK interval 100 -> 150 ms; a new rr service
awk -v n2="$N2" '
	$1 == "real_server" && $2 == n2 { in2 = 1 }
	in2 && $1 == "weight" { $0 = "        weight 1" }
	in2 && $1 == "interval" { $0 = "            interval 150ms"; in2 = 0 }
	{ print }' "$WORK/db1.conf.orig" >"$WORK/db1.conf"
cat >>"$WORK/db1.conf" <<EOF
virtual_server $VIP 3307 {
    lb_algo rr
    lb_kind DR
    protocol TCP
    real_server $N1 3307 {
        TCP_CHECK {
            connect_timeout 0.2
            delay_loop 0.2
        }
    }
    real_server $N2 3307 {
        TCP_CHECK {
            connect_timeout 0.2
            delay_loop 0.2
        }
    }
}
EOF
check "the new config is valid (xvipd -t)" "$BUILD/xvipd" -t -f "$WORK/db1.conf"
kill -HUP "$XPID"
check "the log says the virtual servers were rebuilt" wait_log "$WORK/xvipd-db1.log" "2 virtual server(s) rebuilt" 10
check "the writer is still db1" writer_is $N1
check "db2's new weight is in effect" wait_until 10 sh -c "$OWNER status | grep -q 'real_server $N2:3306 weight 1: UP'"
check "db2's changed MYSQL_CHECK was restarted" wait_log "$WORK/xvipd-db1.log" "real server $N2:3306: checks changed, restarted" 10
# negative, sampled after the rebuild's last line (each real server's
# "checks changed" is logged before it)
check "db1's unchanged MYSQL_CHECK was kept (connection and all)" sh -c "! grep -q 'real server $N1:3306: checks changed' '$WORK/xvipd-db1.log'"
check "the new service is steered (in the data plane)" wait_until 10 sh -c "$OWNER status | grep -q '$VIP:3307/tcp .*sched rr'"
# both backends up in the maps (their TCP_CHECKs have run); 20 new flows
# all on one node by chance: 2^-19
up3307() { $OWNER status | awk '/:3307\/tcp /{f=1; next} /^  [0-9]/{f=0} f && /backend .* up/{n++} END{exit !(n == 2)}'; }
check "both of its backends are up in the data plane" wait_until 10 up3307
serve_name() { ns client "$BUILD/xvip-probe" connect $VIP 3307 500; }
reached=""
for i in $(seq 1 20); do
	reached+=" $(serve_name)"
done
note "connections to $VIP:3307 reached:$reached"
check "clients reach both nodes through the new rr service" sh -c "echo '$reached' | grep -q db1 && echo '$reached' | grep -q db2"
out=$(db_sql_tcp client $VIP "INSERT INTO app.t (v, node) VALUES ('reloaded2', @@report_host); SELECT node FROM app.t WHERE v='reloaded2'")
check_eq "writes still go to db1" db1 "$out"
cp "$WORK/db1.conf.orig" "$WORK/db1.conf"
kill -HUP "$XPID"
check "a reload without the service takes it out of the data plane" wait_until 10 sh -c "! $OWNER status | grep -q '$VIP:3307/tcp'"
check "and the writer is still db1" writer_is $N1
check "db2's weight is 2 again" wait_until 10 sh -c "$OWNER status | grep -q 'real_server $N2:3306 weight 2: UP'"

note "kill -9 of the standby's mariadbd: the writer does not wait for semi-sync's timeout"
semi_master_is() { [ "$(db_var "$1" rpl_semi_sync_master_enabled 2>/dev/null)" = "$2" ]; }
check "the writer db1 runs semi-sync" wait_until 10 semi_master_is db1 1
check_here "kill -9 db2's mariadbd" db_kill db2
t0=$(date +%s%N)
out=$(db_sql_tcp client $VIP "INSERT INTO app.t (v, node) VALUES ('nostandby', @@report_host); SELECT node FROM app.t WHERE v='nostandby'")
t1=$(date +%s%N)
check_eq "a write right after is acknowledged by db1 (timeout 5 s; semi-sync's is 10 s)" db1 "$out"
note "that write took $(((t1 - t0) / 1000000)) ms"
check "xvipd switched db1's semi-sync master side off (no standby up)" wait_until 10 semi_master_is db1 0
check "status: the writer runs asynchronous, no standby up" wait_until 10 sh -c "$OWNER status | grep -q 'writer $N1:3306, asynchronous (no standby up)'"
check "the writer stays db1" writer_is $N1
check_here "mariadbd restarts on db2" db_start db2 2 2
check "db2 comes back read_only=ON" ro_is db2 1
check "db2 replicates again: semi-sync back on on db1" wait_until 10 semi_master_is db1 1
check "status: semi-synchronous again" wait_until 10 sh -c "$OWNER status | grep -q 'writer $N1:3306, semi-synchronous'"
check "db2 catches up" db_wait_synced 60 db1 db2

note "SIGSTOP of the writer's mariadbd (a hang)"
t0=$(date +%s%N)
check_here "SIGSTOP db1's mariadbd" db_pause db1
check "the writer moves to db2" wait_until 10 writer_is $N2
t1=$(date +%s%N)
note "hang detected and writer moved in $(((t1 - t0) / 1000000)) ms (deadline: fall 3 x (interval 100 + read_timeout 100 ms) + promotion)"
check "db2 read_only=OFF" wait_until 10 ro_is db2 0
check_here "SIGCONT db1's mariadbd" db_resume db1
check "the woken node is fenced: db1 read_only=ON" wait_until 10 ro_is db1 1
check "the writer stays db2" writer_is $N2
# metrics: xvipd's families and the maps', as Prometheus text
mout=$($OWNER metrics)
metrics_valid() { prom_valid <<<"$mout"; }
check "xvipctl metrics: valid Prometheus text" metrics_valid
check "metrics: xvipd_up 1" grep -qx "xvipd_up 1" <<<"$mout"
check "metrics: VI_1 is MASTER" grep -qx 'xvip_instance_state{instance="VI_1",vrid="61",state="MASTER"} 1' <<<"$mout"
check "metrics: db2 is the writer" grep -qx "xvip_writer{service=\"$VIP:3306\",real_server=\"$N2:3306\"} 1" <<<"$mout"
check "metrics: db1 is not" grep -qx "xvip_writer{service=\"$VIP:3306\",real_server=\"$N1:3306\"} 0" <<<"$mout"
check "metrics: no refusal" grep -qx "xvip_writer_refused{service=\"$VIP:3306\"} 0" <<<"$mout"
check "metrics: the last promotion's duration" grep -q "^xvip_writer_last_promotion_seconds{service=\"$VIP:3306\"} [0-9]*\\.[0-9]" <<<"$mout"
check "metrics: the VIP answers here" grep -qx "xvip_vip_answering{vip=\"$VIP\",vrid=\"61\"} 1" <<<"$mout"
check "metrics: db1 went down (kill -9 and SIGSTOP)" grep -qx "xvip_real_server_down_total{service=\"$VIP:3306\",real_server=\"$N1:3306\"} [2-9]" <<<"$mout"
if command -v python3 >/dev/null; then
	check "status --json (daemon and maps) is valid JSON with the writer" sh -c "$OWNER status --json | python3 -c 'import json, sys; d = json.load(sys.stdin); sys.exit(0 if \"$N2:3306\" in json.dumps(d[\"daemon\"]) else 1)'"
fi

if [ "$E2E_FAILED" -gt 0 ]; then
	note "writer load errors:"
	sort "$WORK/acked.semi.err" 2>/dev/null | uniq -c | sort -rn | head -5 | sed 's/^/#   /'
	note "rows per node on db2: $(db_sql db2 "SELECT node, COUNT(*) FROM app.t GROUP BY node" | tr '\n\t' '; ')"
	for n in db1 db2; do
		note "xvipd on $n:"
		grep -v debug "$WORK/xvipd-$n.log" | tail -30 | sed 's/^/#   /'
	done
fi
note "status on the VIP owner:"
$OWNER status | sed 's/^/#   /'
summary
