#!/bin/sh
# p9conform's verdicts other than pass and fail, behind fake9p (in front of
# p9d): a legacy Rerror is decoded and named (fail, with its message and
# errno), Rlerror EOPNOTSUPP makes a trace not-implemented, and a server
# that dies is reported as a crash at the trace where it died, then
# restarted (--server-cmd) or, without a command, the later traces are
# not run. A few traces each; about a second.
#   run_verdicts.sh P9CONFORM FAKE9P TRACEDIR P9D
set -u
conform=$1; fake=$2; traces=$3; p9d=$4
tmp=$(mktemp -d /tmp/p9cverd.XXXXXX) || exit 1
pids=
cleanup() { for p in $pids; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
mkdir "$tmp/export"
"$p9d" -e "$tmp/export" -l "unix:$tmp/sock" 2>/dev/null & pids="$pids $!"
fails=0 n=0
# check NAME PATTERN: the last run's output has a line matching PATTERN (grep -E)
check() {
	n=$((n + 1))
	if grep -q -E -e "$2" "$tmp/out"; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		sed 's/^/# /' "$tmp/out"
		fails=$((fails + 1))
	fi
}
run() {	# run ADDR ARGS...: p9conform's output into $tmp/out, its exit status into $rc
	a=$1; shift
	"$conform" --wait 10 -t 3000 "$@" "$a" "$traces" >"$tmp/out" 2>&1
	rc=$?
}
if ! "$conform" --wait 10 -t 3000 -o version/basic "unix:$tmp/sock" "$traces" >"$tmp/out" 2>&1; then
	echo "Bail out! p9d did not start"
	cat "$tmp/out"
	exit 1
fi

"$fake" "unix:$tmp/f-rerror" "unix:$tmp/sock" rerror & pids="$pids $!"
run "unix:$tmp/f-rerror" -o walk/first-fails
check "legacy Rerror: decoded, with its message and errno" \
    'why: legacy Rerror tag=1 ename="No such file or directory" errno=2\(ENOENT\) to Twalk where 9P2000.L wants Rlerror'
check "legacy Rerror where Rlerror is wanted: verdict fail" '^  verdict: fail$'
check "legacy Rerror: exit 1" "^0 passed, 1 failed$"

"$fake" "unix:$tmp/f-notsupp" "unix:$tmp/sock" notsupp & pids="$pids $!"
run "unix:$tmp/f-notsupp" -o renameat/basic -o walk/one-file
check "Rlerror EOPNOTSUPP: not-implemented, naming the request" \
    '^ok [0-9]+ - renameat/basic \(must\) # SKIP not implemented: Trenameat not implemented: Rlerror EOPNOTSUPP'
check "not-implemented: counted as skipped" '^1 passed, 0 failed, 1 skipped$'
n=$((n + 1))
if [ $rc -eq 1 ]; then
	echo "ok $n - a must trace not implemented: exit 1"
else
	echo "not ok $n - a must trace not implemented: exit 1 (got $rc)"
	fails=$((fails + 1))
fi

run "unix:$tmp/f-crash" --server-cmd "exec '$fake' 'unix:$tmp/f-crash' 'unix:$tmp/sock' crash" \
    -o walk/one-file -o renameat/basic -o lock/lock-unlock
check "--server-cmd: the crash is named at its trace, with the signal" \
    '^# the server crashed at trace renameat/basic: .*killed by signal 11'
check "--server-cmd: verdict crash" '^not ok 2 - renameat/basic \(must\) - the server crashed$'
check "--server-cmd: restarted, the next trace runs and passes" '^ok 3 - lock/lock-unlock \(must\)$'

"$fake" "unix:$tmp/f-pid" "unix:$tmp/sock" crash & fpid=$!; pids="$pids $fpid"
run "unix:$tmp/f-pid" --server-pid "$fpid" -o walk/one-file -o renameat/basic -o lock/lock-unlock
check "--server-pid: the crash is named at its trace" \
    '^# the server crashed at trace renameat/basic: the server process \(pid [0-9]+, --server-pid\) is gone'
check "--server-pid: the later traces are not run, and say why" \
    'why: not run: the server is gone since it crashed at trace renameat/basic'

"$fake" "unix:$tmp/f-conn" "unix:$tmp/sock" crash & pids="$pids $!"
run "unix:$tmp/f-conn" -o walk/one-file -o renameat/basic -o lock/lock-unlock
check "no pid: a refused connection after the server was reachable is a crash" \
    '^# the server crashed at trace renameat/basic: connecting to unix:.* now fails: Connection refused'
check "no pid: verdicts 1 pass, 1 crash, 1 not-run" \
    '^# verdicts: 1 pass, 0 fail, 0 not-implemented, 1 crash, 1 not-run'

echo "1..$n"
echo "$((n - fails)) passed, $fails failed"
exit $((fails != 0))
