#!/bin/sh
# memfsd (examples/memfs) under every conformance trace, then its demo
# files read with p9cat: /README, the control files, and SIGTERM ending it
# cleanly (exit 0, socket removed).
#
#   test_memfs.sh MEMFSD P9CONFORM TRACEDIR P9CAT
set -u
memfsd=${1:?usage: test_memfs.sh MEMFSD P9CONFORM TRACEDIR P9CAT}
conform=${2:?usage}; traces=${3:?usage}; p9cat=${4:?usage}
pid=
tmp=$(mktemp -d /tmp/memfs-test.XXXXXX) || exit 1
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
. "$(cd "$(dirname "$0")/../.." && pwd)/server/tests/tap.sh"

sock=$tmp/m.sock
"$memfsd" -l "unix:$sock" >"$tmp/out" 2>"$tmp/err" &
pid=$!
# p9conform --wait: retries the connection, bounded (10 s).
"$conform" --wait 10 -u "$(id -un)" -N "$(id -u)" "unix:$sock" "$traces" >"$tmp/conform" 2>&1
rc=$?
tail -n 3 "$tmp/conform" | sed 's/^/# /'
grep -E '^not ok' "$tmp/conform" | head -20 | sed 's/^/# /'
check "every conformance trace passes against memfsd" [ "$rc" -eq 0 ]
check "memfsd said where it listens" grep -q "^listening on unix:$sock" "$tmp/out"

readme() { "$p9cat" "unix:$sock" "" README >"$tmp/r" && grep -q '^memfs: a file system' "$tmp/r"; }
check "p9cat reads /README" readme
counter() {
	a=$("$p9cat" "unix:$sock" "" ctl/counter) && b=$("$p9cat" "unix:$sock" "" ctl/counter) &&
	    [ "$b" -eq $((a + 1)) ]
}
check "/ctl/counter grows by one per open" counter
uptime() { u=$("$p9cat" "unix:$sock" "" ctl/uptime) && [ "$u" -ge 0 ]; }
check "/ctl/uptime is a number" uptime
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
check "SIGTERM ends it with status 0 (got $rc)" [ "$rc" -eq 0 ]
check "its socket is removed" [ ! -e "$sock" ]

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
