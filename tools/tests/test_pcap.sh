#!/bin/sh
# Captures for Wireshark (lib9p/p9pcap.c), decoded with tshark:
#   p9dump --pcap      a stream of every frame of corpus/decode/ that p9dump
#                      --check accepts (most message types, a few frames
#                      above 65000 bytes that span several segments)
#   p9conform --pcap-dir  a trace that fails on purpose, against p9d
#   p9d --record       a session of conformance traces (the files without
#                      raw lines: those send malformed frames on purpose),
#                      and --record-limit
# Every capture must decode: each TCP segment with data is 9P or a part of
# a 9P frame reassembled later, IP and TCP checksums are good, and no
# packet has an error (malformed or otherwise), with one exception:
#   Tgetlock (54) and Rgetlock (55). Wireshark's 9P dissector (4.0, Debian
#   12) reads a lock 'flags' field in them that only Tlock has, so it runs
#   past the fields and marks every Tgetlock and Rgetlock "Malformed
#   Packet". They are counted and reported, never a failure.
# Usage: test_pcap.sh P9DUMP P9CONFORM P9D CORPUS_DECODE_DIR TRACES_DIR
# Skips (77) without tshark. Unix sockets only.
set -u

P9DUMP=${1:?usage: test_pcap.sh P9DUMP P9CONFORM P9D CORPUS_DIR TRACES_DIR}
P9CONFORM=${2:?}
P9D=${3:?}
CORPUS=${4:?}
TRACES=${5:?}

if ! command -v tshark >/dev/null 2>&1; then
	echo "tshark not installed: skip"
	exit 77
fi

tmp=$(mktemp -d /tmp/test_pcap.XXXXXX)
pid=""
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

npass=0
nfail=0
pass() { printf 'ok - %s\n' "$1"; npass=$((npass + 1)); }
fail() { printf 'not ok - %s\n' "$1"; nfail=$((nfail + 1)); }
check() {	# check NAME CONDITION-EXIT-STATUS
	if [ "$2" -eq 0 ]; then pass "$1"; else fail "$1"; fi
}

# fields FILE: one tshark pass (IP and TCP checksums validated; two passes
# over the file, so that a segment knows the frame it is reassembled in)
# writing $tmp/tsv, one packet a line, tab-separated:
#   1 frame.number  2 tcp.len  3 9p.msgtype  4 tcp.reassembled_in
#   5 ip.checksum.status  6 tcp.checksum.status  7 _ws.expert.severity
#   8 tcp.flags.syn  9 tcp.flags.ack  10 tcp.flags.fin  11 tcp.srcport
#   12 tcp.dstport  13 9p.count  14 Info column
# HOME=$tmp: tshark's profile directory stays in the scratch tree.
fields() {
	HOME=$tmp tshark -2 -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -r "$1" \
	    -T fields -E separator=/t -e frame.number -e tcp.len -e 9p.msgtype \
	    -e tcp.reassembled_in -e ip.checksum.status -e tcp.checksum.status \
	    -e _ws.expert.severity -e tcp.flags.syn -e tcp.flags.ack -e tcp.flags.fin \
	    -e tcp.srcport -e tcp.dstport -e 9p.count -e _ws.col.Info \
	    >"$tmp/tsv" 2>"$tmp/tshark.err"
}

# decodes NAME FILE: the checks every capture must pass; leaves its fields
# in $tmp/tsv and the number of 9P messages tshark found in $frames.
# Expert severity 8388608 is "Error" (a malformed packet is one).
decodes() {
	name=$1
	frames=0
	if ! fields "$2" || [ ! -s "$tmp/tsv" ]; then
		fail "$name: tshark reads it"
		sed 's/^/# /' "$tmp/tshark.err"
		: >"$tmp/tsv"
		return
	fi
	pass "$name: tshark reads it ($(wc -l <"$tmp/tsv") packets)"
	# Every segment with data: 9P, or part of a frame reassembled later.
	awk -F '\t' '$2 > 0 && $3 == "" && $4 == ""' "$tmp/tsv" >"$tmp/other"
	check "$name: every data segment is 9P (or part of one)" "$([ ! -s "$tmp/other" ]; echo $?)"
	sed 's/^/# not 9P: /' "$tmp/other" | head -5
	awk -F '\t' '$5 != 1 || $6 != 1' "$tmp/tsv" >"$tmp/sum"
	check "$name: IP and TCP checksums good" "$([ ! -s "$tmp/sum" ]; echo $?)"
	sed 's/^/# bad checksum: /' "$tmp/sum" | head -5
	awk -F '\t' '$7 ~ /8388608/ && $3 != 54 && $3 != 55' "$tmp/tsv" >"$tmp/bad"
	check "$name: no malformed packet or error (Tgetlock/Rgetlock aside)" "$([ ! -s "$tmp/bad" ]; echo $?)"
	sed 's/^/# error: /' "$tmp/bad" | head -5
	getlock=$(awk -F '\t' '$7 ~ /8388608/ && ($3 == 54 || $3 == 55)' "$tmp/tsv" | wc -l)
	frames=$(awk -F '\t' '$3 != ""' "$tmp/tsv" | wc -l)
	echo "# $name: $frames 9P messages; $getlock Tgetlock/Rgetlock marked malformed (the dissector's bug, allowed)"
}

# --- p9dump --pcap ---------------------------------------------------------

: >"$tmp/stream"
for f in "$CORPUS"/*; do
	if "$P9DUMP" --check "$f" >/dev/null 2>&1; then
		cat "$f" >>"$tmp/stream"
	fi
done
"$P9DUMP" --pcap "$tmp/dump.pcap" "$tmp/stream" >"$tmp/dump.txt"
check "p9dump --pcap: exit 0" $?
"$P9DUMP" --pcap "$tmp/dump2.pcap" "$tmp/stream" >/dev/null
cmp -s "$tmp/dump.pcap" "$tmp/dump2.pcap"
check "p9dump --pcap: the same stream makes the same file" $?
ntypes=$(cut -d' ' -f2 "$tmp/dump.txt" | sort -u | wc -l)
echo "# p9dump: $(wc -l <"$tmp/dump.txt") frames of $ntypes message types"
decodes "p9dump" "$tmp/dump.pcap"
# The same messages, in the same order: tshark's Info column begins with
# the type's name, as p9dump's text form does.
cut -d' ' -f2 "$tmp/dump.txt" >"$tmp/want"
awk -F '\t' '$3 != "" { split($14, w, " "); print w[1] }' "$tmp/tsv" >"$tmp/got"
cmp -s "$tmp/want" "$tmp/got"
check "p9dump: tshark sees every frame, in order, as the type p9dump printed" $?
diff "$tmp/want" "$tmp/got" | head -5 | sed 's/^/# /' || true
big=$(awk -F '\t' '$2 > 0 && $3 == ""' "$tmp/tsv" | wc -l)
echo "# p9dump: $big segments belong to frames above 65000 bytes"

# --- p9d --record, p9conform --pcap-dir ------------------------------------

# start_p9d ARGS...: p9d on $tmp/sock exporting a fresh $tmp/export.
start_p9d() {
	rm -rf "$tmp/export" "$tmp/sock"
	mkdir "$tmp/export"
	"$P9D" -e "$tmp/export" -l "unix:$tmp/sock" "$@" 2>"$tmp/p9d.log" &
	pid=$!
}
stop_p9d() {
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	pid=""
}

cat >"$tmp/fail.trace" <<'EOF'
trace pcap/fails-on-purpose must
spec none: test_pcap.sh wants a failing trace; the file holds "hello"
fixture file f "hello"
Twalk tag=1 fid=1 newfid=2 wname=[f]
Rwalk tag=1 wqid=[*]
Tlopen tag=2 fid=2 flags=0x0
Rlopen tag=2
Tgetattr tag=3 fid=2 request_mask=0x7ff
Rgetattr tag=3
Tread tag=3 fid=2 offset=0 count=100
Rread tag=3 data="not what the file holds"

trace pcap/passes must
spec none: passes, so no capture of it is left
Twalk tag=1 fid=1 newfid=2 wname=[]
Rwalk tag=1 wqid=[]
Tclunk tag=2 fid=2
Rclunk tag=2
EOF
start_p9d
"$P9CONFORM" --wait 10 -u "$(id -un)" -N "$(id -u)" --pcap-dir "$tmp/pcaps" \
    "unix:$tmp/sock" "$tmp/fail.trace" >"$tmp/conform.out" 2>&1
rc=$?
stop_p9d
check "p9conform: the failing trace fails (exit 1)" "$([ "$rc" -eq 1 ]; echo $?)"
ls "$tmp/pcaps" >"$tmp/pcaps.list" 2>/dev/null || true
printf 'pcap_fails-on-purpose.pcap\n' >"$tmp/pcaps.want"
cmp -s "$tmp/pcaps.want" "$tmp/pcaps.list"
check "p9conform --pcap-dir: one capture, of the failing trace only" $?
if [ -f "$tmp/pcaps/pcap_fails-on-purpose.pcap" ]; then
	decodes "p9conform" "$tmp/pcaps/pcap_fails-on-purpose.pcap"
	# Tversion, Tattach, Twalk (the runner's set-up), the trace's four
	# requests, and their replies.
	check "p9conform: the exchange as sent and received (14 messages, $frames seen)" \
	    "$([ "$frames" -eq 14 ]; echo $?)"
	awk -F '\t' '$3 == 117 { print $13 }' "$tmp/tsv" >"$tmp/rread"
	check "p9conform: the capture holds the Rread the trace did not expect (5 bytes)" \
	    "$([ "$(cat "$tmp/rread")" = 5 ]; echo $?)"
fi

# p9d --record: every trace file without raw lines (03-walk and
# 16-malformed send malformed frames on purpose, which the dissector
# rightly calls malformed).
set --
for f in "$TRACES"/*.trace; do
	grep -Eq '^(c[0-9] )?raw ' "$f" || set -- "$@" "$f"
done
start_p9d --record "$tmp/rec.pcap"
"$P9CONFORM" --wait 10 -u "$(id -un)" -N "$(id -u)" "unix:$tmp/sock" "$@" >"$tmp/rec.out" 2>&1 || true
stop_p9d
ntraces=$(grep -c '^\(not \)\?ok ' "$tmp/rec.out" || true)
echo "# p9d --record: $ntraces traces of $# files ($(tail -1 "$tmp/rec.out"))"
check "p9d --record: the capture is mode 0600" \
    "$([ "$(stat -c %a "$tmp/rec.pcap")" = 600 ]; echo $?)"
decodes "p9d --record" "$tmp/rec.pcap"
nsyn=$(awk -F '\t' '$8 == 1 && $9 == 0' "$tmp/tsv" | wc -l)
nfin=$(awk -F '\t' '$10 == 1 && $12 == 564' "$tmp/tsv" | wc -l)
nports=$(awk -F '\t' '$12 == 564 { print $11 }' "$tmp/tsv" | sort -u | wc -l)
echo "# p9d --record: $nsyn connections, $nfin closed, $nports client ports"
check "p9d --record: one stream per connection (at least one per trace), each opened, closed and on its own port" \
    "$([ "$nsyn" -ge "$ntraces" ] && [ "$nsyn" -eq "$nfin" ] && [ "$nsyn" -eq "$nports" ]; echo $?)"

# --record-limit: the same session under a 1 MiB bound stops recording,
# says so once, and the file stays whole and within it.
start_p9d --record "$tmp/lim.pcap" --record-limit 1
"$P9CONFORM" --wait 10 -u "$(id -un)" -N "$(id -u)" "unix:$tmp/sock" "$@" >/dev/null 2>&1 || true
stop_p9d
size=$(stat -c %s "$tmp/rec.pcap")
limsize=$(stat -c %s "$tmp/lim.pcap")
if [ "$size" -gt 1048576 ]; then
	check "p9d --record-limit 1: $limsize bytes (the whole session: $size)" \
	    "$([ "$limsize" -le 1048576 ] && [ "$limsize" -gt 1000000 ]; echo $?)"
	check "p9d --record-limit 1: said once on stderr" \
	    "$([ "$(grep -c 'reached its limit' "$tmp/p9d.log")" -eq 1 ]; echo $?)"
	fields "$tmp/lim.pcap"
	check "p9d --record-limit 1: tshark reads the bounded file" $?
else
	echo "# the session is only $size bytes: --record-limit not tested"
fi

echo "$npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
