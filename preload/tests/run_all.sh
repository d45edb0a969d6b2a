#!/bin/sh
# run_all.sh BUILD - run every test program; each prints "ok NAME" / "not ok NAME".
# A program that exits non-zero without reporting a failure counts as one failure.
# Ends with "N passed, N failed" and a non-zero exit status if anything failed.
B=${1:-build}
passed=0
failed=0
out=$(mktemp)
run() {
	name=$1
	shift
	echo "# $name"
	timeout 200 "$@" >"$out" 2>&1
	rc=$?
	cat "$out"
	p=$(grep -c '^ok ' "$out")
	f=$(grep -c '^not ok ' "$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok $name: exited with status $rc"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
}
for t in "$B"/tests/unit_*; do
	run "$(basename "$t")" "$t"
done
# the same io_uring cases with requests issued by an SQPOLL thread
run unit_uring_sqpoll env SAIO_SQPOLL=1 "$B/tests/unit_uring"
run server_tests python3 "$(dirname "$0")/server_tests.py" "$B"
rm -f "$out"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
