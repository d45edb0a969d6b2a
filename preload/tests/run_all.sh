#!/bin/sh
# run_all.sh BUILD [torture] - run every test program; each prints "ok NAME" / "not ok NAME".
# A program that exits non-zero without reporting a failure counts as one failure.
# Ends with "N passed, N failed" and a non-zero exit status if anything failed.
# With "torture", only the differential torture suite (tests/torture, torture_servers.py).
B=${1:-build}
ONLY=${2:-}
passed=0
failed=0
out=$(mktemp)
run() {
	limit=$1
	name=$2
	shift 2
	echo "# $name"
	timeout "$limit" "$@" >"$out" 2>&1
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
if [ "$ONLY" != torture ]; then
	for t in "$B"/tests/unit_*; do
		run 200 "$(basename "$t")" "$t"
	done
	# the same io_uring cases with requests issued by an SQPOLL thread
	run 200 unit_uring_sqpoll env SAIO_SQPOLL=1 "$B/tests/unit_uring"
	# and with the epoll wait folded into the batch's io_uring_enter (off by default)
	run 200 unit_uring_fold env SAIO_EPOLL_WAIT=1 "$B/tests/unit_uring"
	run 200 server_tests python3 "$(dirname "$0")/server_tests.py" "$B"
fi
# each scenario without the library, then with it (sync, uring with the epoll wait folded
# into io_uring_enter, uring without: the default): transcripts must match
run 900 torture "$B/tests/torture" run -l "$B/libsaio.so" -m sync -m uring -m uring_nofold
run 600 torture_servers python3 "$(dirname "$0")/torture_servers.py" "$B" -m sync -m uring -m uring_nofold
rm -f "$out"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
