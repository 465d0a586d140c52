#!/usr/bin/env bash
# Runs every test of the project against the build in $1 (default build/san)
# and ends with one line: "N passed, N failed".
#   tests/run.sh [BUILD] [unit|bpf|fuzz|e2e ...]   (default: all four)
# fuzz runs each libFuzzer harness (BUILD/fuzz, make fuzz-build) for
# $FUZZ_SECONDS (default 30) through tools/fuzz.sh.
# Each test binary or script reports its own cases; this adds them up.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build/san}
shift || true
SUITES=${*:-unit bpf fuzz e2e}
export XVIP_BUILD=$BUILD XVIP_TEST_DIR=tests/unit
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
passed=0 failed=0
failed_names=()
LOGDIR=$(mktemp -d /tmp/xvip-tests.XXXXXX)

# cmocka prints "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s)..."
run_cmocka() {
	local bin=$1 name log p f rc
	name=$(basename "$bin")
	log=$LOGDIR/$name.log
	"$bin" >"$log" 2>&1
	rc=$?
	cat "$log"
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	p=${p:-0} f=${f:-0}
	# A crash or sanitizer report after the summary still fails the binary.
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	passed=$((passed + p)) failed=$((failed + f))
	[ "$f" -eq 0 ] || failed_names+=("$name")
}

# e2e scripts end with "N passed, N failed" like this runner.
run_script() {
	local sh=$1 name log p f rc
	name=$(basename "$sh")
	log=$LOGDIR/$name.log
	echo "=== $name"
	bash "$sh" "$BUILD" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	p=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1/p' "$log" | tail -1)
	f=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\2/p' "$log" | tail -1)
	p=${p:-0} f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	passed=$((passed + p)) failed=$((failed + f))
	[ "$f" -eq 0 ] || failed_names+=("$name")
}

for suite in $SUITES; do
	case $suite in
	unit)
		for t in "$BUILD"/tests/test_*; do
			case $(basename "$t") in test_golden*) continue ;; esac
			[ -x "$t" ] && run_cmocka "$t"
		done ;;
	bpf)
		for t in "$BUILD"/tests/test_golden*; do
			[ -x "$t" ] && run_cmocka "$t"
		done ;;
	fuzz)
		[ -d "$BUILD/fuzz" ] || { echo "no $BUILD/fuzz: make fuzz-build first" >&2; exit 2; }
		log=$LOGDIR/fuzz.log
		echo "=== fuzz (${FUZZ_SECONDS:-30} s each)"
		tools/fuzz.sh "$BUILD/fuzz" "${FUZZ_SECONDS:-30}" 2>&1 | tee "$log"
		p=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1/p' "$log" | tail -1)
		f=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\2/p' "$log" | tail -1)
		passed=$((passed + ${p:-0})) failed=$((failed + ${f:-1}))
		[ "${f:-1}" -eq 0 ] || failed_names+=("fuzz")
		;;
	e2e)
		for s in tests/e2e/test_*.sh; do
			[ -f "$s" ] && run_script "$s"
		done ;;
	*) echo "unknown suite $suite" >&2; exit 2 ;;
	esac
done
rm -rf "$LOGDIR"
[ ${#failed_names[@]} -eq 0 ] || echo "failing: ${failed_names[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
