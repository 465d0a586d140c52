# shellcheck shell=bash
# tests/e2e/lib.sh: the small library every end-to-end test sources.
#
# A test builds a throw-away lab of network namespaces joined by one bridge,
# runs its checks inside it, and ends with the line "N passed, N failed"
# (tests/run.sh reads the last such line). Nothing touches the default
# namespace's interfaces: every address, XDP program, route and packet lives
# in namespaces the test creates, all named with a per-run prefix, and an
# EXIT/INT/TERM trap removes them all.
#
#   #!/usr/bin/env bash
#   . "$(dirname "$0")/lib.sh"
#   e2e_init dataplane "$1"          # $1: build dir (default build)
#   lab_bridge
#   lab_host client 10.77.0.10/24
#   lab_host node1 10.77.0.1/24
#   check "node1 answers ping" ns client ping -c1 -W1 10.77.0.1
#   summary
#
# Setup
#   e2e_init NAME [BUILD]  P=xv<first 3 chars of NAME><PID>_ (names stay short),
#                          BUILD (absolute; from the argument, $XVIP_BUILD or
#                          "build"), WORK=/tmp/$P.XXXX, a private bpffs mounted
#                          on $WORK/bpf, and the cleanup trap. Not root: prints
#                          a reason and "0 passed, 0 failed", exits 0.
#                          With E2E_KEEP=DIR in the environment, a run with
#                          a failed check leaves a copy of WORK (logs, the
#                          daemons' files) in DIR.
#   lab_bridge             namespace ${P}br with bridge br0 (up, STP off,
#                          forward_delay 0).
#   lab_host NAME IP/PFX [MAC]
#                          namespace ${P}NAME: lo up, eth0 (a veth whose peer
#                          NAMEp sits on br0 in ${P}br), address, up. Unless
#                          LAB_PLAIN=1, the lab is PREPARED for native-mode
#                          XDP, with three tricks a user's machine does not
#                          have (xvipd copes without them: it picks generic
#                          mode on such a veth, sets the sysctls itself, and
#                          test_plain_lab.sh runs with none of them):
#                          - build/xdp_pass.bpf.o on the peer NAMEp: a veth
#                            delivers a native XDP_TX frame only to a peer
#                            with an XDP program, else drops it; needed to
#                            test native mode (xvipd/xvipctl --native, and
#                            xvipd's own choice on a veth with no remote DR
#                            backend)
#                          - tx checksum offload off on eth0 (ethtool): a
#                            veth sender leaves TCP/UDP checksums to be filled
#                            in later (CHECKSUM_PARTIAL); a frame steered on
#                            with native XDP_TX loses that state and its
#                            receiver drops it as a bad checksum. Real NICs
#                            fill the checksum on the wire; needed only for
#                            DR steering in native mode
#                          - arp_ignore=1 and arp_announce=2 on eth0 (DR
#                            real-server convention: a VIP on lo stays silent
#                            in ARP): xvipd sets them on its interface, tests
#                            driving the data plane with xvipctl alone need
#                            them on every node
# Helpers
#   ns NAME CMD...         run CMD in namespace ${P}NAME
#   mac_of NAME            eth0's MAC in ${P}NAME
#   pin_of NAME            $WORK/bpf/NAME: that host's xvip pin root
#   xctl NAME ARGS...      xvipctl --pin-root $(pin_of NAME) ARGS, run in NAME
#   json_get KEY           first value of "KEY": in the JSON on stdin (number,
#                          true/false or a string without quotes); enough for
#                          xvipctl status --json without needing jq
#   prom_valid             stdin is valid Prometheus text (xvipctl metrics):
#                          each sample after its own family's TYPE line, no
#                          family twice, numeric values; prints what is wrong
#   bg_start NAME LOG CMD...  start CMD in the background inside ${P}NAME,
#                          output to LOG, stdin /dev/null; sets BG_PID and
#                          records it for cleanup (call it in the test's own
#                          shell, not in $(...), or the record is lost)
#   bg_stop PID            TERM, then KILL after 2 s; forgets PID
#   bg_forget PID...       drop finished background processes from the cleanup
#                          list (they were waited for elsewhere)
#   need CMD...            count a FAIL for each missing command (returns 1)
# Checks
#   check DESC CMD...      runs CMD: "ok - DESC" or "FAIL - DESC" and CMD's
#                          output; returns CMD's status
#   check_eq DESC EXPECTED ACTUAL
#   wait_until SECS CMD... polls CMD every 20 ms until it succeeds (0) or
#                          SECS (may be fractional: 0.5) run out (1); CMD's
#                          output is discarded; CMD may be a shell function
#   wait_gone PID SECS     until PID no longer exists (kill -0 fails), or 1
#                          after SECS: a process killed a moment ago stays a
#                          zombie until its parent reaps it (this shell reaps
#                          its own children while wait_until sleeps)
#   wait_log FILE PATTERN SECS
#                          until FILE has a line matching PATTERN (grep basic
#                          regex), or 1 after SECS: for what another process
#                          writes (a daemon's log, a notify script's output)
#   note TEXT              "# TEXT" (for logs, not counted)
#   summary                "N passed, N failed" as the last line; exits 1 if
#                          anything failed, else 0
#
# Waiting: a check on anything another process or the kernel does (a state,
# a log line, a counter, a packet, a process ending, read_only changing)
# waits for it with a bound (wait_until, wait_gone, wait_log), generous
# enough for 2 busy cores, and says what it waits for; it never samples
# once right after the action that causes it. A negative check ("X did not
# happen") samples, but only once the event that would have caused X is
# over; a comment says which event that is.
#
# Variables left for the test: P, WORK, BUILD, E2E_PASSED, E2E_FAILED.

E2E_PASSED=0
E2E_FAILED=0
E2E_PIDS=()
E2E_MOUNTED=0

note() { echo "# $*"; }

# keep_wait VALUE NAME: let a person look at the lab before cleanup. VALUE
# above 1 waits that many seconds; otherwise until Enter on the terminal.
keep_wait() {
	if [ "$1" -gt 1 ] 2>/dev/null; then
		note "$2=$1: lab kept for $1 s"
		sleep "$1"
	elif { : </dev/tty; } 2>/dev/null; then
		note "$2: lab kept; press Enter to clean up"
		read -r _ </dev/tty
	else
		note "$2 set but no terminal to wait on: use $2=SECONDS"
	fi
}

e2e_cleanup() {
	local pid n i
	trap - EXIT INT TERM
	set +e
	for pid in "${E2E_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${E2E_PIDS[@]}"; do
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.02
		done
		kill -KILL "$pid" 2>/dev/null
	done
	# Whatever still runs inside our namespaces was started by this test
	# (children of the processes above): end it by its id.
	for n in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		case $n in "$P"*) ;; *) continue ;; esac
		for pid in $(ip netns pids "$n" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
	done
	for n in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		case $n in "$P"*) ip netns del "$n" 2>/dev/null ;; esac
	done
	if [ "$E2E_MOUNTED" = 1 ]; then
		umount "$WORK/bpf" 2>/dev/null || umount -l "$WORK/bpf" 2>/dev/null
	fi
	if [ -n "${E2E_KEEP:-}" ] && [ "${E2E_FAILED:-0}" != 0 ] && [ -d "${WORK:-}" ]; then
		mkdir -p "$E2E_KEEP" && cp -r "$WORK" "$E2E_KEEP/" 2>/dev/null &&
			echo "# E2E_KEEP: the work dir is kept as $E2E_KEEP/${WORK##*/}"
	fi
	if [ -n "${WORK:-}" ] && [ -d "$WORK" ] && ! mountpoint -q "$WORK/bpf"; then
		rm -rf "$WORK"
	fi
}

e2e_init() {
	local name=$1
	if [ "$(id -u)" != 0 ]; then
		echo "# skipped: $name needs root (network namespaces, XDP, bpffs)"
		echo "0 passed, 0 failed"
		exit 0
	fi
	# the trailing "_" keeps one run's prefix from being a prefix of another's
	# (xvmyf1216 vs xvmyf12161), since cleanup deletes every "$P"* namespace
	P=xv${name:0:3}$$_
	BUILD=${2:-${XVIP_BUILD:-build}}
	BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || {
		echo "# build dir ${2:-${XVIP_BUILD:-build}} not found"
		echo "0 passed, 1 failed"
		exit 1
	}
	WORK=$(mktemp -d "/tmp/$P.XXXX")
	trap e2e_cleanup EXIT
	trap 'e2e_cleanup; exit 130' INT
	trap 'e2e_cleanup; exit 143' TERM
	mkdir -p "$WORK/bpf"
	if ! mount -t bpf bpf "$WORK/bpf"; then
		echo "FAIL - mount a bpffs on $WORK/bpf"
		E2E_FAILED=$((E2E_FAILED + 1))
		summary
	fi
	E2E_MOUNTED=1
	note "lab prefix $P, work dir $WORK, build $BUILD"
}

ns() {
	local n=$1
	shift
	ip netns exec "$P$n" "$@"
}

mac_of() { ip netns exec "$P$1" cat /sys/class/net/eth0/address; }
pin_of() { echo "$WORK/bpf/$1"; }
xctl() {
	local n=$1
	shift
	ip netns exec "$P$n" "$BUILD/xvipctl" --pin-root "$WORK/bpf/$n" "$@"
}

# prom_valid: stdin is Prometheus text: every sample follows the TYPE line
# of its own family, no family twice, numeric values. Says what is wrong.
prom_valid() {
	awk '
		/^# TYPE / { if ($3 in seen) { print "family twice: " $3; bad = 1 }
			     seen[$3] = 1; fam = $3; next }
		/^#/ || NF == 0 { next }
		{ name = $1; sub(/\{.*/, "", name)
		  if (name != fam) { print "sample outside its family: " $0; bad = 1 }
		  if ($NF !~ /^-?[0-9.]+([eE][-+]?[0-9]+)?$/) { print "bad value: " $0; bad = 1 } }
		END { exit bad }'
}

json_get() {
	grep -o "\"$1\":\(\"[^\"]*\"\|[^,}]*\)" | head -1 | cut -d: -f2- | tr -d '"'
}

lab_bridge() {
	ip netns add "${P}br" || return 1
	ip -n "${P}br" link set lo up
	ip -n "${P}br" link add br0 type bridge stp_state 0 forward_delay 0 || return 1
	ip -n "${P}br" link set br0 up
}

lab_host() {
	local name=$1 addr=$2 mac=${3:-} peer
	peer=${name:0:14}p
	ip netns add "$P$name" || return 1
	ip -n "$P$name" link set lo up
	ip -n "${P}br" link add "$peer" type veth peer name eth0 netns "$P$name" || return 1
	[ -z "$mac" ] || ip -n "$P$name" link set eth0 address "$mac"
	ip -n "${P}br" link set "$peer" master br0
	if [ "${LAB_PLAIN:-0}" != 1 ]; then
		# the preparations for native mode: see the header
		ip -n "${P}br" link set dev "$peer" xdp obj "$BUILD/xdp_pass.bpf.o" sec xdp ||
			return 1
		ip netns exec "$P$name" sysctl -qw net.ipv4.conf.eth0.arp_ignore=1 \
			net.ipv4.conf.eth0.arp_announce=2
		if command -v ethtool >/dev/null 2>&1; then
			ip netns exec "$P$name" ethtool -K eth0 tx off >/dev/null 2>&1
		else
			note "ethtool missing: TCP/UDP via XDP_TX will fail checksums in $name"
		fi
	fi
	ip -n "${P}br" link set "$peer" up
	ip -n "$P$name" addr add "$addr" dev eth0
	ip -n "$P$name" link set eth0 up
}

bg_start() {
	local n=$1 log=$2
	shift 2
	ip netns exec "$P$n" "$@" >"$log" 2>&1 </dev/null &
	BG_PID=$!
	E2E_PIDS+=("$BG_PID")
}

bg_stop() {
	local pid=$1 i
	kill "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.02
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	bg_forget "$pid"
}

bg_forget() {
	local keep=() p q
	for p in "${E2E_PIDS[@]}"; do
		for q in "$@"; do [ "$p" != "$q" ] || continue 2; done
		keep+=("$p")
	done
	E2E_PIDS=("${keep[@]}")
}

check() {
	local desc=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		echo "ok - $desc"
		E2E_PASSED=$((E2E_PASSED + 1))
	else
		echo "FAIL - $desc"
		[ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/#   /'
		E2E_FAILED=$((E2E_FAILED + 1))
	fi
	return $rc
}

check_eq() {
	if [ "$2" = "$3" ]; then
		echo "ok - $1"
		E2E_PASSED=$((E2E_PASSED + 1))
		return 0
	fi
	echo "FAIL - $1"
	echo "#   expected: $2"
	echo "#   actual:   $3"
	E2E_FAILED=$((E2E_FAILED + 1))
	return 1
}

# the time since boot in centiseconds into MONO_CS (/proc/uptime: no fork,
# and a step of the wall clock, seen once in CI, neither ends a wait early
# nor stretches it)
mono_cs() {
	local u _
	read -r u _ </proc/uptime
	u=${u/./}
	MONO_CS=$((10#$u))
}

wait_until() {
	local s=${1%%.*} f end
	f=${1#"$s"}
	f=${f#.}00
	shift
	mono_cs
	end=$((MONO_CS + ${s:-0} * 100 + 10#${f:0:2}))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		mono_cs
		[ "$MONO_CS" -lt "$end" ] || return 1
		sleep 0.02
	done
}

need() {
	local c rc=0
	for c in "$@"; do
		if ! command -v "$c" >/dev/null 2>&1; then
			echo "FAIL - needed command '$c' is not installed (tools/deps.sh)"
			E2E_FAILED=$((E2E_FAILED + 1))
			rc=1
		fi
	done
	return $rc
}

# A sanitizer report in any log of this run (xvipd is built with ASan and
# UBSan for the tests) is a failure of its own, with the report shown.
sanitizer_check() {
	local f
	for f in "$WORK"/*.log; do
		[ -f "$f" ] || continue
		# not a failure, but worth seeing: xvipd's loop was held up
		grep -h "event loop held" "$f" | head -5 | sed "s|^|# $(basename "$f"): |"
		if grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$f"; then
			E2E_FAILED=$((E2E_FAILED + 1))
			echo "FAIL - sanitizer report in $(basename "$f")"
			grep -E -A12 "ERROR: (Address|Leak)Sanitizer|runtime error:" "$f" | head -40 | sed 's/^/#   /'
		fi
	done
}

# Stop what the test started, gently (SIGTERM, as systemd does): xvipd then
# exits through its normal path, where LeakSanitizer reports.
stop_all_gently() {
	local pid i
	for pid in "${E2E_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for ((i = 0; i < 100; i++)); do
		local alive=0
		for pid in "${E2E_PIDS[@]}"; do
			kill -0 "$pid" 2>/dev/null && alive=1
		done
		[ "$alive" = 0 ] && break
		sleep 0.05
	done
}

summary() {
	stop_all_gently
	sanitizer_check
	echo "$E2E_PASSED passed, $E2E_FAILED failed"
	[ "$E2E_FAILED" -eq 0 ] && exit 0
	exit 1
}

# wait_gone PID SECS / wait_log FILE PATTERN SECS: see the header. Every
# check on something another process does (a process ending, a log line
# written) waits for it like this, never samples it once right after the
# action that causes it.
e2e__gone() { ! kill -0 "$1" 2>/dev/null; }
wait_gone() { wait_until "$2" e2e__gone "$1"; }
wait_log() { wait_until "$3" grep -q -- "$2" "$1"; }
