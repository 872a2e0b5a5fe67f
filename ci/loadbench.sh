#!/usr/bin/env bash
# ci/loadbench.sh: p9d against diod and a canned-reply server (the ceiling),
# side by side with p9load. Not a test: a measurement (README "Load").
#
# Builds release (build-loadbench/), starts on 127.0.0.1 over one fresh
# export p9d (its defaults), diod (-t 2: two worker threads) and canned9p,
# then for several rounds runs every p9load workload against each server in
# turn (the servers' order rotates each round) at four shapes: 1 connection
# synchronous, 1 connection with 32 in flight, 4 and 16 connections. It
# prints per shape and workload the medians over the rounds of ops/s and of
# server CPU per RPC (the ceiling's too: its CPU over diod's is the least
# any server reaches there), the p9d/diod and p9d/ceiling ratios, and how noisy
# each figure was: (max - min) / median over the rounds, per server.
# Before each round it waits (bounded) for a quiet machine: the idle share
# of CPU time from /proc/stat over one second at or above --idle.
#
#   ci/loadbench.sh [--quick] [--rounds N] [--duration S] [--warmup S]
#                   [--idle PCT] [--max-wait S] [--plot FILE.png]
#
# --quick: 3 rounds of 0.3 s per workload (about 4 minutes); the default is
# 5 rounds of 2 s (about 30 minutes). diod comes from the Debian package
# (installed with apt-get if missing and run as root); --plot needs gnuplot
# (Debian gnuplot-nox). The raw JSON lines stay in build-loadbench/loadbench.jsonl.
set -euo pipefail

rounds=5 duration=2 warmup=0.5 idle=80 max_wait=60 plot=''
usage() {
	sed -n '/^#   ci/,/^# --quick/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
	exit 2
}
num() {	# num OPTION VALUE LO HI: VALUE a decimal in LO..HI, else exit 2
	if ! awk -v v="$2" -v lo="$3" -v hi="$4" \
	    'BEGIN { exit !(v ~ /^[0-9]+(\.[0-9]+)?$/ && v + 0 >= lo && v + 0 <= hi) }'; then
		echo "loadbench: $1 $2: not a number in $3 to $4" >&2
		exit 2
	fi
}
while [ $# -gt 0 ]; do
	case $1 in
	--quick) rounds=3; duration=0.3; warmup=0.1; max_wait=10; shift ;;
	--rounds) num "$1" "${2-}" 1 100; rounds=$2; shift 2 ;;
	--duration) num "$1" "${2-}" 0.05 600; duration=$2; shift 2 ;;
	--warmup) num "$1" "${2-}" 0 60; warmup=$2; shift 2 ;;
	--idle) num "$1" "${2-}" 0 100; idle=$2; shift 2 ;;
	--max-wait) num "$1" "${2-}" 0 3600; max_wait=$2; shift 2 ;;
	--plot) plot=${2:?--plot needs a FILE.png}; shift 2 ;;
	-h|--help) usage ;;
	*) echo "loadbench: unknown option $1" >&2; usage ;;
	esac
done
[ "${rounds%.*}" = "$rounds" ] || { echo "loadbench: --rounds $rounds: not a whole number" >&2; exit 2; }

cd "$(dirname "$0")/.."
top=$(pwd)
command -v python3 >/dev/null || { echo "loadbench: python3 is needed for the summary" >&2; exit 1; }
if ! command -v diod >/dev/null; then
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
		echo "loadbench: installing diod (Debian package)" >&2
		apt-get install -y diod >/dev/null
	fi
	command -v diod >/dev/null || { echo "loadbench: diod is not installed (apt-get install diod)" >&2; exit 1; }
fi
if [ -n "$plot" ] && ! command -v gnuplot >/dev/null; then
	echo "loadbench: --plot needs gnuplot (apt-get install gnuplot-nox)" >&2
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "loadbench: diod must run as root (and p9d is measured as root, switching credentials)" >&2
	exit 1
fi

dir=build-loadbench
if [ -d "$dir/meson-private" ]; then
	meson setup --reconfigure "$dir" -Dbuildtype=release >/dev/null
else
	rm -rf "$dir"
	meson setup "$dir" -Dbuildtype=release >/dev/null
fi
meson compile -C "$dir" server/p9d bench/p9load bench/canned9p >/dev/null
p9d=$top/$dir/server/p9d
p9load=$top/$dir/bench/p9load
canned=$top/$dir/bench/canned9p

tmp=$(mktemp -d /tmp/loadbench.XXXXXX)
exp=$tmp/export
mkdir "$exp"
pids=()
cleanup() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
listening_port() {	# listening_port LOG PID: the port of "listening on ...:PORT" in LOG
	local i=0
	while [ $i -lt 200 ]; do	# at most 200 x 50 ms
		if grep -q 'listening on' "$1"; then
			grep -m1 'listening on' "$1" | sed 's/.*://'
			return 0
		fi
		kill -0 "$2" 2>/dev/null || break
		sleep 0.05
		i=$((i + 1))
	done
	echo "loadbench: the server (pid $2) did not start: $(cat "$1")" >&2
	exit 1
}

"$p9d" -e "$exp" -l 127.0.0.1:0 2>"$tmp/p9d.log" &
pids+=($!); p9d_pid=$!
p9d_port=$(listening_port "$tmp/p9d.log" "$p9d_pid")
"$canned" -l tcp:127.0.0.1:0 --file-size 1048576 --dir-entries 1000 2>"$tmp/canned.log" &
pids+=($!); canned_pid=$!
canned_port=$(listening_port "$tmp/canned.log" "$canned_pid")
diod_port=$(free_port)
diod -f -n -t 2 -e "$exp" -l "127.0.0.1:$diod_port" 2>"$tmp/diod.log" &
pids+=($!); diod_pid=$!
i=0
until (exec 3<>"/dev/tcp/127.0.0.1/$diod_port") 2>/dev/null; do
	i=$((i + 1))
	if [ $i -ge 200 ] || ! kill -0 "$diod_pid" 2>/dev/null; then	# at most 200 x 50 ms
		echo "loadbench: diod did not start on 127.0.0.1:$diod_port: $(cat "$tmp/diod.log")" >&2
		exit 1
	fi
	sleep 0.05
done

declare -A addr=([p9d]="tcp:127.0.0.1:$p9d_port" [diod]="tcp:127.0.0.1:$diod_port"
    [ceiling]="tcp:127.0.0.1:$canned_port")
declare -A spid=([p9d]=$p9d_pid [diod]=$diod_pid [ceiling]=$canned_pid)
declare -A shape=([sync]="-c 1 -d 1" [d32]="-c 1 -d 32" [c4]="-c 4 -d 1" [c16]="-c 16 -d 1")
shapes=(sync d32 c4 c16)
servers=(p9d diod ceiling)

# The idle share of CPU time (percent, integer) over one second.
idle_pct() {
	local a b
	a=$(awk '/^cpu / { print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
	sleep 1
	b=$(awk '/^cpu / { print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
	awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ");
	    t = y[2] - x[2]; print (t > 0 ? int(100 * (y[1] - x[1]) / t) : 100) }'
}

out=$top/$dir/loadbench.jsonl
quiet=$top/$dir/loadbench.quiet
: >"$out"
: >"$quiet"
echo "loadbench: $rounds rounds x ${#shapes[@]} shapes x ${#servers[@]} servers, ${duration} s per workload after ${warmup} s warm-up, msize 65536" >&2
# How an idle CPU waits sets what waking a client costs (README "Load").
idle_driver=$(cat /sys/devices/system/cpu/cpuidle/current_driver 2>/dev/null || echo unknown)
halt_poll=$(cat /sys/module/haltpoll/parameters/guest_halt_poll_ns 2>/dev/null || true)
echo "loadbench: $(nproc) CPUs, cpuidle driver $idle_driver${halt_poll:+, guest_halt_poll_ns $halt_poll}" >&2
echo "loadbench: p9d pid $p9d_pid ${addr[p9d]}, diod -t 2 pid $diod_pid ${addr[diod]}, canned9p pid $canned_pid ${addr[ceiling]}" >&2
for r in $(seq 1 "$rounds"); do
	waited=0
	pct=$(idle_pct)
	while [ "$pct" -lt "${idle%.*}" ] && [ "$waited" -lt "${max_wait%.*}" ]; do
		sleep 1
		waited=$((waited + 2))
		pct=$(idle_pct)
	done
	load=$(cut -d' ' -f1 /proc/loadavg)
	echo "$r $pct $waited $load" >>"$quiet"
	if [ "$pct" -lt "${idle%.*}" ]; then
		echo "loadbench: round $r: machine ${pct}% idle (load $load) after ${waited} s, below ${idle}%: going on, figures noisier" >&2
	else
		echo "loadbench: round $r: machine ${pct}% idle (load $load)" >&2
	fi
	for s in "${shapes[@]}"; do
		for k in 0 1 2; do
			srv=${servers[$(((k + r) % 3))]}
			# shellcheck disable=SC2086
			if ! "$p9load" -j -m 65536 -t "$duration" -W "$warmup" ${shape[$s]} \
			    -a "$exp" -p "${spid[$srv]}" -l "$srv $s $r" "${addr[$srv]}" \
			    >>"$out" 2>"$tmp/err"; then
				echo "loadbench: round $r, $s, $srv: p9load failed: $(cat "$tmp/err")" >&2
			fi
		done
	done
done

python3 - "$out" "$quiet" "$rounds" "$duration" "${plot:+$tmp/plot.dat}" <<'PY'
import json, sys, statistics
from collections import defaultdict
path, quiet, rounds, duration, plotdat = sys.argv[1:6]
v = defaultdict(list)          # (shape, workload, server) -> [(ops/s, cpu us/RPC)]
order = []
for line in open(path):
    r = json.loads(line)
    srv, shape, _ = r["label"].split()
    key = (shape, r["workload"])
    if key not in order:
        order.append(key)
    if r["errors"] == 0 and r["ops"] > 0:
        v[key + (srv,)].append((r["ops_per_s"], r["server_cpu_us_per_rpc"], r["mib_per_s"]))
def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None
def noise(xs):
    m = med(xs)
    return None if not m or len(xs) < 2 else (max(xs) - min(xs)) / m * 100
def f(x, w, p=0):
    return ("%*.*f" % (w, p, x)) if x is not None else "%*s" % (w, "-")
def ratio(a, b):
    return a / b if a is not None and b else None
q = [l.split() for l in open(quiet)]
print("loadbench: %s rounds, %s s per workload, msize 65536; medians over the rounds;" % (rounds, duration))
print("noise = (max - min) / median over the rounds, per server, in %%; idle CPU before each round: %s" %
      ", ".join("%s%%" % x[1] for x in q))
names = {"sync": "1 conn, sync", "d32": "1 conn, 32 in flight", "c4": "4 conns", "c16": "16 conns"}
hdr = "%-20s %-11s %10s %10s %10s %8s %8s %7s %7s %7s %8s %8s  %s" % ("shape", "workload", "p9d ops/s",
      "diod ops/s", "ceil ops/s", "p9d/diod", "p9d/ceil", "p9d us", "diod us", "ceil us", "CPU p/d",
      "CPU c/d", "noise p9d/diod/ceil")
print(hdr)
print("%-20s %-11s %10s %10s %10s %8s %8s %7s %7s %7s %8s %8s" % ("", "", "", "", "", "", "", "/RPC", "/RPC",
      "/RPC", "", ""))
plot = []
for shape, wl in order:
    o = {s: [x[0] for x in v[(shape, wl, s)]] for s in ("p9d", "diod", "ceiling")}
    c = {s: [x[1] for x in v[(shape, wl, s)]] for s in ("p9d", "diod", "ceiling")}
    mo = {s: med(o[s]) for s in o}
    mc = {s: med(c[s]) for s in c}
    rd, rc = ratio(mo["p9d"], mo["diod"]), ratio(mo["p9d"], mo["ceiling"])
    rcpu, rfloor = ratio(mc["p9d"], mc["diod"]), ratio(mc["ceiling"], mc["diod"])
    ns = "/".join(f(noise(o[s]), 1) if noise(o[s]) is not None else "-" for s in ("p9d", "diod", "ceiling"))
    print("%-20s %-11s %s %s %s %s %s %s %s %s %s %s  %s" % (names.get(shape, shape), wl, f(mo["p9d"], 10),
          f(mo["diod"], 10), f(mo["ceiling"], 10), f(rd, 8, 2), f(rc, 8, 2), f(mc["p9d"], 7, 1),
          f(mc["diod"], 7, 1), f(mc["ceiling"], 7, 1), f(rcpu, 8, 2), f(rfloor, 8, 2), ns))
    plot.append((shape + ":" + wl, rd or 0, rc or 0))
if plotdat:
    with open(plotdat, "w") as fh:
        for name, a, b in plot:
            fh.write('"%s" %.4f %.4f\n' % (name, a, b))
PY

if [ -n "$plot" ]; then
	gnuplot <<EOF
set terminal png size 1600,700
set output '$plot'
set title 'p9d throughput relative to diod -t 2 and to the canned-reply ceiling (medians)'
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.8 border -1
set xtics rotate by -60 font ',8'
set ylabel 'ratio'
set grid ytics
set key top left
plot '$tmp/plot.dat' using 2:xtic(1) title 'p9d / diod', '' using 3 title 'p9d / ceiling', 1 with lines lc rgb 'black' notitle
EOF
	echo "loadbench: wrote $plot" >&2
fi
