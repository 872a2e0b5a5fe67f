#!/bin/sh
# examples/p9cat against p9d on a Unix socket: a small file, an empty one,
# a file of several reads (not a multiple of the buffer), a missing path.
#
#   test_p9cat.sh /path/to/p9cat /path/to/p9d
set -u
p9cat=${1:?usage: test_p9cat.sh P9CAT P9D}
p9d=${2:?usage: test_p9cat.sh P9CAT P9D}
pid=
tmp=$(mktemp -d /tmp/p9cat-test.XXXXXX) || exit 1
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

exp=$tmp/export
mkdir "$exp" "$exp/dir"
printf 'hello, 9p\n' >"$exp/dir/hello.txt"
: >"$exp/empty"
dd if=/dev/urandom of="$exp/big.bin" bs=65536 count=5 2>/dev/null
printf 'tail' >>"$exp/big.bin"

sock=$tmp/p9.sock
"$p9d" -e "$exp" -l "unix:$sock" 2>"$tmp/p9d.err" &
pid=$!
i=0
while [ "$i" -lt 200 ] && ! grep -q '^p9d: listening on' "$tmp/p9d.err"; do	# at most 200 x 50 ms
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.05
	i=$((i + 1))
done
if ! grep -q '^p9d: listening on' "$tmp/p9d.err"; then
	echo "not ok - p9d starts: $(cat "$tmp/p9d.err")"
	echo "0 passed, 1 failed"
	exit 1
fi

same() { "$p9cat" "unix:$sock" "$exp" "$1" >"$tmp/out" && cmp -s "$tmp/out" "$exp/$1"; }
check "a small file in a subdirectory" same dir/hello.txt
check "an empty file" same empty
check "a file of several reads" same big.bin
missing() {
	! "$p9cat" "unix:$sock" "$exp" nothere >"$tmp/out" 2>"$tmp/err" &&
	    [ ! -s "$tmp/out" ] && grep -q '^p9cat: Twalk: .*(ENOENT)$' "$tmp/err"
}
check "a missing path fails with a message" missing
usage() { ! "$p9cat" 2>"$tmp/err" && grep -q '^usage: p9cat' "$tmp/err"; }
check "no arguments: usage" usage

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
