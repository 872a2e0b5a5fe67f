#!/bin/sh
# Tests for p9dump. Usage: test_p9dump.sh /path/to/p9dump
# Streams are built from hex with printf octal escapes (POSIX sh, no xxd).
set -eu

P9DUMP=${1:?usage: test_p9dump.sh /path/to/p9dump}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

fails=0
pass() { printf 'ok - %s\n' "$1"; }
fail() { printf 'not ok - %s\n' "$1"; fails=$((fails + 1)); }

# hex FILE HEX...: write the bytes given as hex pairs (spaces allowed) to FILE.
hex() {
	out=$1
	shift
	: >"$out"
	for h in $(printf '%s ' "$@" | sed 's/\([0-9a-fA-F][0-9a-fA-F]\)/\1 /g'); do
		# shellcheck disable=SC2059
		printf "\\$(printf '%03o' "0x$h")" >>"$out"
	done
}

# run NAME EXPECTED_RC ARGS...: run p9dump, keep stdout/stderr in $tmp/NAME.{out,err}.
run() {
	name=$1 want=$2
	shift 2
	set +e
	"$P9DUMP" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	rc=$?
	set -e
	if [ "$rc" -eq "$want" ]; then
		pass "$name: exit $rc"
	else
		fail "$name: exit $rc, want $want"
		sed 's/^/# stderr: /' "$tmp/$name.err"
	fi
}

# same NAME FILE1 FILE2: the two files are identical.
same() {
	if cmp -s "$2" "$3"; then
		pass "$1"
	else
		fail "$1"
		diff "$2" "$3" | sed 's/^/# /' || true
	fi
}

# err_is NAME EXPECTED: the run's stderr is exactly the one line EXPECTED.
err_is() {
	printf '%s\n' "$2" >"$tmp/$1.want_err"
	same "$1: stderr '$2'" "$tmp/$1.want_err" "$tmp/$1.err"
}

offsets() { cut -d' ' -f1 "$1" | tr '\n' ' '; }

# The worked examples of doc/PROTOCOL.md 1.9, both directions.
hex "$tmp/tversion" 15000000 64 ffff 00000200 0800 39503230 30302e4c
hex "$tmp/rversion" 14000000 65 ffff 00000200 0700 756e6b6e 6f776e
hex "$tmp/tattach" 1d000000 68 0000 00000000 ffffffff 0600 6e6f626f6479 0000 ffffffff
hex "$tmp/rattach" 14000000 69 0000 80 00000000 0200000000000000
hex "$tmp/twalk" 16000000 6e 0100 00000000 01000000 0100 0300 666f6f
hex "$tmp/rwalk" 16000000 6f 0100 0100 00 00000000 3412000000000000
hex "$tmp/rlerror" 0b000000 07 0100 02000000
hex "$tmp/tflush" 09000000 6c 0300 0100
hex "$tmp/rflush" 07000000 6d 0300
hex "$tmp/tclunk" 0b000000 78 0200 01000000
hex "$tmp/rclunk" 07000000 79 0200
cd "$tmp"
cat tversion rversion tattach rattach twalk rwalk rlerror tflush rflush tclunk rclunk >stream
cd - >/dev/null
size=$(wc -c <"$tmp/stream" | tr -d ' ')
[ "$size" -eq 179 ] && pass "stream is 179 bytes" || fail "stream is $size bytes, want 179"
want_offsets="0 21 41 70 90 112 134 145 154 161 172 "

run file 0 "$tmp/stream"
got=$(offsets "$tmp/file.out")
[ "$got" = "$want_offsets" ] && pass "file: offsets" || fail "file: offsets '$got'"
[ ! -s "$tmp/file.err" ] && pass "file: no stderr" || fail "file: stderr not empty"

run stdin 0 <"$tmp/stream"
same "stdin: same output as file" "$tmp/file.out" "$tmp/stdin.out"
run dash 0 - <"$tmp/stream"
same "'-': same output as file" "$tmp/file.out" "$tmp/dash.out"

run check 0 --check "$tmp/stream"
same "--check: same output" "$tmp/file.out" "$tmp/check.out"
run check_short 0 -c -m 4096 "$tmp/stream"

# The exact lines, checked by hand against the spec's annotations.
same "text lines" "$here/spec_examples.txt" "$tmp/file.out"

# An Rread of 1 MiB of zeros: its line (4 MiB of \x00) outgrows the text buffer.
hex "$tmp/rread_hdr" 0b001000 75 0700 00001000
{ cat "$tmp/rread_hdr"; head -c 1048576 /dev/zero; } >"$tmp/rread"
# By default the line shows the first 64 bytes and the count; --full all of it.
run rread 0 --check "$tmp/rread"
zeros64=$(i=0; while [ $i -lt 64 ]; do printf '\\x00'; i=$((i + 1)); done)
printf '0 Rread tag=7 data="%s"...(1048576 bytes)\n' "$zeros64" >"$tmp/rread.want"
same "rread: data cut at 64 bytes, then its size" "$tmp/rread.want" "$tmp/rread.out"
run rread_full 0 --check --full "$tmp/rread"
[ "$(wc -l <"$tmp/rread_full.out" | tr -d ' ')" -eq 1 ] && [ "$(wc -c <"$tmp/rread_full.out")" -gt 4194304 ] &&
	pass "rread --full: one long line" || fail "rread --full: one long line"
run rread_f 0 -f "$tmp/rread"
same "rread: -f is --full" "$tmp/rread_full.out" "$tmp/rread_f.out"

# Twrite of 64 bytes: whole; of 65: cut, with the count (the frame's other
# fields are all there, and the data is the line's last field).
a64=$(i=0; while [ $i -lt 64 ]; do printf a; i=$((i + 1)); done)
hex "$tmp/tw64_hdr" 57000000 76 0100 02000000 0300000000000000 40000000
{ cat "$tmp/tw64_hdr"; printf '%s' "$a64"; } >"$tmp/tw64"
hex "$tmp/tw65_hdr" 58000000 76 0200 02000000 0300000000000000 41000000
{ cat "$tmp/tw65_hdr"; printf '%sb' "$a64"; } >"$tmp/tw65"
cat "$tmp/tw64" "$tmp/tw65" >"$tmp/twrite"
run twrite 0 --check "$tmp/twrite"
printf '0 Twrite tag=1 fid=2 offset=3 data="%s"\n87 Twrite tag=2 fid=2 offset=3 data="%s"...(65 bytes)\n' \
    "$a64" "$a64" >"$tmp/twrite.want"
same "twrite: 64 bytes whole, 65 cut" "$tmp/twrite.want" "$tmp/twrite.out"
run twrite_full 0 --full "$tmp/twrite"
printf '0 Twrite tag=1 fid=2 offset=3 data="%s"\n87 Twrite tag=2 fid=2 offset=3 data="%sb"\n' \
    "$a64" "$a64" >"$tmp/twrite_full.want"
same "twrite --full: whole" "$tmp/twrite_full.want" "$tmp/twrite_full.out"
run rread_msize 1 --msize 1048586 "$tmp/rread"
err_is rread_msize "0: error: size field above msize (at byte 0)"

run empty 0 /dev/null
[ ! -s "$tmp/empty.out" ] && pass "empty: no output" || fail "empty: output"

# A stream cut inside the last frame (Rclunk at 172, 7 bytes).
head -c 176 "$tmp/stream" >"$tmp/trunc"
run trunc 1 "$tmp/trunc"
err_is trunc "172: error: frame ends inside a field (at byte 176)"
[ "$(wc -l <"$tmp/trunc.out" | tr -d ' ')" -eq 10 ] && pass "trunc: 10 lines before the error" ||
	fail "trunc: lines before the error"

# A stream cut inside a size field.
head -c 23 "$tmp/stream" >"$tmp/trunc_size"
run trunc_size 1 "$tmp/trunc_size"
err_is trunc_size "21: error: frame ends inside a field (at byte 23)"

# A frame whose size field is below the header.
hex "$tmp/under_frame" 06000000 78 0200
cat "$tmp/tversion" "$tmp/under_frame" >"$tmp/under"
run under 1 "$tmp/under"
err_is under "21: error: size field below the 7-byte header (at byte 21)"

# A frame with a byte after its last field (Tclunk of 12 bytes).
hex "$tmp/trail_frame" 0c000000 78 0200 01000000 ff
cat "$tmp/tversion" "$tmp/rversion" "$tmp/trail_frame" >"$tmp/trail"
run trail 1 "$tmp/trail"
err_is trail "41: error: bytes left after the last field (at byte 52)"

# An unknown type (Tlerror, 6, is never sent) and an unused one (Terror, 106).
hex "$tmp/type6_frame" 07000000 06 0000
cat "$tmp/tversion" "$tmp/type6_frame" >"$tmp/type6"
run type6 1 "$tmp/type6"
err_is type6 "21: error: unknown or unused message type (at byte 25)"
hex "$tmp/type106" 07000000 6a 0000
run type106 1 "$tmp/type106"
err_is type106 "0: error: unknown or unused message type (at byte 4)"

# A field cut short inside a frame (Twalk claims 2 names, holds 1).
hex "$tmp/walk2" 16000000 6e 0100 00000000 01000000 0200 0300 666f6f
run walk2 1 "$tmp/walk2"
err_is walk2 "0: error: frame ends inside a field (at byte 22)"

# Rreaddir data must be whole dirents, qid[13] offset[8] type[1] name[s]:
# one that ends exactly at the data's end passes (with --check too); a
# dirent cut short by the data's end, or a name holding NUL, stops the dump
# at the stream offset of the offending byte: the field that is cut, the
# name's length field. Each bad frame follows the 21-byte Tversion.
dirent_hdr="80 01020304 05060708090a0b0c 0d0e0f1011121314 04"	# 22 bytes
hex "$tmp/rd_ok" 25000000 29 0100 1a000000 $dirent_hdr 0200 6162
hex "$tmp/rd_empty" 0b000000 29 0200 00000000
cat "$tmp/tversion" "$tmp/rd_ok" "$tmp/rd_empty" >"$tmp/rd_good"
run rd_good 0 --check "$tmp/rd_good"
[ "$(offsets "$tmp/rd_good.out")" = "0 21 58 " ] && pass "rd_good: offsets" ||
	fail "rd_good: offsets '$(offsets "$tmp/rd_good.out")'"
grep -q '^21 Rreaddir tag=1 data="\\x80\\x01.*\\x04\\x02\\x00ab"$' "$tmp/rd_good.out" &&
	pass "rd_good: the entry's line" || fail "rd_good: the entry's line"
grep -qx '58 Rreaddir tag=2 data=""' "$tmp/rd_good.out" && pass "rd_good: empty data" ||
	fail "rd_good: empty data"

# rd_bad NAME WANT_ERROR FRAME_HEX...: Tversion then the frame, plain and
# --check; stderr is exactly WANT_ERROR and only the Tversion line printed.
# (run sets name and want: these are rd_name and rd_want.)
rd_bad() {
	rd_name=$1 rd_want=$2
	shift 2
	hex "$tmp/${rd_name}_frame" "$@"
	cat "$tmp/tversion" "$tmp/${rd_name}_frame" >"$tmp/$rd_name"
	run "$rd_name" 1 "$tmp/$rd_name"
	err_is "$rd_name" "$rd_want"
	run "${rd_name}_check" 1 --check "$tmp/$rd_name"
	err_is "${rd_name}_check" "$rd_want"
	[ "$(offsets "$tmp/$rd_name.out")" = "0 " ] && pass "$rd_name: Tversion only" ||
		fail "$rd_name: lines before the error"
}
rd_bad rd_cut_qid "21: error: directory entry cut short (at byte 32)" \
	10000000 29 0100 05000000 8001020304
rd_bad rd_cut_offset "21: error: directory entry cut short (at byte 45)" \
	1b000000 29 0100 10000000 80 01020304 05060708090a0b0c 0d0e0f
rd_bad rd_cut_type "21: error: directory entry cut short (at byte 53)" \
	20000000 29 0100 15000000 80 01020304 05060708090a0b0c 0d0e0f1011121314
rd_bad rd_cut_namelen "21: error: directory entry cut short (at byte 54)" \
	22000000 29 0100 17000000 $dirent_hdr 02
rd_bad rd_name_past "21: error: directory entry cut short (at byte 56)" \
	25000000 29 0100 1a000000 $dirent_hdr 0300 6162
rd_bad rd_name_ffff "21: error: directory entry cut short (at byte 56)" \
	25000000 29 0100 1a000000 $dirent_hdr ffff 6162
rd_bad rd_name_nul "21: error: string holds a NUL byte (at byte 54)" \
	25000000 29 0100 1a000000 $dirent_hdr 0200 6100
# The second entry's name runs past: 21 + 11 + 26 + 24.
rd_bad rd_second "21: error: directory entry cut short (at byte 82)" \
	3e000000 29 0100 33000000 $dirent_hdr 0200 6162 \
	00 00000000 2a00000000000000 0200000000000000 08 0200 63

# A frame above --msize.
run toobig 1 --msize 20 "$tmp/stream"
err_is toobig "0: error: size field above msize (at byte 0)"
run toobig_eq 0 --msize=21 "$tmp/tversion"

# Tfsync without datasync (older clients) decodes, but does not re-encode
# to the same bytes: --check must catch it.
hex "$tmp/fsync" 0b000000 32 0500 01000000
run fsync 0 "$tmp/fsync"
run fsync_check 1 --check "$tmp/fsync"
err_is fsync_check "0: error: re-encoded bytes differ (at byte 0)"

# Usage and I/O errors exit 2.
run help 0 --help
grep -q -- '--check' "$tmp/help.out" && grep -q -- '--msize' "$tmp/help.out" &&
	grep -q -- '--full' "$tmp/help.out" &&
	pass "help: documents the options" || fail "help: options"
run version 0 --version
grep -q '^p9dump (lib9p) [0-9]' "$tmp/version.out" &&
	pass "version: names p9dump and its version" || fail "version: names p9dump and its version"
missing=
for o in $(grep -o -e '--[a-z][a-z-]*' "$tmp/help.out" | sort -u); do
	pat=$(printf '%s' "$o" | sed 's/-/\\-/g')	# --a-b is \-\-a\-b in roff
	grep -q -F -e "$pat" "$here/../p9dump.1" || missing="$missing $o"
done
[ -z "$missing" ] && pass "p9dump.1 documents every option of --help" ||
	fail "p9dump.1 documents every option of --help: missing$missing"
run badopt 2 --bogus
run badmsize 2 --msize 3 "$tmp/stream"
run badmsize2 2 --msize 12x "$tmp/stream"
run twofiles 2 "$tmp/stream" "$tmp/stream"
run nofile 2 "$tmp/does-not-exist"
run dir 2 "$tmp"

if [ "$fails" -ne 0 ]; then
	printf '%d test(s) failed\n' "$fails"
	exit 1
fi
echo "all p9dump tests passed"
