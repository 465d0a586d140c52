#!/usr/bin/env bash
# tools/bench.sh [BUILD]: client-visible outage when the VRRP master dies,
# xvipd next to keepalived, in one run on the same namespace lab.
#
#   client 10.82.0.10, node1 10.82.0.1, node2 10.82.0.2 on one bridge,
#   VIP 10.82.0.100; on both nodes `xvip-probe serve 0.0.0.0 3306 nodeN`.
#
# Each run starts a fresh pair (node1 state MASTER priority 100, node2
# state BACKUP priority 90), waits until node1 is master and the client
# reaches node1 through the VIP, starts `xvip-probe outage VIP 3306 DURATION`
# (a TCP connection every 1 ms, 5 ms timeout) in the client namespace, and
# ~1 s later kills node1's daemon with SIGKILL:
#
#   daemon kill  only the daemon dies; node1's kernel lives on (keepalived
#                leaves the VIP on node1's eth0 and its kernel keeps
#                answering; xvipd's XDP program stays attached and stops
#                answering ARP when the lease runs out)
#   host down    the whole host dies: `ip link set eth0 down` on node1 at
#                the same instant (the daemon is frozen with SIGSTOP, the
#                link is taken down, then SIGKILL)
#
# Before the daemon-kill run, the same probe runs against the healthy pair
# ("no failure"): the noise floor of the machine (scheduling, 5 ms timeout).
#
# Scenarios: v2 (VRRPv2, advert_int 1, PASS auth: the seed's setting,
# 8000 ms probe), v3 (VRRPv3, advert_int 0.01, 3000 ms probe), l1 (v3
# with fast liveness: liveness_interval 1ms, the default multiplier 3,
# vrrp_rt_priority 50) and l8 (the same with liveness_multiplier 8: room
# for a host that holds a daemon off the CPU for several ms); l1 and l8 are
# xvipd's only, keepalived has no such thing.
# Every cell is repeated BENCH_REPEAT times (default 3); the table shows
# min / median / max of the longest gap between two successful connections,
# and who answered before and after that gap.
#
# Environment:
#   BENCH_REPEAT=N        repetitions per cell (default 3)
#   BENCH_SCENARIOS="v2 v3 l1"   subset of scenarios
#   BENCH_SOAK_S=S        seconds of each soak (spurious takeovers, CPU, RSS
#                         of a healthy pair; default 60, 0: none)
#   BENCH_SOAK_CONDS="idle busy loss"  conditions of the l1/l8 soaks
#   BENCH_REPEAT=0        soaks only, no failure runs
#   BENCH_PLOT_DIR=DIR    where the outage PNG goes (default build/bench)
#   BENCH_VARIANTS="kill down" subset of variants
#   BENCH_DAEMONS="keepalived xvipd" subset of daemons
#   KEEPALIVED=PATH       keepalived binary (default /usr/sbin/keepalived)
#   BENCH_KEEP_LOGS=DIR   copy every daemon and probe log there at the end
#   BENCH_TIMELINE="v3 l1"  scenarios whose last host-down run is drawn as a
#                         failover timeline (default: every one but v2 and m50)
#   BENCH_PCAP=1          tcpdump on the client during each probe (ARP, VRRP,
#                         port 3306), kept with BENCH_KEEP_LOGS
#
# Everything runs in network namespaces created here (tests/e2e/lib.sh) and
# is removed on exit, Ctrl-C included. Needs root.
set -u
BENCH_T0=$(date +%s)
HERE=$(cd "$(dirname "$0")" && pwd)

if [ "$(id -u)" != 0 ]; then
	echo "bench: needs root (network namespaces, XDP, bpffs)" >&2
	exit 1
fi
if [ ! -x "${1:-build}/xvipd" ] || [ ! -x "${1:-build}/xvip-probe" ] ||
	[ ! -x "${1:-build}/xvipctl" ] || [ ! -f "${1:-build}/xdp_pass.bpf.o" ]; then
	echo "bench: ${1:-build} lacks xvipd, xvipctl, xvip-probe or xdp_pass.bpf.o: run make first" >&2
	exit 1
fi
KEEPALIVED=${KEEPALIVED:-/usr/sbin/keepalived}
REPEAT=${BENCH_REPEAT:-3}
SCENARIOS=${BENCH_SCENARIOS:-v2 v3 l1 l8 m50}
SOAK_S=${BENCH_SOAK_S:-60}
VARIANTS=${BENCH_VARIANTS:-kill down}
TIMELINE=${BENCH_TIMELINE:-v3 l1 l8}
DAEMONS=${BENCH_DAEMONS:-keepalived xvipd}
SOAK_CONDS=${BENCH_SOAK_CONDS:-idle busy loss}
for c in $SOAK_CONDS; do
	case $c in idle | busy | loss) ;; *)
		echo "bench: BENCH_SOAK_CONDS: '$c' is not one of idle, busy, loss" >&2
		exit 1
		;;
	esac
done
case $REPEAT in '' | *[!0-9]*)
	echo "bench: BENCH_REPEAT must be a number (0: soaks only)" >&2
	exit 1
	;;
esac
case $SOAK_S in '' | *[!0-9]*)
	echo "bench: BENCH_SOAK_S must be a number of seconds" >&2
	exit 1
	;;
esac
for d in $DAEMONS; do
	[ "$d" != keepalived ] || [ -x "$KEEPALIVED" ] || {
		echo "bench: $KEEPALIVED not found (apt-get install keepalived, or set KEEPALIVED=)" >&2
		exit 1
	}
done
for c in ip ethtool tcpdump; do
	command -v $c >/dev/null 2>&1 || {
		echo "bench: '$c' is needed (tools/deps.sh)" >&2
		exit 1
	}
done

# shellcheck source=tests/e2e/lib.sh
. "$HERE/../tests/e2e/lib.sh"
# shellcheck source=tools/bench_lib.sh
. "$HERE/bench_lib.sh"
bench_exit() {
	if [ -n "${BENCH_KEEP_LOGS:-}" ] && [ -n "${WORK:-}" ] && [ -d "$WORK" ]; then
		mkdir -p "$BENCH_KEEP_LOGS" &&
			cp "$WORK"/*.log "$WORK"/*.conf "$WORK"/*.pcap "$WORK"/tl-* "$BENCH_KEEP_LOGS"/ 2>/dev/null
	fi
	e2e_cleanup
}
e2e_init bench "${1:-build}"
trap bench_exit EXIT
trap 'echo "bench: interrupted, cleaning up" >&2; bench_exit; exit 130' INT
trap 'bench_exit; exit 143' TERM

VIP=10.82.0.100
PORT=3306
PROBE=$BUILD/xvip-probe

lab_bridge || { echo "bench: cannot create the bridge namespace" >&2; exit 1; }
lab_host client 10.82.0.10/24 || { echo "bench: cannot create client" >&2; exit 1; }
lab_host node1 10.82.0.1/24 || { echo "bench: cannot create node1" >&2; exit 1; }
lab_host node2 10.82.0.2/24 || { echo "bench: cannot create node2" >&2; exit 1; }
# bg_start, and no "Killed" line from bash when the process is killed
bgs() {
	bg_start "$@"
	disown "$BG_PID" 2>/dev/null
}
declare -A SERVE_PID
for n in node1 node2; do
	bgs $n "$WORK/serve-$n.log" "$PROBE" serve 0.0.0.0 $PORT $n
	SERVE_PID[$n]=$BG_PID
done
# the client reaches NODE's responder at ADDR
reaches() { [ "$(ns client "$PROBE" connect "$2" $PORT 200 2>/dev/null)" = "$1" ]; }
if ! wait_until 5 reaches node1 10.82.0.1 || ! wait_until 5 reaches node2 10.82.0.2; then
	echo "bench: the lab does not forward (client cannot reach the nodes' responders)" >&2
	exit 1
fi

# ---------------------------------------------------------------- helpers

scen_label() { case $1 in v2) echo "v2 1s" ;; v3) echo "v3 10ms" ;; l1) echo "v3+liv 1x3" ;; l8) echo "v3+liv 1x8" ;; m50) echo "v3 10ms x50" ;; esac; }
var_label() { case $1 in none) echo "no failure" ;; kill) echo "daemon kill" ;; down) echo "host down" ;; esac; }
scen_duration() { case $1 in v2) echo 8000 ;; v3 | l1 | l8) echo 3000 ;; esac; }
# how long node1 may take to become master and node2 backup (node2 waits
# master_down_interval before it may claim anything)
scen_settle() { case $1 in v2) echo 10 ;; v3 | l1 | l8) echo 5 ;; m50) echo 10 ;; esac; }
# does DAEMON run SCEN's failure runs? (fast liveness is xvipd's; 50
# instances are a soak only: CPU and memory)
scen_runs() { case $2 in l*) [ "$1" = xvipd ] ;; m50) return 1 ;; esac; }

# conf NODE STATE PRIORITY SCEN: one file read by both daemons
conf() {
	local node=$1 state=$2 prio=$3 scen=$4 ver adv auth="" liv="" rt=""
	case $scen in
	v2) ver=2 adv=1 auth="authentication {
        auth_type PASS
        auth_pass 1111
    }" ;;
	v3) ver=3 adv=0.01 ;;
	l1) ver=3 adv=0.01 liv="liveness_interval 1ms" rt="vrrp_rt_priority 50" ;;
	l8) ver=3 adv=0.01 liv="liveness_interval 1ms
    liveness_multiplier 8" rt="vrrp_rt_priority 50" ;;
	m50) ver=3 adv=0.01 ;;
	esac
	cat >"$WORK/$node.conf" <<EOF
global_defs {
    router_id bench-$node
    vrrp_version $ver
    $rt
}
vrrp_instance VI_1 {
    state $state
    interface eth0
    virtual_router_id 51
    priority $prio
    advert_int $adv
    $liv
    $auth
    virtual_ipaddress {
        $VIP
    }
}
EOF
	# m50: VRIDs 1-49 besides VI_1 (51), at the same interval, a VIP each
	if [ "$scen" = m50 ]; then
		local v
		for v in $(seq 1 49); do
			cat >>"$WORK/$node.conf" <<EOF
vrrp_instance VI_M$v {
    state $state
    interface eth0
    virtual_router_id $v
    priority $prio
    advert_int $adv
    virtual_ipaddress {
        10.82.1.$v
    }
}
EOF
		done
	fi
}

# Daemon processes of the current run: DPIDS[node] = "pid [pid...]"
declare -A DPIDS MAIN_PID

start_daemon() { # DAEMON NODE
	local d=$1 n=$2
	: >"$WORK/$d-$n.log"
	case $d in
	xvipd)
		# shellcheck disable=SC2086
		bgs "$n" "$WORK/$d-$n.log" "$BUILD/xvipd" -n -l -f "$WORK/$n.conf" \
			--pin-root "$(pin_of "$n")" -p "$WORK/xvipd-$n.pid" ${XVIPD_EXTRA:-}
		MAIN_PID[$n]=$BG_PID
		DPIDS[$n]=$BG_PID
		;;
	keepalived)
		rm -f "$WORK/ka-$n.pid" "$WORK/ka-$n-vrrp.pid"
		bgs "$n" "$WORK/$d-$n.log" "$KEEPALIVED" -n -l -G -D -P -f "$WORK/$n.conf" \
			-p "$WORK/ka-$n.pid" -r "$WORK/ka-$n-vrrp.pid"
		MAIN_PID[$n]=$BG_PID
		DPIDS[$n]=$BG_PID
		;;
	esac
}

# keepalived's VRRP child, once it has written its pid file
ka_child() { local p; p=$(cat "$WORK/ka-$1-vrrp.pid" 2>/dev/null) && [ -n "$p" ] && kill -0 "$p" 2>/dev/null && echo "$p"; }

# state_of DAEMON NODE: MASTER, BACKUP, ... (keepalived: its last "Entering
# X STATE" log line)
state_of() {
	case $1 in
	xvipd) xctl "$2" status --json 2>/dev/null | json_get state ;;
	keepalived)
		sed -n 's/.*Entering \([A-Z]*\) STATE.*/\1/p' "$WORK/keepalived-$2.log" 2>/dev/null | tail -1 ;;
	esac
}
# takeovers DAEMON NODE: how many times NODE became master so far
takeovers() {
	case $1 in
	xvipd) xctl "$2" status --json 2>/dev/null | json_get became_master ;;
	keepalived) grep -c "Entering MASTER STATE" "$WORK/keepalived-$2.log" 2>/dev/null ;;
	esac
}
is_master() { [ "$(state_of "$1" "$2")" = MASTER ]; }
is_backup() { [ "$(state_of "$1" "$2")" = BACKUP ]; }

# now_ms VAR: wall clock in ms into VAR, without a fork
now_ms() {
	local _now_us=${EPOCHREALTIME/[.,]/}
	printf -v "$1" '%s' $((_now_us / 1000))
}
# proportional set size: keepalived's two processes share copy-on-write pages
pss_kb() { sed -n 's/^Pss:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/smaps_rollup" 2>/dev/null; }
rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/status" 2>/dev/null; }

# Kill every process in NODE's namespace except its TCP responder, by id.
kill_leftovers() {
	local n=$1 pid
	for pid in $(ip netns pids "$P$n" 2>/dev/null); do
		[ "$pid" = "${SERVE_PID[$n]}" ] || kill -KILL "$pid" 2>/dev/null
	done
}

# Back to a clean lab: no daemon, no XDP program, no VIP, no pins, links up,
# the client's neighbour cache empty.
reset_lab() {
	local n pid
	for n in node1 node2; do
		# the main process first: keepalived's parent stops its child
		[ -z "${MAIN_PID[$n]:-}" ] || bg_stop "${MAIN_PID[$n]}"
		for pid in ${DPIDS[$n]:-}; do kill -KILL "$pid" 2>/dev/null; done
		DPIDS[$n]="" MAIN_PID[$n]=""
		kill_leftovers $n
		ip -n "$P$n" link set eth0 up
		ip -n "$P$n" link set dev eth0 xdpgeneric off 2>/dev/null
		ip -n "$P$n" link set dev eth0 xdpdrv off 2>/dev/null
		ip -n "$P$n" link set dev eth0 xdp off 2>/dev/null
		ip -n "$P$n" addr del $VIP/32 dev lo 2>/dev/null
		ip -n "$P$n" addr del $VIP/32 dev eth0 2>/dev/null
		rm -rf "$(pin_of $n)"
	done
	ip -n "${P}client" neigh flush dev eth0 2>/dev/null
	wait_until 5 reaches node1 10.82.0.1 || note "node1 unreachable after reset"
}

show_logs() {
	local n
	for n in node1 node2; do
		note "last lines of $1 on $n:"
		grep -v -i debug "$WORK/$1-$n.log" 2>/dev/null | tail -12 | sed 's/^/#   /'
	done
}

# ------------------------------------------------------------ results
declare -A GAPS PAIRS MAPUS GARPUS TAKEOVER RSS FAILS EARLY FLAPS

# ------------------------------------------------------------ timeline
# timeline_record DAEMON SCEN TL FAIL_US PCAP: the marks of a traced run, in
# TL.marks as "name us" lines (CLOCK_REALTIME, the probe's clock too):
#   failure     node1's link going down (the bench's clock)
#   detection   the input on which node2 decided to become master (xvipd:
#               its newest transition's wall_us)
#   map         + decision_to_map_us: the vips map written
#   garp        + decision_to_garp_us: the gratuitous ARPs sent
#   arp         the first ARP for the VIP from node2 that the client saw
#   answer      the end of the first probe node2 answered
# keepalived tells none of the first three: its row has only the wire's.
timeline_record() {
	local d=$1 s=$2 tl=$3 fail=$4 pcap=$5 js w m g mac a
	wait_until 5 is_master "$d" node2 || true
	{
		echo "failure $fail"
		if [ "$d" = xvipd ]; then
			js=$(xctl node2 status --json 2>/dev/null)
			w=$(echo "$js" | json_get wall_us)
			m=$(echo "$js" | json_get decision_to_map_us)
			g=$(echo "$js" | json_get decision_to_garp_us)
			if [ -n "$w" ] && [ "$w" -ge "$fail" ] 2>/dev/null; then
				echo "detection $w"
				[ -z "$m" ] || [ "$m" = 0 ] || echo "map $((w + m))"
				[ -z "$g" ] || [ "$g" = 0 ] || echo "garp $((w + g))"
			fi
		fi
		mac=$(ip -n "${P}node2" -br link show eth0 2>/dev/null | awk '{ print $3 }')
		if [ -n "$mac" ] && [ -s "$pcap" ]; then
			a=$(tcpdump -r "$pcap" -tt -e -n arp 2>/dev/null |
				awk -v f="$fail" -v mac="$mac" -v vip=$VIP '
				{ t = $1; sub(/\./, "", t) }
				t + 0 >= f + 0 && $2 == mac &&
				    (index($0, "tell " vip ",") || index($0, "Reply " vip " is-at")) {
					print t; exit
				}')
			[ -z "$a" ] || echo "arp $a"
		fi
		awk -v f="$fail" '$1 >= f && $3 == 1 && $4 == "node2" { print "answer", $1 + $2; exit }' \
			"$tl.trace" 2>/dev/null
	} >"$tl.marks"
	[[ " $TL_KEYS " == *" $d|$s "* ]] || TL_KEYS+="$d|$s "
}

# timeline_ms TL NAME: the mark NAME in ms after the failure, or "-"
timeline_ms() {
	awk -v n="$2" '$1 == "failure" { f = $2 } $1 == n { v = $2 }
		END { if (v == "" || f == "") print "-"; else printf "%.2f\n", (v - f) / 1000 }' "$1.marks"
}

timeline_name() {
	case $1 in
	failure) echo "link down" ;; detection) echo "detected" ;; map) echo "map written" ;;
	garp) echo "GARPs sent" ;; arp) echo "ARP at client" ;; answer) echo "node2 answers" ;;
	esac
}

timeline_report() {
	local k d s tl m
	[ -n "$TL_KEYS" ] || return 0
	echo
	echo "Failover timeline of the last host-down run (ms after node1's link went down;"
	echo "detection, map, GARP from xvipd's own timestamps; ARP and answer seen by the client):"
	printf '  %-10s %-11s %9s %9s %9s %9s %9s\n' daemon scenario detection "map" "GARPs" "ARP seen" answer
	for k in $TL_KEYS; do
		IFS='|' read -r d s <<<"$k"
		tl=$WORK/tl-$d-$s
		printf '  %-10s %-11s' "$d" "$(scen_label "$s")"
		for m in detection map garp arp answer; do printf ' %9s' "$(timeline_ms "$tl" $m)"; done
		echo
	done
}

# vrrp-timeline.png: one panel per traced run, on one time axis: every
# probe as a point (x: when it started, y: how long it took; answered by
# node1, by node2, or not at all), and the marks as vertical lines
timeline_plot() {
	local out=${BENCH_PLOT_DIR:-build/bench}/vrrp-timeline.png k d s tl n=0 i=0 xmax=20 a
	local colors="detection:#d62728 map:#9467bd garp:#ff7f0e arp:#8c564b answer:#2ca02c"
	[ -n "$TL_KEYS" ] || return 0
	command -v gnuplot >/dev/null 2>&1 || return 0
	for k in $TL_KEYS; do
		n=$((n + 1))
		IFS='|' read -r d s <<<"$k"
		a=$(timeline_ms "$WORK/tl-$d-$s" answer)
		[ "$a" = - ] || xmax=$(awk -v a="$a" -v x="$xmax" 'BEGIN { a = int(a * 1.25 + 5); print (a > x ? a : x) }')
	done
	mkdir -p "$(dirname "$out")" || return 0
	{
		echo "set terminal pngcairo size 1000,$((150 + 190 * n)) font \",10\""
		echo "set output \"$out\""
		echo "set multiplot layout $n,1 title \"A VRRP master's host dies: a TCP connection to the VIP every 1 ms, 5 ms timeout ($(date +%F), $(nproc) CPUs)\""
		echo "set xrange [-10:$xmax]"
		echo "set yrange [0:6]"
		echo "set ylabel \"probe took (ms)\""
		echo "set grid xtics"
		echo "set key outside right top"
		echo "set style textbox opaque noborder"
		for k in $TL_KEYS; do
			i=$((i + 1))
			IFS='|' read -r d s <<<"$k"
			tl=$WORK/tl-$d-$s
			[ $i = "$n" ] && echo "set xlabel \"ms after node1's link went down\""
			echo "set title \"$d, $(scen_label "$s")\""
			echo "unset arrow; unset label"
			local y=0.95 c name x
			for c in failure:#000000 $colors; do
				name=${c%%:*}
				x=$(timeline_ms "$tl" "$name")
				[ "$x" != - ] || continue
				echo "set arrow from $x, graph 0 to $x, graph 1 nohead lw 1.5 dt 2 lc rgb \"${c#*:}\""
				echo "set label \"$(timeline_name "$name") $x\" at $x, graph $y left offset 0.6,0 front boxed font \",8\" tc rgb \"${c#*:}\""
				y=$(awk -v y="$y" 'BEGIN { print y - 0.13 }')
			done
			awk '/^failure/ { print $2 }' "$tl.marks" >"$tl.f"
			echo "f = $(cat "$tl.f")"
			echo "plot \"$tl.trace\" using ((\$1 - f) / 1000):(\$3 == 1 && strcol(4) eq \"node1\" ? \$2 / 1000 : 1/0) with points pt 7 ps 0.5 lc rgb \"#1f77b4\" title \"node1 answered\", \\"
			echo "  \"\" using ((\$1 - f) / 1000):(\$3 == 1 && strcol(4) eq \"node2\" ? \$2 / 1000 : 1/0) with points pt 7 ps 0.5 lc rgb \"#2ca02c\" title \"node2 answered\", \\"
			echo "  \"\" using ((\$1 - f) / 1000):(\$3 == 0 ? \$2 / 1000 : 1/0) with points pt 2 ps 0.6 lc rgb \"#d62728\" title \"no answer\""
		done
		echo "unset multiplot"
	} >"$WORK/timeline.gp"
	gnuplot "$WORK/timeline.gp" 2>"$WORK/gnuplot-tl.err" ||
		{ echo "gnuplot failed: $(head -3 "$WORK/gnuplot-tl.err")"; return 0; }
	echo "picture: $out"
}
TL_KEYS=""

# ------------------------------------------------------------- one run
# run_one DAEMON SCEN VARIANT REP
run_one() {
	local d=$1 s=$2 v=$3 rep=$4 key="$1|$2|$3" dur settle out gap at before after
	local ppid pids pid t j masters0 probe_ms=0 kill_ms=0 event_ms=0 down_ms=""
	dur=$(scen_duration "$s")
	settle=$(scen_settle "$s")
	reset_lab
	conf node1 MASTER 100 "$s"
	conf node2 BACKUP 90 "$s"
	# node1 first, node2 once node1 is master: no election race at start
	start_daemon "$d" node1
	if ! wait_until "$settle" is_master "$d" node1; then
		echo "bench: $d $s: node1 did not become MASTER within ${settle} s; run skipped"
		show_logs "$d"
		FAILS[$key]=$((${FAILS[$key]:-0} + 1))
		return 1
	fi
	start_daemon "$d" node2
	if ! wait_until "$settle" is_backup "$d" node2 || ! is_master "$d" node1; then
		echo "bench: $d $s: node2 did not settle as BACKUP under node1 within ${settle} s; run skipped"
		show_logs "$d"
		FAILS[$key]=$((${FAILS[$key]:-0} + 1))
		return 1
	fi
	if [ "$d" = keepalived ]; then
		if ! wait_until 5 ka_child node1 || ! wait_until 5 ka_child node2; then
			echo "bench: keepalived wrote no VRRP child pid file within 5 s; run skipped"
			FAILS[$key]=$((${FAILS[$key]:-0} + 1))
			return 1
		fi
		DPIDS[node1]="${MAIN_PID[node1]} $(ka_child node1)"
		DPIDS[node2]="${MAIN_PID[node2]} $(ka_child node2)"
	fi
	if ! wait_until 5 reaches node1 $VIP; then
		echo "bench: $d $s: the client does not reach node1 through $VIP within 5 s; run skipped"
		show_logs "$d"
		FAILS[$key]=$((${FAILS[$key]:-0} + 1))
		return 1
	fi

	# "no failure": the same probe against the healthy pair, before the
	# daemon-kill run: the noise floor of this machine
	if [ "$v" = kill ] && [ "${RETRY:-0}" = 0 ]; then
		local flapped=0
		masters0=$(takeovers "$d" node2)
		out=$(ns client "$PROBE" outage $VIP $PORT "$dur" 2>&1 | tail -1)
		[ "$(takeovers "$d" node2)" = "$masters0" ] || flapped=1
		echo "$out" >>"$WORK/outage-all.log"
		gap=$(echo "$out" | sed -n 's/.*longest_gap_ms \([0-9.]*\).*/\1/p')
		before=$(echo "$out" | sed -n 's/.* before \([^ ]*\).*/\1/p')
		after=$(echo "$out" | sed -n 's/.* after \([^ ]*\).*/\1/p')
		if [ -n "$gap" ]; then
			GAPS[$d|$s|none]+="$gap "
			PAIRS[$d|$s|none]+="$before>$after "
			printf '# %d/%d %-10s %-8s %-11s gap %7s ms, %s -> %s\n' "$rep" "$REPEAT" "$d" \
				"$(scen_label "$s")" "$(var_label none)" "$gap" "$before" "$after"
		else
			echo "bench: $d $s: no result from the baseline probe: $out"
			FAILS[$d|$s|none]=$((${FAILS[$d|$s|none]:-0} + 1))
		fi
		if [ $flapped = 1 ]; then
			# a real (spurious) takeover: counted; the daemon-kill run
			# that follows needs a fresh pair
			echo "bench: $d $(scen_label "$s"): node2 took over with no failure (adverts late under load)"
			FLAPS[$d|$s|none]=$((${FLAPS[$d|$s|none]:-0} + 1))
			return 2
		fi
	fi
	# the timeline's run: every probe traced, the client's ARP captured
	local tl="" pcap="" fail_us
	if [ "$v" = down ] && [ "$rep" = "$REPEAT" ] && [[ " $TIMELINE " == *" $s "* ]]; then
		tl=$WORK/tl-$d-$s
		rm -f "$tl".*
	fi
	if [ -n "${BENCH_PCAP:-}" ] || [ -n "$tl" ]; then
		pcap=$WORK/$d-$s-$v-$rep.pcap
		bgs client "$WORK/tcpdump.log" tcpdump -i eth0 -n -U -s 128 \
			-w "$pcap" "arp or tcp port $PORT or ip proto 112"
		DPIDS[client]=$BG_PID
		# tcpdump is listening once it has said so
		wait_until 5 grep -q 'listening on' "$WORK/tcpdump.log" ||
			note "tcpdump on the client did not start within 5 s"
	fi
	masters0=$(takeovers "$d" node2)
	bgs client "$WORK/outage.log" "$PROBE" outage $VIP $PORT "$dur" 1 5 ${tl:+"$tl.trace"}
	ppid=$BG_PID
	# the probe's clock starts when `ip netns exec` has become xvip-probe
	# (tens of ms on a loaded machine): kill ~1 s after that
	for ((j = 0; j < 1000; j++)); do
		read -r t <"/proc/$ppid/comm" 2>/dev/null || break
		[ "$t" = xvip-probe ] && break
		sleep 0.001
	done
	now_ms probe_ms
	sleep 1
	# A takeover by node2 before node1 dies (VRRP adverts delayed past
	# master_down_interval on a loaded machine: 26 ms at 10 ms adverts)
	# would make this run measure something else: do it again.
	if [ "$(takeovers "$d" node2)" != "$masters0" ]; then
		bg_stop "$ppid"
		echo "bench: $d $(scen_label "$s") $(var_label "$v"): node2 took over before the failure (adverts late under load); run repeated"
		FLAPS[$key]=$((${FLAPS[$key]:-0} + 1))
		return 2
	fi
	# node1 dies. "host down": its link goes down first (that is the
	# moment the client loses it; the daemon may see the link go in the
	# few ms before the kill, but can no longer send anything). Then the
	# daemon is frozen and killed: SIGSTOP first, so that keepalived's VRRP
	# child cannot see its parent go and shut down cleanly.
	pids=${DPIDS[node1]}
	fail_us=${EPOCHREALTIME/[.,]/}
	event_ms=$((fail_us / 1000))
	if [ "$v" = down ]; then
		t=$event_ms
		ip -n "${P}node1" link set eth0 down
		now_ms down_ms
		down_ms=$((down_ms - t))
	fi
	# shellcheck disable=SC2086
	kill -STOP $pids 2>/dev/null
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null
	now_ms kill_ms
	for pid in $pids; do
		for ((j = 0; j < 100; j++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.01; done
	done

	if ! wait_until $((dur / 1000 + 5)) sh -c "! kill -0 $ppid 2>/dev/null"; then
		echo "bench: the outage probe did not finish in time"
	fi
	bg_stop "$ppid"
	[ -z "${DPIDS[client]:-}" ] || { bg_stop "${DPIDS[client]}"; DPIDS[client]=""; }
	[ -z "$tl" ] || timeline_record "$d" "$s" "$tl" "$fail_us" "$pcap"
	out=$(tail -1 "$WORK/outage.log")
	cat "$WORK/outage.log" >>"$WORK/outage-all.log"
	gap=$(echo "$out" | sed -n 's/.*longest_gap_ms \([0-9.]*\).*/\1/p')
	at=$(echo "$out" | sed -n 's/.*gap_at_ms \([0-9]*\).*/\1/p')
	before=$(echo "$out" | sed -n 's/.* before \([^ ]*\).*/\1/p')
	after=$(echo "$out" | sed -n 's/.* after \([^ ]*\).*/\1/p')
	if [ -z "$gap" ]; then
		echo "bench: $d $s $v: no result from the probe: $out"
		FAILS[$key]=$((${FAILS[$key]:-0} + 1))
		return 1
	fi
	GAPS[$key]+="$gap "
	PAIRS[$key]+="$before>$after "
	# the gap ended before node1 died: not the failover (noise, or a flap)
	local kill_at=$((event_ms - probe_ms)) flag=""
	if [ "$(awk -v a="$at" -v g="$gap" -v k="$kill_at" 'BEGIN { print (a + g < k - 5) }')" = 1 ]; then
		flag=" (before the failure at ~$kill_at ms)"
		EARLY[$key]=$((${EARLY[$key]:-0} + 1))
	fi

	# node2 must have taken over
	if ! wait_until 5 is_master "$d" node2; then
		echo "bench: $d $s $v: node2 did not become MASTER"
		show_logs "$d"
		FAILS[$key]=$((${FAILS[$key]:-0} + 1))
	fi
	t=""
	if [ "$d" = xvipd ]; then
		local js wall m g
		js=$(xctl node2 status --json 2>/dev/null)
		m=$(echo "$js" | json_get decision_to_map_us)
		g=$(echo "$js" | json_get decision_to_garp_us)
		wall=$(echo "$js" | json_get wall_ms)
		[ -z "$m" ] || MAPUS["$s|$v"]+="$m "
		[ -z "$g" ] || GARPUS["$s|$v"]+="$g "
		t=""
		# from the kill (daemon kill) or the link going down (host down)
		if [ -n "$wall" ]; then
			if [ "$v" = kill ]; then t=$((wall - kill_ms)); else t=$((wall - event_ms)); fi
			TAKEOVER["$s|$v"]+="$t "
		fi
		t="${t:+, failure -> node2 MASTER $t ms}, decision -> map ${m:-?} us, -> GARP ${g:-?} us"
	fi
	# memory of node2's daemon while it is master
	if [ "$v" = kill ]; then
		local total=0 parts="" pss=0 p
		for pid in ${DPIDS[node2]}; do
			m=$(rss_kb "$pid")
			p=$(pss_kb "$pid")
			[ -n "$m" ] || continue
			total=$((total + m))
			pss=$((pss + ${p:-0}))
			parts+="${parts:+ + }$m"
		done
		[ "$parts" = "$total" ] || parts="$total = $parts"
		RSS["$d|$s"]="VmRSS $parts kB, Pss $pss kB"
	fi
	printf '# %d/%d %-10s %-8s %-11s gap %7s ms at %5s ms, %s -> %s%s%s\n' \
		"$rep" "$REPEAT" "$d" "$(scen_label "$s")" "$(var_label "$v")" "$gap" "$at" \
		"$before" "$after" "$t" "${down_ms:+ (ip link set down took $down_ms ms)}$flag"
	return 0
}


# ------------------------------------------------------------------ soak
# cpu_ns PID...: time on the CPU of the processes' threads, in ns, from
# the scheduler's own accounting (schedstat). utime + stime would be
# sampled at the tick (250 Hz here), and a daemon that wakes every 10 ms
# for a few microseconds is seen by the tick or not depending on its phase.
cpu_ns() {
	local pid sum=0 f v
	for pid in "$@"; do
		for f in /proc/"$pid"/task/*/schedstat; do
			read -r v _ <"$f" 2>/dev/null || continue
			sum=$((sum + v))
		done
	done
	echo "$sum"
}
declare -A SOAK
# soak DAEMON SCEN COND: a healthy pair for SOAK_S seconds under COND (idle,
# busy: two busy loops on the CPUs, loss: 1% of the frames between the
# nodes dropped both ways); spurious takeovers, CPU of master and backup,
# RSS, and for fast liveness what the daemons saw
soak() {
	local d=$1 s=$2 c=$3 key="$1|$2|$3" m0 m1 t0 t1 a0 a1 b0 b1 busy=() i js1 js2 extra="" load
	reset_lab
	conf node1 MASTER 100 "$s"
	conf node2 BACKUP 90 "$s"
	# generic: an idle pair with xvipd's XDP program in generic (skb) mode
	[ "$c" = generic ] && XVIPD_EXTRA=--generic
	start_daemon "$d" node1
	wait_until "$(scen_settle "$s")" is_master "$d" node1 || { XVIPD_EXTRA=""; SOAK[$key]="node1 did not become MASTER"; return 1; }
	start_daemon "$d" node2
	XVIPD_EXTRA=""
	wait_until "$(scen_settle "$s")" is_backup "$d" node2 || { SOAK[$key]="node2 did not settle"; return 1; }
	if [ "$c" = generic ] && ! grep -q 'generic mode' "$WORK/$d-node1.log"; then
		SOAK[$key]="xvipd did not say it attached in generic mode"
		return 1
	fi
	if [ "$d" = keepalived ]; then
		wait_until 5 ka_child node1 && wait_until 5 ka_child node2
		DPIDS[node1]="${MAIN_PID[node1]} $(ka_child node1)"
		DPIDS[node2]="${MAIN_PID[node2]} $(ka_child node2)"
	fi
	sleep 2 # liveness established, start-up over
	case $c in
	busy) for i in 1 2; do sh -c 'while :; do :; done' & busy+=($!); done ;;
	loss) ns br nft -f - <<-EOF
		table bridge xvsoak {
		    chain lossy {
		        type filter hook forward priority 0;
		        iifname { node1p, node2p } oifname { node1p, node2p } numgen random mod 100 < 1 counter drop
		    }
		}
		EOF
		;;
	esac
	m0=$(takeovers "$d" node2)
	# shellcheck disable=SC2086
	a0=$(cpu_ns ${DPIDS[node1]})
	# shellcheck disable=SC2086
	b0=$(cpu_ns ${DPIDS[node2]})
	t0=$(date +%s%N)
	sleep "$SOAK_S"
	t1=$(date +%s%N)
	load=$(cut -d' ' -f1 /proc/loadavg)
	# shellcheck disable=SC2086
	a1=$(cpu_ns ${DPIDS[node1]})
	# shellcheck disable=SC2086
	b1=$(cpu_ns ${DPIDS[node2]})
	m1=$(takeovers "$d" node2)
	[ ${#busy[@]} = 0 ] || kill "${busy[@]}" 2>/dev/null
	wait "${busy[@]}" 2>/dev/null
	if [ "$c" = loss ]; then
		extra=", $(ns br nft list table bridge xvsoak | grep -o 'packets [0-9]*' | cut -d' ' -f2) frames dropped"
		ns br nft delete table bridge xvsoak
	fi
	if [[ $s = l* ]]; then
		js1=$(xctl node1 status --json 2>/dev/null)
		js2=$(xctl node2 status --json 2>/dev/null)
		extra+=", backup: $(echo "$js2" | json_get intervals_missed) intervals missed (longest run $(echo "$js2" | json_get longest_miss_run)), $(echo "$js2" | json_get presumed_dead_then_answered) of $(echo "$js2" | json_get presumed_dead) presumed dead answered later (held up to $(echo "$js2" | json_get late_hold_max_us) us), master: renewals up to $(echo "$js1" | json_get renewal_late_max_us) us late, $(echo "$js1" | json_get lease_lapses) lease lapses (up to $(echo "$js1" | json_get lease_lapse_max_us) us)"
	fi
	local secs rss1=0 rss2=0 pid
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a) / 1e9 }')
	local r
	for pid in ${DPIDS[node1]}; do r=$(rss_kb "$pid"); rss1=$((rss1 + ${r:-0})); done
	for pid in ${DPIDS[node2]}; do r=$(rss_kb "$pid"); rss2=$((rss2 + ${r:-0})); done
	SOAK[$key]=$(awk -v m=$((m1 - m0)) -v a=$((a1 - a0)) -v b=$((b1 - b0)) -v s="$secs" \
		-v r1="$rss1" -v r2="$rss2" -v x="$extra" -v l="$load" 'BEGIN {
		printf "%d spurious takeover(s) in %.0f s (load %s); CPU master %.2f%%, backup %.2f%%; VmRSS master %.1f MB, backup %.1f MB%s",
			m, s, l, 100 * a / 1e9 / s, 100 * b / 1e9 / s, r1 / 1024, r2 / 1024, x }')
	printf '# soak %-10s %-10s %-7s %s\n' "$d" "$(scen_label "$s")" "$c" "${SOAK[$key]}"
}

# bench_plot: the outage distribution of every cell, each run a point
bench_plot() {
	local out=${BENCH_PLOT_DIR:-build/bench}/vrrp-outage.png data i=0 d s v g labels=""
	command -v gnuplot >/dev/null 2>&1 || {
		echo "(no gnuplot: no picture; tools/deps.sh bench installs it)"
		return 0
	}
	mkdir -p "$(dirname "$out")" || return 0
	data=$WORK/outage.dat
	: >"$data"
	for s in $SCENARIOS; do
		[ "$s" = v2 ] && continue # seconds: another scale
		for v in $VARIANTS; do
			for d in $DAEMONS; do
				[ -n "${GAPS[$d|$s|$v]:-}" ] || continue
				i=$((i + 1))
				for g in ${GAPS[$d|$s|$v]}; do echo "$i $g"; done >>"$data"
				labels+="${labels:+, }\"$d\\n$(scen_label "$s")\\n$(var_label "$v")\" $i"
			done
		done
	done
	[ "$i" -gt 0 ] || return 0
	gnuplot <<-EOF 2>"$WORK/gnuplot.err" || { echo "gnuplot failed: $(head -3 "$WORK/gnuplot.err")"; return 0; }
		set terminal pngcairo size 1000,560 font ",10"
		set bmargin 5
		set output "$out"
		set title "VRRP master dies: longest gap between TCP connections to the VIP ($(date +%F), $(nproc) CPUs, $REPEAT runs a cell)"
		set ylabel "ms"
		set yrange [0:*]
		set xrange [0.4:$i.6]
		set grid ytics
		set xtics ($labels)
		plot "$data" using (\$1 + (rand(0) - 0.5) * 0.3):2 with points pt 7 ps 0.7 notitle
	EOF
	echo "picture: $out"
}

# ------------------------------------------------------------------ main
note "xvip bench: $REPEAT repetition(s); scenarios: $SCENARIOS; variants: $VARIANTS; daemons: $DAEMONS"
note "$("$KEEPALIVED" --version 2>&1 | head -1); kernel $(uname -r); $(nproc) CPU(s); load $(cut -d' ' -f1-3 /proc/loadavg)"
for ((rep = 1; rep <= REPEAT; rep++)); do
	for s in $SCENARIOS; do
		for v in $VARIANTS; do
			for d in $DAEMONS; do
				scen_runs "$d" "$s" || continue
				# repeated (twice at most) when node2 took over early
				for ((try = 1; try <= 3; try++)); do
					RETRY=$((try > 1))
					run_one "$d" "$s" "$v" "$rep"
					[ $? = 2 ] || break
				done
			done
		done
	done
done
reset_lab
if [ "$SOAK_S" -gt 0 ]; then
	case " $SCENARIOS " in *" v3 "*)
		for d in $DAEMONS; do soak "$d" v3 idle; done
		case " $DAEMONS " in *" xvipd "*) soak xvipd v3 generic ;; esac ;;
	esac
	case " $SCENARIOS " in *" m50 "*)
		for d in $DAEMONS; do soak "$d" m50 idle; done
		case " $DAEMONS " in *" xvipd "*) soak xvipd m50 generic ;; esac ;;
	esac
	for s in l1 l8; do
		case " $SCENARIOS | $DAEMONS " in *" $s "*" xvipd "*)
			for c in $SOAK_CONDS; do soak xvipd "$s" "$c"; done ;;
		esac
	done
	reset_lab
fi

# ----------------------------------------------------------------- report
flaps() { # KEY
	local n=${FLAPS[$1]:-}
	[ -n "$n" ] || return 0
	case $1 in
	*"|none") echo " ($n spurious takeover)" ;;
	*) echo " ($n early takeover, redone)" ;;
	esac
}
cell() { # KEY
	local g=${GAPS[$1]:-}
	if [ -z "$g" ]; then
		echo "failed"
		return
	fi
	echo "$(stats_p95 "$g") ms  $(pairs_summary "${PAIRS[$1]}" | sed 's/node\([12]\)/n\1/g')${EARLY[$1]:+ (${EARLY[$1]} before failure)}$(flaps "$1")${FAILS[$1]:+ (${FAILS[$1]} failed)}"
}
if [ "$REPEAT" -gt 0 ]; then
echo
echo "Longest gap between two successful TCP connections to the VIP (client view),"
echo "min / median / p95 / max over $REPEAT run(s), and who answered before>after the gap:"
echo
printf '%-10s %-12s' scenario variant
for d in $DAEMONS; do printf ' %-46s' "$d"; done
echo
ROWS=$VARIANTS
case " $VARIANTS " in *" kill "*) ROWS="none $VARIANTS" ;; esac
for s in $SCENARIOS; do
	for v in $ROWS; do
		printf '%-10s %-12s' "$(scen_label "$s")" "$(var_label "$v")"
		for d in $DAEMONS; do
			if scen_runs "$d" "$s"; then printf ' %-46s' "$(cell "$d|$s|$v")"; else printf ' %-46s' "n/a"; fi
		done
		echo
	done
done
case " $DAEMONS " in *" xvipd "*)
	echo
	echo "xvipd's switchover on node2 (its newest transition; min / median / max);"
	echo "failure->MASTER is from the kill -9 (daemon kill) or the link going down (host down)"
	echo "on node1 to node2's transition (wall clocks of one machine; min / median / p95 / max):"
	printf '%-10s %-12s %-26s %-24s %-24s\n' scenario variant "failure->MASTER (ms)" "decision->map (us)" "decision->GARP (us)"
	for s in $SCENARIOS; do
		for v in $VARIANTS; do
			printf '%-10s %-12s %-26s %-24s %-24s\n' "$(scen_label "$s")" "$(var_label "$v")" \
				"$(stats_p95 "${TAKEOVER[$s|$v]:-}")" "$(stats_int "${MAPUS[$s|$v]:-}")" \
				"$(stats_int "${GARPUS[$s|$v]:-}")"
		done
	done
	;;
esac
case " $VARIANTS " in *" kill "*)
	echo
	echo "Memory (VmRSS) of the daemon on node2 while master:"
	for s in $SCENARIOS; do
		for d in $DAEMONS; do
			printf '  %-10s %-11s %s\n' "$(scen_label "$s")" "$d" "${RSS[$d|$s]:--}"
		done
	done
	case " $DAEMONS " in *" keepalived "*)
		echo "  (keepalived: parent + VRRP child; they share copy-on-write pages, which VmRSS"
		echo "  counts in both and Pss splits between them)" ;;
	esac
	;;
esac
fi # REPEAT > 0
if [ "$SOAK_S" -gt 0 ]; then
	echo
	echo "A healthy pair for $SOAK_S s (idle; busy: two busy loops; loss: 1% of the frames"
	echo "between the nodes dropped, both ways; generic: idle, xvipd --generic, XDP in skb mode):"
	for k in "${!SOAK[@]}"; do
		IFS='|' read -r d s c <<<"$k"
		printf '  %-10s %-11s %-7s %s\n' "$d" "$(scen_label "$s")" "$c" "${SOAK[$k]}"
	done | sort
fi
if [ "$REPEAT" -gt 0 ]; then
	timeline_report
	bench_plot
	timeline_plot
fi
echo
echo "bench took $(($(date +%s) - BENCH_T0)) s; load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
