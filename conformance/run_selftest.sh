#!/bin/sh
# The runner's self-test: behind fake9p (which corrupts p9d's replies) the
# must traces that check those fields fail, and p9conform says so; with
# fake9p passing replies through unchanged they pass. A runner that
# passes everything is caught here.
#   run_selftest.sh P9CONFORM FAKE9P TRACEDIR P9D
set -u
conform=$1; fake=$2; traces=$3; p9d=$4
tmp=$(mktemp -d /tmp/p9cself.XXXXXX) || exit 1
pids=
cleanup() { for p in $pids; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
mkdir "$tmp/export"
"$p9d" -e "$tmp/export" -l "unix:$tmp/sock" 2>/dev/null & pids="$pids $!"
fails=0
# --version, and p9conform.1 documents every long option --help shows.
if "$conform" --version 2>&1 | grep -q '^p9conform (lib9p) [0-9]'; then
	echo "ok - --version names p9conform and its version"
else
	echo "not ok - --version names p9conform and its version"
	fails=$((fails + 1))
fi
missing=
for o in $("$conform" --help | grep -o -e '--[a-z][a-z-]*' | sort -u); do
	pat=$(printf '%s' "$o" | sed 's/-/\\-/g')	# --a-b is \-\-a\-b in roff
	grep -q -F -e "$pat" "$(dirname "$0")/p9conform.1" || missing="$missing $o"
done
if [ -z "$missing" ]; then
	echo "ok - p9conform.1 documents every option of --help"
else
	echo "not ok - p9conform.1 documents every option of --help: missing$missing"
	fails=$((fails + 1))
fi
# p9d must be listening before fake9p forwards to it: one trace straight
# to p9d, with the runner's bounded connect retries, makes sure of that.
if ! "$conform" --wait 10 -t 3000 -o version/basic "unix:$tmp/sock" "$traces" >"$tmp/out" 2>&1; then
	echo "not ok - p9d did not start"
	cat "$tmp/out"
	exit 1
fi
run() {	# run MODE WANT TRACE...: WANT is pass or fail
	mode=$1; want=$2; shift 2
	"$fake" "unix:$tmp/f-$mode" "unix:$tmp/sock" "$mode" & pids="$pids $!"
	for t in "$@"; do
		"$conform" --wait 10 -t 3000 -o "$t" "unix:$tmp/f-$mode" "$traces" >"$tmp/out" 2>&1
		rc=$?
		if { [ "$want" = pass ] && [ $rc -eq 0 ]; } || { [ "$want" = fail ] && [ $rc -eq 1 ]; }; then
			echo "ok - $t behind fake9p $mode: ${want}s"
		else
			echo "not ok - $t behind fake9p $mode: expected it to $want (exit $rc)"
			cat "$tmp/out"
			fails=$((fails + 1))
		fi
	done
}
run none pass walk/one-file walk/dotdot-at-root walk/first-fails version/basic
run qidpath fail walk/one-file walk/three
run ecode fail walk/first-fails walk/one-file remove/file
run msize fail version/basic version/msize-not-above-proposal
[ $fails -eq 0 ] && echo "selftest: all passed" || echo "selftest: $fails failed"
exit $((fails != 0))
