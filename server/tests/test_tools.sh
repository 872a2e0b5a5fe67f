#!/bin/sh
# p9d against an independent client: diod's diodls and diodcat (Debian
# package diod) over TCP. p9d's command line is test_cli.sh's.
#
#   test_tools.sh /path/to/p9d
#
# Exit 0 on success, 1 on failure, 77 (skip) without diodls/diodcat.
# p9d listens on 127.0.0.1 port 0; the port is read from its stderr line
# "p9d: listening on 127.0.0.1:PORT", waited for at most 10 s.
set -u
umask 022	# the modes checked below

p9d=${1:?usage: test_tools.sh /path/to/p9d}
case $p9d in /*) ;; *) p9d=$(pwd)/$p9d ;; esac	# the test changes directory
tmp=
pid=
# shellcheck source=server/tests/tap.sh
. "$(dirname "$0")/tap.sh"

cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	[ -z "$tmp" ] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP


tmp=$(mktemp -d /tmp/p9d-tools.XXXXXX) || exit 1
tmp=$(cd "$tmp" && pwd -P)

mkdir "$tmp/export"

# --- diodls and diodcat against a running p9d ------------------------------

if ! command -v diodls >/dev/null 2>&1 || ! command -v diodcat >/dev/null 2>&1; then
	PATH=$PATH:/usr/sbin:/sbin
fi
if ! command -v diodls >/dev/null 2>&1 || ! command -v diodcat >/dev/null 2>&1; then
	echo "# diodls/diodcat not found (apt-get install diod): skipping the client checks"
	printf '%d passed, %d failed\n' "$passes" "$fails"
	[ "$fails" -eq 0 ] || exit 1
	exit 77
fi

exp=$tmp/export
printf 'hello, 9p\n' >"$exp/hello.txt"
printf 'no newline' >"$exp/plain"
: >"$exp/empty"
mkdir -p "$exp/dir/sub" "$exp/emptydir"
printf 'one\ntwo\nthree\n' >"$exp/dir/lines"
printf 'deep\n' >"$exp/dir/sub/deep.txt"
chmod 0640 "$exp/dir/lines"
chmod 0750 "$exp/dir/sub"
# A multi-megabyte file, neither a power of two nor a multiple of msize.
dd if=/dev/urandom of="$exp/big.bin" bs=65536 count=77 2>/dev/null
printf 'tail' >>"$exp/big.bin"

# start_p9d ARGS...: start p9d in the background on 127.0.0.1, port 0, and
# set pid and port from its "listening on" line (bounded wait: 10 s).
start_p9d() {
	: >"$tmp/p9d.err"
	"$p9d" "$@" -l 127.0.0.1:0 -w 4 2>"$tmp/p9d.err" &
	pid=$!
	port=
	i=0
	while [ "$i" -lt 200 ]; do	# at most 200 x 50 ms
		port=$(sed -n 's/^p9d: listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$tmp/p9d.err")
		[ -n "$port" ] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
		i=$((i + 1))
	done
	not_ok "p9d prints its listening address" "$(cat "$tmp/p9d.err")"
	printf '%d passed, %d failed\n' "$passes" "$fails"
	exit 1
}
start_p9d -e "$exp"
ok "p9d prints its listening address (port $port)"
srv=127.0.0.1:$port
me=$(id -un)

# diodls: names (no . and ..), at the root and in a subdirectory.
dls() { diodls -t 20 -s "$srv" -a "$exp" "$@"; }
dcat() { diodcat -t 20 -s "$srv" -a "$exp" "$@"; }

expect_names() {	# expect_names NAME EXPECTED-SORTED-LINES DIODLS-ARGS...
	name=$1
	want=$2
	shift 2
	if got=$(dls "$@" 2>"$tmp/dls.err"); then
		got=$(printf '%s\n' "$got" | LC_ALL=C sort)
		if [ "$got" = "$want" ]; then
			ok "$name"
		else
			not_ok "$name" "want: $(printf '%s' "$want" | tr '\n' ' ')" "got:  $(printf '%s' "$got" | tr '\n' ' ')"
		fi
	else
		not_ok "$name" "diodls failed: $(cat "$tmp/dls.err")"
	fi
}
expect_names "diodls lists the root" "$(printf '%s\n' big.bin dir empty emptydir hello.txt plain)"
expect_names "diodls lists a subdirectory" "$(printf '%s\n' lines sub)" dir
expect_names "diodls lists a nested directory" "deep.txt" dir/sub
expect_names "diodls lists an empty directory" "" emptydir
expect_names "diodls names a file given as an argument" "hello.txt" hello.txt

# Empty aname attaches to the export too; any other aname does not.
if got=$(diodls -t 20 -s "$srv" -a "" 2>&1) && [ "$(printf '%s\n' "$got" | LC_ALL=C sort | tr '\n' ' ')" = "big.bin dir empty emptydir hello.txt plain " ]; then
	ok "diodls with an empty aname"
else
	not_ok "diodls with an empty aname" "$got"
fi
if diodls -t 20 -s "$srv" -a "$tmp" >/dev/null 2>&1; then
	not_ok "diodls with another aname fails"
else
	ok "diodls with another aname fails"
fi
if dls no-such-file >/dev/null 2>&1; then not_ok "diodls of a missing name fails"; else ok "diodls of a missing name fails"; fi

# diodls -l: mode, link count, owner, size and name of each entry
# (ls's fields 1, 2, 3, 5 and the last).
if dls -l >"$tmp/long" 2>"$tmp/dls.err" && dls -l dir >>"$tmp/long" 2>>"$tmp/dls.err"; then
	ok "diodls -l runs"
else
	not_ok "diodls -l runs" "$(cat "$tmp/dls.err")"
fi
long_entry() {	# long_entry NAME MODE NLINK SIZE
	line=$(awk -v n="$1" '$NF == n' "$tmp/long" | head -n 1)
	# shellcheck disable=SC2086 # split the line into its fields
	set -- "$1" "$2" "$3" "$4" $line
	if [ "${5-}" = "$2." ] && [ "${6-}" = "$3" ] && [ "${7-}" = "$me" ] && [ "${9-}" = "$4" ]; then
		ok "diodls -l: $1 is $2 $3 $me $4"
	else
		not_ok "diodls -l: $1 is $2 $3 $me $4" "got: $line"
	fi
}
long_entry hello.txt -rw-r--r-- 1 10
long_entry plain -rw-r--r-- 1 10
long_entry empty -rw-r--r-- 1 0
long_entry big.bin -rw-r--r-- 1 5046276
long_entry emptydir drwxr-xr-x 2 "$(stat -c %s "$exp/emptydir")"
long_entry dir drwxr-xr-x 3 "$(stat -c %s "$exp/dir")"
long_entry lines -rw-r----- 1 14
long_entry sub drwxr-x--- 2 "$(stat -c %s "$exp/dir/sub")"
if [ "$(awk '$NF == "." || $NF == ".."' "$tmp/long" | wc -l)" -eq 4 ]; then
	ok "diodls -l shows . and .. of each directory"
else
	not_ok "diodls -l shows . and .. of each directory" "$(cat "$tmp/long")"
fi

# diodcat: exact bytes, one file and several, nested, empty, big.
cat_exact() {	# cat_exact NAME FILE... (relative to the export)
	name=$1
	shift
	( cd "$exp" && cat "$@" ) >"$tmp/want"
	if dcat "$@" >"$tmp/got" 2>"$tmp/dcat.err" && cmp -s "$tmp/want" "$tmp/got"; then
		ok "$name"
	else
		not_ok "$name" "$(cat "$tmp/dcat.err")" "$(cmp "$tmp/want" "$tmp/got" 2>&1)"
	fi
}
cat_exact "diodcat prints a file exactly" hello.txt
cat_exact "diodcat prints a file without a final newline" plain
cat_exact "diodcat prints an empty file" empty
cat_exact "diodcat prints nested files in order" dir/lines dir/sub/deep.txt hello.txt

want=$(sha256sum <"$exp/big.bin" | cut -d' ' -f1)
got=$(dcat big.bin 2>"$tmp/dcat.err" | sha256sum | cut -d' ' -f1)
if [ "$got" = "$want" ]; then ok "diodcat of a 5 MB file: sha256 matches"; else not_ok "diodcat of a 5 MB file: sha256 matches" "$(cat "$tmp/dcat.err")"; fi
got=$(diodcat -t 20 -m 8192 -s "$srv" -a "$exp" big.bin 2>"$tmp/dcat.err" | sha256sum | cut -d' ' -f1)
if [ "$got" = "$want" ]; then ok "diodcat of a 5 MB file with msize 8192: sha256 matches"; else not_ok "diodcat of a 5 MB file with msize 8192: sha256 matches" "$(cat "$tmp/dcat.err")"; fi

if dcat no-such-file >/dev/null 2>&1; then not_ok "diodcat of a missing file fails"; else ok "diodcat of a missing file fails"; fi
if dcat dir >/dev/null 2>&1; then not_ok "diodcat of a directory fails"; else ok "diodcat of a directory fails"; fi

# Changes on the host show at once (no caching in the server).
printf 'changed\n' >"$exp/hello.txt"
cat_exact "diodcat sees a file changed on the host" hello.txt

# Several clients at once.
pids=
for j in 1 2 3 4; do
	dcat big.bin >"$tmp/par$j" 2>/dev/null &
	pids="$pids $!"
done
all=1
for p in $pids; do
	wait "$p" || all=0
done
for j in 1 2 3 4; do
	[ "$(sha256sum <"$tmp/par$j" | cut -d' ' -f1)" = "$want" ] || all=0
done
if [ "$all" -eq 1 ]; then ok "four diodcats at once"; else not_ok "four diodcats at once"; fi

# SIGTERM: p9d exits 0.
kill "$pid"
wait "$pid"
rc=$?
pid=
check "p9d exits 0 on SIGTERM" [ "$rc" -eq 0 ]

# Exported by a relative path: the aname is still the absolute path.
cd "$tmp" || exit 1
start_p9d -e export
cd / || exit 1
if got=$(diodls -t 20 -s "127.0.0.1:$port" -a "$exp" dir 2>&1) && [ "$(printf '%s' "$got" | LC_ALL=C sort | tr '\n' ' ')" = "lines sub " ]; then
	ok "exported as a relative path, attached by its absolute path"
else
	not_ok "exported as a relative path, attached by its absolute path" "$got"
fi
kill "$pid"
wait "$pid"
pid=

printf '%d passed, %d failed\n' "$passes" "$fails"
[ "$fails" -eq 0 ]
