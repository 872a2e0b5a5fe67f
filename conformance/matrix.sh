#!/bin/sh
# The conformance matrix: every trace against several 9P2000.L servers,
# one report across servers, sections (trace name prefixes) and verdicts
# (pass, fail, not-implemented, crash, not-run), like h2spec's or
# Autobahn's: Markdown and HTML.
#
#   conformance/matrix.sh [-B BUILDDIR] [-o OUTDIR] [-s SERVERS] [-n] [-R DIR]
#
#   -B BUILDDIR  meson build directory with server/p9d and
#                conformance/p9conform (default: build, or $BUILD)
#   -o OUTDIR    where MATRIX.md, matrix.html, EXCHANGES.md and RESULTS.md
#                go (default: conformance/, beside this script)
#   -s SERVERS   comma-separated, from p9d,memfs,diod,ganesha (default: all)
#   -n           do not apt-get install diod / nfs-ganesha when missing
#   -r N         run every server N times (default 1): a trace that does not
#                pass in some of the runs gets the verdict and exchange of
#                its first such run, its reason says "in K of N runs" (an
#                intermittent failure is listed in RESULTS.md all the same)
#   -k DIR       keep this run's results in DIR (the layout below)
#   -R DIR       run no server: render the report from DIR, results kept
#                in the layout below (the test conformance-matrix does)
#
# Output: MATRIX.md and matrix.html (servers x sections x traces; every
# verdict other than pass links to its exchange), EXCHANGES.md (for each
# trace that did not pass on a server, or differs: the exchange side by
# side, what the trace sent and expected beside what the server sent,
# from p9conform --exchange-dir; matrix.html holds the same tables in
# <details> elements) and RESULTS.md (per server, a "## NAME" section
# listing the traces that did not pass, which p9conform --known FILE
# --known-section NAME reads: the diod test uses it). All generated.
#
# Results layout (DIR): list (p9conform --list), servers.tsv (name,
# version, ran|skipped, how or why, seconds, crashes, restarts),
# NAME.tsv (p9conform --report), NAME.x/ (p9conform --exchange-dir),
# NAME.tap (its output), kernel.tsv (pid, kernel log line; optional).
#
# p9d is the build's, on a Unix socket; so is memfs (examples/memfsd: the
# same engine with the in-memory backend of examples/memfs). diod (Debian package diod) listens
# on a Unix socket too (its -l takes a path). nfs-ganesha (Debian packages nfs-ganesha and
# nfs-ganesha-vfs) binds 0.0.0.0, so it runs in a network namespace of its
# own (unshare -n, only lo up) and p9conform runs in it too (nsenter -n);
# its config exports a temporary directory over 9P with the VFS FSAL.
# Every server is started by p9conform --server-cmd, which restarts it
# after a crash, so the traces after a crash still run; each one gets a
# fresh export. A server that cannot run here (not installed, not root, no
# namespaces) is skipped and the report says why. Root is needed for diod
# and ganesha. Runs in about a minute; not part of meson test.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${BUILD:-build}
out=$here
servers=p9d,memfs,diod,ganesha
install=1
render= keep= repeat=1
while getopts B:o:s:nr:k:R:h opt; do
	case $opt in
	B) build=$OPTARG ;;
	o) out=$OPTARG ;;
	s) servers=$OPTARG ;;
	n) install=0 ;;
	r) repeat=$OPTARG ;;
	k) keep=$OPTARG ;;
	R) render=$OPTARG ;;
	*) sed -n '2,/^set -u/{/^set -u/d;s/^# \{0,1\}//p}' "$0"; [ "$opt" = h ] && exit 0; exit 2 ;;
	esac
done
conform=$build/conformance/p9conform
p9d=$build/server/p9d
traces=$here/traces
for f in "$conform" "$p9d"; do
	[ -x "$f" ] || { echo "matrix.sh: $f missing: build first (meson setup $build; ninja -C $build) or give -B" >&2; exit 2; }
done
mkdir -p "$out" || exit 2
nspid=
if [ -n "$render" ]; then
	tmp=$(cd "$render" && pwd) || exit 2
	for f in list servers.tsv; do
		[ -r "$tmp/$f" ] || { echo "matrix.sh: -R $render: no $f there (see the layout in -h)" >&2; exit 2; }
	done
	[ -e "$tmp/kernel.tsv" ] || : >"$tmp/kernel.tsv"
	[ -r "$tmp/runs" ] && repeat=$(cat "$tmp/runs")
else
tmp=$(mktemp -d /tmp/p9matrix.XXXXXX) || exit 2
cleanup() {
	if [ -n "$nspid" ]; then
		kill "$nspid" 2>/dev/null
		wait "$nspid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# servers.tsv: name, version, status (ran|skipped), how it ran or why it
# was skipped, seconds, crashes, restarts
: >"$tmp/servers.tsv"
skip() {	# skip NAME VERSION WHY
	printf '%s\t%s\tskipped\t%s\t\t\t\n' "$1" "$2" "$3" >>"$tmp/servers.tsv"
	echo "matrix.sh: $1 skipped: $3" >&2
}
ran() {		# ran NAME VERSION HOW SECONDS: counts from NAME.tap (and NAME.R.tap)
	taps=$tmp/$1.tap
	[ -e "$tmp/$1.1.tap" ] && taps=$(ls "$tmp/$1".[0-9]*.tap)
	# shellcheck disable=SC2086 # taps: several names, none with spaces (mktemp)
	c=$(cat $taps 2>/dev/null |
	    sed -n 's/^# verdicts: .*server crashes \([0-9]*\), restarts \([0-9]*\)$/\1 \2/p' |
	    awk '{ c += $1; r += $2 } END { if (NR) printf "%d\t%d", c, r }')
	[ -n "$c" ] || c="?	?"
	printf '%s\t%s\tran\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$c" >>"$tmp/servers.tsv"
	echo "matrix.sh: $1: $(tail -n 1 "$tmp/$1.tap") in $4 s" >&2
}
pkgver() { dpkg-query -W -f '${Version}' "$1" 2>/dev/null || echo '?'; }
is_root() { [ "$(id -u)" -eq 0 ]; }
want() { case ",$servers," in *",$1,"*) return 0 ;; esac; return 1; }
apt_install() {	# apt_install CMD PKG...: install PKGs if CMD is missing and we may
	command -v "$1" >/dev/null 2>&1 && return 0
	[ $install -eq 1 ] && is_root && command -v apt-get >/dev/null 2>&1 || return 1
	shift
	echo "matrix.sh: apt-get install $*" >&2
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"; } \
	    >"$tmp/apt.log" 2>&1
	command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/bin/$1" ]
}
now() { date +%s; }
# run NAME ADDR [p9conform options...]: all traces, report in NAME.tsv
run() {
	name=$1 addr=$2
	shift 2
	if [ "$repeat" -le 1 ]; then
		"$@" --report "$tmp/$name.tsv" --exchange-dir "$tmp/$name.x" "$addr" "$traces" \
		    >"$tmp/$name.tap" 2>"$tmp/$name.err"
		return
	fi
	r=1
	while [ $r -le "$repeat" ]; do
		"$@" --report "$tmp/$name.$r.tsv" --exchange-dir "$tmp/$name.$r.x" "$addr" "$traces" \
		    >"$tmp/$name.$r.tap" 2>"$tmp/$name.$r.err"
		echo "matrix.sh: $name, run $r of $repeat: $(tail -n 1 "$tmp/$name.$r.tap")" >&2
		r=$((r + 1))
	done
	merge "$name"
}
# merge NAME: NAME.R.tsv and NAME.R.x of the runs into NAME.tsv and NAME.x
merge() {
	mkdir -p "$tmp/$1.x"
	awk -F'\t' -v OFS='\t' -v n="$repeat" -v base="$tmp/$1" '
	function fname(t) { gsub(/[^A-Za-z0-9._-]/, "_", t); return t }
	{
		r = FILENAME; sub(/\.tsv$/, "", r); sub(/.*\./, "", r)
		if (!($1 in first)) { order[++nt] = $1; first[$1] = $0 }
		if ($3 != "pass") { bad[$1]++; if (!($1 in worst)) { worst[$1] = $0; wrun[$1] = r } }
	}
	END {
		for (i = 1; i <= nt; i++) {
			t = order[i]
			if (!(t in worst)) { print first[t] > (base ".tsv"); continue }
			split(worst[t], f, "\t")
			f[5] = f[5] (bad[t] < n ? " (in " bad[t] " of " n " runs; it passed in the others)" : "")
			print f[1], f[2], f[3], f[4], f[5] > (base ".tsv")
			x = fname(t) ".tsv"
			system("cp \"" base "." wrun[t] ".x/" x "\" \"" base ".x/" x "\" 2>/dev/null")
		}
	}' $(r=1; while [ $r -le "$repeat" ]; do printf '%s ' "$tmp/$1.$r.tsv"; r=$((r + 1)); done)
	cp "$tmp/$1.1.tap" "$tmp/$1.tap"
}

"$conform" --list "$traces" >"$tmp/list" || exit 2
dmesg_before=$(dmesg 2>/dev/null | wc -l)

if want p9d; then
	mkdir -p "$tmp/p9d/export"
	t0=$(now)
	run p9d "unix:$tmp/p9d/sock" "$conform" -u "$(id -un)" -N "$(id -u)" \
	    --server-cmd "exec '$p9d' -e '$tmp/p9d/export' -l 'unix:$tmp/p9d/sock'"
	ran p9d "$("$p9d" --version 2>/dev/null | head -n 1 | sed 's/^p9d (lib9p) //')" \
	    "p9d -e DIR -l unix:SOCK (this build)" $(($(now) - t0))
fi

if want memfs; then
	memfsd=$build/examples/memfsd
	if [ ! -x "$memfsd" ]; then
		skip memfs "" "$memfsd is not built"
	else
		t0=$(now)
		run memfs "unix:$tmp/memfs.sock" "$conform" -u "$(id -un)" -N "$(id -u)" \
		    --server-cmd "exec '$memfsd' -l 'unix:$tmp/memfs.sock' >/dev/null"
		ran memfs "$("$p9d" --version 2>/dev/null | head -n 1 | sed 's/^p9d (lib9p) //')" \
		    "memfsd -l unix:SOCK (this build: the engine with examples/memfs)" $(($(now) - t0))
	fi
fi

if want diod; then
	if ! is_root; then
		skip diod "$(pkgver diod)" "diod needs root here (it switches users per attach)"
	elif ! apt_install diod diod; then
		skip diod "" "diod is not installed and could not be installed (apt-get install diod)"
	else
		mkdir -p "$tmp/diod/export"
		t0=$(now)
		run diod "unix:$tmp/diod/sock" "$conform" -a "$tmp/diod/export" -u root -N 0 \
		    --server-cmd "exec diod -f -n -N -e '$tmp/diod/export' -l '$tmp/diod/sock' -L '$tmp/diod/log'"
		ran diod "$(pkgver diod)" "diod -f -n -N -e DIR -l SOCK (Debian package, a Unix socket)" $(($(now) - t0))
	fi
fi

if want ganesha; then
	gdir=$tmp/ganesha
	mkdir -p "$gdir/export"
	if ! is_root; then
		skip nfs-ganesha "$(pkgver nfs-ganesha)" "nfs-ganesha needs root (and a network namespace) here"
	elif ! apt_install ganesha.nfsd nfs-ganesha nfs-ganesha-vfs; then
		skip nfs-ganesha "" "nfs-ganesha is not installed and could not be installed (apt-get install nfs-ganesha nfs-ganesha-vfs)"
	elif [ ! -e /usr/lib/x86_64-linux-gnu/ganesha/libfsalvfs.so ] && ! ls /usr/lib/*/ganesha/libfsalvfs.so >/dev/null 2>&1; then
		skip nfs-ganesha "$(pkgver nfs-ganesha)" "the VFS FSAL (nfs-ganesha-vfs) is missing"
	elif ! unshare -n true 2>"$gdir/unshare.err"; then
		skip nfs-ganesha "$(pkgver nfs-ganesha)" "cannot make a network namespace (unshare -n: $(head -n 1 "$gdir/unshare.err")); ganesha binds 0.0.0.0 and is only run isolated"
	else
		# A namespace with only lo up, held by a sleeping process.
		unshare -n sh -c 'ip link set lo up && exec sleep 3600' &
		nspid=$!
		i=0
		until nsenter -t "$nspid" -n ip -o link show up 2>/dev/null | grep -q 'lo:' || [ $i -ge 50 ]; do
			sleep 0.1; i=$((i + 1))
		done
		cat >"$gdir/ganesha.conf" <<-EOF
		NFS_CORE_PARAM {
			Protocols = 9P;
			Enable_NLM = false;
			Enable_RQUOTA = false;
		}
		NFSV4 { Graceless = true; }
		_9P { _9P_TCP_Port = 564; }
		EXPORT {
			Export_Id = 1;
			Path = $gdir/export;
			Pseudo = $gdir/export;
			Protocols = 9P;
			Access_Type = RW;
			Squash = No_Root_Squash;
			SecType = sys;
			FSAL { Name = VFS; }
		}
		EOF
		if ! nsenter -t "$nspid" -n true 2>/dev/null; then
			skip nfs-ganesha "$(pkgver nfs-ganesha)" "cannot enter the network namespace (nsenter -n)"
		else
			t0=$(now)
			run nfs-ganesha 127.0.0.1:564 nsenter -t "$nspid" -n "$conform" -a "$gdir/export" -u root -N 0 \
			    --wait 30 --server-cmd "ulimit -c 0; exec ganesha.nfsd -F -f '$gdir/ganesha.conf' -L '$gdir/log' -p '$gdir/pid'"
			ran nfs-ganesha "$(pkgver nfs-ganesha)" "ganesha.nfsd -F with a 9P-only config, VFS FSAL, in unshare -n with lo up (Debian packages nfs-ganesha, nfs-ganesha-vfs)" $(($(now) - t0))
		fi
		kill "$nspid" 2>/dev/null
		wait "$nspid" 2>/dev/null
		nspid=
	fi
fi
# What the kernel logged for the servers that died (pid -> line).
dmesg 2>/dev/null | tail -n +"$((dmesg_before + 1))" |
    sed -n 's/^\[[ 0-9.]*\] \(traps: \)\{0,1\}\([a-z.]*\)\[\([0-9]*\)\]:\{0,1\} \(.*\)$/\3\t\2: \4/p' >"$tmp/kernel.tsv"
echo "$repeat" >"$tmp/runs"
date -u '+%Y-%m-%d %H:%M UTC' >"$tmp/when"
if [ -n "$keep" ]; then
	mkdir -p "$keep" && cp -R "$tmp/." "$keep/" || { echo "matrix.sh: -k $keep: cannot copy the results there" >&2; exit 2; }
fi
fi	# not -R

when=$(cat "$tmp/when" 2>/dev/null || date -u '+%Y-%m-%d %H:%M UTC')
version=$("$conform" --version | sed 's/^p9conform (lib9p) //')
ntraces=$(wc -l <"$tmp/list")
awk -F'\t' -v tmp="$tmp" -v md="$out/MATRIX.md" -v html="$out/matrix.html" \
    -v xmd="$out/EXCHANGES.md" -v results="$out/RESULTS.md" \
    -v when="$when" -v version="$version" -v ntraces="$ntraces" -v runs="$repeat" '
function mdq(s) { gsub(/\|/, "\\|", s); return s }
# the file name p9conform gives a trace (every character but [A-Za-z0-9._-] made _)
function fname(t) { gsub(/[^A-Za-z0-9._-]/, "_", t); return t }
# the anchor GitHub makes of a Markdown heading
function slug(s) { s = tolower(s); gsub(/[^a-z0-9 _-]/, "", s); gsub(/ /, "-", s); return s }
# paths of this run (temporary directories) are not the report'"'"'s business
function repl(s, a, b,   i, o) {
	o = ""
	while ((i = index(s, a)) > 0) { o = o substr(s, 1, i - 1) b; s = substr(s, i + length(a)) }
	return o s
}
function clean(s) {
	s = repl(s, tmp "/p9d/export", "EXPORT"); s = repl(s, tmp "/diod/export", "EXPORT")
	s = repl(s, tmp "/ganesha/export", "EXPORT")
	return repl(s, tmp "/", "TMP/")
}
# cells of an exchange are cut at cut bytes in the report
function abbr(s) { return length(s) > cut ? substr(s, 1, cut) "... (" length(s) - cut " bytes more)" : s }
function mdc(s) { if (s == "") return ""; s = abbr(s); gsub(/`/, "'"'"'", s); gsub(/\|/, "\\|", s); return "`" s "`" }
# load the exchange of trace t on server i into x*; 0 when there is none
function xload(i, t,   f, l, a) {
	f = tmp "/" sname[i] ".x/" fname(t) ".tsv"
	nx = 0; xverd = ""; xspec = ""
	while ((getline l < f) > 0) {
		if (substr(l, 1, 11) == "# verdict: ") xverd = clean(substr(l, 12))
		else if (substr(l, 1, 8) == "# spec: ") xspec = substr(l, 9)
		else if (substr(l, 1, 1) == "#" || substr(l, 1, 5) == "line\t") continue
		else {
			split(l, a, "\t"); nx++
			xl[nx] = a[1]; xc[nx] = a[2]; xs[nx] = a[3]; xe[nx] = clean(a[4]); xg[nx] = clean(a[5])
		}
	}
	close(f)
	return nx > 0
}
function xid(i, t) { return "x-" sname[i] "-" fname(t) }
function xhead(i, t) { return sname[i] " " t }
function xlink(i, t) { return "EXCHANGES.md#" slug(xhead(i, t)) }
function repro(i, t,   f) {
	f = at[i, t]; sub(/:[0-9]+$/, "", f)
	return "p9conform -o '"'"'" t "'"'"' ADDR conformance/traces/" f
}
function hq(s) { gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s); gsub(/"/, "\\&quot;", s); return s }
function short(v) { return v == "not-implemented" ? "n-i" : v }
function counts(sv, sec,   s, v, first) {
	s = ""
	for (v = 1; v <= nv; v++)
		if (cnt[sv, sec, vs[v]] > 0)
			s = s (s == "" ? "" : ", ") cnt[sv, sec, vs[v]] " " short(vs[v])
	return s == "" ? "-" : s
}
function hcounts(sv, sec,   s, v) {
	s = ""
	for (v = 1; v <= nv; v++)
		if (cnt[sv, sec, vs[v]] > 0)
			s = s "<span class=\"" vs[v] "\">" cnt[sv, sec, vs[v]] " " short(vs[v]) "</span> "
	return s == "" ? "-" : s
}
# a crash reason with "pid N": what the kernel said about that pid
function kern(r,   p) {
	if (match(r, /pid [0-9]+/)) {
		p = substr(r, RSTART + 4, RLENGTH - 4)
		if (p in klog)
			return r " [kernel: " klog[p] "]"
	}
	return r
}
BEGIN {
	cut = 120
	nv = split("pass fail not-implemented crash not-run", vs, " ")
	while ((getline l < (tmp "/list")) > 0) {
		split(l, a, " ")
		nt++; tname[nt] = a[1]; tclass[a[1]] = a[2]
		sec = a[1]; sub(/\/.*/, "", sec)
		if (!(sec in secn)) { ns++; secs[ns] = sec }
		secn[sec]++
	}
	while ((getline l < (tmp "/kernel.tsv")) > 0) {
		split(l, a, "\t"); klog[a[1]] = a[2]
	}
	while ((getline l < (tmp "/servers.tsv")) > 0) {
		split(l, a, "\t")
		n++; sname[n] = a[1]; sver[n] = a[2]; sstat[n] = a[3]; show[n] = a[4]
		ssec[n] = a[5]; scr[n] = a[6]; srs[n] = a[7]
		if (a[3] != "ran")
			continue
		f = tmp "/" a[1] ".tsv"
		while ((getline l < f) > 0) {
			split(l, b, "\t")
			sec = b[1]; sub(/\/.*/, "", sec)
			r = b[5]
			if (b[3] == "crash") r = kern(r)
			verd[n, b[1]] = b[3]; why[n, b[1]] = clean(r); at[n, b[1]] = b[4]
			if (b[3] != "pass" || r != "") {
				x = tmp "/" a[1] ".x/" fname(b[1]) ".tsv"
				if ((getline l2 < x) > 0) hasx[n, b[1]] = 1
				close(x)
			}
			cnt[n, sec, b[3]]++; cnt[n, "", b[3]]++
			if (b[3] == "crash") { ncr[n]++; crt[n, ncr[n]] = b[1] }
		}
	}

	# ---- Markdown
	print "# Conformance matrix" > md
	print "" > md
	print "Generated by `conformance/matrix.sh` on " when " with p9conform " version ", " ntraces " traces in " ns " sections (the trace name before `/`). Each server ran every trace" (runs > 1 ? " " runs " times (a trace that did not pass in some runs has the verdict of its first such run, its reason says in how many)" : "") ", started by `p9conform --server-cmd`, which restarts it after a crash. Verdicts: **pass** (an implementation-defined trace that differs counts as pass, its reason says so), **fail**, **not-implemented** (n-i: the server answered EOPNOTSUPP/ENOSYS or an error reply saying so), **crash** (the server died during that trace), **not-run** (it had died and could not be restarted). Every verdict other than pass links to its exchange in [EXCHANGES.md](EXCHANGES.md): the trace'"'"'s lines beside what the server sent. [RESULTS.md](RESULTS.md) lists, per server, the traces that did not pass (`p9conform --known RESULTS.md --known-section SERVER` reads it); [matrix.html](matrix.html) is this report as one page." > md
	print "" > md
	print "| server | version | verdicts | " (runs > 1 ? "crashes (all " runs " runs) | restarts (all runs) | time (all runs)" : "crashes | restarts | time") " | how it ran |" > md
	print "|---|---|---|---|---|---|---|" > md
	for (i = 1; i <= n; i++)
		if (sstat[i] == "ran")
			printf "| %s | %s | %s | %s | %s | %s s | %s |\n", sname[i], sver[i], counts(i, ""), scr[i], srs[i], ssec[i], mdq(show[i]) > md
		else
			printf "| %s | %s | skipped | - | - | - | %s |\n", sname[i], sver[i] == "" ? "-" : sver[i], mdq(show[i]) > md
	print "" > md
	print "## By section" > md
	print "" > md
	h = "| section | traces |"; d = "|---|---|"
	for (i = 1; i <= n; i++) { h = h " " sname[i] " |"; d = d "---|" }
	print h > md; print d > md
	for (k = 1; k <= ns; k++) {
		row = "| [" secs[k] "](#" secs[k] ") | " secn[secs[k]] " |"
		for (i = 1; i <= n; i++) row = row " " (sstat[i] == "ran" ? counts(i, secs[k]) : "skipped") " |"
		print row > md
	}
	print "" > md
	for (i = 1; i <= n; i++) if (ncr[i] > 0) anycrash = 1
	if (anycrash) {
		print "## Crashes" > md
		print "" > md
		for (i = 1; i <= n; i++)
			for (c = 1; c <= ncr[i]; c++)
				printf "- %s at `%s` (%s): %s%s\n", sname[i], crt[i, c], at[i, crt[i, c]], mdq(why[i, crt[i, c]]),
				    hasx[i, crt[i, c]] ? " ([the exchange, a reproducer](" xlink(i, crt[i, c]) "))" : "" > md
		print "" > md
	}
	for (k = 1; k <= ns; k++) {
		print "## " secs[k] > md
		print "" > md
		h = "| trace | class |"; d = "|---|---|"
		for (i = 1; i <= n; i++) if (sstat[i] == "ran") { h = h " " sname[i] " |"; d = d "---|" }
		print h > md; print d > md
		for (t = 1; t <= nt; t++) {
			sec = tname[t]; sub(/\/.*/, "", sec)
			if (sec != secs[k]) continue
			row = "| `" tname[t] "` | " tclass[tname[t]] " |"
			for (i = 1; i <= n; i++) if (sstat[i] == "ran") {
				v = verd[i, tname[t]]
				c = (v == "" ? "?" : v == "pass" ? "pass" : "**" v "**") (v == "pass" && why[i, tname[t]] != "" ? " (differs)" : "")
				row = row " " (hasx[i, tname[t]] ? "[" c "](" xlink(i, tname[t]) ")" : c) " |"
			}
			print row > md
		}
		print "" > md
		first = 1
		for (t = 1; t <= nt; t++) {
			sec = tname[t]; sub(/\/.*/, "", sec)
			if (sec != secs[k]) continue
			for (i = 1; i <= n; i++)
				if (sstat[i] == "ran" && why[i, tname[t]] != "") {
					if (first) { print "Reasons:" > md; print "" > md; first = 0 }
					printf "- `%s` on %s: %s (%s) — %s%s\n", tname[t], sname[i], verd[i, tname[t]], at[i, tname[t]], mdq(why[i, tname[t]]),
					    hasx[i, tname[t]] ? " ([exchange](" xlink(i, tname[t]) "))" : "" > md
				}
		}
		if (!first) print "" > md
	}

	# ---- HTML
	print "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>9P2000.L conformance matrix</title>" > html
	print "<style>body{font:14px/1.4 sans-serif;margin:1.5em;max-width:110em}table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #bbb;padding:.25em .5em;vertical-align:top;text-align:left}th{background:#eee}" > html
	print ".pass{background:#d4f4d4}.fail{background:#f8d0d0}.not-implemented{background:#f4ecc0}.crash{background:#c03030;color:#fff}.not-run{background:#ccc}span.pass,span.fail,span.not-implemented,span.crash,span.not-run{padding:0 .3em;margin-right:.2em;border-radius:3px;white-space:nowrap}" > html
	print "td.r{font-size:12px;color:#333;max-width:40em}td.pass.r,td.fail.r,td.not-implemented.r,td.not-run.r{color:#222}td.crash.r{color:#fff}td.crash.r a{color:#fff}code{font-size:13px}" > html
	print "details{margin:.2em 0}details>summary{cursor:pointer}details>p{margin:.3em 0 .3em 1.5em;font-size:12px}table.x{margin:.3em 0 1em 1.5em;font-size:12px}table.x td{max-width:48em;word-break:break-all}table.x td:nth-child(n+4){font:12px monospace}table.x th{font-weight:normal}tr.sent td{color:#555}tr.ok td:nth-child(5){background:#e4f6e4}tr.differs td{background:#f8d0d0}tr.extra td{background:#f4e0c0}tr.not-reached td{color:#999}tr.crash td{background:#c03030;color:#fff}</style></head><body>" > html
	print "<h1>9P2000.L conformance matrix</h1>" > html
	print "<p>Generated by <code>conformance/matrix.sh</code> on " when " with p9conform " hq(version) ", " ntraces " traces in " ns " sections. Every server ran every trace under <code>p9conform --server-cmd</code>, which restarts it after a crash. Verdicts: pass (implementation-defined differences count as pass), fail, not-implemented (n-i), crash, not-run. Hover or read a cell for its reason; a verdict other than pass links to its exchange below the section'"'"'s table: the trace'"'"'s lines (what was sent and the reply expected) beside what the server sent, in lib9p'"'"'s text form (cells cut at " cut " bytes).</p>" > html
	print "<table><tr><th>server</th><th>version</th><th>verdicts</th><th>crashes" (runs > 1 ? " (all " runs " runs)" : "") "</th><th>restarts</th><th>time</th><th>how it ran</th></tr>" > html
	for (i = 1; i <= n; i++)
		if (sstat[i] == "ran")
			printf "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s s</td><td>%s</td></tr>\n", hq(sname[i]), hq(sver[i]), hcounts(i, ""), scr[i], srs[i], ssec[i], hq(show[i]) > html
		else
			printf "<tr><td>%s</td><td>%s</td><td>skipped</td><td>-</td><td>-</td><td>-</td><td>%s</td></tr>\n", hq(sname[i]), hq(sver[i]), hq(show[i]) > html
	print "</table>\n<h2>By section</h2>\n<table><tr><th>section</th><th>traces</th>" > html
	for (i = 1; i <= n; i++) printf "<th>%s</th>", hq(sname[i]) > html
	print "</tr>" > html
	for (k = 1; k <= ns; k++) {
		printf "<tr><td><a href=\"#%s\">%s</a></td><td>%d</td>", secs[k], secs[k], secn[secs[k]] > html
		for (i = 1; i <= n; i++) printf "<td>%s</td>", sstat[i] == "ran" ? hcounts(i, secs[k]) : "skipped" > html
		print "</tr>" > html
	}
	print "</table>" > html
	if (anycrash) {
		print "<h2>Crashes</h2>\n<ul>" > html
		for (i = 1; i <= n; i++)
			for (c = 1; c <= ncr[i]; c++)
				printf "<li>%s at <a href=\"#%s\"><code>%s</code></a> (%s): %s</li>\n", hq(sname[i]), hasx[i, crt[i, c]] ? xid(i, crt[i, c]) : "t-" hq(crt[i, c]), hq(crt[i, c]), hq(at[i, crt[i, c]]), hq(why[i, crt[i, c]]) > html
		print "</ul>" > html
	}
	for (k = 1; k <= ns; k++) {
		printf "<h2 id=\"%s\">%s</h2>\n<table><tr><th>trace</th><th>class</th>", secs[k], secs[k] > html
		for (i = 1; i <= n; i++) if (sstat[i] == "ran") printf "<th>%s</th>", hq(sname[i]) > html
		print "</tr>" > html
		for (t = 1; t <= nt; t++) {
			sec = tname[t]; sub(/\/.*/, "", sec)
			if (sec != secs[k]) continue
			printf "<tr id=\"t-%s\"><td><code>%s</code></td><td>%s</td>", hq(tname[t]), hq(tname[t]), tclass[tname[t]] > html
			for (i = 1; i <= n; i++) if (sstat[i] == "ran") {
				v = verd[i, tname[t]]; r = why[i, tname[t]]
				if (r == "")
					printf "<td class=\"%s\">%s</td>", v, v == "" ? "?" : v > html
				else if (hasx[i, tname[t]])
					printf "<td class=\"%s r\" title=\"%s\"><a href=\"#%s\"><b>%s</b></a><br>%s</td>", v, hq(at[i, tname[t]]), xid(i, tname[t]), v (v == "pass" ? " (differs)" : ""), hq(r) > html
				else
					printf "<td class=\"%s r\" title=\"%s\"><b>%s</b><br>%s</td>", v, hq(at[i, tname[t]]), v (v == "pass" ? " (differs)" : ""), hq(r) > html
			}
			print "</tr>" > html
		}
		print "</table>" > html
		# the exchanges of this section'"'"'s traces that did not pass, side by side
		for (t = 1; t <= nt; t++) {
			sec = tname[t]; sub(/\/.*/, "", sec)
			if (sec != secs[k]) continue
			for (i = 1; i <= n; i++) {
				if (!hasx[i, tname[t]] || !xload(i, tname[t])) continue
				v = verd[i, tname[t]]
				printf "<details id=\"%s\"><summary><b>%s</b> <code>%s</code> (%s): <span class=\"%s\">%s</span> at %s</summary>\n", xid(i, tname[t]), hq(sname[i]), hq(tname[t]), tclass[tname[t]], v, v (v == "pass" ? " (differs)" : ""), hq(at[i, tname[t]]) > html
				printf "<p>%s%s<br>run it alone: <code>%s</code></p>\n", hq(why[i, tname[t]]), xspec != "" ? "<br>spec " hq(xspec) : "", hq(repro(i, tname[t])) > html
				print "<table class=\"x\"><tr><th>line</th><th>conn</th><th>state</th><th>expected (the trace)</th><th>received (the server)</th></tr>" > html
				# end tags of td and tr are optional in HTML: left out, the page is smaller
				for (r = 1; r <= nx; r++)
					printf "<tr class=%s><td>%s<td>%s<td>%s<td>%s<td>%s\n", xs[r], xl[r] == "0" ? "" : xl[r], xc[r], xs[r], hq(abbr(xe[r])), hq(abbr(xg[r])) > html
				print "</table></details>" > html
			}
		}
	}
	print "<script>function openx(){var e=location.hash&&document.getElementById(decodeURIComponent(location.hash.slice(1)));if(e&&e.tagName==\"DETAILS\"){e.open=true;e.scrollIntoView()}}window.addEventListener(\"hashchange\",openx);openx()</script>" > html
	print "</body></html>" > html

	# ---- EXCHANGES.md: every exchange side by side
	print "# Conformance exchanges" > xmd
	print "" > xmd
	print "Generated by `conformance/matrix.sh` on " when " with p9conform " version " (see [MATRIX.md](MATRIX.md)). For every trace that did not pass on a server, and every implementation-defined trace that differs, its exchange as `p9conform --exchange-dir` recorded it: each line of the trace (a request as sent, or the reply expected, as a pattern) beside what the server sent in lib9p'"'"'s text form, or what happened instead. States: sent, ok (the reply matched), differs (where the trace failed), extra (a reply no line took), not-reached (after the failure), crash (the server died). A crash'"'"'s exchange is its reproducer. Cells are cut at " cut " bytes; EXPORT is the exported directory and TMP the run'"'"'s temporary directory." > xmd
	for (i = 1; i <= n; i++) {
		if (sstat[i] != "ran") continue
		print "" > xmd
		print "## " sname[i] > xmd
		nxs = 0
		for (t = 1; t <= nt; t++) {
			if (!hasx[i, tname[t]] || !xload(i, tname[t])) continue
			nxs++
			v = verd[i, tname[t]]
			print "" > xmd
			print "### " xhead(i, tname[t]) > xmd
			print "" > xmd
			printf "**%s**%s at `%s` (%s): %s\n", v, v == "pass" ? " (differs)" : "", at[i, tname[t]], tclass[tname[t]], mdq(why[i, tname[t]]) > xmd
			print "" > xmd
			if (xspec != "") { print "spec " mdq(xspec) > xmd; print "" > xmd }
			print "Run it alone: `" repro(i, tname[t]) "`" > xmd
			print "" > xmd
			print "| line | conn | state | expected (the trace) | received (the server) |" > xmd
			print "|---|---|---|---|---|" > xmd
			for (r = 1; r <= nx; r++)
				printf "| %s | %s | %s | %s | %s |\n", xl[r] == "0" ? "" : xl[r], xc[r], xs[r] == "differs" || xs[r] == "crash" ? "**" xs[r] "**" : xs[r], mdc(xe[r]), mdc(xg[r]) > xmd
		}
		if (nxs == 0) { print "" > xmd; print "Every trace passed." > xmd }
	}

	# ---- RESULTS.md: per server, the traces that did not pass (--known)
	print "# Results by server" > results
	print "" > results
	print "Generated by `conformance/matrix.sh` on " when " with p9conform " version ", " ntraces " traces; do not edit: run `conformance/matrix.sh -B BUILDDIR` again. For each server, the traces whose verdict was not pass (implementation-defined traces that differ pass and are not listed). `p9conform --known RESULTS.md --known-section NAME` reads the rows under `## NAME` and reports those traces as TAP TODO, not as failures (the meson test conformance-diod does, with diod run as here); a listed trace that passes is reported as such. Each row links its exchange in EXCHANGES.md." > results
	for (i = 1; i <= n; i++) {
		print "" > results
		print "## " sname[i] > results
		print "" > results
		if (sstat[i] != "ran") { print "Skipped: " show[i] > results; continue }
		nb = 0
		for (t = 1; t <= nt; t++) if (verd[i, tname[t]] != "pass" && verd[i, tname[t]] != "") nb++
		printf "%s %s, %s: %d of %d traces did not pass (%s).\n", sname[i], sver[i], show[i], nb, nt, counts(i, "") > results
		if (nb == 0) continue
		print "" > results
		print "| trace | class | verdict | at | reason |" > results
		print "|---|---|---|---|---|" > results
		for (t = 1; t <= nt; t++) {
			v = verd[i, tname[t]]
			if (v == "pass" || v == "") continue
			printf "| `%s` | %s | %s | %s | %s |\n", tname[t], tclass[tname[t]], hasx[i, tname[t]] ? "[" v "](" xlink(i, tname[t]) ")" : v, at[i, tname[t]], mdq(why[i, tname[t]]) > results
		}
	}
}' </dev/null
echo "matrix.sh: wrote $out/MATRIX.md, $out/matrix.html, $out/EXCHANGES.md and $out/RESULTS.md" >&2
cut -f1,3 "$tmp/servers.tsv" | while IFS="	" read -r s st; do
	if [ "$st" = ran ]; then
		f=$tmp/$s.tsv
		printf '%s: %s pass, %s fail, %s not-implemented, %s crash, %s not-run\n' "$s" \
		    "$(grep -c '	pass	' "$f")" "$(grep -c '	fail	' "$f")" \
		    "$(grep -c '	not-implemented	' "$f")" "$(grep -c '	crash	' "$f")" \
		    "$(grep -c '	not-run	' "$f")"
	else
		echo "$s: skipped"
	fi
done
