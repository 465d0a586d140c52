#!/usr/bin/env bash
# Runs every libFuzzer harness in DIR (make fuzz-build) for SECS seconds
# from its seed corpus tests/fuzz/corpus/NAME (copied: the repository's
# corpus is not grown), prints executions and coverage per harness, and
# ends with "N passed, N failed" (one case per harness; a crash, a leak,
# undefined behaviour or a broken invariant fails it, with the input kept
# under DIR/crashes/).
#   tools/fuzz.sh [DIR] [SECS]     (default build/san/fuzz, 30)
set -uo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-build/san/fuzz}
SECS=${2:-30}
passed=0 failed=0
mkdir -p "$DIR/crashes"
for bin in "$DIR"/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	seeds=tests/fuzz/corpus/${name#fuzz_}
	work=$(mktemp -d "/tmp/xvip-$name.XXXXXX")
	[ -d "$seeds" ] && cp "$seeds"/* "$work"/ 2>/dev/null
	log=$DIR/$name.log
	# -rss_limit_mb: the config harness loads three configs per input
	ASAN_OPTIONS=detect_leaks=1 "$bin" -max_total_time="$SECS" -print_final_stats=1 \
		-rss_limit_mb=2048 -timeout=10 -artifact_prefix="$DIR/crashes/$name-" \
		"$work" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
	corp=$(grep -o 'corp: [0-9]*' "$log" | tail -1)
	if [ "$rc" -eq 0 ]; then
		echo "ok - $name: ${execs:-?} executions in $SECS s, ${cov:-cov: ?} edges, ${corp:-corp: ?} inputs"
		passed=$((passed + 1))
	else
		echo "FAIL - $name (exit $rc): $(ls "$DIR/crashes/" | grep "^$name-" | tail -1)"
		grep -E "ERROR|SUMMARY|runtime error|abort" "$log" | head -10 | sed 's/^/#   /'
		tail -30 "$log" | sed 's/^/#   /'
		failed=$((failed + 1))
	fi
	rm -rf "$work"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
