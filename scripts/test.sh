#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs `make check`
# in a normal build, again with AddressSanitizer+UBSan, and again with
# ThreadSanitizer.  Exits non-zero if anything failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash scripts/setup.sh || exit 1

status=0
passed=0
failed=0

# Runs make check in one build tree; TESTS may narrow it.
run_check() {
	local name=$1 dir=$2 tests=$3
	shift 3
	echo "=== $name: build ($dir)"
	if ! bash scripts/build.sh "$dir" "$@"; then
		echo "=== $name: BUILD FAILED"
		status=1
		return
	fi
	echo "=== $name: make check"
	local args=()
	[ -n "$tests" ] && args=(TESTS="$tests")
	(cd "$dir" && make -s -j"$(nproc)" check "${args[@]}") >"$dir/check.out" 2>&1
	local rc=$?
	grep -E '^(PASS|FAIL|ERROR|XFAIL|SKIP):|^# (TOTAL|PASS|FAIL|ERROR)' "$dir/check.out"
	local p f
	p=$(sed -n 's/^# PASS: *//p' "$dir/check.out" | tail -1)
	f=$(( $(sed -n 's/^# FAIL: *//p' "$dir/check.out" | tail -1) + $(sed -n 's/^# ERROR: *//p' "$dir/check.out" | tail -1) ))
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	if [ $rc -ne 0 ]; then
		status=1
		# Show the failing suites' logs.
		for log in $(cd "$dir" && grep -l -E '^(FAIL|ERROR)' tests/*/*.log 2>/dev/null); do
			echo "--- $dir/$log"
			tail -40 "$dir/$log"
		done
		[ -z "$p" ] && tail -40 "$dir/check.out"
	fi
}

export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 exitcode=66"
export UBSAN_OPTIONS="print_stacktrace=1 halt_on_error=1"

run_check "normal" build ""
run_check "asan+ubsan" build-asan "" --enable-sanitizers=asan
run_check "tsan" build-tsan "" --enable-sanitizers=tsan

echo "test.sh: $passed passed, $failed failed"
exit $status
