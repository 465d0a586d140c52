#!/usr/bin/env bash
# make bench's pictures (issue 11 part 5), from a small real bench: one
# host-down run each of keepalived and xvipd with VRRPv3 at 10 ms, and of
# xvipd with fast liveness (tools/bench.sh, its own namespaces).
# - the outage distribution (vrrp-outage.png) and the failover timeline
#   (vrrp-timeline.png, one panel per run) are PNG files of the size the
#   bench asks of gnuplot;
# - the timeline's table has, for xvipd, every mark (detection, map
#   written, GARPs sent, the ARP the client saw, node2's first answer), in
#   the order a failover goes through them, and for keepalived what the
#   wire shows (the ARP, the first answer);
# - the probe's trace behind the picture has node1's answers before the
#   failure and node2's after it.
# Timings are not asserted (make bench's figures); a run whose backup took
# over before the failure (adverts late on a loaded machine) is redone by
# the bench up to three times, and a cell that flapped all three is the
# only excuse for a missing row.
. "$(dirname "$0")/lib.sh"
e2e_init bench_plots "$1"
need gnuplot tcpdump keepalived || summary
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PLOTS=$WORK/plots LOGS=$WORK/logs

note "running tools/bench.sh (v3, v3+liveness; host down; one repetition)"
BENCH_REPEAT=1 BENCH_SCENARIOS="v3 l1" BENCH_VARIANTS=down BENCH_SOAK_S=0 \
	BENCH_PLOT_DIR=$PLOTS BENCH_KEEP_LOGS=$LOGS \
	timeout 300 "$ROOT/tools/bench.sh" "$BUILD" >"$WORK/bench.out" 2>&1
rc=$?
check "the bench ran to its end (exit 0 within 300 s, rc $rc)" test $rc = 0
check "gnuplot drew without an error" sh -c "! grep -q 'gnuplot failed' '$WORK/bench.out'"

# png_size FILE: "W H" from the IHDR chunk, nothing if FILE is no PNG
png_size() {
	[ "$(head -c 8 "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || return 1
	od -An -tu1 -j16 -N8 "$1" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4, $5 * 16777216 + $6 * 65536 + $7 * 256 + $8 }'
}
check_eq "vrrp-outage.png is a 1000x560 PNG" "1000 560" "$(png_size "$PLOTS/vrrp-outage.png")"

# the rows of the timeline table: daemon, scenario (two words), 5 marks
sed -n '/^Failover timeline/,/^$/p' "$WORK/bench.out" | sed -n '/^  [a-z]/p' | sed 1d >"$WORK/rows"
row() { awk -v d="$1" -v s="$2" '$1 == d && $2 " " $3 == s' "$WORK/rows"; }
flapped_out() { [ "$(grep -c "^bench: $1 $2 host down: node2 took over before the failure" "$WORK/bench.out")" -ge 3 ]; }
# ordered ROW A B ...: the marks (fields 4..8) named by index are numbers > 0, in that order
ordered() {
	awk -v idx="$2" '{
		n = split(idx, k, " "); prev = 0
		for (i = 1; i <= n; i++) {
			v = $(k[i] + 3)
			if (v !~ /^[0-9.]+$/ || v + 0 <= 0 || v + 0 < prev) { print "mark " k[i] " is " v; exit 1 }
			prev = v + 0
		}
	}' <<<"$1"
}
panels=0
for cell in "keepalived|v3 10ms|4 5" "xvipd|v3 10ms|1 2 3 5" "xvipd|v3+liv 1x3|1 2 3 5"; do
	IFS='|' read -r d s idx <<<"$cell"
	r=$(row "$d" "$s")
	if [ -z "$r" ] && flapped_out "$d" "$s"; then
		note "$d $s: the backup took over before the failure three times (a loaded machine): no row"
		continue
	fi
	panels=$((panels + 1))
	check "timeline: $d $s has its marks in order ($idx: $r)" ordered "$r" "$idx"
	case $d in xvipd)
		check "timeline: $d $s: the client saw node2's ARP before node2 answered" ordered "$r" "4 5" ;;
	esac
done
check "the timeline has a panel per run ($panels)" test "$panels" -ge 2
check_eq "vrrp-timeline.png is a PNG of $panels panels" "1000 $((150 + 190 * panels))" \
	"$(png_size "$PLOTS/vrrp-timeline.png")"

# the probe's trace behind the xvipd liveness panel
tr=$(ls "$LOGS"/tl-xvipd-l1.trace 2>/dev/null)
if [ -n "$tr" ]; then
	f=$(awk '$1 == "failure" { print $2 }' "$LOGS/tl-xvipd-l1.marks")
	check "the trace has node1's answers before the failure" \
		awk -v f="$f" '$1 < f && $3 == 1 && $4 == "node1" { n++ } END { exit !(n > 100) }' "$tr"
	check "and node2's after it" \
		awk -v f="$f" '$1 > f && $3 == 1 && $4 == "node2" { n++ } END { exit !(n > 100) }' "$tr"
else
	check "the bench kept the liveness run's probe trace" false
fi
check "no sanitizer report in the bench's daemon logs" sh -c \
	"! grep -lE 'ERROR: (Address|Leak)Sanitizer|runtime error:' '$LOGS'/*.log"
[ "$E2E_FAILED" = 0 ] || sed 's/^/#   /' "$WORK/bench.out"
summary
