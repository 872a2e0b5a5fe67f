#!/bin/sh
# p9d's command line: --help, the man page, every number's range, every
# start-up error (exit 2, one line on stderr naming what failed and why),
# what -l unix:PATH may replace (only a socket nobody listens on), systemd
# socket activation (LISTEN_PID/LISTEN_FDS) and the lines of --debug.
#
#   test_cli.sh /path/to/p9d [/path/to/python3]
#
# Exit 0 on success, 1 on failure. python3 is the 9P client that checks a
# server still answers (one Tversion, 5 s timeout) and makes sockets the
# shell cannot. Every p9d started in the background is waited for at most
# 10 s (its "p9d: exporting" line) and killed by pid at the end. TCP
# listeners are on 127.0.0.1, port 0 unless the port is the point.
set -u
umask 022

p9d=${1:?usage: test_cli.sh /path/to/p9d [python3]}
py=${2:-python3}
# The interpreter itself, not a wrapper (pyenv's shims take 0.5 s a start).
py=$("$py" -c 'import sys; print(sys.executable)') || { echo "# $py does not run"; exit 1; }
case $p9d in /*) ;; *) p9d=$(pwd)/$p9d ;; esac
manpage=$(cd "$(dirname "$0")/.." && pwd)/p9d.8
tmp=
pids=
# shellcheck source=server/tests/tap.sh
. "$(dirname "$0")/tap.sh"

cleanup() {
	for p in $pids; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	[ -z "$tmp" ] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

absent() { [ ! -e "$1" ] && [ ! -L "$1" ]; }	# absent PATH: nothing there
holds() { [ -f "$1" ] && [ ! -L "$1" ] && [ "$(cat "$1")" = "$2" ]; }	# holds FILE TEXT

tmp=$(mktemp -d /tmp/p9d-cli.XXXXXX) || exit 1
tmp=$(cd "$tmp" && pwd -P)
exp=$tmp/export
mkdir "$exp"

# --- --help, --version, the man page ---------------------------------------

longopts="export listen listen-fd fd stdio read-only allsquash squashuser msize
threads active loops no-pin no-dircache io spin-us max-fids max-inflight max-conns debug foreground
no-auth help version"

"$p9d" --help >"$tmp/help" 2>"$tmp/help.err"
rc=$?
if [ "$rc" -eq 0 ] && [ -s "$tmp/help" ] && [ ! -s "$tmp/help.err" ]; then
	ok "--help exits 0 and prints on stdout"
else
	not_ok "--help exits 0 and prints on stdout" "exit $rc"
fi
missing=
for o in $longopts; do
	grep -q -E -e "--$o([^a-z-]|\$)" "$tmp/help" || missing="$missing --$o"
done
if [ -z "$missing" ]; then ok "--help mentions every long option"; else not_ok "--help mentions every long option" "missing:$missing"; fi
# Every long option --help shows is documented in the man page.
missing=
# shellcheck disable=SC2013 # option names are words
for o in $(grep -o -e '--[a-z][a-z-]*' "$tmp/help" | sort -u); do
	pat=$(printf '%s' "$o" | sed 's/-/\\-/g')	# --a-b is \-\-a\-b in roff
	grep -q -F -e "$pat" "$manpage" || missing="$missing $o"
done
if [ -z "$missing" ]; then ok "p9d.8 documents every option of --help"; else not_ok "p9d.8 documents every option of --help" "missing:$missing"; fi
# The ranges --help states are the ones p9d enforces (checked below).
missing=
for r in "4096 to 16777216" "1 to 1024" "1 to 16777216" "1 to 65535" "1 to 1048576" "0 to 65535"; do
	grep -q -F -e "$r" "$tmp/help" || missing="$missing '$r'"
	grep -q -F -e "$r" "$manpage" || missing="$missing '$r' (p9d.8)"
done
if [ -z "$missing" ]; then ok "--help and p9d.8 state every range"; else not_ok "--help and p9d.8 state every range" "missing:$missing"; fi
# Every installed man page renders without a warning (man-db's --warnings:
# groff's diagnostics); skipped where man is not installed.
if command -v man >/dev/null 2>&1; then
	top_dir=$(cd "$(dirname "$0")/../.." && pwd)
	for page in server/p9d.8 tools/p9dump.1 conformance/p9conform.1; do
		warn=$(MANWIDTH=80 man --warnings -l "$top_dir/$page" 2>&1 >/dev/null)
		if [ -z "$warn" ]; then
			ok "$page renders without warnings"
		else
			not_ok "$page renders without warnings" "$(printf '%s' "$warn" | head -c 400)"
		fi
	done
else
	echo "# skip: man (man-db) is not installed: man pages not rendered"
fi

"$p9d" --version >"$tmp/version" 2>&1
check "--version exits 0" [ $? -eq 0 ]
check "--version names p9d" grep -q '^p9d ' "$tmp/version"

# --- start-up errors ---------------------------------------------------------

# bad DESCRIPTION WANT... -- ARGS...: p9d exits 2 at once, prints nothing on
# stdout and one line on stderr, "p9d: ...", that contains every WANT
# (fixed strings). stdin is /dev/null unless $stdin names another file.
bad() {
	desc=$1
	shift
	: >"$tmp/bad.want"
	while [ "$#" -gt 0 ] && [ "$1" != -- ]; do
		printf '%s\n' "$1" >>"$tmp/bad.want"
		shift
	done
	shift
	"$p9d" "$@" >"$tmp/bad.out" 2>"$tmp/bad.err" <"${stdin:-/dev/null}"
	rc=$?
	why=
	[ "$rc" -eq 2 ] || why="exit $rc, not 2;"
	[ ! -s "$tmp/bad.out" ] || why="$why output on stdout;"
	[ "$(wc -l <"$tmp/bad.err")" -eq 1 ] || why="$why not one line on stderr;"
	[ "$(head -c 5 "$tmp/bad.err")" = "p9d: " ] || why="$why stderr does not start with 'p9d: ';"
	while IFS= read -r w; do
		grep -q -F -e "$w" "$tmp/bad.err" || why="$why no '$w' in the message;"
	done <"$tmp/bad.want"
	if [ -z "$why" ]; then
		ok "exit 2: $desc: $(cat "$tmp/bad.err")"
	else
		not_ok "exit 2: $desc" "p9d $*" "$why" "stderr: $(head -c 400 "$tmp/bad.err")"
	fi
}

bad "unknown option" "--no-such-option" -- --no-such-option
bad "unknown short option" "'Z'" -- -Z
bad "missing option argument" "'l'" "argument" -- -e "$exp" -l
bad "argument to a flag" "--stdio" -- -e "$exp" --stdio=yes
bad "no export" "-e DIR" -- -l 127.0.0.1:0
bad "nothing to serve" "nothing to serve" -- -e "$exp"
bad "extra argument" "'extra'" -- -e "$exp" -l 127.0.0.1:0 extra
bad "export does not exist" "$tmp/nope" "No such file or directory" -- -e "$tmp/nope" -l 127.0.0.1:0
: >"$tmp/file"
bad "export is a file" "$tmp/file" "Not a directory" -- -e "$tmp/file" -l 127.0.0.1:0
bad "no such squash user" "--squashuser no-such-user-p9d" "no such user" -- -e "$exp" -l 127.0.0.1:0 -U no-such-user-p9d
if [ "$(id -u)" -ne 0 ]; then
	# As an ordinary user squashing is a warning, not an error; it comes
	# once p9d is up, not before a failure.
	bad "a failure after -S as an ordinary user" "cannot listen on unix:$tmp/nodir/sock" -- -e "$exp" -S -l "unix:$tmp/nodir/sock"
fi

# Numbers: digits only (no sign, space or suffix), in range; overflow is out
# of range. range_checks OPTION MIN MAX
range_checks() {
	o=$1 min=$2 max=$3
	want="want $min to $max"
	if [ "$min" -gt 0 ]; then
		bad "$o below its minimum" "$o $((min - 1)): out of range" "$want" -- -e "$exp" -l 127.0.0.1:0 "$o" "$((min - 1))"
	fi
	bad "$o above its maximum" "$o $((max + 1)): out of range" "$want" -- -e "$exp" -l 127.0.0.1:0 "$o" "$((max + 1))"
	bad "$o overflowing" "$o 99999999999999999999999: out of range" "$want" -- -e "$exp" -l 127.0.0.1:0 "$o" 99999999999999999999999
	bad "$o 2^32+$min (the same in 32 bits)" "$o $((4294967296 + min)): out of range" "$want" -- -e "$exp" -l 127.0.0.1:0 "$o" "$((4294967296 + min))"
	for v in "-$min" "+$min" "${min}k" " $min" "$min " "0x10" "" "1e3"; do
		bad "$o '$v'" "$o '$v': not a decimal number" "$want" -- -e "$exp" -l 127.0.0.1:0 "$o" "$v"
	done
}
range_checks --msize 4096 16777216
range_checks --threads 1 1024
range_checks --active 1 1024
range_checks --loops 1 64
range_checks --spin-us 0 10000
range_checks --max-fids 1 16777216
range_checks --max-inflight 1 65535
range_checks --max-conns 1 1048576
range_checks --listen-fd 0 2147483647
range_checks --fd 0 2147483647
bad "-m is --msize" "--msize 4095: out of range" -- -e "$exp" -l 127.0.0.1:0 -m 4095
bad "-w is --threads" "--threads 0: out of range" -- -e "$exp" -l 127.0.0.1:0 -w 0
bad "--io of an unknown engine" "--io poll: unknown engine" "(want epoll or uring)" -- -e "$exp" -l 127.0.0.1:0 --io poll

# good DESCRIPTION ARGS...: p9d starts with ARGS on a pipe (--stdio), sees
# its end at once and exits 0.
good() {
	desc=$1
	shift
	rm -f "$tmp/good.rc"
	true | { "$p9d" -e "$exp" --stdio "$@" 2>"$tmp/good.err"; echo $? >"$tmp/good.rc"; } | cat >/dev/null
	if [ "$(cat "$tmp/good.rc")" = 0 ] && grep -q '^p9d: exporting ' "$tmp/good.err"; then
		ok "accepted: $desc"
	else
		not_ok "accepted: $desc" "p9d $*: exit $(cat "$tmp/good.rc")" "$(head -c 400 "$tmp/good.err")"
	fi
}
good "--stdio on pipes"
good "--msize 4096 and -m 16777216" --msize 4096 -m 16777216
good "--threads 1 and -w 2" --threads 1 -w 2	# (not 1024: that many threads may hit a limit)
good "--max-fids 1 and 16777216" --max-fids 1 --max-fids 16777216
good "--max-inflight 1 and 65535" --max-inflight 1 --max-inflight 65535
good "--max-conns 1 and 1048576" --max-conns 1 --max-conns 1048576
good "leading zeros" --msize 0004096
good "--io epoll and --io uring" --io epoll --io uring
good "--loops 1 and 64" --loops 1 --loops 64
good "--active 1 and 1024" --active 1 --active 1024
good "--spin-us 0 and 10000" --spin-us 0 --spin-us 10000
good "--no-pin" --no-pin
good "--no-dircache" --no-dircache

# The descriptor limit: too low for one connection is a start-up error;
# too low for --max-conns lowers it, with a notice, and p9d serves.
real_p9d=$p9d
printf '#!/bin/sh\nulimit -n "$NOFILE" && exec "%s" "$@"\n' "$real_p9d" >"$tmp/p9d-nofile"
chmod +x "$tmp/p9d-nofile"
p9d=$tmp/p9d-nofile
NOFILE=60 bad "RLIMIT_NOFILE 60" "the descriptor limit (RLIMIT_NOFILE 60) leaves no room for a connection" "129 are needed with 4 worker threads" -- -e "$exp" -l 127.0.0.1:0 -w 4
NOFILE=1024 good "RLIMIT_NOFILE 1024 lowers --max-conns" -w 4 --max-conns 256
p9d=$real_p9d
check "RLIMIT_NOFILE 1024: the notice says --max-conns was lowered to 28" \
	grep -q -F "the descriptor limit (RLIMIT_NOFILE 1024) allows 28 connections of 33 descriptors each: --max-conns lowered from 256 to 28" "$tmp/good.err"

# Inherited descriptors: open, of a kind the loop can serve.
bad "--listen-fd not open" "--listen-fd 9: not an open file descriptor" -- -e "$exp" --listen-fd 9
bad "--listen-fd at the top of its range" "--listen-fd 2147483647: not an open file descriptor" -- -e "$exp" --listen-fd 2147483647
bad "--listen-fd a character device" "--listen-fd 0: a character device, not a listening socket" -- -e "$exp" --listen-fd 0
bad "--listen-fd a regular file" "--listen-fd 5: a regular file, not a listening socket" -- -e "$exp" --listen-fd 5 5<"$tmp/file"
bad "--listen-fd given twice" "--listen-fd 5: given twice" -- -e "$exp" --listen-fd 5 --listen-fd 5 5<"$tmp/file"
bad "--fd given twice" "--fd 2: --fd given twice" -- -e "$exp" --fd 1 --fd 2
bad "--fd not open" "--fd 9: not an open file descriptor" -- -e "$exp" --fd 9
bad "--fd a regular file" "--fd 5: a regular file" "cannot poll" -- -e "$exp" --fd 5 5<"$tmp/file"
bad "--fd also --listen-fd" "--fd 5: also given as --listen-fd" -- -e "$exp" --listen-fd 5 --fd 5 5<"$tmp/file"
bad "--fd 0 and --stdio" "--fd 0: also served by --stdio" -- -e "$exp" --stdio --fd 0
bad "--stdio on /dev/null" "--stdio: standard input: a character device" "cannot poll" -- -e "$exp" --stdio
stdin=$tmp/file bad "--stdio from a regular file" "--stdio: standard input: a regular file" -- -e "$exp" --stdio
stdin=
# stdin a pipe, stdout bad's file: standard output is what fails.
rm -f "$tmp/bad.err"
true | "$p9d" -e "$exp" --stdio >"$tmp/bad.out" 2>"$tmp/bad.err"
rc=$?
if [ "$rc" -eq 2 ] && [ "$(wc -l <"$tmp/bad.err")" -eq 1 ] && grep -q -F -e "--stdio: standard output: a regular file" "$tmp/bad.err"; then
	ok "exit 2: --stdio to a regular file: $(cat "$tmp/bad.err")"
else
	not_ok "exit 2: --stdio to a regular file" "exit $rc" "$(head -c 400 "$tmp/bad.err")"
fi
# sockets python3 makes: a listening one for --fd, an unconnected one for
# --listen-fd. pysock KIND ARGS...: runs p9d with the socket as fd 3.
pysock() {
	kind=$1
	shift
	"$py" -c '
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
if sys.argv[1] == "listening":
    s.bind(("127.0.0.1", 0))
    s.listen(1)
os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
os.execv(sys.argv[2], sys.argv[2:])
' "$kind" "$p9d" "$@"
}
rm -f "$tmp/bad.err"
pysock listening -e "$exp" --fd 3 >"$tmp/bad.out" 2>"$tmp/bad.err" </dev/null
rc=$?
if [ "$rc" -eq 2 ] && [ "$(wc -l <"$tmp/bad.err")" -eq 1 ] && grep -q -F -e "--fd 3: a listening socket" "$tmp/bad.err"; then
	ok "exit 2: --fd a listening socket: $(cat "$tmp/bad.err")"
else
	not_ok "exit 2: --fd a listening socket" "exit $rc" "$(head -c 400 "$tmp/bad.err")"
fi
rm -f "$tmp/bad.err"
pysock unconnected -e "$exp" --listen-fd 3 >"$tmp/bad.out" 2>"$tmp/bad.err" </dev/null
rc=$?
if [ "$rc" -eq 2 ] && [ "$(wc -l <"$tmp/bad.err")" -eq 1 ] && grep -q -F -e "--listen-fd 3: the socket is not listening" "$tmp/bad.err"; then
	ok "exit 2: --listen-fd a socket that is not listening: $(cat "$tmp/bad.err")"
else
	not_ok "exit 2: --listen-fd a socket that is not listening" "exit $rc" "$(head -c 400 "$tmp/bad.err")"
fi

# Listen addresses.
many=
i=0
while [ "$i" -lt 17 ]; do many="$many -l 127.0.0.1:0"; i=$((i + 1)); done
# shellcheck disable=SC2086 # split into words
bad "17 listen addresses" "too many listen addresses (at most 16)" -- -e "$exp" $many
bad "no port" "cannot listen on 127.0.0.1: no port" -- -e "$exp" -l 127.0.0.1
bad "empty port" "cannot listen on 127.0.0.1:: no port" "0 to 65535" -- -e "$exp" -l 127.0.0.1:
for port in 65536 99999 4294967297 18446744073709551617 99999999999999999999999; do
	bad "port $port" "cannot listen on 127.0.0.1:$port: port $port is out of range (want 0 to 65535)" -- -e "$exp" -l "127.0.0.1:$port"
done
for port in -1 +80 80x 0x50 " 80" "80 " 8.0; do
	bad "port '$port'" "cannot listen on 127.0.0.1:$port: port '$port' is not a decimal number (want 0 to 65535)" -- -e "$exp" -l "127.0.0.1:$port"
done
bad "no host" "cannot listen on :5640: no host" -- -e "$exp" -l :5640
bad "empty brackets" "cannot listen on []:5640: no host" -- -e "$exp" -l '[]:5640'
bad "IPv6 without brackets" "cannot listen on ::1:5640: an IPv6 address goes in brackets" -- -e "$exp" -l ::1:5640
bad "unclosed bracket" "cannot listen on [::1:5640: no ']'" -- -e "$exp" -l '[::1:5640'
bad "unix: without a path" "cannot listen on unix:: no path" -- -e "$exp" -l unix:

# --- background p9d instances -------------------------------------------------

# start NAME ARGS...: start p9d -e EXPORT ARGS... in the background, its
# stderr in $tmp/NAME.err, and wait (at most 10 s) for "exporting"; sets
# bg to its pid. Returns 1 if it exited or never got there.
start() {
	name=$1
	shift
	: >"$tmp/$name.err"
	"$p9d" -e "$exp" -w 2 "$@" 2>"$tmp/$name.err" </dev/null &
	bg=$!
	pids="$pids $bg"
	up "$name" "$bg"
}
# up NAME PID: wait (at most 200 x 50 ms) until p9d says it is exporting in
# $tmp/NAME.err; false if it exited first or took longer.
up() {
	i=0
	while [ "$i" -lt 200 ]; do
		grep -q '^p9d: exporting ' "$tmp/$1.err" && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}
# stop PID [SIGNAL]: signal p9d (TERM by default), wait for it; returns its
# exit status.
stop() {
	kill "-${2:-TERM}" "$1" 2>/dev/null
	wait "$1"
	st=$?
	rest=
	for p in $pids; do [ "$p" = "$1" ] || rest="$rest $p"; done
	pids=$rest
	return "$st"
}
# serves ADDR: a Tversion to ADDR (unix:PATH or 127.0.0.1:PORT) gets an
# Rversion within 5 s.
serves() {
	"$py" -c '
import socket, struct, sys
a = sys.argv[1]
if a.startswith("unix:"):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    addr = a[5:]
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    h, p = a.rsplit(":", 1)
    addr = (h, int(p))
s.settimeout(5)
s.connect(addr)
v = b"9P2000.L"
s.sendall(struct.pack("<IBHIH", 13 + len(v), 100, 0xFFFF, 8192, len(v)) + v)
buf = b""
while len(buf) < 7 or len(buf) < struct.unpack("<I", buf[:4])[0]:
    d = s.recv(4096)
    if not d:
        sys.exit(1)
    buf += d
size, typ, tag = struct.unpack("<IBH", buf[:7])
sys.exit(0 if typ == 101 and tag == 0xFFFF else 1)
' "$1" 2>/dev/null
}
# dead PATH: wait (at most 5 s) until connecting to the Unix socket PATH
# is refused. A p9d killed on io_uring keeps its listening socket alive a
# moment after its exit: the kernel tears the ring down (and with it the
# ring's poll of the listener) asynchronously, and until then a connect
# succeeds, so a new p9d rightly sees a server listening there.
dead() {
	"$py" -c '
import socket, sys, time
for i in range(100):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(sys.argv[1])
    except OSError:
        sys.exit(0)
    finally:
        s.close()
    time.sleep(0.05)
sys.exit(1)
' "$1" 2>/dev/null
}
port_of() {	# port_of NAME: the port of 127.0.0.1 in $tmp/NAME.err
	sed -n 's/^p9d: listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$tmp/$1.err" | head -n 1
}

# An address in use: the second p9d names it and exits 2; the first one
# goes on serving. A Unix socket the failed one had already made is gone.
if start tcp -l 127.0.0.1:0 && port=$(port_of tcp) && [ -n "$port" ]; then
	ok "p9d listens on 127.0.0.1:0 (port $port)"
	tcp=$bg
	bad "address in use" "cannot listen on 127.0.0.1:$port: Address already in use" -- -e "$exp" -l "127.0.0.1:$port"
	bad "address in use after a Unix listener" "cannot listen on 127.0.0.1:$port: Address already in use" -- -e "$exp" -l "unix:$tmp/first" -l "127.0.0.1:$port"
	check "the socket of a p9d that failed to start is removed" absent "$tmp/first"
	check "the first p9d still serves 127.0.0.1:$port" serves "127.0.0.1:$port"
	stop "$tcp"
	check "p9d exits 0 on SIGTERM" [ $? -eq 0 ]
else
	not_ok "p9d listens on 127.0.0.1:0" "$(cat "$tmp/tcp.err")"
fi

# --- -l unix:PATH replaces nothing but a stale socket ----------------------

printf 'precious\n' >"$tmp/regular"
bad "unix: at a regular file" "cannot listen on unix:$tmp/regular: a regular file is there" -- -e "$exp" -l "unix:$tmp/regular"
check "the regular file is intact" holds "$tmp/regular" precious

mkdir "$tmp/dir"
bad "unix: at a directory" "cannot listen on unix:$tmp/dir: a directory is there" -- -e "$exp" -l "unix:$tmp/dir"
check "the directory is intact" [ -d "$tmp/dir" ]

ln -s regular "$tmp/link"
bad "unix: at a symlink to a file" "cannot listen on unix:$tmp/link: a symbolic link is there" -- -e "$exp" -l "unix:$tmp/link"
check "the symlink is intact" [ -L "$tmp/link" ]
check "the symlink's target is intact" holds "$tmp/regular" precious
ln -s nowhere "$tmp/dangling"
bad "unix: at a dangling symlink" "cannot listen on unix:$tmp/dangling: a symbolic link is there" -- -e "$exp" -l "unix:$tmp/dangling"
check "the dangling symlink is intact" [ -L "$tmp/dangling" ]
mkfifo "$tmp/fifo"
bad "unix: at a FIFO" "cannot listen on unix:$tmp/fifo: a FIFO is there" -- -e "$exp" -l "unix:$tmp/fifo"
check "the FIFO is intact" [ -p "$tmp/fifo" ]

bad "unix: in a missing directory" "cannot listen on unix:$tmp/nodir/sock: No such file or directory" -- -e "$exp" -l "unix:$tmp/nodir/sock"

# sun_path holds 107 bytes and the terminating NUL: 107 works, 108 does not.
long=$tmp/
while [ "${#long}" -lt 107 ]; do long="${long}x"; done
bad "unix: path of 108 bytes" "cannot listen on unix:${long}y: the path is 108 bytes long" "at most 107" -- -e "$exp" -l "unix:${long}y"
check "nothing made at the 108-byte path" absent "${long}y"
if start long -l "unix:$long" && serves "unix:$long"; then
	ok "unix: path of 107 bytes serves"
else
	not_ok "unix: path of 107 bytes serves" "$(cat "$tmp/long.err")"
fi
[ -z "$bg" ] || stop "$bg"
check "p9d removes its socket at exit" absent "$long"

# A live server: the second p9d exits 2, the first one keeps its socket and
# serves.
sock=$tmp/sock
if start live -l "unix:$sock" && serves "unix:$sock"; then
	live=$bg
	ok "p9d serves unix:$sock"
	ino=$(stat -c %i "$sock")
	bad "unix: at a live server's socket" "cannot listen on unix:$sock: a server is listening on that socket" -- -e "$exp" -l "unix:$sock"
	check "the live server's socket is the same file" [ "$(stat -c %i "$sock" 2>/dev/null)" = "$ino" ]
	check "the live server still serves" serves "unix:$sock"

	# It dies without cleaning up: its socket is stale, and replaced.
	stop "$live" KILL
	check "a killed p9d leaves a stale socket" [ -S "$sock" ]
	check "the killed p9d's socket refuses connections (within 5 s)" dead "$sock"
	if start stale -l "unix:$sock" && serves "unix:$sock"; then
		ok "a stale socket is replaced and served"
	else
		not_ok "a stale socket is replaced and served" "$(cat "$tmp/stale.err")"
	fi
	stop "$bg"
	check "p9d exits 0 on SIGTERM (Unix socket)" [ $? -eq 0 ]
	check "p9d removes its socket at exit" absent "$sock"
else
	not_ok "p9d serves unix:$sock" "$(cat "$tmp/live.err")"
fi

# A symlink to a stale socket is not followed: neither is removed.
if start s0 -l "unix:$tmp/s0"; then
	stop "$bg" KILL
	ln -s s0 "$tmp/s0link"
	bad "unix: at a symlink to a stale socket" "cannot listen on unix:$tmp/s0link: a symbolic link is there" -- -e "$exp" -l "unix:$tmp/s0link"
	check "the symlink is intact" [ -L "$tmp/s0link" ]
	check "the stale socket it points to is intact" [ -S "$tmp/s0" ]
else
	not_ok "p9d serves unix:$tmp/s0" "$(cat "$tmp/s0.err")"
fi

# At exit p9d removes only the socket it made: not a file that took its
# place, not another p9d's socket at the same path.
if start a -l "unix:$sock"; then
	a=$bg
	mv "$sock" "$tmp/sock.moved"
	printf 'mine\n' >"$sock"
	stop "$a"
	check "a file put in place of p9d's socket stays at exit" holds "$sock" mine
	check "p9d's socket moved elsewhere stays at exit" [ -S "$tmp/sock.moved" ]
	rm -f "$sock" "$tmp/sock.moved"
else
	not_ok "p9d serves unix:$sock (a)" "$(cat "$tmp/a.err")"
fi
if start a -l "unix:$sock"; then
	a=$bg
	rm "$sock"
	if start b -l "unix:$sock"; then
		b=$bg
		stop "$a"
		check "another p9d's socket at the same path stays at exit" [ -S "$sock" ]
		check "and that p9d still serves" serves "unix:$sock"
		stop "$b"
	else
		not_ok "a second p9d serves unix:$sock once the first one's is gone" "$(cat "$tmp/b.err")"
	fi
else
	not_ok "p9d serves unix:$sock (a)" "$(cat "$tmp/a.err")"
fi

# --- systemd socket activation (LISTEN_FDS) -----------------------------------

# activated NAME N: start p9d -e EXPORT the way systemd does: N listening
# sockets on 127.0.0.1 port 0 as descriptors 3.., LISTEN_FDS=N and
# LISTEN_PID its pid (python3 execs it: same pid), no listener option. The
# ports go to $tmp/NAME.ports; waits like start.
activated() {
	name=$1
	: >"$tmp/$name.err"
	"$py" -c '
import os, socket, sys
n = int(sys.argv[1])
ports, socks = [], []
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    ports.append(str(s.getsockname()[1]))
    socks.append(s)
# Copies above every number they go to first, then 3, 4, ... (nothing is
# closed: the originals are not inheritable and go away at exec).
high = [os.dup(s.fileno()) for s in socks]
for i, fd in enumerate(high):
    os.dup2(fd, 3 + i)
    os.set_inheritable(3 + i, True)
with open(sys.argv[2], "w") as f:
    f.write(" ".join(ports) + "\n")
os.environ["LISTEN_FDS"] = str(n)
os.environ["LISTEN_PID"] = str(os.getpid())
os.environ["LISTEN_FDNAMES"] = ":".join(["p9d"] * n)
os.execv(sys.argv[3], sys.argv[3:])
' "$2" "$tmp/$name.ports" "$p9d" -e "$exp" -w 2 2>"$tmp/$name.err" </dev/null &
	bg=$!
	pids="$pids $bg"
	up "$name" "$bg"
}
for n in 1 2; do
	if activated act "$n"; then
		act=$bg
		for port in $(cat "$tmp/act.ports"); do
			check "LISTEN_FDS=$n: p9d serves the activated socket on 127.0.0.1:$port" serves "127.0.0.1:$port"
			check "LISTEN_FDS=$n: p9d names it on stderr" \
			    grep -q -x "p9d: listening on 127.0.0.1:$port" "$tmp/act.err"
		done
		stop "$act"
		check "LISTEN_FDS=$n: SIGTERM, exit 0" [ $? -eq 0 ]
	else
		not_ok "LISTEN_FDS=$n: p9d starts on activated sockets" "$(cat "$tmp/act.err")"
	fi
done
# systemd's own tool: systemd-socket-activate listens on a Unix socket and,
# at the first connection, execs p9d (same pid) with it as LISTEN_FDS=1.
if command -v systemd-socket-activate >/dev/null 2>&1; then
	systemd-socket-activate -l "$tmp/sa.sock" "$p9d" -e "$exp" -w 2 \
	    >/dev/null 2>"$tmp/sa.err" </dev/null &
	sa=$!
	pids="$pids $sa"
	i=0
	while [ ! -S "$tmp/sa.sock" ] && [ "$i" -lt 200 ] && kill -0 "$sa" 2>/dev/null; do
		sleep 0.05
		i=$((i + 1))
	done
	check "systemd-socket-activate: p9d serves the socket it hands over" serves "unix:$tmp/sa.sock"
	check "systemd-socket-activate: p9d names it on stderr" \
	    grep -q -x "p9d: listening on descriptor 3 (LISTEN_FDS)" "$tmp/sa.err"
	stop "$sa"
	check "systemd-socket-activate: SIGTERM, exit 0" [ $? -eq 0 ]
else
	echo "# skip: systemd-socket-activate (package systemd) is not installed"
fi

# The errors: a wrapper sets LISTEN_PID to p9d's pid (exec keeps it) and
# LISTEN_FDS to $ACT_FDS, with descriptors 3 and 4 closed unless the
# caller opens 3 for p9d ($ACT_KEEP3).
printf '%s\n' '#!/bin/sh' \
    '[ -n "${ACT_KEEP3:-}" ] || exec 3<&-' \
    'exec 4<&-' \
    'LISTEN_PID=$$ LISTEN_FDS=$ACT_FDS exec "$ACT_P9D" "$@"' >"$tmp/act.sh"
chmod +x "$tmp/act.sh"
real_p9d=$p9d
p9d=$tmp/act.sh
ACT_P9D=$real_p9d
export ACT_P9D
for v in 0 17 99999999999999999999999; do
	ACT_FDS=$v bad "LISTEN_FDS=$v" "p9d: LISTEN_FDS $v: out of range (want 1 to 16)" -- -e "$exp"
done
for v in "" x1 -1 " 1"; do
	ACT_FDS=$v bad "LISTEN_FDS='$v'" "p9d: LISTEN_FDS '$v': not a decimal number (want 1 to 16)" -- -e "$exp"
done
ACT_FDS=1 bad "LISTEN_FDS=1 without descriptor 3" "p9d: LISTEN_FDS: descriptor 3: not an open file descriptor" -- -e "$exp"
exec 3<"$tmp/act.sh"
ACT_FDS=1 ACT_KEEP3=1 bad "LISTEN_FDS=1, descriptor 3 a regular file" "p9d: LISTEN_FDS: descriptor 3: a regular file, not a listening socket" -- -e "$exp"
exec 3<&-
p9d=$real_p9d
unset ACT_P9D
LISTEN_FDS=1 LISTEN_PID=1 bad "LISTEN_PID another process's" "p9d: LISTEN_PID 1: not p9d's pid" "nothing else to serve" -- -e "$exp"
LISTEN_FDS=1 bad "LISTEN_FDS without LISTEN_PID" "p9d: LISTEN_FDS is set but LISTEN_PID is not" -- -e "$exp"
# With a listener option LISTEN_FDS is not looked at (here it is not p9d's).
if LISTEN_FDS=1 LISTEN_PID=1 start actl -l "unix:$tmp/actl.sock"; then
	check "LISTEN_FDS is ignored when -l is given: p9d serves -l" serves "unix:$tmp/actl.sock"
	stop "$bg"
else
	not_ok "LISTEN_FDS is ignored when -l is given" "$(cat "$tmp/actl.err")"
fi

# --- --debug -----------------------------------------------------------------

# Every line: "p9d SECONDS.MICROS cN < or > MESSAGE", seconds since start
# (never decreasing), N the connection's number in accept order, and an
# Rlerror's errno named. Two connections in turn: Tversion; Tversion and a
# Tclunk of a fid never attached (an Rlerror).
dbg_client() {
	"$py" -c '
import socket, struct, sys
def rpc(s, typ, tag, body):
    s.sendall(struct.pack("<IBH", 7 + len(body), typ, tag) + body)
    buf = b""
    while len(buf) < 7 or len(buf) < struct.unpack("<I", buf[:4])[0]:
        d = s.recv(4096)
        if not d:
            sys.exit(1)
        buf += d
    return buf[4]
v = b"9P2000.L"
tv = struct.pack("<IH", 8192, len(v)) + v
for n in (1, 2):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(sys.argv[1])
    if rpc(s, 100, 0xFFFF, tv) != 101:
        sys.exit(1)
    if n == 2 and rpc(s, 120, 1, struct.pack("<I", 77)) != 7:
        sys.exit(1)
    s.close()
' "$1"
}
if start dbg -d -l "unix:$tmp/dbg.sock"; then
	dbg=$bg
	dbg_client "$tmp/dbg.sock"
	check "--debug: the client's two connections are answered" [ $? -eq 0 ]
	i=0	# the second connection's last line may follow the client's exit
	while [ "$i" -lt 100 ] && ! grep -q ' > Rlerror' "$tmp/dbg.err"; do sleep 0.05; i=$((i + 1)); done
	stop "$dbg"
	grep '^p9d [0-9]' "$tmp/dbg.err" >"$tmp/dbg.lines"
	sed 's/^p9d [0-9]*\.[0-9]* //' "$tmp/dbg.lines" >"$tmp/dbg.got"
	cat >"$tmp/dbg.want" <<-'EOF'
	c1 < Tversion tag=65535 msize=8192 version=9P2000.L
	c1 > Rversion tag=65535 msize=8192 version=9P2000.L
	c2 < Tversion tag=65535 msize=8192 version=9P2000.L
	c2 > Rversion tag=65535 msize=8192 version=9P2000.L
	c2 < Tclunk tag=1 fid=77
	c2 > Rlerror tag=1 ecode=9(EBADF)
	EOF
	if cmp -s "$tmp/dbg.want" "$tmp/dbg.got"; then
		ok "--debug: connection numbers, directions, messages, errno names"
	else
		not_ok "--debug: connection numbers, directions, messages, errno names" "$(cat "$tmp/dbg.err")"
	fi
	if grep -v -q -E '^p9d [0-9]+\.[0-9]{6} c[0-9]+ [<>] [TR][a-z]+ tag=' "$tmp/dbg.lines"; then
		not_ok "--debug: every line is 'p9d SECONDS.MICROS cN < MESSAGE'" "$(cat "$tmp/dbg.lines")"
	else
		ok "--debug: every line is 'p9d SECONDS.MICROS cN < MESSAGE'"
	fi
	if cut -d' ' -f2 "$tmp/dbg.lines" | sort -c -n 2>/dev/null; then
		ok "--debug: the times never decrease"
	else
		not_ok "--debug: the times never decrease" "$(cat "$tmp/dbg.lines")"
	fi
else
	not_ok "p9d -d serves unix:$tmp/dbg.sock" "$(cat "$tmp/dbg.err")"
fi

printf '%d passed, %d failed\n' "$passes" "$fails"
[ "$fails" -eq 0 ]
