#!/bin/sh
# examples/hellofs (the README's "Embedding the server") read with
# examples/p9cat: the file, a missing name, the directory, and SIGTERM
# ending the server cleanly (exit 0, socket removed).
#
#   test_hellofs.sh /path/to/hellofs /path/to/p9cat
set -u
hellofs=${1:?usage: test_hellofs.sh HELLOFS P9CAT}
p9cat=${2:?usage: test_hellofs.sh HELLOFS P9CAT}
pid=
tmp=$(mktemp -d /tmp/hellofs-test.XXXXXX) || exit 1
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
# ok, not_ok, check and the passes/fails counts (TAP lines).
# shellcheck source=server/tests/tap.sh
. "$(cd "$(dirname "$0")/.." && pwd)/server/tests/tap.sh"

sock=$tmp/hello.sock
"$hellofs" "$sock" 2>"$tmp/err" &
pid=$!
i=0
while [ "$i" -lt 200 ] && ! grep -q '^hellofs: serving' "$tmp/err"; do	# at most 200 x 50 ms
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.05
	i=$((i + 1))
done
if ! grep -q '^hellofs: serving' "$tmp/err"; then
	echo "not ok - hellofs starts: $(cat "$tmp/err")"
	echo "0 passed, 1 failed"
	exit 1
fi

hello() { "$p9cat" "unix:$sock" "" hello >"$tmp/out" && [ "$(cat "$tmp/out")" = "hello, world" ]; }
check "p9cat reads /hello" hello
missing() { ! "$p9cat" "unix:$sock" "" nothere 2>"$tmp/cat.err" && grep -q '(ENOENT)$' "$tmp/cat.err"; }
check "a missing name: ENOENT" missing
isdir() { ! "$p9cat" "unix:$sock" "" . 2>"$tmp/cat.err" && grep -q '(EISDIR)$' "$tmp/cat.err"; }
check "the directory cannot be read as a file: EISDIR" isdir
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
check "SIGTERM ends it with status 0 (got $rc)" [ "$rc" -eq 0 ]
check "its socket is removed" [ ! -e "$sock" ]

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
