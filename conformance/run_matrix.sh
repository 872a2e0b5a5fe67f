#!/bin/sh
# The side-by-side exchanges of failing traces, from p9conform to the
# report: p9conform --exchange-dir and --verbose against fake9p (legacy
# Rerror for every Rlerror; a crash at Trenameat, restarted), then
# matrix.sh -R renders those results; the expected and the received
# message of the failing line must stand side by side in the TSV, in
# matrix.html (a <details> the verdict links to) and in EXCHANGES.md
# (linked from MATRIX.md); RESULTS.md must work as --known. About 2 s.
#   run_matrix.sh P9CONFORM FAKE9P TRACEDIR P9D MATRIX_SH
set -u
conform=$1; fake=$2; traces=$3; p9d=$4; matrix=$5
build=$(dirname "$(dirname "$conform")")
tmp=$(mktemp -d /tmp/p9cmatrix.XXXXXX) || exit 1
pids=
cleanup() { for p in $pids; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; [ -n "${KEEP:-}" ] || rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
mkdir "$tmp/export" "$tmp/r"
"$p9d" -e "$tmp/export" -l "unix:$tmp/sock" 2>/dev/null & pids="$pids $!"
fails=0 n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
bad() { n=$((n + 1)); echo "not ok $n - $1"; fails=$((fails + 1)); }
# has NAME FILE PATTERN: FILE has a line matching PATTERN (grep -E)
has() {
	if grep -q -E -e "$3" "$2" 2>/dev/null; then ok "$1"; else bad "$1"; echo "# no line matching: $3"; sed 's/^/# /' "$2" 2>/dev/null | head -n 40; fi
}
hasnt() {
	if grep -q -F -e "$3" "$2" 2>/dev/null; then bad "$1"; grep -n -F -e "$3" "$2" | head -n 5 | sed 's/^/# /'; else ok "$1"; fi
}
if ! "$conform" --wait 10 -t 3000 -o version/basic "unix:$tmp/sock" "$traces" >"$tmp/out" 2>&1; then
	echo "Bail out! p9d did not start"
	cat "$tmp/out"
	exit 1
fi

# A failing trace (legacy Rerror where Rlerror is expected) beside a passing one.
"$fake" "unix:$tmp/f-rerror" "unix:$tmp/sock" rerror & pids="$pids $!"
"$conform" --wait 10 -t 3000 -v --report "$tmp/r/fake.tsv" --exchange-dir "$tmp/r/fake.x" \
    -o walk/first-fails -o walk/one-file "unix:$tmp/f-rerror" "$traces" >"$tmp/r/fake.tap" 2>&1
x=$tmp/r/fake.x/walk_first-fails.tsv
want_e='Rlerror tag=1 ecode=ENOENT'
want_r='Rerror tag=1 ename="No such file or directory" errno=2\(ENOENT\)'
has "--exchange-dir: the failing line, expected and received side by side" "$x" \
    "^[0-9]+	c1	differs	$want_e	$want_r\$"
has "--exchange-dir: the request before it, as sent" "$x" \
    '^[0-9]+	c1	sent	Twalk tag=1 fid=1 newfid=2 wname=\[nope\]	\(sent\)$'
has "--exchange-dir: the lines after the failure, not reached" "$x" \
    '^[0-9]+	c1	not-reached	Tclunk tag=2 fid=2	$'
has "--exchange-dir: the verdict and reason in the header" "$x" \
    '^# verdict: fail at line [0-9]+: legacy Rerror tag=1'
if [ -e "$tmp/r/fake.x/walk_one-file.tsv" ]; then bad "--exchange-dir: no file for a passing trace"; else ok "--exchange-dir: no file for a passing trace"; fi
has "--verbose: the exchange as two columns" "$tmp/r/fake.tap" \
    "^    [0-9]+ +c1 +differs +$want_e +$want_r\$"

# A crash at Trenameat, restarted by --server-cmd: the exchange is the reproducer.
"$conform" --wait 10 -t 3000 --report "$tmp/r/crashy.tsv" --exchange-dir "$tmp/r/crashy.x" \
    --server-cmd "exec '$fake' 'unix:$tmp/f-crash' 'unix:$tmp/sock' crash" \
    -o walk/one-file -o renameat/basic -o lock/lock-unlock "unix:$tmp/f-crash" "$traces" \
    >"$tmp/r/crashy.tap" 2>&1
x=$tmp/r/crashy.x/renameat_basic.tsv
has "crash: the request that killed the server, as sent" "$x" '^[0-9]+	c1	sent	Trenameat tag=[0-9]+ .*	\(sent\)$'
has "crash: the reply that never came" "$x" '^[0-9]+	c1	differs	Rrenameat tag=[0-9]+	\((the server closed the connection|no reply within 3000 ms)\)$'
has "crash: a last row says the server died" "$x" '^[0-9]+	-	crash	\(the server keeps serving\)	the server died during this trace: .*signal 11'

# matrix.sh renders the results.
"$conform" --list "$traces" | grep -E '^(walk/first-fails|walk/one-file|renameat/basic|lock/lock-unlock) ' >"$tmp/r/list"
printf 'fake\tfake9p rerror\tran\tfake9p in front of p9d\t1\t0\t0\ncrashy\tfake9p crash\tran\tfake9p crash mode\t1\t1\t1\nabsent\t\tskipped\tnot installed\t\t\t\n' \
    >"$tmp/r/servers.tsv"
if sh "$matrix" -B "$build" -R "$tmp/r" -o "$tmp/o" >"$tmp/matrix.out" 2>&1; then
	ok "matrix.sh -R: renders"
else
	bad "matrix.sh -R: renders"; sed 's/^/# /' "$tmp/matrix.out"
fi
h=$tmp/o/matrix.html
has "matrix.html: the verdict links to the exchange" "$h" \
    '<td class="fail r" title="[^"]*"><a href="#x-fake-walk_first-fails"><b>fail</b></a>'
has "matrix.html: a <details> holds the exchange" "$h" '^<details id="x-fake-walk_first-fails"><summary>'
has "matrix.html: expected and received side by side" "$h" \
    '^<tr class=differs><td>[0-9]+<td>c1<td>differs<td>Rlerror tag=1 ecode=ENOENT<td>Rerror tag=1 ename=&quot;No such file or directory&quot; errno=2\(ENOENT\)$'
has "matrix.html: the crash's exchange" "$h" '^<details id="x-crashy-renameat_basic">'
has "matrix.html: the crash list links the exchange" "$h" '<li>crashy at <a href="#x-crashy-renameat_basic">'
hasnt "matrix.html: self-contained (no external src or href)" "$h" 'src="http'
hasnt "matrix.html: no path of the run" "$h" "$tmp"
m=$tmp/o/MATRIX.md
has "MATRIX.md: the verdict links to EXCHANGES.md" "$m" \
    '\| \[\*\*fail\*\*\]\(EXCHANGES\.md#fake-walkfirst-fails\) \|'
e=$tmp/o/EXCHANGES.md
has "EXCHANGES.md: a section for the failure (anchor fake-walkfirst-fails)" "$e" '^### fake walk/first-fails$'
has "EXCHANGES.md: expected and received side by side" "$e" \
    "^\\| [0-9]+ \\| c1 \\| \\*\\*differs\\*\\* \\| \`$want_e\` \\| \`$want_r\` \\|\$"
hasnt "EXCHANGES.md: no path of the run" "$e" "$tmp"
res=$tmp/o/RESULTS.md
has "RESULTS.md: the failing trace under ## fake" "$res" '^\| `walk/first-fails` \| must \| \[fail\]\(EXCHANGES\.md#fake-walkfirst-fails\) \|'
has "RESULTS.md: a skipped server says why" "$res" '^Skipped: not installed$'

# RESULTS.md as --known, one server's section.
"$conform" --wait 10 -t 3000 --known "$res" --known-section fake -o walk/first-fails -o walk/one-file \
    "unix:$tmp/f-rerror" "$traces" >"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q -E "^not ok [0-9]+ - walk/first-fails \(must\) # TODO known difference" "$tmp/out"; then
	ok "--known RESULTS.md --known-section fake: the listed failure is TODO, exit 0"
else
	bad "--known RESULTS.md --known-section fake: the listed failure is TODO, exit 0 (got $rc)"; sed 's/^/# /' "$tmp/out"
fi
"$conform" --wait 10 -t 3000 --known "$res" --known-section crashy -o walk/first-fails \
    "unix:$tmp/f-rerror" "$traces" >"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 1 ]; then ok "--known-section crashy: another server's rows do not count (exit 1)"
else bad "--known-section crashy: another server's rows do not count (exit 1, got $rc)"; fi
"$conform" --known "$res" --known-section nosuch -o walk/first-fails "unix:$tmp/f-rerror" "$traces" >"$tmp/out" 2>&1
rc=$?
has "--known-section with no such heading: named (and exit 2: got $rc)" "$tmp/out" \
    '^p9conform: --known .*RESULTS.md: no heading "## nosuch" \(--known-section\)$'

# --retry does not hide a failure that happens every time.
"$conform" --wait 10 -t 3000 --retry 2 -o walk/first-fails "unix:$tmp/f-rerror" "$traces" >"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q -E '^not ok 1 - walk/first-fails \(must\)$' "$tmp/out" && ! grep -q 'passed on retry' "$tmp/out"; then
	ok "--retry 2: a failure on every run stays a failure (exit 1)"
else
	bad "--retry 2: a failure on every run stays a failure (exit 1, got $rc)"; sed 's/^/# /' "$tmp/out"
fi

echo "1..$n"
echo "$((n - fails)) passed, $fails failed"
exit $((fails != 0))
