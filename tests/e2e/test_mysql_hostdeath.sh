#!/usr/bin/env bash
# The writer's whole host dies, on real mariadbd (xvipd on both nodes with
# the pair's config from xvipd_mysql_conf, VRRPv3 10 ms adverts, fo service,
# MYSQL_CHECK 100 ms x fall 3, manage_read_only, promote_timeout 2 s,
# semi-sync). db1 is the writer and the VRRP master:
# - the writer set read-only by someone else (what a momentary VIP owner in
#   a VRRP flap does when it takes the writer for gone) is opened again by
#   the owner;
# - a VRRP flap (db1's xvipd frozen for 150 ms: db2 becomes master, db1's
#   mysqld lives on) leaves db1 the writer, open, and the writes landing;
# - db1's host dies (its xvipd and mariadbd frozen at once, its link down,
#   then both killed) under writes through the VIP, an INSERT on a new
#   connection every 2 ms: db2 becomes master after master_down_interval
#   and promotes ITSELF at once. It never adopts db1 from what db1 last
#   reported (read_only=OFF) nor waits for db1's statements to time out
#   (before: "promoting db1: it already takes writes", then promote_timeout,
#   then "NOT promoting db1: has not applied everything ... Can't connect":
#   ~2.1 s without a writer). The longest gap between two acknowledged
#   writes is bounded generously here (1000 ms; expected ~40-70 ms: the
#   precise figure is make bench's); no acknowledged write is lost.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mysql_lib.sh"
e2e_init myh "$1"
need mariadbd mariadb || summary

lab_bridge
lab_host client 10.88.0.10/24
lab_host db1 10.88.0.1/24
lab_host db2 10.88.0.2/24
VIP=10.88.0.100
N1=10.88.0.1
N2=10.88.0.2
# the writes below open hundreds of connections a second; one that times
# out in its handshake must never get the client's host blocked
DB_OPTS=(--max-connect-errors=4294967295)

check_here "mariadbd starts on db1" db_start db1 1 1 "${DB_OPTS[@]}"
check_here "mariadbd starts on db2" db_start db2 2 2 "${DB_OPTS[@]}"
check_here "dual-master semi-sync replication" db_dual_master db1 $N1 db2 $N2 semisync

conf() { XC_ADVERT_INT=0.01 xvipd_mysql_conf "$WORK/$1.conf" "$1" "$2" $VIP 63 $N1 $N2; }
conf db1 100
conf db2 90
LOG1=$WORK/xvipd-db1.log
LOG2=$WORK/xvipd-db2.log
bg_start db1 "$LOG1" "$BUILD/xvipd" -n -l -f "$WORK/db1.conf" --pin-root "$(pin_of db1)"
XV1=$BG_PID
disown "$XV1" 2>/dev/null # no "Killed" notice from bash after the host death
is_master() { xctl "$1" status --json 2>/dev/null | grep -q '"state":"MASTER"'; }
check "db1 becomes VRRP master" wait_until 8 is_master db1
bg_start db2 "$LOG2" "$BUILD/xvipd" -n -l -f "$WORK/db2.conf" --pin-root "$(pin_of db2)"

# what the owner NODE says
writer_on() { xctl "$1" status --json 2>/dev/null | json_get writer; }
writer_is() { [ "$(writer_on "$1")" = "$2:3306" ]; }
ro() { db_var "$1" read_only 2>/dev/null; }
ro_is() { [ "$(ro "$1")" = "$2" ]; }
stable() {
	local t
	t=$(xctl db1 status 2>/dev/null) || return 1
	grep -q "writer $N1:3306, semi-synchronous" <<<"$t" &&
		grep -q "real_server $N2:3306 weight 2: UP" <<<"$t" && ro_is db1 0 && ro_is db2 1
}
via_vip() { db_sql_tcp client $VIP "INSERT INTO app.t (v, node) VALUES ('$1', @@report_host); SELECT node FROM app.t WHERE v='$1'" 2>/dev/null; }
lands_on() { [ "$(via_vip "$1-$(date +%s%N)")" = "$2" ]; }
lines() { wc -l <"$1"; }
# the log's lines after line N
since() { tail -n +$(($2 + 1)) "$1"; }
# "2026-11-24 21:25:08.123 ..." -> epoch ms
log_ms() { date -d "$1 $2" +%s%3N 2>/dev/null; }

check "db1 is the writer, db2 UP and read-only, semi-sync on" wait_until 15 stable
check "a write through the VIP lands on db1" wait_until 5 lands_on first db1

note "the writer set read-only behind the owner's back is opened again"
n1=$(lines "$LOG1")
db_sql db1 "SET GLOBAL read_only=ON"
check "db1's xvipd opens it again (read_only=OFF)" wait_until 5 ro_is db1 0
check "and says why" wait_log "$LOG1" "the writer $N1:3306 was set read-only by someone else" 2
check "db1 is still the writer" writer_is db1 $N1
check "db2 stays read-only" ro_is db2 1
check "writes through the VIP land on db1" wait_until 5 lands_on reopened db1

note "a VRRP flap: db1's xvipd frozen for 150 ms (its mysqld lives on)"
n2=$(lines "$LOG2")
n1=$(lines "$LOG1")
kill -STOP "$XV1"
check "db2 becomes VRRP master (db1's adverts stopped)" wait_until 5 is_master db2
sleep 0.15
kill -CONT "$XV1"
flap_backup() { since "$LOG2" "$n2" | grep -q "MASTER -> BACKUP"; }
check "db2 steps back when db1's adverts return" wait_until 5 flap_backup
check "db1 is the writer again or still, open, semi-sync on" wait_until 10 stable
check "writes through the VIP land on db1" wait_until 5 lands_on flap db1
if since "$LOG2" "$n2" | grep -q "$N1:3306 answers: its host is not gone"; then
	note "db2 saw db1's mysqld answer within the grace: $(since "$LOG2" "$n2" | grep -o "promoting $N1:3306.*" | head -1)"
else
	note "db2 did not see db1's mysqld answer within the grace"
fi
if since "$LOG1" "$n1" | grep -q "was set read-only by someone else"; then
	note "db1 had to open itself again after the flap (db2 had promoted itself)"
fi

note "db1's host dies under writes through the VIP"
PID1=$(db_pid db1)
comm_is() { [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ]; }
check "db1's xvipd is running (pid $XV1)" comm_is "$XV1" xvipd
check "db1's mariadbd is running (pid ${PID1:-none})" test -n "$PID1"
takeovers() { xctl db2 status --json 2>/dev/null | json_get became_master; }
acked_n() { [ "$(wc -l <"$WORK/$T.acked" 2>/dev/null || echo 0)" -ge "$1" ]; }
# A takeover by db2 before the failure (10 ms adverts late on a loaded
# machine: db2 is master for a moment, the client follows its GARP and, ARP
# locktime, stays there for up to 1.2 s, writing to db2's read-only mysqld)
# would make the gap measure that instead: the writes start again, with a
# new tag, at most 4 times.
for try in 1 2 3 4; do
	T=hd$try
	check "stable before the failure" wait_until 20 stable ||
		xctl db1 status 2>&1 | grep -E "writer|real_server" | sed 's/^/#   /'
	check "writes through the VIP land on db1" wait_until 5 lands_on "pre$try" db1
	m0=$(takeovers)
	bg_start client "$WORK/writes.txt" "$BUILD/xvip-probe" writes $VIP 3306 "$DB_TCP_USER" \
		"$DB_TCP_PASS" 6000 "$WORK/$T.acked" 2 200
	WPID=$BG_PID
	# the writes flow, then about a second before the failure
	check "writes through the VIP are acknowledged" wait_until 5 acked_n 100
	sleep 1
	[ "$(takeovers)" = "$m0" ] && break
	note "db2 was VRRP master for a moment during the writes (adverts late under load): again"
	bg_stop "$WPID"
done
# the host dies: both processes frozen by one kill(1) (microseconds apart),
# then the link goes, then they are killed. db2's log is read from here on
# (a takeover by db2 before, when 10 ms adverts come late on a loaded
# machine, may rightly adopt db1)
n2=$(lines "$LOG2")
kill_us=${EPOCHREALTIME/./}
kill -STOP "$XV1" "$PID1"
ip -n "${P}db1" link set eth0 down
kill -KILL "$XV1" "$PID1"
check "db1's xvipd is gone" wait_gone "$XV1" 5
check_here "db1's mariadbd is gone" db_kill db1
bg_forget "$XV1"
check "db2 becomes VRRP master" wait_until 5 is_master db2
check "db2 promotes itself" wait_until 10 writer_is db2 $N2
check "the writes end" wait_gone "$WPID" 15
bg_forget "$WPID"
out=$(grep '^start_wall_ms' "$WORK/writes.txt")
note "writes: $out"
grep '^last_error' "$WORK/writes.txt" | sed 's/^/#   /'
gap=$(sed -n 's/.*longest_gap_ms \([0-9.]*\).*/\1/p' <<<"$out")
at=$(sed -n 's/.*gap_at_ms \([0-9]*\).*/\1/p' <<<"$out")
w0=$(sed -n 's/^start_wall_ms \([0-9]*\).*/\1/p' <<<"$out")
kill_ms=$((kill_us / 1000))
check "the writer reported a gap" test -n "$gap"
# The failover's own gap: from the last write db1 acknowledged to the first
# db2 did (each acknowledged token's node is in the table on db2).
db_sql db2 "SELECT v, node FROM app.t WHERE v LIKE '$T-%'" | sort >"$WORK/hd.nodes"
sort -k2 "$WORK/$T.acked.at" | join -1 2 -2 1 - "$WORK/hd.nodes" | sort -k2 -g >"$WORK/hd.timeline"
switch=$(awk '$3 == "db1" { last1 = $2 } $3 == "db2" && !first2 { first2 = $2 }
	END { if (last1 != "" && first2 != "") printf "%.1f %.0f", first2 - last1, last1 }' "$WORK/hd.timeline")
fgap=${switch% *}
fat=${switch#* }
check "acknowledged writes on db1, then on db2" test -n "$switch"
# Both bounds are generous (a loaded 2-core machine): the old behaviour took
# ~2100 ms (promote_timeout); expected here ~40-70 ms
check "the gap from db1's last acknowledged write to db2's first (${fgap:-?} ms) is under 1000 ms" \
	awk -v g="${fgap:-99999}" 'BEGIN { exit !(g < 1000) }'
check "the longest gap between any two acknowledged writes (${gap:-?} ms) is under 1000 ms" \
	awk -v g="${gap:-99999}" 'BEGIN { exit !(g < 1000) }'
# (the client reads an acknowledgement a little after db1 sent it)
check "the writes flowed until the death: db1's last acknowledgement within 200 ms of it" \
	awk -v k="$((kill_ms - w0))" -v s="${fat:-0}" 'BEGIN { d = s - k; exit !(d > -200 && d < 200) }'
check "every acknowledged write is on db2 (semi-sync)" db_missing_acked db2 "$WORK/$T.acked"
check "db2 read_only=OFF" ro_is db2 0
# everything below is about db2's log since the failure, which is over: db2
# is the writer and the writes have ended
check "db2's log: db1's host went silent" sh -c "tail -n +$((n2 + 1)) '$LOG2' | grep -q '$N1:3306: its host went silent'"
check "db2 never promoted db1 from what it last reported" sh -c "! tail -n +$((n2 + 1)) '$LOG2' | grep -q 'promoting $N1:3306'"
check "db2 never waited for db1's apply" sh -c "! tail -n +$((n2 + 1)) '$LOG2' | grep -q 'has not applied'"
check "db2 switched its semi-sync off (no standby it can count on)" \
	sh -c "tail -n +$((n2 + 1)) '$LOG2' | grep -q '$N2:3306: no standby is up, semi-sync master side switched off'"
check "writes through the VIP land on db2" wait_until 5 lands_on after db2

js=$(xctl db2 status --json)
master_ms=$(grep -o '"wall_ms":[0-9]*,"from":"BACKUP","to":"MASTER"' <<<"$js" | head -1 | sed 's/"wall_ms":\([0-9]*\).*/\1/')
promo_ms=$(grep -o '"wall_ms":[0-9]*,"event":"promoted","addr":"'$N2'"' <<<"$js" | head -1 | sed 's/"wall_ms":\([0-9]*\).*/\1/')
line=$(since "$LOG2" "$n2" | grep -m1 "writer is now $N2" | sed 's/.*(\(.*\))$/\1/')
note "RESULT host death: write gap db1 -> db2 ${fgap:-?} ms (db1's last ack $((w0 + ${fat:-0} - kill_ms)) ms from the death), longest gap ${gap:-?} ms (at $((w0 + ${at:-0} - kill_ms)) ms); death -> db2 VRRP master $((${master_ms:-0} - kill_ms)) ms, -> db2 promoted $((${promo_ms:-0} - kill_ms)) ms"
note "db2's promotion: $line"
note "db2's log after the failure:"
since "$LOG2" "$n2" | grep -v -i debug | head -20 | sed 's/^/#   /'

if [ "$E2E_FAILED" -gt 0 ]; then
	for n in db1 db2; do
		note "xvipd on $n:"
		grep -v debug "$WORK/xvipd-$n.log" | tail -30 | sed 's/^/#   /'
	done
fi
summary
