#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs `make check`
# in a normal build, again with AddressSanitizer+UBSan, and again with
# ThreadSanitizer.  Exits non-zero if anything failed: a build, a
# `make check` that exits non-zero (whatever it printed, or if it printed
# no summary), a failed test, or - under CI=true on a machine that can
# run them (root, /dev/fuse, /dev/loop-control) - a skipped test that CI
# must run.  The closing line is
#   test.sh: N passed, N failed, N skipped
# where a build or a `make check` that failed without naming a failed
# test counts as one failure, and a skip CI must not have counts as a
# failure, not as a skip.  TESTS='tests/e2e/rw.sh ...' narrows every tree
# to those tests.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash scripts/setup.sh || exit 1

status=0
passed=0
failed=0
skipped=0

# Tests that must not skip in CI when the machine can run them: every
# end-to-end test (FUSE mounts) and the kernel's view of mkimg's images
# (loop devices).  Anything else may skip.
must_run_here=0
if [ "${CI:-}" = true ] && [ "$(id -u)" = 0 ] && [ -c /dev/fuse ] && [ -e /dev/loop-control ]; then
	must_run_here=1
fi
must_run() {
	case $1 in
	tests/e2e/*|tests/fs/mkimg_kernel.sh|tests/fs/mkimg.sh) return 0 ;;
	esac
	return 1
}

# The number after "# NAME:" in the harness summary, 0 if absent.
summary() {
	local n
	n=$(sed -n "s/^# $1: *//p" "$2" | tail -1)
	echo "${n:-0}"
}

# Runs make check in one build tree; TESTS may narrow it.
run_check() {
	local name=$1 dir=$2 tests=$3
	shift 3
	echo "=== $name: build ($dir)"
	if ! bash scripts/build.sh "$dir" "$@"; then
		echo "=== $name: BUILD FAILED"
		status=1
		failed=$((failed + 1))
		return
	fi
	echo "=== $name: make check"
	local args=()
	[ -n "$tests" ] && args=(TESTS="$tests")
	(cd "$dir" && make -s -j"$(nproc)" check "${args[@]}") >"$dir/check.out" 2>&1
	local rc=$?
	grep -E '^(PASS|FAIL|ERROR|XFAIL|XPASS|SKIP):|^# (TOTAL|PASS|SKIP|FAIL|XPASS|ERROR)' "$dir/check.out"
	local p f s t bad=0 test
	p=$(summary PASS "$dir/check.out")
	f=$(($(summary FAIL "$dir/check.out") + $(summary ERROR "$dir/check.out") +
		$(summary XPASS "$dir/check.out")))
	s=$(summary SKIP "$dir/check.out")
	t=$(summary TOTAL "$dir/check.out")
	if [ "$must_run_here" = 1 ]; then
		for test in $(sed -n 's/^SKIP: *\([^ ]*\).*/\1/p' "$dir/check.out"); do
			must_run "$test" || continue
			echo "=== $name: $test SKIPPED, but CI must run it here"
			bad=$((bad + 1))
		done
	fi
	passed=$((passed + p))
	failed=$((failed + f + bad))
	skipped=$((skipped + s - bad))
	[ "$bad" -gt 0 ] && status=1
	if [ $rc -ne 0 ] || [ "$f" -gt 0 ] || [ "$t" = 0 ]; then
		status=1
		echo "=== $name: make check FAILED (exit status $rc)"
		# A make that failed before any test did (a test that does not
		# compile) or a harness that printed nothing: still a failure.
		[ "$f" = 0 ] && failed=$((failed + 1))
		# Show the logs of the tests that failed in this run.
		for test in $(sed -n 's/^\(FAIL\|ERROR\|XPASS\): *\([^ ]*\).*/\2/p' "$dir/check.out"); do
			echo "--- $dir/$test.log"
			tail -40 "$dir/$test.log"
		done
		[ "$t" = 0 ] && tail -40 "$dir/check.out"
	fi
}

export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 exitcode=66"
export UBSAN_OPTIONS="print_stacktrace=1 halt_on_error=1"

run_check "normal" build "${TESTS:-}"
run_check "asan+ubsan" build-asan "${TESTS:-}" --enable-sanitizers=asan
run_check "tsan" build-tsan "${TESTS:-}" --enable-sanitizers=tsan

echo "test.sh: $passed passed, $failed failed, $skipped skipped"
exit $status
