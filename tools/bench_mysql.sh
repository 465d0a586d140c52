#!/usr/bin/env bash
# tools/bench_mysql.sh [BUILD]: client-visible outage when the WRITER's
# mariadbd of a dual-master pair is killed with SIGKILL (its host lives on),
# keepalived as our users run it, keepalived tuned, and xvipd; and the write
# gap when the writer's whole host dies, keepalived tuned and xvipd; in one
# run on the same namespace lab. `make bench` runs it after tools/bench.sh.
#
#   client 10.86.0.10, db1 10.86.0.1, db2 10.86.0.2 on one bridge, VIP
#   10.86.0.100:3306; a real mariadbd on each node (tests/e2e/mysql_lib.sh),
#   each a replica of the other.
#
# Scenarios (BENCH_MYSQL_SCENARIOS, default "seed tuned xvipd"):
#   seed    keepalived with the seed's timings (/work/shared/seed, our users'
#           MySQL-master{1,2}.keepalived.conf): VRRPv2, advert_int 1, PASS
#           auth, nopreempt; TCP_CHECK of the node's own mysqld with
#           delay_loop 2, connect_timeout 10, nb_get_retry 3,
#           delay_before_retry 3, notify_down check_mysql.sh = `pkill
#           keepalived`. 16 s probe. Run BENCH_REPEAT_SLOW times (default 1).
#   tuned   the same design tuned as far as keepalived accepts: VRRPv3,
#           advert_int 0.01; TCP_CHECK delay_loop 0.1 (xvipd's MYSQL_CHECK
#           interval), connect_timeout 0.1, retry 1, delay_before_retry 0.1.
#           5 s probe.
#   script  (not in the default set) what keepalived itself can check on a
#           kernel without IPVS: a vrrp_script (TCP connect to the node's
#           mysqld) with the smallest interval it accepts (1 s), fall 1,
#           tracked with weight 0 (failure = FAULT: the VIP is released);
#           VRRPv3, advert_int 0.01. 5 s probe.
#   xvipd   xvipd on both nodes, lb_algo fo + MYSQL_CHECK (interval, connect
#           and read timeouts 100ms, rise 2, fall 3), manage_read_only on,
#           semi-synchronous pair; VRRPv3 advert_int 0.1. The VIP does not
#           move: the owner sees mysqld's death on its idle check connection
#           (EOF), promotes db2 and steers the DR entry to it. 3 s probe.
#   host-tuned, host-xvipd  the writer's whole HOST dies instead (db1's
#           daemon and mariadbd frozen with one SIGSTOP, its link down, both
#           killed), under writes through the VIP: `xvip-probe writes`, an
#           INSERT on a new connection every 2 ms (200 ms deadline each).
#           Both with VRRPv3 advert_int 0.01 (master_down_interval ~36 ms
#           for db2's priority 90). host-tuned: keepalived (VRRP only; its
#           checker plays no part when the host dies), both nodes writable,
#           asynchronous; host-xvipd: xvipd as in (c) but with 10 ms adverts:
#           db2 becomes master, finds db1 silent, promotes itself. 4 s of
#           writes. Reported: the gap from db1's last acknowledged write to
#           db2's first (each token's node read back from db2), the longest
#           gap between any two, acknowledged writes missing on db2, and for
#           xvipd death -> db2 master -> db2 promoted and the promotion's
#           steps. min / median / p95 / max.
#   kill-xvipd, stop-xvipd, kill-script, stop-script  issue 12's table: the
#           writer's mariadbd killed with SIGKILL, or hung with SIGSTOP, under
#           writes through the VIP (`xvip-probe writes`, an INSERT on a new
#           connection every 2 ms, 200 ms deadline) and, at the same time, a
#           connect every 1 ms (`xvip-probe outage`). xvipd as in (c) (100 ms x
#           fall 3, semi-sync); "script" is what keepalived can do without IPVS:
#           a vrrp_script TCP connect every 1 s, fall 1 (the scenario `script`).
#           Reported per run: the connect outage, the write gap (db1's last
#           acknowledged write to db2's first), the no-fault floor of the same
#           run (the longest gap between acknowledgements before the fault),
#           acknowledged writes missing on db2; for xvipd kill -> DOWN (log,
#           ms), decision -> writable (took_us) and the promotion's steps. A
#           hang keepalived cannot see leaves its outage open until the run
#           ends ("no failover"). 4 s of writes, the fault after ~1.5 s.
# keepalived runs (seed, tuned, script, host-tuned): read_only=OFF on both
# nodes (the seed setup has no fencing), asynchronous replication as in the
# seed; writes go to whichever node holds the VIP.
#
# keepalived's checker needs IPVS, which this kernel does not have: with a
# virtual_server its checker child logs "IPVS: Can't initialize ipvs" and
# exits FATAL, which stops all of keepalived. So keepalived runs VRRP only
# (-P; the seed's virtual_server block stays in its file, unused), and
# ka-tcp-check.pl, written below, stands in for its checker child: the
# TCP_CHECK state machine of keepalived 2.2 (a connect every delay_loop; on
# failure `retry` more attempts delay_before_retry apart; then DOWN and
# notify_down), with notify_down = the seed's check_mysql.sh, `pkill
# keepalived` limited to this node's keepalived (SIGTERM to its pids). A
# vrrp_script cannot stand in for it: keepalived accepts only whole seconds
# (1..4294) for a vrrp_script's interval, while TCP_CHECK takes delay_loop,
# connect_timeout and delay_before_retry down to 1 us, and a vrrp_script
# retries at `interval`, not at delay_before_retry. The "script" scenario
# measures that vrrp_script alternative.
#
# Each run: a fresh lab (namespaces, datadirs, daemons), the pair in dual
# master, daemons started (db1 first), stable (VIP on db1, `SELECT
# @@report_host` through the VIP answers db1; for xvipd: db1 the writer,
# db2 UP and semi-sync on), a 3 s probe of the healthy pair (the noise
# floor; the run is redone, at most 3 times, if db2 has been VRRP master at
# all by then), then `xvip-probe outage VIP 3306 DURATION` in
# the client (a TCP connection every 1 ms, 5 ms timeout; success = mariadbd's
# greeting arrived), and ~1 s later `kill -9` of db1's mariadbd. Reported: the
# longest gap between two successful connections, and who answered before
# and after it (the greeting does not name the node: before = report_host
# through the VIP just before the probe, after = the same right after it).
# For xvipd also: kill -> DOWN (the owner's log), kill -> promoted and
# decision -> promoted (took_us) from `xvipctl status --json` on the owner;
# for keepalived: kill -> checker DOWN.
#
# Environment:
#   BENCH_REPEAT=N          runs of tuned/script/xvipd (default 3)
#   BENCH_REPEAT_SLOW=N     runs of seed (default 1: each takes ~30 s)
#   BENCH_REPEAT_FAULT=N    runs of kill-* and stop-* (default 20)
#   BENCH_PLOT_DIR=DIR      where the pictures go (default build/bench)
#   BENCH_MYSQL_SCENARIOS   subset/order of "seed tuned script xvipd host-tuned
#                           host-xvipd" (default all but script)
#   KEEPALIVED=PATH         default /usr/sbin/keepalived
#   BENCH_KEEP_LOGS=DIR     copy every log and config there at the end
#   BENCH_DB_TMPFS=0        datadirs on the disk (default: on a tmpfs of the
#                           lab's own, so that fsync stalls, 90 ms on this
#                           VM's disk, do not hide the failover)
#
# Everything runs in network namespaces created here (tests/e2e/lib.sh) and
# is removed on exit, Ctrl-C included. Needs root.
set -u
BENCH_T0=$(date +%s)
HERE=$(cd "$(dirname "$0")" && pwd)
ARG_BUILD=${1:-build}

if [ "$(id -u)" != 0 ]; then
	echo "bench_mysql: needs root (network namespaces, XDP, bpffs)" >&2
	exit 1
fi
for f in xvipd xvipctl xvip-probe xdp_pass.bpf.o; do
	[ -e "$ARG_BUILD/$f" ] || {
		echo "bench_mysql: $ARG_BUILD lacks $f: run make first" >&2
		exit 1
	}
done
KEEPALIVED=${KEEPALIVED:-/usr/sbin/keepalived}
REPEAT=${BENCH_REPEAT:-3}
REPEAT_SLOW=${BENCH_REPEAT_SLOW:-1}
REPEAT_FAULT=${BENCH_REPEAT_FAULT:-20}
SCENARIOS=${BENCH_MYSQL_SCENARIOS:-seed tuned xvipd host-tuned host-xvipd kill-xvipd stop-xvipd kill-script stop-script}
DB_TMPFS=${BENCH_DB_TMPFS:-1}
for v in "$REPEAT" "$REPEAT_SLOW" "$REPEAT_FAULT"; do
	case $v in '' | *[!0-9]* | 0)
		echo "bench_mysql: BENCH_REPEAT, BENCH_REPEAT_SLOW and BENCH_REPEAT_FAULT must be positive integers" >&2
		exit 1
		;;
	esac
done
for s in $SCENARIOS; do
	case $s in seed | tuned | script | xvipd | host-tuned | host-xvipd | kill-xvipd | stop-xvipd | \
		kill-script | stop-script) ;;
	*)
		echo "bench_mysql: unknown scenario '$s' (seed tuned script xvipd host-tuned host-xvipd kill-xvipd stop-xvipd kill-script stop-script)" >&2
		exit 1
		;;
	esac
done
case " $SCENARIOS " in *" seed "* | *" tuned "* | *" script "* | *" host-tuned "* | *"-script "*)
	[ -x "$KEEPALIVED" ] || {
		echo "bench_mysql: $KEEPALIVED not found (apt-get install keepalived, or set KEEPALIVED=)" >&2
		exit 1
	}
	;;
esac
for c in ip ethtool mariadbd mariadb mariadb-admin mariadb-install-db perl; do
	command -v $c >/dev/null 2>&1 || [ -x "/usr/sbin/$c" ] || {
		echo "bench_mysql: '$c' is needed (tools/deps.sh)" >&2
		exit 1
	}
done

# shellcheck source=tests/e2e/lib.sh
. "$HERE/../tests/e2e/lib.sh"
# shellcheck source=tests/e2e/mysql_lib.sh
. "$HERE/../tests/e2e/mysql_lib.sh"
# shellcheck source=tools/bench_lib.sh
. "$HERE/bench_lib.sh"
e2e_init bmysql "$ARG_BUILD"
bench_exit() {
	if [ -n "${BENCH_KEEP_LOGS:-}" ] && [ -n "${WORK:-}" ] && [ -d "$WORK" ]; then
		mkdir -p "$BENCH_KEEP_LOGS" &&
			cp "$WORK"/*.log "$WORK"/*.conf "$WORK"/*.pl "$BENCH_KEEP_LOGS"/ 2>/dev/null
	fi
	db_cleanup "$@"
}
# mysql_lib.sh would install its own traps at the first db_start: ours
# (which end in its db_cleanup) instead
DB_TRAPPED=1
trap 'bench_exit exit' EXIT
trap 'echo "bench_mysql: interrupted, cleaning up" >&2; bench_exit; exit 130' INT
trap 'bench_exit; exit 143' TERM

VIP=10.86.0.100
N1=10.86.0.1
N2=10.86.0.2
PORT=3306
PROBE=$BUILD/xvip-probe
# xvip-probe's thousands of greeting-then-RST connections count as
# connection errors; never let mariadbd block the client's host for them
DB_OPTS=(--max-connect-errors=4294967295)

# ---------------------------------------------------------------- helpers

now_ms() {
	local _now_us=${EPOCHREALTIME/[.,]/}
	printf -v "$1" '%s' $((_now_us / 1000))
}
# msleep SECS: sleep without a fork (a read that times out on a pipe that
# never gets data): fork+exec of sleep(1) takes milliseconds on a busy machine
exec {SLEEP_FD}<> <(:)
msleep() { read -r -t "$1" -u "$SLEEP_FD" _; }
# proc_gone PID: no such process, or only its zombie (its files are closed)
# proc_gone PID: no such process, or only its zombie leader is left: every
# other thread has exited (num_threads, field 20 of stat, is 1), and with the
# last of them its memory and its files, the sockets, are released
proc_gone() {
	local l f
	{ read -r l <"/proc/$1/stat"; } 2>/dev/null || return 0
	l=${l##*) }
	read -r -a f <<<"$l"
	[ "${f[0]}" = X ] || { [ "${f[0]}" = Z ] && [ "${f[17]:-0}" -le 1 ]; }
}
# bg_start, and no "Killed" line from bash when the process is killed
bgs() {
	bg_start "$@"
	disown "$BG_PID" 2>/dev/null
}
# through the VIP from the client: which node answers (report_host)
via_vip() { db_sql_tcp client $VIP "SELECT @@report_host" 2>/dev/null; }
via_vip_is() { [ "$(via_vip)" = "$1" ]; }
# "2026-11-24 21:25:08.123 xvipd[..." -> epoch ms
log_ms() { date -d "$1 $2" +%s%3N 2>/dev/null; }

# lab_up MODE: namespaces, both mariadbd, dual master (MODE semisync|async)
lab_up() {
	# the pins' bpffs (e2e_init mounted it): if it is gone, mount it again
	if ! mountpoint -q "$WORK/bpf"; then
		note "$WORK/bpf is no longer a mount point: mounting a bpffs again"
		mount -t bpf bpf "$WORK/bpf" || return 1
	fi
	lab_bridge || return 1
	lab_host client 10.86.0.10/24 || return 1
	lab_host db1 $N1/24 || return 1
	lab_host db2 $N2/24 || return 1
	db_start db1 1 1 "${DB_OPTS[@]}" || return 1
	db_start db2 2 2 "${DB_OPTS[@]}" || return 1
	db_dual_master db1 $N1 db2 $N2 "$1"
}

# lab_down: every process of the run ended (by id), namespaces, datadirs and
# pins removed; lib.sh's and mysql_lib.sh's bookkeeping emptied.
lab_down() {
	local pid n i
	for n in db1 db2; do db_kill $n >/dev/null 2>&1; done
	stop_all_gently # lib.sh: TERM, then wait for them
	for pid in "${E2E_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; done
	for n in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		case $n in "$P"*) ;; *) continue ;; esac
		for pid in $(ip netns pids "$n" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
	done
	for pid in "${E2E_PIDS[@]}"; do
		for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.01; done
		wait "$pid" 2>/dev/null
	done
	E2E_PIDS=()
	for n in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		case $n in "$P"*) ip netns del "$n" 2>/dev/null ;; esac
	done
	rm -rf "$(db__dir)/db-db1" "$(db__dir)/db-db2" "$(pin_of db1)" "$(pin_of db2)"
	DB_PID=() DB_IP=() DB_PEER=() DB_MODE=() DB_BREAK_ID=()
}

# ------------------------------------------------ keepalived's checker
# ka-tcp-check.pl: stand-in for keepalived's checker child (see the header).
cat >"$WORK/ka-tcp-check.pl" <<'EOF'
#!/usr/bin/perl
# ka-tcp-check.pl NODE IP PORT DELAY_LOOP CONNECT_TIMEOUT RETRY DELAY_BEFORE_RETRY NOTIFY_DOWN
# keepalived 2.2's TCP_CHECK (check_tcp.c): the first check after a random
# part of delay_loop; a check is one TCP connect bounded by connect_timeout;
# a success schedules the next check delay_loop later; a failure is retried
# RETRY times, delay_before_retry apart; when they all fail the server is
# DOWN and notify_down runs. notify_down here is the seed's check_mysql.sh
# (pkill keepalived), after which nothing is left to check: exit.
use strict;
use warnings;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);
$| = 1;
my ($node, $ip, $port, $dl, $ct, $retry, $dbr, $notify) = @ARGV;
sub ts { sprintf "%.0f", time() * 1000 }
sub tcp_ok {
	my $s = IO::Socket::INET->new(PeerAddr => $ip, PeerPort => $port,
		Proto => 'tcp', Timeout => $ct);
	return 0 unless $s;
	close $s;
	return 1;
}
print ts(), " $node: TCP_CHECK $ip:$port delay_loop $dl connect_timeout $ct retry $retry delay_before_retry $dbr\n";
sleep(rand($dl));
while (1) {
	my $tries = 0;
	while (!tcp_ok()) {
		if ($tries >= $retry) {
			print ts(), " $node: DOWN: TCP_CHECK on $ip:$port failed after $retry retries; notify_down $notify\n";
			system($notify);
			print ts(), " $node: notify_down done\n";
			exit 0;
		}
		print ts(), " $node: TCP_CHECK on $ip:$port failed, retry ", $tries + 1, "\n";
		$tries++;
		sleep($dbr);
	}
	sleep($dl);
}
EOF

# ka_conf SCEN NODE STATE PRIORITY IP
ka_conf() {
	local s=$1 n=$2 state=$3 prio=$4 ip=$5 vrrp adv auth="" track="" script=""
	case $s in
	seed)
		vrrp="vrrp_version 2"
		adv=1
		auth="authentication {
        auth_type PASS
        auth_pass 1111
    }"
		;;
	tuned | script | host-tuned)
		vrrp="vrrp_version 3"
		adv=0.01
		;;
	esac
	if [ "$s" = script ]; then
		script="vrrp_script chk_mysql {
    script \"$WORK/tcp-connect.sh $ip $PORT 1\"
    interval 1
    timeout 1
    fall 1
    rise 1
}"
		track="track_script {
        chk_mysql weight 0
    }"
	fi
	cat >"$WORK/ka-$s-$n.conf" <<EOF
! tools/bench_mysql.sh, scenario $s, node $n (after the seed's
! MySQL-master{1,2}.keepalived.conf). keepalived runs with -P (VRRP only):
! its checker needs IPVS, absent from this kernel. The virtual_server block
! is kept for reference; ka-tcp-check.pl emulates its TCP_CHECK with these
! values and notify_down ($WORK/check_mysql-$n.sh).
global_defs {
    router_id MySQL-ha
    $vrrp
    script_user root
}
$script
vrrp_instance VI_1 {
    state $state
    interface eth0
    virtual_router_id 51
    priority $prio
    advert_int $adv
    nopreempt
    $auth
    virtual_ipaddress {
        $VIP
    }
    $track
}
virtual_server $VIP $PORT {
    delay_loop ${KA_DL[$s]}
    lb_algo wrr
    lb_kind DR
    persistence_timeout 60
    protocol TCP
    real_server $ip $PORT {
        weight 3
        notify_down $WORK/check_mysql-$n.sh
        TCP_CHECK {
            connect_timeout ${KA_CT[$s]}
            retry ${KA_RETRY[$s]}
            delay_before_retry ${KA_DBR[$s]}
            connect_port $PORT
        }
    }
}
EOF
	# the seed's check_mysql.sh is `pkill keepalived`: here only this
	# node's keepalived (parent and VRRP child), by pid
	cat >"$WORK/check_mysql-$n.sh" <<EOF
#!/bin/sh
for p in \$(cat $WORK/ka-$n.pid $WORK/ka-$n-vrrp.pid 2>/dev/null); do
	[ "\$(cat /proc/\$p/comm 2>/dev/null)" = keepalived ] && kill -TERM \$p
done
exit 0
EOF
	chmod +x "$WORK/check_mysql-$n.sh"
}
declare -A KA_DL=([seed]=2 [tuned]=0.1 [script]=1 [host-tuned]=0.1)
declare -A KA_CT=([seed]=10 [tuned]=0.1 [script]=1 [host-tuned]=0.1)
declare -A KA_RETRY=([seed]=3 [tuned]=1 [script]=0 [host-tuned]=1)
declare -A KA_DBR=([seed]=3 [tuned]=0.1 [script]=1 [host-tuned]=0.1)
# the "script" scenario's vrrp_script: one TCP connect, bounded
cat >"$WORK/tcp-connect.sh" <<'EOF'
#!/bin/sh
exec timeout "$3" bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
EOF
chmod +x "$WORK/tcp-connect.sh"

ka_start() { # SCEN NODE
	local s=$1 n=$2
	rm -f "$WORK/ka-$n.pid" "$WORK/ka-$n-vrrp.pid"
	bgs "$n" "$WORK/ka-$s-$n.log" "$KEEPALIVED" -n -l -D -P -f "$WORK/ka-$s-$n.conf" \
		-p "$WORK/ka-$n.pid" -r "$WORK/ka-$n-vrrp.pid" -c "$WORK/ka-$n-check.pid" \
		-b "$WORK/ka-$n-bfd.pid"
}
ka_state() { sed -n 's/.*Entering \([A-Z]*\) STATE.*/\1/p' "$WORK/ka-$1-$2.log" 2>/dev/null | tail -1; }
ka_is() { [ "$(ka_state "$1" "$2")" = "$3" ]; }
ka_masters() { grep -c "Entering MASTER STATE" "$WORK/ka-$1-$2.log" 2>/dev/null; }
# takeovers SCEN: how many times db2 became VRRP master in this run
takeovers() {
	local c
	case $1 in
	xvipd | *-xvipd) c=$(xctl db2 status --json 2>/dev/null | json_get became_master) ;;
	*-script) c=$(ka_masters script db2) ;;
	*) c=$(ka_masters "$1" db2) ;;
	esac
	echo "${c:-0}"
}
ka_child() { local p; p=$(cat "$WORK/ka-$1-vrrp.pid" 2>/dev/null) && [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

# ------------------------------------------------------------ xvipd
xv_conf() { # NODE PRIORITY [ADVERT_INT]: the pair's config, as the tests and the demo use it
	XC_ADVERT_INT=${3:-0.1} xvipd_mysql_conf "$WORK/xvipd-$1.conf" "$1" "$2" "$VIP" 61 "$N1" "$N2"
}
xv_start() {
	bgs "$1" "$WORK/xvipd-$1.log" "$BUILD/xvipd" -n -l -f "$WORK/xvipd-$1.conf" \
		--pin-root "$(pin_of "$1")" -p "$WORK/xvipd-$1.pid"
}
xv_json() { xctl db1 status --json 2>/dev/null; }
xv_text() { xctl db1 status 2>/dev/null; }
xv_master() { xctl "$1" status --json 2>/dev/null | grep -q '"state":"MASTER"'; }
xv_stable() {
	local t
	t=$(xv_text) || return 1
	grep -q "writer $N1:$PORT, semi-synchronous" <<<"$t" &&
		grep -q "real_server $N1:$PORT (this host) weight 3: UP" <<<"$t" &&
		grep -q "real_server $N2:$PORT weight 2: UP" <<<"$t"
}

show_logs() {
	local f
	for f in "$@"; do
		[ -f "$f" ] || continue
		note "last lines of $(basename "$f"):"
		grep -v -i debug "$f" | tail -12 | sed 's/^/#   /'
	done
}

# ------------------------------------------------------------ results
# pair_xvipd SCEN ADVERT_INT: xvipd on both nodes (db1 first), until db1 is
# VRRP master and the writer with db2 UP and semi-sync on; logs in $logs
pair_xvipd() {
	local s=$1
	xv_conf db1 100 "$2"
	xv_conf db2 90 "$2"
	xv_start db1
	if ! wait_until 8 xv_master db1; then
		fail "$s" "db1 did not become VRRP master"
		show_logs "${logs[@]}"
		return 1
	fi
	xv_start db2
	if ! wait_until 10 xv_stable; then
		fail "$s" "db1 not the writer with db2 UP and semi-sync on within 10 s"
		xv_text | sed 's/^/#   /'
		show_logs "${logs[@]}"
		return 1
	fi
}

# pair_keepalived SCEN KA_SCEN [child]: both nodes writable, keepalived with
# KA_SCEN's config on both (db1 first), until db1 is MASTER and db2 BACKUP
# (child: and both VRRP children run); logs in $logs
pair_keepalived() {
	local s=$1 k=$2
	if ! db_sql db1 "SET GLOBAL read_only=OFF" || ! db_sql db2 "SET GLOBAL read_only=OFF"; then
		fail "$s" "cannot set read_only=OFF"
		return 1
	fi
	ka_conf "$k" db1 MASTER 100 $N1
	ka_conf "$k" db2 BACKUP 90 $N2
	ka_start "$k" db1
	if ! wait_until 8 ka_is "$k" db1 MASTER; then
		fail "$s" "db1's keepalived did not become MASTER"
		show_logs "${logs[@]}"
		return 1
	fi
	ka_start "$k" db2
	if ! wait_until 8 ka_is "$k" db2 BACKUP ||
		{ [ "${3:-}" = child ] && { ! wait_until 5 ka_child db1 || ! wait_until 5 ka_child db2; }; }; then
		fail "$s" "db2's keepalived did not settle as BACKUP"
		show_logs "${logs[@]}"
		return 1
	fi
}

declare -A GAPS PAIRS FAILS EARLY REDONE TEARDOWN LASTOK BASE ELSEWHERE STEP
DOWN_MS=() PROMO_MS=() TOOK_US=() KA_DOWN_MS=()

scen_label() {
	case $1 in
	seed) echo "(a) keepalived, seed timings" ;;
	tuned) echo "(b) keepalived, tuned" ;;
	script) echo "(b') keepalived, vrrp_script 1 s" ;;
	xvipd) echo "(c) xvipd fo + MYSQL_CHECK" ;;
	host-tuned) echo "(d) host dies: keepalived tuned" ;;
	host-xvipd) echo "(e) host dies: xvipd" ;;
	kill-xvipd) echo "(f) kill -9 mariadbd: xvipd" ;;
	stop-xvipd) echo "(g) SIGSTOP mariadbd: xvipd" ;;
	kill-script) echo "(f') kill -9: keepalived script" ;;
	stop-script) echo "(g') SIGSTOP: keepalived script" ;;
	esac
}
scen_duration() { case $1 in seed) echo 16000 ;; tuned | script) echo 5000 ;; xvipd) echo 3000 ;; host-*) echo 4000 ;; kill-* | stop-*) echo 4000 ;; esac; }
scen_repeat() { case $1 in seed) echo "$REPEAT_SLOW" ;; kill-* | stop-*) echo "$REPEAT_FAULT" ;; *) echo "$REPEAT" ;; esac; }
fail() { # SCEN MESSAGE
	echo "bench_mysql: $(scen_label "$1"): $2; run skipped"
	FAILS[$1]=$((${FAILS[$1]:-0} + 1))
}

# ------------------------------------------------------------- one run
# run_one SCEN REP: 0 done, 1 failed, 2 to be redone (takeover before kill)
run_one() {
	local s=$1 rep=$2 dur mode=async ppid j t probe_ms kill_ms out gap at before after
	local m0 extra="" logs=() n ip pid1 gone_ms t0 tl t1
	dur=$(scen_duration "$s")
	[ "$s" = xvipd ] && mode=semisync
	lab_down
	t0=$SECONDS
	if ! lab_up $mode; then
		fail "$s" "the MariaDB pair did not come up"
		show_logs "$WORK/db-db1.log" "$WORK/db-db2.log"
		return 1
	fi
	tl=$SECONDS
	case $s in
	xvipd)
		logs=("$WORK/xvipd-db1.log" "$WORK/xvipd-db2.log")
		pair_xvipd "$s" 0.1 || return 1
		;;
	*)
		logs=("$WORK/ka-$s-db1.log" "$WORK/ka-$s-db2.log")
		[ "$s" = script ] || logs+=("$WORK/kachk-$s-db1.log" "$WORK/kachk-$s-db2.log")
		pair_keepalived "$s" "$s" child || return 1
		if [ "$s" != script ]; then
			for n in db1 db2; do
				ip=$N1
				[ $n = db2 ] && ip=$N2
				bgs $n "$WORK/kachk-$s-$n.log" perl "$WORK/ka-tcp-check.pl" $n $ip $PORT \
					"${KA_DL[$s]}" "${KA_CT[$s]}" "${KA_RETRY[$s]}" "${KA_DBR[$s]}" \
					"$WORK/check_mysql-$n.sh"
			done
		fi
		;;
	esac
	if ! wait_until 10 via_vip_is db1; then
		fail "$s" "the client does not reach db1's mysqld through $VIP"
		show_logs "${logs[@]}"
		return 1
	fi
	t1=$SECONDS
	# a moment for the checks to run a few rounds before the probe
	sleep 0.5
	pid1=$(db_pid db1)
	# "no failure": the same probe (3 s) against the healthy pair, the noise
	# floor of this machine at this moment
	out=$(ns client "$PROBE" outage $VIP $PORT 3000 2>&1 | LC_ALL=C tr -cd '[:print:]\n' | tail -1)
	gap=$(sed -n 's/.*longest_gap_ms \([0-9.]*\).*/\1/p' <<<"$out")
	[ -z "$gap" ] || BASE[$s]+="$gap "
	before=$(via_vip)
	m0=$(takeovers "$s")
	# db2 already VRRP master (adverts late on a loaded machine), or the VIP
	# not leading to db1: this run would measure something else
	if [ "$m0" != 0 ] || [ "$before" != db1 ]; then
		echo "bench_mysql: $(scen_label "$s"): before the kill, db2 has been VRRP master $m0 time(s), the VIP leads to ${before:-nobody}; run redone"
		REDONE[$s]=$((${REDONE[$s]:-0} + 1))
		return 2
	fi

	bgs client "$WORK/outage-$s-$rep.log" "$PROBE" outage $VIP $PORT "$dur"
	ppid=$BG_PID
	# the probe's clock starts when `ip netns exec` has become xvip-probe
	for ((j = 0; j < 2000; j++)); do
		{ read -r t <"/proc/$ppid/comm"; } 2>/dev/null || break
		[ "$t" = xvip-probe ] && break
		msleep 0.0005
	done
	now_ms probe_ms
	msleep 1
	# db2 became VRRP master before db1 failed (adverts late on a loaded
	# machine): this run would measure something else
	if [ "$(takeovers "$s")" != "$m0" ]; then
		bg_stop "$ppid"
		echo "bench_mysql: $(scen_label "$s"): db2 took over before the kill (adverts late under load); run redone"
		REDONE[$s]=$((${REDONE[$s]:-0} + 1))
		return 2
	fi
	if [ -z "$pid1" ] || proc_gone "$pid1"; then
		bg_stop "$ppid"
		fail "$s" "db1's mariadbd died before the kill"
		show_logs "$WORK/db-db1.log" "${logs[@]}"
		return 1
	fi
	# the clock is read right before the kill(2) (no fork in between); then
	# how long the kernel takes to tear mariadbd down (every thread, its
	# memory, then its sockets) until only a zombie is left
	now_ms kill_ms
	kill -KILL "$pid1"
	for ((j = 0; j < 5000; j++)); do
		proc_gone "$pid1" && break
		msleep 0.0005
	done
	now_ms gone_ms
	TEARDOWN[$s]+="$((gone_ms - kill_ms)) "
	db_kill db1 # bookkeeping: it is gone already
	if ! wait_until $((dur / 1000 + 5)) sh -c "! kill -0 $ppid 2>/dev/null"; then
		echo "bench_mysql: the outage probe did not finish in time"
	fi
	bg_stop "$ppid"
	# the greeting's first bytes are binary: keep the numbers only
	out=$(LC_ALL=C tr -cd '[:print:]\n' <"$WORK/outage-$s-$rep.log" | tail -1)
	gap=$(sed -n 's/.*longest_gap_ms \([0-9.]*\).*/\1/p' <<<"$out")
	at=$(sed -n 's/.*gap_at_ms \([0-9]*\).*/\1/p' <<<"$out")
	wait_until 5 via_vip_is db2
	after=$(via_vip)
	if [ -z "$gap" ] || [ -z "$at" ]; then
		ip netns list 2>/dev/null | grep -q "^${P}client\b" ||
			out+=" (the lab's namespaces are gone: removed by something outside this script?)"
		fail "$s" "no result from the probe: ${out:-nothing}"
		show_logs "${logs[@]}"
		return 1
	fi
	local kill_at=$((kill_ms - probe_ms)) flag=""
	# The failover's gap starts at the kill: db1's last greeting can come no
	# later (nothing of mariadbd runs after SIGKILL), and the clocks agree
	# within a few ms. A longest gap that ended before the kill means the
	# failover outlasted the probe; one that starts well after the kill is a
	# stall of this machine after the failover, whose own gap was shorter.
	if [ "$(awk -v a="$at" -v g="$gap" -v k="$kill_at" 'BEGIN { print (a + g < k) }')" = 1 ]; then
		flag=" (ENDED BEFORE THE KILL: the failover outlasted the probe?)"
		EARLY[$s]=$((${EARLY[$s]:-0} + 1))
	elif [ $((at - kill_at)) -gt 50 ]; then
		flag=" (a later stall: the failover's own gap was shorter)"
		ELSEWHERE[$s]=$((${ELSEWHERE[$s]:-0} + 1))
	fi
	GAPS[$s]+="$gap "
	# the last greeting before the gap, counted from the kill (the probe's
	# clock starts within a millisecond or so of probe_ms)
	LASTOK[$s]+="$((at - kill_at)) "
	PAIRS[$s]+="${before:-?}>${after:-?} "

	if [ "$s" = xvipd ]; then
		local js line d tm down="" promo="" took=""
		js=$(xv_json)
		# newest writer event first: the promotion of db2
		took=$(grep -o '"event":"promoted","addr":"'$N2'","took_us":[0-9]*' <<<"$js" | head -1 | sed 's/.*://')
		promo=$(grep -o '"wall_ms":[0-9]*,"event":"promoted","addr":"'$N2'"' <<<"$js" | head -1 |
			sed 's/"wall_ms":\([0-9]*\).*/\1/')
		[ -z "$promo" ] || promo=$((promo - kill_ms))
		# the owner's first DOWN of db1 logged after the kill (log lines
		# carry wall-clock ms)
		while read -r d tm _; do
			t=$(log_ms "$d" "$tm")
			if [ -z "$t" ] || [ "$t" -lt "$kill_ms" ]; then continue; fi
			down=$((t - kill_ms))
			break
		done < <(grep -v debug "$WORK/xvipd-db1.log" | grep "$N1:$PORT" | grep "DOWN")
		[ -z "$down" ] || DOWN_MS+=("$down")
		[ -z "$promo" ] || PROMO_MS+=("$promo")
		[ -z "$took" ] || TOOK_US+=("$took")
		extra=", kill -> DOWN ${down:-?} ms, kill -> promoted ${promo:-?} ms, decision -> promoted ${took:-?} us"
		line=$(grep -m1 "writer is now $N2" "$WORK/xvipd-db1.log" | sed 's/.*(\(.*\))$/\1/')
		[ -z "$line" ] || extra+=$'\n#       '"$line"
		# the promotion's steps, when xvipd logs them
		for n in detect-\>start fence semi-sync apply open; do
			t=$(sed -n "s/.*[ ;]${n} \([0-9]*\)[, ].*/\1/p" <<<"$line")
			[ -z "$t" ] || STEP[$n]+="$t "
		done
	elif [ "$s" != script ]; then
		local dl
		dl=$(sed -n 's/^\([0-9]*\) db1: DOWN.*/\1/p' "$WORK/kachk-$s-db1.log" | head -1)
		if [ -n "$dl" ]; then
			KA_DOWN_MS+=("$s:$((dl - kill_ms))")
			extra=", kill -> checker DOWN $((dl - kill_ms)) ms"
		fi
	fi
	printf '# %d/%d %-34s gap %8s ms at %5s ms (kill at %s ms, mariadbd gone %s ms later), %s -> %s%s%s\n#       lab up in %d s, daemons stable in %d s\n' \
		"$rep" "$(scen_repeat "$s")" "$(scen_label "$s")" "$gap" "$at" "$kill_at" \
		"$((gone_ms - kill_ms))" "${before:-?}" "${after:-?}" "$extra" "$flag" \
		$((tl - t0)) $((t1 - tl))
	if [ "$after" != db2 ]; then
		echo "bench_mysql: $(scen_label "$s"): after the run the VIP does not lead to db2 (${after:-nobody})"
		show_logs "${logs[@]}"
	fi
	return 0
}

# ------------------------------------------------- the writer's host dies
declare -A HGAP HLONG HLOST HLASTOK
H_MASTER=() H_PROMO=() H_TOOK=() H_GRACE=()
declare -A HSTEP

# run_host SCEN REP: like run_one (0 done, 1 failed, 2 to be redone), for
# host-tuned and host-xvipd
run_host() {
	local s=$1 rep=$2 dur mode=async logs=() pids wpid j out gap lat w0 kill_us kill_ms
	local m0 sw fgap fat lost n2 js t0 tl t1 line extra="" t n pid
	dur=$(scen_duration "$s")
	[ "$s" = host-xvipd ] && mode=semisync
	lab_down
	t0=$SECONDS
	if ! lab_up $mode; then
		fail "$s" "the MariaDB pair did not come up"
		show_logs "$WORK/db-db1.log" "$WORK/db-db2.log"
		return 1
	fi
	tl=$SECONDS
	if [ "$s" = host-xvipd ]; then
		logs=("$WORK/xvipd-db1.log" "$WORK/xvipd-db2.log")
		pair_xvipd "$s" 0.01 || return 1
	else
		logs=("$WORK/ka-$s-db1.log" "$WORK/ka-$s-db2.log")
		pair_keepalived "$s" "$s" child || return 1
	fi
	if ! wait_until 10 via_vip_is db1; then
		fail "$s" "the client does not reach db1's mysqld through $VIP"
		show_logs "${logs[@]}"
		return 1
	fi
	t1=$SECONDS
	sleep 0.5
	m0=$(takeovers "$s")
	if [ "$m0" != 0 ]; then
		echo "bench_mysql: $(scen_label "$s"): before the failure, db2 has been VRRP master $m0 time(s); run redone"
		REDONE[$s]=$((${REDONE[$s]:-0} + 1))
		return 2
	fi
	# db1's processes: the daemon (keepalived: parent and VRRP child) and mariadbd
	if [ "$s" = host-xvipd ]; then
		pids=$(cat "$WORK/xvipd-db1.pid" 2>/dev/null)
	else
		pids="$(cat "$WORK/ka-db1.pid" "$WORK/ka-db1-vrrp.pid" 2>/dev/null | tr '\n' ' ')"
	fi
	pids+=" $(db_pid db1)"
	if [ "$(wc -w <<<"$pids")" -lt 2 ]; then
		fail "$s" "cannot find db1's processes ($pids)"
		return 1
	fi
	rm -f "$WORK/host.acked" "$WORK/host.acked.at"
	bgs client "$WORK/writes-$s-$rep.log" "$PROBE" writes $VIP $PORT "$DB_TCP_USER" "$DB_TCP_PASS" \
		"$dur" "$WORK/host.acked" 2 200
	wpid=$BG_PID
	now_ms t
	# the writes flow (their first acknowledgements), then about 1.5 s
	for ((j = 0; j < 4000; j++)); do
		[ -s "$WORK/host.acked" ] && break
		msleep 0.001
	done
	# ~1.5 s in, at a random point of the checks' 100 ms interval: a fixed
	# delay from a lab started the same way each time would hit the same
	# phase run after run, and a hang's detection depends on it
	t=$((1500 + RANDOM % 100))
	msleep "$((t / 1000)).$(printf '%03d' $((t % 1000)))"
	if [ "$(takeovers "$s")" != "$m0" ]; then
		bg_stop "$wpid"
		echo "bench_mysql: $(scen_label "$s"): db2 took over before the failure (adverts late under load); run redone"
		REDONE[$s]=$((${REDONE[$s]:-0} + 1))
		return 2
	fi
	[ -f "$WORK/xvipd-db2.log" ] && n2=$(wc -l <"$WORK/xvipd-db2.log")
	# the host dies: one SIGSTOP freezes all of them (microseconds apart),
	# then the link goes, then they are killed; the clock is read right
	# before, with no fork in between
	kill_us=${EPOCHREALTIME/[.,]/}
	# shellcheck disable=SC2086 # a list of pids
	kill -STOP $pids 2>/dev/null
	ip -n "${P}db1" link set eth0 down
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null
	kill_ms=$((kill_us / 1000))
	for pid in $pids; do
		for ((j = 0; j < 2000; j++)); do
			proc_gone "$pid" && break
			msleep 0.001
		done
	done
	db_kill db1 # bookkeeping: it is gone already
	if ! wait_until $((dur / 1000 + 5)) sh -c "! kill -0 $wpid 2>/dev/null"; then
		echo "bench_mysql: the writes did not finish in time"
	fi
	bg_stop "$wpid"
	out=$(grep '^start_wall_ms' "$WORK/writes-$s-$rep.log")
	gap=$(sed -n 's/.*longest_gap_ms \([0-9.]*\).*/\1/p' <<<"$out")
	lat=$(sed -n 's/.*gap_at_ms \([0-9]*\).*/\1/p' <<<"$out")
	w0=$(sed -n 's/^start_wall_ms \([0-9]*\).*/\1/p' <<<"$out")
	if [ -z "$gap" ] || [ -z "$w0" ]; then
		fail "$s" "no result from the writes: $(tail -2 "$WORK/writes-$s-$rep.log" | tr '\n' ' ')"
		show_logs "${logs[@]}"
		return 1
	fi
	# the failover's own gap: db1's last acknowledged write to db2's first
	db_sql db2 "SELECT v, node FROM app.t WHERE v LIKE 'host-%'" | sort >"$WORK/host.nodes"
	sort -k2 "$WORK/host.acked.at" | join -1 2 -2 1 - "$WORK/host.nodes" | sort -k2 -g >"$WORK/host.timeline"
	sw=$(awk '$3 == "db1" { last1 = $2 } $3 == "db2" && !first2 { first2 = $2 }
		END { if (last1 != "" && first2 != "") printf "%.1f %.0f", first2 - last1, last1 }' "$WORK/host.timeline")
	if [ -z "$sw" ]; then
		fail "$s" "no acknowledged write on db1 then on db2 ($out)"
		show_logs "${logs[@]}"
		return 1
	fi
	fgap=${sw% *}
	fat=${sw#* }
	lost=$(db_missing_acked db2 "$WORK/host.acked" | wc -l)
	HGAP[$s]+="$fgap "
	HLONG[$s]+="$gap "
	HLOST[$s]+="$lost "
	HLASTOK[$s]+="$((w0 + fat - kill_ms)) "
	if [ "$s" = host-xvipd ]; then
		local master="" promo="" took=""
		js=$(xctl db2 status --json 2>/dev/null)
		master=$(grep -o '"wall_ms":[0-9]*,"from":"BACKUP","to":"MASTER"' <<<"$js" | head -1 |
			sed 's/"wall_ms":\([0-9]*\).*/\1/')
		promo=$(grep -o '"wall_ms":[0-9]*,"event":"promoted","addr":"'$N2'"' <<<"$js" | head -1 |
			sed 's/"wall_ms":\([0-9]*\).*/\1/')
		took=$(grep -o '"event":"promoted","addr":"'$N2'","took_us":[0-9]*' <<<"$js" | head -1 | sed 's/.*://')
		[ -z "$master" ] || { master=$((master - kill_ms)); H_MASTER+=("$master"); }
		[ -z "$promo" ] || { promo=$((promo - kill_ms)); H_PROMO+=("$promo"); }
		[ -z "$took" ] || H_TOOK+=("$took")
		t=$(tail -n +$((${n2:-0} + 1)) "$WORK/xvipd-db2.log" |
			sed -n 's/.*its host went silent.*decision waits \([0-9]*\) ms.*/\1/p' | head -1)
		[ -z "$t" ] || H_GRACE+=("$t")
		extra=", death -> db2 master ${master:-?} ms, -> promoted ${promo:-?} ms, decision -> promoted ${took:-?} us, grace ${t:-?} ms"
		line=$(tail -n +$((${n2:-0} + 1)) "$WORK/xvipd-db2.log" | grep -m1 "writer is now $N2" |
			sed 's/.*(\(.*\))$/\1/')
		[ -z "$line" ] || extra+=$'\n#       '"$line"
		for n in semi-sync apply open; do
			t=$(sed -n "s/.*[ ;]${n} \([0-9]*\)[, ].*/\1/p" <<<"$line")
			[ -z "$t" ] || HSTEP[$n]+="$t "
		done
		if tail -n +$((${n2:-0} + 1)) "$WORK/xvipd-db2.log" | grep -q "promoting $N1:$PORT"; then
			extra+=$'\n#       '"WARNING: db2 tried to promote db1"
		fi
	fi
	printf '# %d/%d %-34s write gap db1 -> db2 %6s ms (db1 last ack %s ms from the death), longest gap %s ms (at %s ms), %s acknowledged lost%s\n#       lab up in %d s, daemons stable in %d s\n' \
		"$rep" "$(scen_repeat "$s")" "$(scen_label "$s")" "$fgap" "$((w0 + fat - kill_ms))" \
		"$gap" "$((w0 + lat - kill_ms))" "$lost" "$extra" $((tl - t0)) $((t1 - tl))
	return 0
}

# ------------------------------------- the writer's mariadbd faults, under writes
declare -A FGAP FOUT FFLOOR FLOST FDOWN FTOOK FTOOK_N FNOFO
declare -A FSTEP

# run_fault SCEN REP: like run_one (0 done, 1 failed, 2 to be redone), for
# kill-xvipd, stop-xvipd, kill-script, stop-script
run_fault() {
	local s=$1 rep=$2 dur sig kind mode=async logs=() wpid ppid j out gap w0 kill_us kill_ms
	local m0 sw fgap lost js t0 tl t1 line extra="" t n pid1 floor og rel down took nofo=""
	dur=$(scen_duration "$s")
	sig=KILL
	[ "${s%%-*}" = stop ] && sig=STOP
	kind=${s#*-}
	[ "$kind" = xvipd ] && mode=semisync
	lab_down
	t0=$SECONDS
	if ! lab_up $mode; then
		fail "$s" "the MariaDB pair did not come up"
		show_logs "$WORK/db-db1.log" "$WORK/db-db2.log"
		return 1
	fi
	tl=$SECONDS
	if [ "$kind" = xvipd ]; then
		logs=("$WORK/xvipd-db1.log" "$WORK/xvipd-db2.log")
		pair_xvipd "$s" 0.1 || return 1
	else
		logs=("$WORK/ka-script-db1.log" "$WORK/ka-script-db2.log")
		pair_keepalived "$s" script || return 1
	fi
	if ! wait_until 10 via_vip_is db1; then
		fail "$s" "the client does not reach db1's mysqld through $VIP"
		show_logs "${logs[@]}"
		return 1
	fi
	t1=$SECONDS
	sleep 0.5
	m0=$(takeovers "$s")
	if [ "$m0" != 0 ]; then
		echo "bench_mysql: $(scen_label "$s"): before the fault, db2 has been VRRP master $m0 time(s); run redone"
		REDONE[$s]=$((${REDONE[$s]:-0} + 1))
		return 2
	fi
	pid1=$(db_pid db1)
	rm -f "$WORK/fault.acked" "$WORK/fault.acked.at"
	bgs client "$WORK/writes-$s-$rep.log" "$PROBE" writes $VIP $PORT "$DB_TCP_USER" "$DB_TCP_PASS" \
		"$dur" "$WORK/fault.acked" 2 200
	wpid=$BG_PID
	bgs client "$WORK/outage-$s-$rep.log" "$PROBE" outage $VIP $PORT "$dur"
	ppid=$BG_PID
	for ((j = 0; j < 4000; j++)); do
		[ -s "$WORK/fault.acked" ] && break
		msleep 0.001
	done
	# ~1.5 s in, at a random point of the checks' 100 ms interval: a fixed
	# delay from a lab started the same way each time would hit the same
	# phase run after run, and a hang's detection depends on it
	t=$((1500 + RANDOM % 100))
	msleep "$((t / 1000)).$(printf '%03d' $((t % 1000)))"
	if [ "$(takeovers "$s")" != "$m0" ]; then
		bg_stop "$wpid"
		bg_stop "$ppid"
		echo "bench_mysql: $(scen_label "$s"): db2 took over before the fault; run redone"
		REDONE[$s]=$((${REDONE[$s]:-0} + 1))
		return 2
	fi
	[ -f "$WORK/xvipd-db1.log" ] && n=$(wc -l <"$WORK/xvipd-db1.log")
	# the clock is read right before the kill(2), no fork in between
	kill_us=${EPOCHREALTIME/[.,]/}
	kill -"$sig" "$pid1"
	kill_ms=$((kill_us / 1000))
	for pid in $wpid $ppid; do
		if ! wait_until $((dur / 1000 + 5)) sh -c "! kill -0 $pid 2>/dev/null"; then
			echo "bench_mysql: a probe did not finish in time"
		fi
	done
	bg_stop "$wpid"
	bg_stop "$ppid"
	[ "$sig" = KILL ] && db_kill db1 # bookkeeping: it is gone already
	out=$(grep '^start_wall_ms' "$WORK/writes-$s-$rep.log")
	w0=$(sed -n 's/^start_wall_ms \([0-9]*\).*/\1/p' <<<"$out")
	og=$(LC_ALL=C tr -cd '[:print:]\n' <"$WORK/outage-$s-$rep.log" | tail -1 |
		sed -n 's/.*longest_gap_ms \([0-9.]*\).*/\1/p')
	if [ -z "$w0" ] || [ -z "$og" ]; then
		fail "$s" "no result from the probes: $(tail -1 "$WORK/writes-$s-$rep.log") / $(tail -1 "$WORK/outage-$s-$rep.log" | LC_ALL=C tr -cd '[:print:]')"
		show_logs "${logs[@]}"
		return 1
	fi
	rel=$((kill_ms - w0))
	# each acknowledged token's node, as db2 has it
	db_sql db2 "SELECT v, node FROM app.t WHERE v LIKE 'fault-%'" | sort >"$WORK/fault.nodes"
	sort -k2 "$WORK/fault.acked.at" | join -1 2 -2 1 - "$WORK/fault.nodes" | sort -k2 -g >"$WORK/fault.timeline"
	# the floor: the longest gap between two acknowledgements before the fault
	floor=$(sort -g "$WORK/fault.acked.at" | awk -v k="$rel" '$1 < k { if (p != "" && $1 - p > g) g = $1 - p; p = $1 }
		END { printf "%.1f", g }')
	sw=$(awk '$3 == "db1" { last1 = $2 } $3 == "db2" && !first2 { first2 = $2 }
		END { if (last1 != "" && first2 != "") printf "%.1f", first2 - last1 }' "$WORK/fault.timeline")
	if [ -z "$sw" ]; then
		# no write acknowledged on db2: no failover within the run
		sw=$(awk -v k="$rel" -v d="$dur" '$3 == "db1" { last1 = $2 } END { printf "%.1f", d - (last1 == "" ? k : last1) }' "$WORK/fault.timeline")
		nofo=" (NO FAILOVER within the run: a lower bound)"
		FNOFO[$s]=$((${FNOFO[$s]:-0} + 1))
	fi
	fgap=$sw
	lost=$(db_missing_acked db2 "$WORK/fault.acked" | wc -l)
	FGAP[$s]+="$fgap "
	FOUT[$s]+="$og "
	FFLOOR[$s]+="$floor "
	FLOST[$s]+="$lost "
	if [ "$kind" = xvipd ]; then
		js=$(xv_json)
		took=$(grep -o '"event":"promoted","addr":"'$N2'","took_us":[0-9]*' <<<"$js" | head -1 | sed 's/.*://')
		down=""
		while read -r d tm _; do
			t=$(log_ms "$d" "$tm")
			if [ -z "$t" ] || [ "$t" -lt "$kill_ms" ]; then continue; fi
			down=$((t - kill_ms))
			break
		done < <(tail -n +$((${n:-0} + 1)) "$WORK/xvipd-db1.log" | grep -v debug | grep "MYSQL_CHECK $N1:$PORT: DOWN")
		[ -z "$down" ] || FDOWN[$s]+="$down "
		[ -z "$took" ] || FTOOK[$s]+="$took "
		line=$(tail -n +$((${n:-0} + 1)) "$WORK/xvipd-db1.log" | grep -m1 "writer is now $N2" |
			sed 's/^.*writer is now [^ ]* (//; s/)$//')
		# "seen by the kernel; N us ago": the event's age when logged
		t=$(tail -n +$((${n:-0} + 1)) "$WORK/xvipd-db1.log" | sed -n 's/.*seen by the kernel; \([0-9]*\) us ago.*/\1/p' | head -1)
		extra=", kill -> DOWN ${down:-?} ms${t:+ (kernel event logged $t us after it)}, decision -> promoted ${took:-?} us"
		[ -z "$line" ] || extra+=$'\n#       '"$line"
		for k in detach semi-sync apply open; do
			t=$(sed -n "s/.*[ ;]${k} \([0-9]*\)[, ].*/\1/p" <<<"$line")
			[ -z "$t" ] || FSTEP[$s:$k]+="$t "
		done
		t=$(sed -n 's/.*round trips: \([0-9]*\) us.*/\1/p' <<<"$line")
		[ -z "$t" ] || FSTEP[$s:rt]+="$t "
		t=$(sed -n 's/.*round trips \([0-9]*\) and \([0-9]*\) us.*/\1 \2/p' <<<"$line")
		if [ -n "$t" ]; then
			FSTEP[$s:rt1]+="${t% *} "
			FSTEP[$s:rt2]+="${t#* } "
		fi
	fi
	printf '# %d/%d %-34s connect outage %6s ms, write gap %6s ms (floor %s ms), %s acknowledged lost%s%s\n#       lab up in %d s, daemons stable in %d s\n' \
		"$rep" "$(scen_repeat "$s")" "$(scen_label "$s")" "$og" "$fgap" "$floor" "$lost" "$nofo" \
		"$extra" $((tl - t0)) $((t1 - tl))
	return 0
}

# bench_fault_plot: a PNG of the fault scenarios' distributions (each run a
# point; connect outage and write gap side by side), when gnuplot is there
bench_fault_plot() {
	local out=${BENCH_PLOT_DIR:-build/bench}/mysql-faults.png data s i=0 v
	command -v gnuplot >/dev/null 2>&1 || {
		echo "(no gnuplot: no picture; tools/deps.sh bench installs it)"
		return 0
	}
	mkdir -p "$(dirname "$out")" || return 0
	data=$WORK/faults.dat
	: >"$data"
	for s in $SCENARIOS; do
		case $s in kill-* | stop-*) ;; *) continue ;; esac
		[ -n "${FGAP[$s]:-}" ] || continue
		i=$((i + 1))
		for v in ${FOUT[$s]}; do echo "$i 0 $v \"$(scen_label "$s")\""; done >>"$data"
		for v in ${FGAP[$s]}; do echo "$i 1 $v \"$(scen_label "$s")\""; done >>"$data"
		for v in ${FFLOOR[$s]}; do echo "$i 2 $v \"$(scen_label "$s")\""; done >>"$data"
	done
	[ "$i" -gt 0 ] || return 0
	gnuplot <<-EOF 2>"$WORK/gnuplot.err" || { echo "gnuplot failed: $(head -3 "$WORK/gnuplot.err")"; return 0; }
		set terminal pngcairo size 1100,560 font ",10"
		set output "$out"
		set title "The writer's mariadbd killed or hung, writes through the VIP ($(date +%F), $(nproc) CPUs)"
		set logscale y
		set ylabel "ms (log scale)"
		set xrange [0.4:$i.6]
		set grid ytics
		set key top left
		set xtics rotate by -15 ()
		$(for s in $SCENARIOS; do case $s in kill-* | stop-*) [ -n "${FGAP[$s]:-}" ] && echo "$s"; esac; done |
			awk '{printf "set xtics add (\"%s\" %d)\n", $1, NR}')
		plot "$data" using (\$1 - 0.2 + (\$2 * 0.2)):(\$2 == 0 ? \$3 : 1/0) with points pt 7 ps 0.8 title "connect outage", \
		     "$data" using (\$1 - 0.2 + (\$2 * 0.2)):(\$2 == 1 ? \$3 : 1/0) with points pt 5 ps 0.8 title "write gap", \
		     "$data" using (\$1 - 0.2 + (\$2 * 0.2)):(\$2 == 2 ? \$3 : 1/0) with points pt 9 ps 0.8 title "no-fault floor (same run)"
	EOF
	echo "picture: $out"
}

# ------------------------------------------------------------------ main
note "xvip MySQL bench: scenarios $SCENARIOS; $REPEAT run(s) each, seed $REPEAT_SLOW"
note "$("$KEEPALIVED" --version 2>&1 | head -1); $(mariadbd --version 2>/dev/null | awk '{print $3}'); kernel $(uname -r); $(nproc) CPU(s); load $(cut -d' ' -f1-3 /proc/loadavg)"
for s in $SCENARIOS; do
	nrep=$(scen_repeat "$s")
	for ((rep = 1; rep <= nrep; rep++)); do
		rc=0
		for ((try = 1; try <= 3; try++)); do
			case $s in
			host-*) run_host "$s" "$rep" ;;
			kill-* | stop-*) run_fault "$s" "$rep" ;;
			*) run_one "$s" "$rep" ;;
			esac
			rc=$?
			[ $rc = 2 ] || break
		done
		if [ "$rc" = 2 ]; then
			echo "bench_mysql: $(scen_label "$s"): run $rep given up after 3 early takeovers"
			FAILS[$s]=$((${FAILS[$s]:-0} + 1))
		fi
	done
done
lab_down

# ----------------------------------------------------------------- report
ONE_SCEN=""
for s in $SCENARIOS; do case $s in seed | tuned | script | xvipd) ONE_SCEN+="$s " ;; esac; done
if [ -n "$ONE_SCEN" ]; then
echo
echo "Client-visible outage when the writer's mariadbd is killed with SIGKILL: the"
echo "longest gap between two successful connections to $VIP:$PORT (a connect"
echo "every 1 ms, 5 ms timeout, success = mariadbd's greeting), min / median / max:"
echo
printf '%-34s %5s  %-28s %s\n' scenario runs "outage ms (min / med / max)" "answered before>after"
for s in $ONE_SCEN; do
	g=${GAPS[$s]:-}
	nruns=$(wc -w <<<"$g")
	printf '%-34s %5s  %-28s %s%s%s%s%s\n' "$(scen_label "$s")" "$nruns" \
		"$( [ -n "$g" ] && stats "$g" || echo failed)" "$(pairs_summary "${PAIRS[$s]:-}")" \
		"${EARLY[$s]:+ (${EARLY[$s]} ended before the kill)}" \
		"${ELSEWHERE[$s]:+ (${ELSEWHERE[$s]} a later stall: an upper bound)}" \
		"${FAILS[$s]:+ (${FAILS[$s]} failed)}" \
		"${REDONE[$s]:+ (${REDONE[$s]} redone: db2 VRRP master before the kill)}"
done
all_base=""
for s in $ONE_SCEN; do all_base+="${BASE[$s]:-}"; done
nruns=$(wc -w <<<"$all_base")
printf '%-34s %5s  %-28s %s\n' "no failure (3 s, before each run)" "$nruns" \
	"$( [ -n "${all_base// /}" ] && stats "$all_base" || echo -)" "the noise floor of this machine"

echo
echo "kill -9 -> mariadbd gone (every thread exited, its memory and sockets released;"
echo "polled every 0.5 ms), and"
echo "kill -9 -> the last greeting the client got before the gap (within a few ms):"
for s in $SCENARIOS; do
	[ -n "${GAPS[$s]:-}" ] || continue
	printf '  %-34s gone %s ms, last greeting %s ms\n' "$(scen_label "$s")" \
		"$(stats_int "${TEARDOWN[$s]:-}")" "$(stats_int "${LASTOK[$s]:-}")"
done
case " $SCENARIOS " in *" xvipd "*)
	echo
	echo "xvipd (on the VIP owner, db1), min / median / max:"
	echo "  kill -9 -> MYSQL_CHECK DOWN (log)       $(stats_int "${DOWN_MS[*]:-}") ms"
	echo "  kill -9 -> db2 promoted (status wall_ms) $(stats_int "${PROMO_MS[*]:-}") ms"
	echo "  decision -> promoted (took_us)          $(stats_int "${TOOK_US[*]:-}") us"
	if [ -n "${STEP[fence]:-}" ]; then
		echo "  its steps (xvipd's log):"
		echo "    detect -> start                       $(stats_int "${STEP[detect->start]:-}") us"
		echo "    fence (read_only=ON on the others)    $(stats_int "${STEP[fence]:-}") us"
		echo "    semi-sync master side off on db2      $(stats_int "${STEP[semi-sync]:-}") us"
		echo "    apply (MASTER_GTID_WAIT on db2)       $(stats_int "${STEP[apply]:-}") us"
		echo "    open (read_only=OFF on db2)           $(stats_int "${STEP[open]:-}") us"
	fi
	;;
esac
for s in seed tuned; do
	case " $SCENARIOS " in *" $s "*) ;; *) continue ;; esac
	v=$(printf '%s\n' "${KA_DOWN_MS[@]:-}" | sed -n "s/^$s://p" | tr '\n' ' ')
	[ -n "${v// /}" ] || continue
	printf 'keepalived %-5s kill -9 -> checker DOWN (emulated TCP_CHECK): %s ms\n' "$s" "$(stats_int "$v")"
done
fi
case " $SCENARIOS " in *" host-"*)
	echo
	echo "The writer's host dies (daemon and mariadbd frozen at once, link down, killed)"
	echo "under writes through $VIP:$PORT (an INSERT on a new connection every 2 ms,"
	echo "200 ms deadline), VRRPv3 advert_int 0.01 (master_down_interval ~36 ms),"
	echo "min / median / p95 / max:"
	echo
	printf '%-34s %5s  %-34s %s\n' scenario runs "write gap db1 -> db2 ms" "longest gap ms; lost acknowledged"
	for s in $SCENARIOS; do
		case $s in host-*) ;; *) continue ;; esac
		g=${HGAP[$s]:-}
		printf '%-34s %5s  %-34s %s; %s%s%s\n' "$(scen_label "$s")" "$(wc -w <<<"$g")" \
			"$( [ -n "$g" ] && stats_p95 "$g" || echo failed)" "$(stats_p95 "${HLONG[$s]:-}")" \
			"$(stats_int "${HLOST[$s]:-}")" "${FAILS[$s]:+ (${FAILS[$s]} failed)}" \
			"${REDONE[$s]:+ (${REDONE[$s]} redone: db2 VRRP master before the failure)}"
	done
	for s in $SCENARIOS; do
		case $s in host-*) ;; *) continue ;; esac
		[ -n "${HGAP[$s]:-}" ] || continue
		printf '  %-34s db1 acknowledged its last write %s ms from the death\n' "$(scen_label "$s")" \
			"$(stats_int "${HLASTOK[$s]:-}")"
	done
	case " $SCENARIOS " in *" host-xvipd "*)
		echo "  xvipd (db2, the new owner), min / median / p95 / max:"
		echo "    death -> db2 VRRP master             $(stats_p95 "${H_MASTER[*]:-}") ms"
		echo "    death -> db2 promoted (wall_ms)       $(stats_p95 "${H_PROMO[*]:-}") ms"
		echo "    decision -> promoted (took_us)        $(stats_p95 "${H_TOOK[*]:-}") us"
		echo "    grace for the silent db1              $(stats_int "${H_GRACE[*]:-}") ms"
		echo "    semi-sync off on db2                  $(stats_int "${HSTEP[semi-sync]:-}") us"
		echo "    apply (MASTER_GTID_WAIT on db2)       $(stats_int "${HSTEP[apply]:-}") us"
		echo "    open (read_only=OFF on db2)           $(stats_int "${HSTEP[open]:-}") us"
		;;
	esac
	;;
esac
case " $SCENARIOS " in *" kill-"* | *" stop-"*)
	echo
	echo "The writer's mariadbd killed (SIGKILL) or hung (SIGSTOP), its host alive, under"
	echo "writes through $VIP:$PORT (an INSERT on a new connection every 2 ms, 200 ms"
	echo "deadline) and connects every 1 ms (5 ms timeout) at the same time; datadirs"
	echo "$( [ "$DB_TMPFS" = 1 ] && echo "on tmpfs" || echo "on the disk"); min / median / p95 / max:"
	echo
	printf '%-34s %5s  %-30s %-30s %s\n' scenario runs "connect outage ms" "write gap ms" \
		"no-fault floor ms; lost acknowledged"
	for s in $SCENARIOS; do
		case $s in kill-* | stop-*) ;; *) continue ;; esac
		g=${FGAP[$s]:-}
		printf '%-34s %5s  %-30s %-30s %s; %s%s%s%s\n' "$(scen_label "$s")" "$(wc -w <<<"$g")" \
			"$( [ -n "$g" ] && stats_p95 "${FOUT[$s]}" || echo failed)" \
			"$( [ -n "$g" ] && stats_p95 "$g" || echo failed)" "$(stats_p95 "${FFLOOR[$s]:-}")" \
			"$(stats_int "${FLOST[$s]:-}")" "${FNOFO[$s]:+ (${FNOFO[$s]} without failover)}" \
			"${FAILS[$s]:+ (${FAILS[$s]} failed)}" "${REDONE[$s]:+ (${REDONE[$s]} redone)}"
	done
	for s in kill-xvipd stop-xvipd; do
		case " $SCENARIOS " in *" $s "*) ;; *) continue ;; esac
		[ -n "${FGAP[$s]:-}" ] || continue
		echo "  $(scen_label "$s"), on the VIP owner (db1), min / median / p95 / max:"
		echo "    fault -> MYSQL_CHECK DOWN (log, ms)      $(stats_p95 "${FDOWN[$s]:-}")"
		echo "    decision -> writable (took_us)          $(stats_p95 "${FTOOK[$s]:-}")"
		echo "    detach (STOP SLAVE IO_THREAD) us        $(stats_p95 "${FSTEP[$s:detach]:-}")"
		echo "    semi-sync off us                        $(stats_p95 "${FSTEP[$s:semi-sync]:-}")"
		echo "    apply (MASTER_GTID_WAIT) us             $(stats_p95 "${FSTEP[$s:apply]:-}")"
		echo "    open (read_only=OFF) us                 $(stats_p95 "${FSTEP[$s:open]:-}")"
		[ -z "${FSTEP[$s:rt]:-}" ] ||
			echo "    round trips and loop (pipelined) us     $(stats_p95 "${FSTEP[$s:rt]}")"
		[ -z "${FSTEP[$s:rt1]:-}" ] ||
			echo "      round trip 1 (detach .. SHOW SLAVE) us $(stats_p95 "${FSTEP[$s:rt1]}")"
		[ -z "${FSTEP[$s:rt2]:-}" ] ||
			echo "      round trip 2 (wait, open) us          $(stats_p95 "${FSTEP[$s:rt2]}")"
	done
	bench_fault_plot
	;;
esac
echo
echo "bench_mysql took $(($(date +%s) - BENCH_T0)) s; load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
