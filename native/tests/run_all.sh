#!/bin/sh
# run_all.sh BUILD - every test program of native/: the C unit tests, then the generator against
# real servers and deliberately wrong ones (server_tests.py). Each prints "ok NAME" / "not ok NAME";
# a program that exits non-zero without reporting a failure counts as one failure.
# Ends with "N passed, N failed" and a non-zero exit status if anything failed.
B=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
passed=0
failed=0
out=$(mktemp)
run() {
	name=$1
	shift
	echo "# $name"
	timeout 600 "$@" >"$out" 2>&1
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
if [ -z "$SAIO_LOAD_UNIT_ONLY" ]; then
	run server_tests python3 "$here/server_tests.py" "$B/saio-load"
fi
rm -f "$out"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
