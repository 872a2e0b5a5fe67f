#!/bin/sh
# p9load against p9d and canned9p on Unix sockets: every workload for
# ~0.3 s prints sane numbers (operations > 0, no errors) and JSON that
# parses; connections over processes with requests in flight; the scratch
# directory is gone afterwards; --help, --version, p9load.1 and bad options.
#
#   test_p9load.sh /path/to/p9load /path/to/p9d /path/to/canned9p
set -u
p9load=${1:?usage: test_p9load.sh P9LOAD P9D CANNED9P}
p9d=${2:?usage: test_p9load.sh P9LOAD P9D CANNED9P}
canned=${3:?usage: test_p9load.sh P9LOAD P9D CANNED9P}
here=$(cd "$(dirname "$0")" && pwd)
passes=0
fails=0
pid=
cpid=
tmp=$(mktemp -d /tmp/p9load-test.XXXXXX) || exit 1
cleanup() {
	for p in $pid $cpid; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
check() {	# check NAME COMMAND...: ok when COMMAND succeeds
	name=$1
	shift
	if "$@"; then
		passes=$((passes + 1)); echo "ok - $name"
	else
		fails=$((fails + 1)); echo "not ok - $name"
		for f in "$tmp"/*.err; do [ -s "$f" ] && sed 's/^/# /' "$f"; done
	fi
}
started() {	# started LOGFILE PID: wait (at most 200 x 50 ms) for "listening on"
	i=0
	while [ "$i" -lt 200 ] && ! grep -q 'listening on' "$1"; do
		kill -0 "$2" 2>/dev/null || break
		sleep 0.05
		i=$((i + 1))
	done
	grep -q 'listening on' "$1"
}

exp=$tmp/export
mkdir "$exp"
"$p9d" -e "$exp" -l "unix:$tmp/p9d.sock" 2>"$tmp/p9d.log" &
pid=$!
"$canned" -l "unix:$tmp/canned.sock" --file-size 200000 --dir-entries 200 2>"$tmp/canned.log" &
cpid=$!
if ! started "$tmp/p9d.log" "$pid" || ! started "$tmp/canned.log" "$cpid"; then
	echo "not ok - p9d and canned9p start: $(cat "$tmp/p9d.log" "$tmp/canned.log")"
	echo "0 passed, 1 failed"
	exit 1
fi

all="getattr getattr-all walk-clunk open-read read write readdir create mixed flush"
quick="-t 0.3 -W 0.05 --file-size 200000 --dir-entries 200"

# sane FILE N: N JSON lines, each parses, ops > 0, rpcs >= ops, no errors,
# latencies ordered, server CPU measured.
sane() {
	[ "$(wc -l <"$1")" -eq "$2" ] || { echo "# $(wc -l <"$1") lines, $2 expected"; return 1; }
	command -v python3 >/dev/null 2>&1 || { echo "# skip JSON parse: no python3"; return 0; }
	python3 -c '
import json, sys
ok = True
for line in open(sys.argv[1]):
    r = json.loads(line)
    bad = []
    if r["ops"] <= 0: bad.append("ops %d" % r["ops"])
    if r["rpcs"] < r["ops"]: bad.append("rpcs %d < ops %d" % (r["rpcs"], r["ops"]))
    if r["errors"] != 0 or r["error"]: bad.append("errors %d: %s" % (r["errors"], r["error"]))
    if not (0 < r["lat_p50_us"] <= r["lat_p99_us"] <= r["lat_p999_us"]): bad.append("latencies")
    if r["latency"] != "op": bad.append("latency unit")
    if r["server_cpu_us_per_rpc"] is None or r["server_cpu_us_per_rpc"] < 0: bad.append("server cpu")
    if r["workload"] in ("open-read", "read", "write", "readdir", "create") and r["mib_per_s"] <= 0:
        bad.append("MiB/s")
    if bad:
        ok = False
        print("# %s: %s" % (r["workload"], ", ".join(bad)))
sys.exit(0 if ok else 1)' "$1"
}

# shellcheck disable=SC2086
"$p9load" $quick -j -l p9d -p "$pid" "unix:$tmp/p9d.sock" >"$tmp/p9d.json" 2>"$tmp/run1.err"
check "p9d: every workload runs (exit 0)" [ $? -eq 0 ]
check "p9d: every workload's JSON parses and is sane" sane "$tmp/p9d.json" 10
for w in $all; do
	check "p9d: $w reported" grep -q "\"workload\":\"$w\"" "$tmp/p9d.json"
done
check "p9d: the scratch directory is removed" [ -z "$(ls -A "$exp")" ]

# shellcheck disable=SC2086
"$p9load" $quick -w flush,getattr,read -c 3 -P 2 -d 8 -p "$pid" "unix:$tmp/p9d.sock" \
    >"$tmp/table.out" 2>"$tmp/run2.err"
check "p9d: 3 connections in 2 processes, 8 in flight (exit 0)" [ $? -eq 0 ]
check "the table names the setup" grep -q '3 connections in 2 processes, 8 in flight each' \
    "$tmp/table.out"
rows() { awk '$1 == "getattr" || $1 == "read" || $1 == "flush" { if ($2 > 0 && $NF == 0) n++ } END { exit n != 3 }' "$tmp/table.out"; }
check "the table has a row per workload, ops > 0 and no errors" rows
check "the table's rows come in the order of the man page" \
    sh -c "awk '{print \$1}' '$tmp/table.out' | grep -x -e getattr -e read -e flush | tr '\n' ' ' | grep -qx 'getattr read flush '"

# shellcheck disable=SC2086
"$p9load" $quick -t 0.2 -j -d 4 -p "$cpid" "unix:$tmp/canned.sock" >"$tmp/canned.json" \
    2>"$tmp/run3.err"
check "canned9p: every workload runs, 4 in flight (exit 0)" [ $? -eq 0 ]
check "canned9p: every workload's JSON parses and is sane" sane "$tmp/canned.json" 10

# Errors: a server that is not there, bad options.
"$p9load" -t 0.1 "unix:$tmp/nothere.sock" >/dev/null 2>"$tmp/noserver.out"
rc=$?
check "no server: exit 1 naming the address" \
    sh -c "[ $rc -eq 1 ] && grep -q 'nothere.sock: connect' '$tmp/noserver.out'"
"$p9load" --conns 0 x 2>"$tmp/bad.out"
rc=$?
check "--conns 0: exit 2 naming the range" \
    sh -c "[ $rc -eq 2 ] && grep -q -- '--conns 0: out of range 1 to 1024' '$tmp/bad.out'"
"$p9load" -w getattr,nosuch x 2>"$tmp/bad.out"
rc=$?
check "--workload nosuch: exit 2 naming it" \
    sh -c "[ $rc -eq 2 ] && grep -q \"unknown workload 'nosuch'\" '$tmp/bad.out'"
"$p9load" -c 2 -P 3 x 2>"$tmp/bad.out"
rc=$?
check "--procs above --conns: exit 2" [ $rc -eq 2 ]
"$p9load" 2>"$tmp/bad.out"
rc=$?
check "no address: exit 2" sh -c "[ $rc -eq 2 ] && grep -q 'no ADDRESS' '$tmp/bad.out'"

# --help, --version, the man page.
"$p9load" --help >"$tmp/help" 2>&1
check "--help exits 0" [ $? -eq 0 ]
"$p9load" --version >"$tmp/version" 2>&1
check "--version names p9load" grep -q '^p9load (lib9p) [0-9]' "$tmp/version"
missing=
for o in $(grep -o -e '--[a-z][a-z-]*' "$tmp/help" | sort -u); do
	pat=$(printf '%s' "$o" | sed 's/-/\\-/g')	# --a-b is \-\-a\-b in roff
	grep -q -F -e "$pat" "$here/p9load.1" || missing="$missing $o"
done
check "p9load.1 documents every option of --help${missing:+ (missing:$missing)}" [ -z "$missing" ]
missing=
for o in $(grep -o -e '\\-\\-[a-z][a-z\\-]*' "$here/p9load.1" | sed 's/\\-/-/g' | sort -u); do
	grep -q -e "$o" "$tmp/help" || missing="$missing $o"
done
check "--help lists every option of p9load.1${missing:+ (missing:$missing)}" [ -z "$missing" ]
for w in $all; do
	grep -q -e "$w" "$tmp/help" && grep -q -e "^\.B $(printf '%s' "$w" | sed 's/-/\\\\-/g')\$" \
	    "$here/p9load.1" || missing="$missing $w"
done
check "--help and p9load.1 name every workload${missing:+ (missing:$missing)}" [ -z "$missing" ]
if command -v man >/dev/null 2>&1; then
	warn=$(MANWIDTH=80 man --warnings -l "$here/p9load.1" 2>&1 >/dev/null)
	check "p9load.1 renders without warnings${warn:+: $warn}" [ -z "$warn" ]
else
	echo "# skip: man (man-db) is not installed: p9load.1 not rendered"
fi

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
