#!/bin/sh
# contrib/test.sh [--asan] - build (contrib/build.sh) and run the whole test
# suite: unit tests per layer, the fuzz corpora, and the integration tests
# against real peers.  Installs what it needs when run as root.  Ends with
# "N passed, N failed, N skipped" counting test cases.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/contrib/deps.sh"
vhostfs_install $VHOSTFS_BUILD_DEPS $VHOSTFS_TEST_DEPS

builddir=$("$top/contrib/build.sh" "$@" | tail -n 1)
cd "$builddir"
status=0
make -j"$(nproc)" check >check.out 2>&1 || status=$?
grep -E '^(PASS|FAIL|SKIP|ERROR|XPASS|XFAIL):' check.out || true
if [ "$status" -ne 0 ]; then
    # Show what failed, from the per-program logs.
    for log in $(grep -lE '^(not ok|FAIL|ERROR)' $(find tests -name '*.log') 2>/dev/null); do
        echo "----- $log"
        tail -n 40 "$log"
    done
    grep -vE '^(PASS|SKIP|XFAIL):' check.out | tail -n 40
fi
pass=$(sed -n 's/^# PASS: *//p' check.out | tail -n 1)
fail=$(sed -n 's/^# FAIL: *//p' check.out | tail -n 1)
err=$(sed -n 's/^# ERROR: *//p' check.out | tail -n 1)
xpass=$(sed -n 's/^# XPASS: *//p' check.out | tail -n 1)
skip=$(sed -n 's/^# SKIP: *//p' check.out | tail -n 1)
fail=$(( ${fail:-0} + ${err:-0} + ${xpass:-0} ))
# make check failed without a summary (build error): count it as a failure.
if [ "$status" -ne 0 ] && [ "$fail" -eq 0 ]; then
    fail=1
fi
echo "${pass:-0} passed, $fail failed, ${skip:-0} skipped"
exit "$status"
