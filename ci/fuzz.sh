#!/usr/bin/env bash
# One fuzzing campaign per harness with a time budget (fuzz/README.md).
#
# usage: ci/fuzz.sh --engine libfuzzer|afl --harness NAME|all --seconds N
#                   [--jobs N|auto] [--builddir DIR] [--merge]
#                   [--sync-dir DIR] [--secondary] [--plot auto|yes|no]
#
# Builds fuzz/fuzz_NAME for the engine (libFuzzer: clang with
# -fsanitize=fuzzer,address,undefined; AFL++: afl-clang-fast with ASan and
# UBSan) in DIR (default build-fuzz-ENGINE), runs it for N seconds on
# corpus/NAME with corpus/9p.dict, prints a status line every 5 seconds
# (executions, exec/s, coverage, corpus, crashes, time left) and a summary,
# minimises every crash into corpus/regressions/NAME/<sha256> (replayed by
# meson test from then on), and exits 1 if anything was found.
# New inputs stay in DIR/fuzz-work/NAME-ENGINE/; --merge also adds the ones
# that reach new coverage to corpus/NAME/, named by sha256 (libFuzzer's
# -merge=1, or afl-cmin over the corpus and AFL++'s queues).
#
# --jobs N   fuzzer processes (default 1: one process, as before; auto: one
#            per core). libFuzzer: -fork=N. AFL++: one -M main and N-1 -S
#            instances on one sync directory (DIR/fuzz-work/NAME-afl/afl).
# --sync-dir DIR   (AFL++) the sync directory: kept between runs (the
#            instances resume), and shared with other machines (an NFS
#            directory, or rsync of the queues, see fuzz/README.md).
# --secondary      (AFL++) only -S instances: the -M main runs elsewhere.
#            Secondary instances are named HOST-sK (hostname -s).
# --plot     coverage and corpus over time as DIR/fuzz-work/NAME-ENGINE/
#            coverage.png (gnuplot, from the status loop's coverage.csv);
#            auto (default): when N >= 60.
# AFL++'s live counts come through ci/afl-statsd.py (python3; without it,
# from fuzzer_stats and plot_data, which AFL++ 4.04c writes less often).
# Every process is bounded (the engine's own limit, then a watchdog at
# N + 120 s) and stopped at exit or on Ctrl-C (a summary still follows).
# As root it installs what is missing with apt-get (clang or afl++, and
# gnuplot-nox when plotting); as another user it says what to install.
set -euo pipefail

# Everything runs inside main(), called on the last line: bash has then
# read the whole file, so editing it during a campaign cannot derail one.
main() {
cd "$(dirname "$0")/.."
top=$(pwd)
engine="" harness="" seconds="" builddir="" merge=0 jobs=1 sync_dir=""
secondary=0 plot=auto
all_harnesses=(decode text frame dirent client server memfs)
# The seeds a harness starts from: corpus/NAME, except memfs, which runs the
# server harness's sessions against examples/memfs and shares its corpus.
seeds_of() { if [ "$1" = memfs ]; then echo server; else echo "$1"; fi; }
status_every=5 grace=120

usage() {
	sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--engine) engine=$2; shift 2 ;;
	--harness) harness=$2; shift 2 ;;
	--seconds) seconds=$2; shift 2 ;;
	--builddir) builddir=$2; shift 2 ;;
	--merge) merge=1; shift ;;
	--jobs) jobs=$2; shift 2 ;;
	--sync-dir) sync_dir=$2; shift 2 ;;
	--secondary) secondary=1; shift ;;
	--plot) plot=$2; shift 2 ;;
	-h|--help) usage ;;
	*) echo "ci/fuzz.sh: unknown argument: $1" >&2; usage ;;
	esac
done
case $engine in libfuzzer|afl) ;; *) usage ;; esac
[ -n "$harness" ] && [ -n "$seconds" ] || usage
case $seconds in '' | *[!0-9]*) usage ;; esac
[ "$jobs" = auto ] && jobs=$(nproc)
case $jobs in '' | *[!0-9]* | 0) usage ;; esac
case $plot in auto) [ "$seconds" -ge 60 ] && plot=yes || plot=no ;; yes|no) ;; *) usage ;; esac
if [ "$engine" = libfuzzer ] && { [ -n "$sync_dir" ] || [ "$secondary" -eq 1 ]; }; then
	echo "ci/fuzz.sh: --sync-dir and --secondary are for --engine afl" >&2
	exit 2
fi
if [ "$secondary" -eq 1 ] && [ -z "$sync_dir" ]; then
	echo "ci/fuzz.sh: --secondary needs --sync-dir (where the main instance's queue arrives)" >&2
	exit 2
fi
builddir=${builddir:-build-fuzz-$engine}
if [ "$harness" = all ]; then
	harnesses=("${all_harnesses[@]}")
else
	harnesses=("$harness")
fi
if [ -n "$sync_dir" ] && [ "${#harnesses[@]}" -ne 1 ]; then
	echo "ci/fuzz.sh: --sync-dir needs one --harness (a sync directory holds one target's queues)" >&2
	exit 2
fi
case $sync_dir in '' | /*) ;; *) sync_dir=$top/$sync_dir ;; esac

install_missing

# Configure once; compile only the harnesses asked for.
if [ ! -f "$builddir/build.ninja" ]; then
	if [ "$engine" = libfuzzer ]; then
		CC=clang meson setup "$builddir" -Dfuzz=libfuzzer -Db_lundef=false -Dwerror=true >/dev/null
	else
		CC=afl-clang-fast meson setup "$builddir" -Dfuzz=afl -Db_lundef=false >/dev/null
	fi
fi
targets=()
for h in "${harnesses[@]}"; do
	targets+=("fuzz/fuzz_$h")
done
meson compile -C "$builddir" "${targets[@]}" >/dev/null

if [ "$engine" = afl ]; then
	# afl-fuzz insists on these (it reads the crash from the abort).
	export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:symbolize=0:detect_leaks=0}
else
	export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:symbolize=1}
fi
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

found_total=0 interrupted=0
pids=() aux_pids=() run_tmp=""
trap on_exit EXIT
trap 'interrupted=1; stop_all TERM' INT TERM

# The server harness rebuilds its small export after every run: on tmpfs
# that costs about 60 us instead of about 900 us on disk. tmpfs keeps user.*
# xattrs only from Linux 6.6 on; before that the export stays on disk.
shm_ok=0
if [ -d /dev/shm ] && [ -w /dev/shm ] &&
	[ "$(printf '6.6\n%s\n' "$(uname -r)" | sort -V | head -1)" = 6.6 ]; then
	shm_ok=1
fi

for h in "${harnesses[@]}"; do
	[ "$interrupted" -eq 0 ] || break
	work=$builddir/fuzz-work/$h-$engine
	mkdir -p "$work"
	# The server harness makes its export under TMPDIR: a directory of
	# this run's own (on tmpfs, or in the work directory), removed after.
	if [ "$shm_ok" -eq 1 ]; then
		run_tmp=$(mktemp -d /dev/shm/p9fuzz-run.XXXXXX)
	else
		run_tmp=$work/tmp
		case $run_tmp in /*) ;; *) run_tmp=$top/$run_tmp ;; esac
		mkdir -p "$run_tmp"
	fi
	export TMPDIR=$run_tmp
	if [ "$engine" = libfuzzer ]; then
		run_libfuzzer "$h" "$work"
	else
		run_afl "$h" "$work"
	fi
	rm -rf "$run_tmp"
	run_tmp=""
done

if [ "$found_total" -ne 0 ]; then
	echo "ci/fuzz.sh: $found_total finding(s); inputs kept in corpus/regressions/" >&2
	exit 1
fi
if [ "$interrupted" -eq 1 ]; then
	echo "ci/fuzz.sh: interrupted; nothing found" >&2
	exit 130
fi
echo "ci/fuzz.sh: nothing found"
}

# install_missing: what this run needs. As root, apt-get installs what is
# missing (ci/test.sh's way: nothing is fetched when everything is there);
# as another user a missing tool is an error, except gnuplot (no PNG then).
install_missing() {
	local need=() cmds=(meson ninja clang) rt v
	[ "$engine" = afl ] && cmds+=(afl-fuzz afl-clang-fast)
	[ "$plot" = yes ] && cmds+=(gnuplot)
	local c missing=()
	for c in "${cmds[@]}"; do
		command -v "$c" >/dev/null 2>&1 || missing+=("$c")
	done
	# clang's libFuzzer and sanitizer runtimes (clang only recommends them).
	rt=no
	if command -v clang >/dev/null 2>&1 &&
		compgen -G "$(clang -print-resource-dir)/lib/linux/libclang_rt.fuzzer-*.a" >/dev/null; then
		rt=yes
	fi
	[ ${#missing[@]} -eq 0 ] && [ $rt = yes ] && return 0
	for c in "${missing[@]}"; do
		case $c in
		meson) need+=(meson) ;;
		ninja) need+=(ninja-build) ;;
		clang) need+=(clang) ;;
		afl-fuzz|afl-clang-fast) need+=(afl++) ;;
		gnuplot) need+=(gnuplot-nox) ;;
		esac
	done
	if [ $rt = no ]; then
		v=$( (clang -dumpversion 2>/dev/null || echo 14) | cut -d. -f1)
		need+=("libclang-rt-$v-dev")
	fi
	mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
	if [ "$(id -u)" -eq 0 ]; then
		echo "ci/fuzz.sh: installing ${need[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
		return 0
	fi
	if [ "${missing[*]}" = gnuplot ] && [ $rt = yes ]; then
		echo "ci/fuzz.sh: gnuplot is missing: no coverage PNG (as root: apt-get install gnuplot-nox)" >&2
		plot=no
		return 0
	fi
	echo "ci/fuzz.sh: missing ${missing[*]:-the libFuzzer runtime}; as root: apt-get install ${need[*]}" >&2
	exit 1
}

# start CMD...: run CMD in the background in a session (and process group)
# of its own, so that stop_all reaches what it forks too; its pid (also
# the group's id) is appended to pids.
start() {
	setsid "$@" &
	pids+=("$!")
}

# stop_all SIG: signal every process group this script started, then KILL
# what is left after 5 s.
stop_all() {
	local p i
	for p in "${aux_pids[@]+"${aux_pids[@]}"}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	[ ${#pids[@]} -gt 0 ] || return 0
	for p in "${pids[@]}"; do
		kill -"$1" -- "-$p" 2>/dev/null || true
	done
	for i in 1 2 3 4 5 6 7 8 9 10; do
		for p in "${pids[@]}"; do
			kill -0 -- "-$p" 2>/dev/null && break
			p=""
		done
		[ -z "$p" ] && return 0
		sleep 0.5
	done
	for p in "${pids[@]}"; do
		kill -KILL -- "-$p" 2>/dev/null || true
	done
}

# shellcheck disable=SC2317 # run by the EXIT trap
on_exit() {
	local rc=$?
	stop_all TERM
	[ -z "$run_tmp" ] || rm -rf "$run_tmp"
	exit "$rc"
}

# monitor H WORK SAMPLER: wait for every pid in pids; every status_every
# seconds call SAMPLER (sets s_execs s_eps s_cov s_cov2 s_corpus s_crashes
# s_note), print the status line and add a row to WORK/coverage.csv. Stops
# everything at seconds + grace (the watchdog). Sets rcs[pid] (exit codes).
monitor() {
	local h=$1 work=$2 sampler=$3 now next which st p left watchdog=0
	local -a running=("${pids[@]}")
	t0=$(date +%s)
	next=$((t0 + status_every))
	csv=$work/coverage.csv
	echo "# seconds,execs,exec_per_s,coverage,coverage2,corpus,crashes ($engine: coverage2 is $([ "$engine" = afl ] && echo 'the bitmap %' || echo 'features (ft)'))" >"$csv"
	declare -gA rcs=()
	prev_t=$t0 prev_execs=0
	while [ ${#running[@]} -gt 0 ]; do
		now=$(date +%s)
		if [ "$now" -ge $((t0 + seconds + grace)) ] && [ "$watchdog" -eq 0 ]; then
			echo "  ci/fuzz.sh: still running $grace s after the budget: stopping it" >&2
			watchdog=1
			stop_all TERM
		fi
		# The tick: a sleep that ends early when a fuzzer does. (It is
		# stopped with KILL: a TERM could reach the forked shell before
		# it drops this script's traps, and run them there.)
		sleep $((next > now ? next - now : 1)) &
		sp=$!
		which="" st=0
		# (Braces: the shell's notice of a fuzzer killed by a signal,
		# such as "Aborted", goes to /dev/null; the log has the report.)
		{ wait -n -p which "$sp" "${running[@]}" || st=$?; } 2>/dev/null
		if [ -z "${which:-}" ] || [ "$which" = "$sp" ]; then
			# A tick (or a signal: the trap has run).
			kill -KILL "$sp" 2>/dev/null || true
			wait "$sp" 2>/dev/null || true
			now=$(date +%s)
			if [ "$now" -ge "$next" ]; then
				status_line "$h" "$sampler" "$now"
				next=$((next + status_every))
				[ "$next" -gt "$now" ] || next=$((now + status_every))
			fi
			continue
		fi
		rcs[$which]=$st
		local -a still=()
		for p in "${running[@]}"; do
			[ "$p" = "$which" ] || still+=("$p")
		done
		running=("${still[@]+"${still[@]}"}")
	done
	if [ -n "${sp:-}" ]; then
		kill -KILL "$sp" 2>/dev/null || true
		wait "$sp" 2>/dev/null || true
	fi
	elapsed=$(($(date +%s) - t0))
	$sampler
	printf '%s,%s,%s,%s,%s,%s,%s\n' "$elapsed" "${s_execs:-0}" "${s_eps:-0}" "${s_cov:-0}" \
		"${s_cov2:-0}" "${s_corpus:-0}" "${s_crashes:-0}" >>"$csv"
	pids=()
}

status_line() {
	local h=$1 sampler=$2 now=$3 el left
	el=$((now - t0))
	left=$((t0 + seconds - now))
	[ "$left" -ge 0 ] || left=0
	$sampler
	# AFL++: exec/s over the last interval (its own figure is an average
	# that starts at calibration, and absurd in its first report).
	if [ "$engine" = afl ]; then
		if [ "$prev_t" -gt 0 ] && [ "$now" -gt "$prev_t" ] && [ "$s_execs" -ge "$prev_execs" ]; then
			s_eps=$(((s_execs - prev_execs) / (now - prev_t)))
		else
			s_eps=0
		fi
		prev_t=$now prev_execs=$s_execs
	fi
	# (No row before the engine's first count: no drop from zero.)
	if [ "${s_cov:-0}" != 0 ]; then
		printf '%s,%s,%s,%s,%s,%s,%s\n' "$el" "${s_execs:-0}" "${s_eps:-0}" "${s_cov:-0}" \
			"${s_cov2:-0}" "${s_corpus:-0}" "${s_crashes:-0}" >>"$csv"
	fi
	if [ "$left" -gt 0 ]; then
		left=$(printf '%dm%02ds left' $((left / 60)) $((left % 60)))
	elif [ "$engine" = afl ]; then
		left="past the budget: AFL++'s -V starts after its calibration"
	else
		left="time is up, wrapping up"
	fi
	printf '  [%s %s x%d %dm%02ds] %s execs, %s exec/s, %s, corpus %s, crashes %s, %s%s\n' \
		"$h" "$engine" "$jobs" $((el / 60)) $((el % 60)) "${s_execs:-0}" "${s_eps:-0}" \
		"$s_covtext" "${s_corpus:-0}" "${s_crashes:-0}" "$left" "${s_note:+ ($s_note)}"
}

# plot_csv H WORK: WORK/coverage.png from WORK/coverage.csv.
plot_csv() {
	local h=$1 work=$2 csv=$2/coverage.csv png=$2/coverage.png covname
	[ "$plot" = yes ] || return 0
	command -v gnuplot >/dev/null 2>&1 || return 0
	if [ "$(grep -vc '^#' "$csv")" -lt 2 ]; then
		echo "  plot: too few samples for $png"
		return 0
	fi
	[ "$engine" = afl ] && covname='edges (max over instances)' || covname='cov (libFuzzer)'
	if gnuplot 2>"$work/gnuplot.log" <<-EOF
		set terminal png size 1000,420
		set output '$png'
		set datafile separator ','
		set title '$h, $engine, $jobs job(s), $seconds s'
		set xlabel 'seconds'
		set ylabel 'coverage'
		set y2label 'corpus'
		set ytics nomirror
		set y2tics
		set key right bottom
		set grid
		plot '$csv' using 1:4 with linespoints title '$covname' axes x1y1, \
		     '$csv' using 1:6 with lines title 'corpus' axes x1y2
	EOF
	then
		echo "  plot: $png"
	else
		echo "  plot failed: $work/gnuplot.log" >&2
	fi
}

# keep_crash HARNESS FILE: minimise FILE into corpus/regressions/HARNESS/
# (the first 10 of a run; any more are kept as they are, to bound the time).
kept_n=0
keep_crash() {
	local h=$1 f=$2 bin=$builddir/fuzz/fuzz_$1 replay=$builddir/fuzz/replay_$1 min sum
	min=$(mktemp)
	kept_n=$((kept_n + 1))
	[ -x "$replay" ] || meson compile -C "$builddir" "fuzz/replay_$h" >/dev/null 2>&1 || true
	if [ "$kept_n" -le 10 ]; then
		if [ "$engine" = libfuzzer ]; then
			timeout 150 "$bin" -minimize_crash=1 -max_total_time=60 -runs=100000 -timeout=25 \
				-exact_artifact_path="$min" "$f" >/dev/null 2>&1 || true
		else
			AFL_NO_UI=1 timeout 150 afl-tmin -t 25000 -i "$f" -o "$min" -- "$bin" >/dev/null 2>&1 || true
		fi
	fi
	# Keep the minimised input only if it still fails.
	# (Braces: the shell's own "Aborted" notice goes to /dev/null too.)
	if [ ! -s "$min" ] || { "$replay" -q "$min" >/dev/null 2>&1; } 2>/dev/null; then
		cp "$f" "$min"
	fi
	sum=$(sha256sum "$min" | cut -d' ' -f1)
	mkdir -p "corpus/regressions/$h"
	cp "$min" "corpus/regressions/$h/$sum"
	rm -f "$min"
	echo "  crash: $f"
	echo "    reproduce: $bin $f"
	echo "    kept:      corpus/regressions/$h/$sum (replay: build/fuzz/replay_$h corpus/regressions/$h/$sum)"
}

# add_new NAME DIR: copy into corpus/NAME/ every file of DIR whose content
# is not there yet (corpus files are named by their sha256); print how many.
add_new() {
	local h=$1 dir=$2 sum f n=0

	while read -r sum f; do
		[ -f "corpus/$(seeds_of "$h")/$sum" ] && continue
		cp "$dir/$f" "corpus/$(seeds_of "$h")/$sum"
		n=$((n + 1))
	done < <(cd "$dir" && find . -maxdepth 1 -type f -printf '%P\0' | xargs -0r sha256sum --)
	echo "$n"
}

# libFuzzer's progress lines: '#N ... cov: C ft: F corp: K/..' (one
# process) or '#N: cov: C ft: F corp: K exec/s E oom/timeout/crash: a/b/c
# time: Ts job: J' (-fork). libFuzzer prints them when it finds something
# (and at powers of two), so a quiet run's counts lag.
lf_log="" lf_work=""
# shellcheck disable=SC2317 # called by name from monitor
sample_libfuzzer() {
	local line t n
	# (-fork also copies its jobs' own lines into the log: only the
	# parent's count.)
	if [ "$jobs" -gt 1 ]; then
		line=$(grep -a -E '^#[0-9]+: cov:' "$lf_log" 2>/dev/null | tail -1 || true)
	else
		line=$(grep -a -E '^#[0-9]+[[:space:]]' "$lf_log" 2>/dev/null | tail -1 || true)
	fi
	s_execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$line")
	s_cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$line")
	s_cov2=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$line")
	s_corpus=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$line")
	t=$(sed -n 's/.* time: \([0-9]*\)s.*/\1/p' <<<"$line")
	if [ -n "$t" ]; then
		# -fork: the line's exec/s is its last job's; the average is ours.
		s_eps=$(( t > 0 ? ${s_execs:-0} / t : 0 ))
	else
		s_eps=$(sed -n 's/.* exec\/s: \([0-9]*\).*/\1/p' <<<"$line")
	fi
	n=$(find "$lf_work/crashes" -type f 2>/dev/null | wc -l)
	s_crashes=$n
	s_covtext="cov ${s_cov:--} ft ${s_cov2:--}"
	s_note=""
	[ -n "$line" ] || s_note="loading the corpus"
	s_execs=${s_execs:-0} s_eps=${s_eps:-0}
}

run_libfuzzer() {
	local h=$1 work=$2 bin=$builddir/fuzz/fuzz_$1 log rc=0 fork=()
	rm -rf "$work/crashes"
	mkdir -p "$work/corpus" "$work/crashes"
	log=$work/log
	lf_log=$log lf_work=$work
	# --jobs 1: one process. Else -fork=N: N child processes fuzz in
	# turns of growing length and the parent merges what they find into
	# the first corpus directory; the first crash stops the campaign.
	[ "$jobs" -gt 1 ] && fork=(-fork="$jobs")
	: >"$log"
	start "$bin" "${fork[@]+"${fork[@]}"}" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2560 \
		-max_len=8192 -dict=corpus/9p.dict -artifact_prefix="$work/crashes/" -print_final_stats=1 \
		"$work/corpus" "corpus/$(seeds_of "$h")" >"$log" 2>&1
	local pid=${pids[0]}
	monitor "$h" "$work" sample_libfuzzer
	rc=${rcs[$pid]:-0}
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1 || true)
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1 || true)
	cov=$(grep -a -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1 || true)
	if [ "$jobs" -gt 1 ]; then
		# -fork prints no final stats (those in the log are its jobs'):
		# the last progress line, and the average over the run.
		execs=$s_execs
		eps=$((elapsed > 0 ? s_execs / elapsed : 0))
		cov="cov: ${s_cov:-?} ft: ${s_cov2:-?}"
	fi
	corpus_n=$(find "$work/corpus" -type f | wc -l)
	crashes=()
	while IFS= read -r -d '' f; do crashes+=("$f"); done \
		< <(find "$work/crashes" -type f -print0)
	printf '%-7s libfuzzer %ss: %s execs, %s exec/s, %s, %s new inputs, %d crashes (exit %d)\n' \
		"$h" "$seconds" "${execs:-?}" "${eps:-?}" "${cov:-cov: ?}" "$corpus_n" "${#crashes[@]}" "$rc"
	[ "$jobs" -eq 1 ] || echo "  $jobs jobs (-fork=$jobs), ${elapsed}s; log: $log"
	plot_csv "$h" "$work"
	if [ "${#crashes[@]}" -eq 0 ] && [ "$rc" -ne 0 ] && [ "$interrupted" -eq 0 ]; then
		echo "  $bin exited $rc with no artifact; log: $log" >&2
		tail -30 "$log" >&2
		found_total=$((found_total + 1))
	fi
	for f in "${crashes[@]+"${crashes[@]}"}"; do
		grep -a -m3 -E 'ERROR: |invariant broken|runtime error' "$log" | sed 's/^/  /' || true
		keep_crash "$h" "$f"
		found_total=$((found_total + 1))
	done
	if [ "$merge" -eq 1 ]; then
		local m
		# Merge into a copy of corpus/NAME, so only inputs that reach
		# features the kept corpus does not are added.
		m=$(mktemp -d)
		cp corpus/"$(seeds_of "$h")"/* "$m"/
		timeout 3600 "$bin" -merge=1 -timeout=25 -rss_limit_mb=2560 "$m" "$work/corpus" \
			>"$work/merge.log" 2>&1 || true
		echo "  merged $(add_new "$h" "$m") inputs that add coverage into corpus/$(seeds_of "$h")/"
		rm -rf "$m"
	fi
}

# AFL++ writes fuzzer_stats once a minute and plot_data every 5 s (after
# the first minute): each instance's newer of the two counts.
# With python3, ci/afl-statsd.py receives what each instance sends by
# StatsD every second: those counts are live (the map % is not in them).
afl_sync="" afl_names=() afl_statsd=""
afl_read() { # DIR NAME: sets a_time a_execs a_eps a_corpus a_cvg a_edges a_live
	local st=$1/fuzzer_stats pd=$1/plot_data line sd=$afl_statsd/$2
	a_time=-1 a_execs=0 a_eps=0 a_corpus=0 a_cvg=0 a_edges=0 a_live=0 a_total=0
	if [ -f "$st" ]; then
		eval "$(awk -F' *: *' '
			$1 == "run_time" { print "a_time=" $2 }
			$1 == "execs_done" { print "a_execs=" $2 }
			$1 == "execs_per_sec" { print "a_eps=" int($2) }
			$1 == "corpus_count" { print "a_corpus=" $2 }
			$1 == "bitmap_cvg" { sub("%", "", $2); print "a_cvg=" $2 }
			$1 == "edges_found" { print "a_edges=" $2 }
			$1 == "total_edges" { print "a_total=" $2 }' "$st")"
	fi
	# The first stats (run_time 0) hold the calibration only.
	[ "$a_time" -gt 0 ] || a_eps=0
	if [ -f "$pd" ]; then
		line=$(grep -v '^#' "$pd" | tail -1 || true)
		if [ -n "$line" ]; then
			# relative_time, cycles_done, cur_item, corpus_count,
			# pending_total, pending_favs, map_size, saved_crashes,
			# saved_hangs, max_depth, execs_per_sec, total_execs,
			# edges_found
			eval "$(awk -F', *' -v t="$a_time" '$1 + 0 > t + 0 {
				sub("%", "", $7)
				printf "a_time=%d a_corpus=%d a_cvg=%s a_eps=%d a_execs=%d a_edges=%d\n",
					$1, $4, $7, $11, $12, $13 }' <<<"$line")"
		fi
	fi
	if [ -n "$afl_statsd" ] && [ -f "$sd" ] &&
		[ $(($(date +%s) - $(stat -c %Y "$sd" 2>/dev/null || echo 0))) -le 3 ]; then
		eval "$(awk '
			$1 == "execs_done" { print "a_execs=" int($2) }
			$1 == "execs_per_sec" { print "a_eps=" int($2) }
			$1 == "corpus_count" { print "a_corpus=" int($2) }
			$1 == "edges_found" { print "a_edges=" int($2) }' "$sd")"
		a_live=1
		# The map % as AFL++ computes it: edges over the map's size.
		[ "$a_total" -eq 0 ] || a_cvg=$(awk -v e="$a_edges" -v t="$a_total" 'BEGIN { printf "%.2f", e * 100 / t }')
	fi
}

# shellcheck disable=SC2317 # called by name from monitor
sample_afl() {
	local n oldest=-1 now age q first=0
	s_execs=0 s_eps=0 s_cov=0 s_cov2=0 s_corpus=0
	now=$(date +%s)
	for n in "${afl_names[@]}"; do
		afl_read "$afl_sync/$n" "$n"
		s_execs=$((s_execs + a_execs))
		s_eps=$((s_eps + a_eps))
		[ "$a_edges" -gt "$s_cov" ] && s_cov=$a_edges
		awk -v a="$a_cvg" -v b="$s_cov2" 'BEGIN { exit !(a + 0 > b + 0) }' && s_cov2=$a_cvg
		# The queue as it is now (the counts can be a minute old).
		q=$(find "$afl_sync/$n/queue" -maxdepth 1 -type f -name 'id:*' 2>/dev/null | wc -l)
		[ "$q" -gt "$a_corpus" ] && a_corpus=$q
		[ "$a_corpus" -gt "$s_corpus" ] && s_corpus=$a_corpus
		# How old this instance's counts are (-1: none yet).
		if [ "$a_live" -eq 1 ]; then
			[ "$oldest" -ge 0 ] || oldest=0
			continue
		fi
		[ "$a_time" -gt 0 ] || first=1
		if [ "$a_time" -ge 0 ]; then
			age=$( { stat -c %Y "$afl_sync/$n/fuzzer_stats" "$afl_sync/$n/plot_data" 2>/dev/null || true; } |
				sort -n | tail -1)
			age=$((now - ${age:-$now}))
			[ "$age" -gt "$oldest" ] && oldest=$age
		fi
	done
	s_crashes=$(afl_findings crashes | grep -c . || true)
	s_hangs=$(afl_findings hangs | grep -c . || true)
	s_covtext="edges $s_cov ($s_cov2%)"
	s_note="hangs $s_hangs"
	if [ "$oldest" -lt 0 ]; then
		s_note="$s_note, calibrating the seeds"
	elif [ "$first" -eq 1 ]; then
		s_note="$s_note, AFL++ updates its counts after a minute; corpus and crashes are live"
	elif [ "$oldest" -gt 7 ]; then
		s_note="$s_note, AFL++ counts up to ${oldest}s old"
	fi
}

# afl_findings crashes|hangs: this run's instances' files, one a line.
afl_findings() {
	local n
	for n in "${afl_names[@]}"; do
		find "$afl_sync/$n/$1" -maxdepth 1 -type f -name 'id:*' 2>/dev/null || true
	done
}

run_afl() {
	local h=$1 work=$2 bin=$builddir/fuzz/fuzz_$1 stats rc seeds host i n p
	local sched=(explore coe lin quad exploit rare fast)
	afl_sync=${sync_dir:-$work/afl}
	if [ -z "$sync_dir" ]; then
		rm -rf "$work/afl"
	fi
	# afl-fuzz wants small seeds: skip anything over 64 KiB.
	seeds=$work/seeds
	rm -rf "$seeds"
	mkdir -p "$seeds" "$afl_sync"
	find "corpus/$(seeds_of "$h")" -type f -size -64k -exec cp {} "$seeds/" \;
	# Instance names: default (--jobs 1, no sync directory: as before),
	# else main (-M) and HOST-s1.. (-S), unique across machines.
	host=$(hostname -s 2>/dev/null | tr -c 'A-Za-z0-9_\n-' '_')
	host=${host:-host}
	host=${host:0:18}	# afl-fuzz takes names of up to 24 characters
	afl_names=()
	if [ "$jobs" -eq 1 ] && [ -z "$sync_dir" ]; then
		afl_names=(default)
	else
		[ "$secondary" -eq 1 ] || afl_names=(main)
		i=1
		while [ ${#afl_names[@]} -lt "$jobs" ]; do
			afl_names+=("$host-s$i")
			i=$((i + 1))
		done
	fi
	# Never set AFL_SKIP_BIN_CHECK (to any value): it also skips the
	# detection of the driver's persistent mode, and every execution then
	# forks a fresh process that starts the server again (58 exec/s on
	# the server harness instead of hundreds). Each instance has a
	# temporary directory of its own (AFL_TMPDIR holds its .cur_input);
	# AFL_SYNC_TIME (minutes between syncs, AFL++'s default 30) is 1.
	# A kept sync directory resumes (AFL_AUTORESUME).
	afl_statsd=""
	if command -v python3 >/dev/null 2>&1; then
		rm -rf "$work/statsd"
		mkdir -p "$work/statsd"
		setsid python3 ci/afl-statsd.py "$work/statsd" "${afl_names[@]}" 2>"$work/statsd.log" &
		aux_pids+=("$!")
		for k in $(seq 1 50); do
			[ -f "$work/statsd/ports" ] && break
			sleep 0.1
		done
		[ -f "$work/statsd/ports" ] && afl_statsd=$work/statsd
	fi
	local k=0 envs port
	for n in "${afl_names[@]}"; do
		local role=() tmp=$work/afl-tmp-$n
		rm -rf "$tmp"
		mkdir -p "$tmp"
		case $n in
		default) ;;
		main) role=(-M main) ;;
		# Secondaries: AFL++'s power schedules in turn (main: fast).
		*) role=(-S "$n" -p "${sched[$((k % ${#sched[@]}))]}"); k=$((k + 1)) ;;
		esac
		envs=(AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
			AFL_NO_AFFINITY=1 AFL_TMPDIR="$tmp" AFL_SYNC_TIME="${AFL_SYNC_TIME:-1}")
		[ -z "$sync_dir" ] || envs+=(AFL_AUTORESUME=1)
		port=""
		[ -z "$afl_statsd" ] || port=$(awk -v n="$n" '$1 == n { print $2 }' "$afl_statsd/ports")
		[ -z "$port" ] || envs+=(AFL_STATSD=1 AFL_STATSD_HOST=127.0.0.1 AFL_STATSD_PORT="$port")
		start env "${envs[@]}" afl-fuzz -i "$seeds" -o "$afl_sync" -x corpus/9p.dict -t 25000 -m none \
			-V "$seconds" "${role[@]+"${role[@]}"}" -- "$bin" >"$work/log-$n" 2>&1
	done
	[ "${afl_names[0]}" != default ] || ln -sf log-default "$work/log"
	local started=("${pids[@]}")
	monitor "$h" "$work" sample_afl
	for p in "${aux_pids[@]+"${aux_pids[@]}"}"; do
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	aux_pids=() afl_statsd=""
	# Summary: one line per instance, then the totals.
	local found=0
	printf '  %-16s %12s %9s %7s %8s %7s %7s %5s %9s %s\n' instance execs exec/s edges coverage corpus crashes hangs stability exit
	i=0
	for n in "${afl_names[@]}"; do
		stats=$afl_sync/$n/fuzzer_stats
		rc=${rcs[${started[$i]}]:-?}
		i=$((i + 1))
		if [ ! -f "$stats" ]; then
			printf '  %-16s no fuzzer_stats (exit %s); log: %s\n' "$n" "$rc" "$work/log-$n"
			tail -30 "$work/log-$n" >&2
			found=1
			continue
		fi
		afl_stat() { sed -n "s/^$1 *: *//p" "$2"; }
		printf '  %-16s %12s %9s %7s %8s %7s %7s %5s %9s %s\n' "$n" "$(afl_stat execs_done "$stats")" \
			"$(afl_stat execs_per_sec "$stats")" "$(afl_stat edges_found "$stats")" "$(afl_stat bitmap_cvg "$stats")" \
			"$(afl_stat corpus_count "$stats")" "$(afl_stat saved_crashes "$stats")" "$(afl_stat saved_hangs "$stats")" \
			"$(afl_stat stability "$stats")" "$rc"
	done
	if [ "$found" -eq 1 ] && [ "$interrupted" -eq 0 ]; then
		echo "$h afl: an instance wrote no fuzzer_stats; logs: $work/log-*" >&2
		found_total=$((found_total + 1))
	fi
	crashes=()
	while IFS= read -r f; do crashes+=("$f"); done < <(afl_findings crashes; afl_findings hangs)
	sample_afl
	stats=$afl_sync/${afl_names[0]}/fuzzer_stats
	local mode stab
	mode=$(sed -n 's/^target_mode *: *//p' "$stats" 2>/dev/null | sed 's/ *$//' || true)
	stab=$(sed -n 's/^stability *: *//p' "$stats" 2>/dev/null || true)
	printf '%-7s afl %ss: %s execs, %s exec/s, coverage %s%% (%s edges), corpus %s, stability %s, mode %s, %d crashes+hangs\n' \
		"$h" "$seconds" "$s_execs" "$s_eps" "$s_cov2" "$s_cov" "$s_corpus" "${stab:-?}" "${mode:-?}" "${#crashes[@]}"
	[ "${#afl_names[@]}" -eq 1 ] || echo "  ${#afl_names[@]} instances (${afl_names[*]}), ${elapsed}s; sync directory: $afl_sync"
	plot_csv "$h" "$work"
	if [ "$plot" = yes ] && [ -f "$afl_sync/${afl_names[0]}/plot_data" ] && command -v afl-plot >/dev/null 2>&1; then
		if afl-plot "$afl_sync/${afl_names[0]}" "$work/afl-plot" >"$work/afl-plot.log" 2>&1; then
			echo "  afl-plot (${afl_names[0]}): $work/afl-plot/index.html (edges.png, high_freq.png, exec_speed.png)"
		else
			echo "  afl-plot: $(grep -m1 -a 'Error' "$work/afl-plot.log" || echo failed) ($work/afl-plot.log)"
		fi
	fi
	for f in "${crashes[@]+"${crashes[@]}"}"; do
		keep_crash "$h" "$f"
		found_total=$((found_total + 1))
	done
	if [ "$merge" -eq 1 ]; then
		# afl-cmin keeps a smallest set of corpus/NAME plus the queues
		# that covers every edge; what it keeps from the queues is new.
		local u
		# Not under TMPDIR (the harness's): afl-showmap then loses
		# afl-cmin's trace directory.
		u=$(mktemp -d "$work/merge.XXXXXX")
		cp corpus/"$(seeds_of "$h")"/* "$u"/
		find "$afl_sync" -mindepth 3 -maxdepth 3 -path '*/queue/id:*' -type f -exec cp {} "$u"/ \;
		AFL_NO_UI=1 AFL_ALLOW_TMP=1 timeout 3600 afl-cmin -i "$u" -o "$u.min" -t 25000 -m none -- "$bin" \
			>"$work/merge.log" 2>&1 || true
		echo "  merged $(add_new "$h" "$u.min") queue inputs that add coverage into corpus/$(seeds_of "$h")/"
		rm -rf "$u" "$u.min"
	fi
}

main "$@"
exit
