#!/usr/bin/env bash
# One fuzzing campaign per harness with a time budget (fuzz/README.md).
#
# usage: ci/fuzz.sh --engine libfuzzer|afl --harness NAME|all --seconds N
#                   [--builddir DIR] [--merge]
#
# Builds fuzz/fuzz_NAME for the engine (libFuzzer: clang with
# -fsanitize=fuzzer,address,undefined; AFL++: afl-clang-fast with ASan and
# UBSan) in DIR (default build-fuzz-ENGINE), runs it for N seconds on
# corpus/NAME with corpus/9p.dict, prints executions, executions per second,
# coverage and crashes, minimises every crash into
# corpus/regressions/NAME/<sha256> (replayed by meson test from then on),
# and exits 1 if anything was found. One fuzzer process at a time.
# New inputs stay in DIR/fuzz-work/NAME-ENGINE/; --merge also adds the ones
# that reach new coverage to corpus/NAME/, named by sha256 (libFuzzer's
# -merge=1, or afl-cmin over the corpus and AFL++'s queue).
set -euo pipefail

# Everything runs inside main(), called on the last line: bash has then
# read the whole file, so editing it during a campaign cannot derail one.
main() {
cd "$(dirname "$0")/.."
top=$(pwd)
engine="" harness="" seconds="" builddir="" merge=0
all_harnesses=(decode text frame dirent client server)

usage() {
	sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--engine) engine=$2; shift 2 ;;
	--harness) harness=$2; shift 2 ;;
	--seconds) seconds=$2; shift 2 ;;
	--builddir) builddir=$2; shift 2 ;;
	--merge) merge=1; shift ;;
	-h|--help) usage ;;
	*) echo "ci/fuzz.sh: unknown argument: $1" >&2; usage ;;
	esac
done
case $engine in libfuzzer|afl) ;; *) usage ;; esac
[ -n "$harness" ] && [ -n "$seconds" ] || usage
builddir=${builddir:-build-fuzz-$engine}
if [ "$harness" = all ]; then
	harnesses=("${all_harnesses[@]}")
else
	harnesses=("$harness")
fi

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

found_total=0

# keep_crash HARNESS FILE: minimise FILE into corpus/regressions/HARNESS/.
keep_crash() {
	local h=$1 f=$2 bin=$builddir/fuzz/fuzz_$1 min sum
	min=$(mktemp)
	if [ "$engine" = libfuzzer ]; then
		timeout 150 "$bin" -minimize_crash=1 -max_total_time=60 -runs=100000 -timeout=25 \
			-exact_artifact_path="$min" "$f" >/dev/null 2>&1 || true
	else
		AFL_NO_UI=1 timeout 150 afl-tmin -t 25000 -i "$f" -o "$min" -- "$bin" >/dev/null 2>&1 || true
	fi
	# Keep the minimised input only if it still fails.
	if [ ! -s "$min" ] || "$builddir/fuzz/replay_$h" -q "$min" >/dev/null 2>&1; then
		cp "$f" "$min"
	fi
	sum=$(sha256sum "$min" | cut -d' ' -f1)
	mkdir -p "corpus/regressions/$h"
	cp "$min" "corpus/regressions/$h/$sum"
	rm -f "$min"
	echo "  crash kept: corpus/regressions/$h/$sum (from $f)"
}

# add_new NAME DIR: copy into corpus/NAME/ every file of DIR whose content
# is not there yet (corpus files are named by their sha256); print how many.
add_new() {
	local h=$1 dir=$2 sum f n=0

	while read -r sum f; do
		[ -f "corpus/$h/$sum" ] && continue
		cp "$dir/$f" "corpus/$h/$sum"
		n=$((n + 1))
	done < <(cd "$dir" && find . -maxdepth 1 -type f -printf '%P\0' | xargs -0r sha256sum --)
	echo "$n"
}

run_libfuzzer() {
	local h=$1 work=$2 bin=$builddir/fuzz/fuzz_$1 log rc=0
	rm -rf "$work/crashes"
	mkdir -p "$work/corpus" "$work/crashes"
	log=$work/log
	# One process (no -jobs/-fork: the machine is shared).
	"$bin" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2560 -max_len=8192 \
		-dict=corpus/9p.dict -artifact_prefix="$work/crashes/" -print_final_stats=1 \
		"$work/corpus" "corpus/$h" >"$log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1)
	corpus_n=$(find "$work/corpus" -type f | wc -l)
	crashes=()
	while IFS= read -r -d '' f; do crashes+=("$f"); done \
		< <(find "$work/crashes" -type f -print0)
	printf '%-7s libfuzzer %ss: %s execs, %s exec/s, %s, %s new inputs, %d crashes (exit %d)\n' \
		"$h" "$seconds" "${execs:-?}" "${eps:-?}" "${cov:-cov: ?}" "$corpus_n" "${#crashes[@]}" "$rc"
	if [ "${#crashes[@]}" -eq 0 ] && [ "$rc" -ne 0 ]; then
		echo "  $bin exited $rc with no artifact; log: $log" >&2
		tail -30 "$log" >&2
		found_total=$((found_total + 1))
	fi
	for f in "${crashes[@]}"; do
		grep -m3 -E 'ERROR: |invariant broken|runtime error' "$log" | sed 's/^/  /' || true
		keep_crash "$h" "$f"
		found_total=$((found_total + 1))
	done
	if [ "$merge" -eq 1 ]; then
		local m
		# Merge into a copy of corpus/NAME, so only inputs that reach
		# features the kept corpus does not are added.
		m=$(mktemp -d)
		cp corpus/"$h"/* "$m"/
		"$bin" -merge=1 -timeout=25 -rss_limit_mb=2560 "$m" "$work/corpus" >"$work/merge.log" 2>&1 || true
		echo "  merged $(add_new "$h" "$m") inputs that add coverage into corpus/$h/"
		rm -rf "$m"
	fi
}

run_afl() {
	local h=$1 work=$2 bin=$builddir/fuzz/fuzz_$1 stats rc=0 seeds
	rm -rf "$work/afl" "$work/afl-tmp"
	mkdir -p "$work/afl-tmp"
	# afl-fuzz wants small seeds: skip anything over 64 KiB.
	seeds=$work/seeds
	rm -rf "$seeds"
	mkdir -p "$seeds"
	find "corpus/$h" -type f -size -64k -exec cp {} "$seeds/" \;
	# Never set AFL_SKIP_BIN_CHECK (to any value): it also skips the
	# detection of the driver's persistent mode, and every execution then
	# forks a fresh process that starts the server again (58 exec/s on
	# the server harness instead of hundreds).
	AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
	AFL_NO_AFFINITY=1 AFL_TMPDIR="$work/afl-tmp" \
		afl-fuzz -i "$seeds" -o "$work/afl" -x corpus/9p.dict -t 25000 -m none \
		-V "$seconds" -- "$bin" >"$work/log" 2>&1 || rc=$?
	stats=$work/afl/default/fuzzer_stats
	if [ ! -f "$stats" ]; then
		echo "$h afl: no fuzzer_stats (exit $rc); log: $work/log" >&2
		tail -30 "$work/log" >&2
		found_total=$((found_total + 1))
		return
	fi
	stat() { sed -n "s/^$1 *: *//p" "$stats"; }
	crashes=()
	while IFS= read -r -d '' f; do crashes+=("$f"); done \
		< <(find "$work/afl/default/crashes" "$work/afl/default/hangs" -type f -name 'id:*' -print0 2>/dev/null)
	printf '%-7s afl %ss: %s execs, %s exec/s, coverage %s (%s edges), corpus %s, stability %s, mode %s, %d crashes+hangs\n' \
		"$h" "$seconds" "$(stat execs_done)" "$(stat execs_per_sec)" "$(stat bitmap_cvg)" \
		"$(stat edges_found)" "$(stat corpus_count)" "$(stat stability)" "$(stat target_mode)" "${#crashes[@]}"
	for f in "${crashes[@]}"; do
		keep_crash "$h" "$f"
		found_total=$((found_total + 1))
	done
	if [ "$merge" -eq 1 ]; then
		# afl-cmin keeps a smallest set of corpus/NAME plus the queue
		# that covers every edge; what it keeps from the queue is new.
		local u
		# Not under TMPDIR (the harness's): afl-showmap then loses
		# afl-cmin's trace directory.
		u=$(mktemp -d "$work/merge.XXXXXX")
		cp corpus/"$h"/* "$u"/
		find "$work/afl/default/queue" -maxdepth 1 -type f -name 'id:*' -exec cp {} "$u"/ \;
		AFL_NO_UI=1 AFL_ALLOW_TMP=1 afl-cmin -i "$u" -o "$u.min" -t 25000 -m none -- "$bin" \
			>"$work/merge.log" 2>&1 || true
		echo "  merged $(add_new "$h" "$u.min") queue inputs that add coverage into corpus/$h/"
		rm -rf "$u" "$u.min"
	fi
}

# The server harness rebuilds its small export after every run: on tmpfs
# that costs about 60 us instead of about 900 us on disk. tmpfs keeps user.*
# xattrs only from Linux 6.6 on; before that the export stays on disk.
shm_ok=0
if [ -d /dev/shm ] && [ -w /dev/shm ] &&
	[ "$(printf '6.6\n%s\n' "$(uname -r)" | sort -V | head -1)" = 6.6 ]; then
	shm_ok=1
fi

for h in "${harnesses[@]}"; do
	work=$builddir/fuzz-work/$h-$engine
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
done

if [ "$found_total" -ne 0 ]; then
	echo "ci/fuzz.sh: $found_total finding(s); inputs kept in corpus/regressions/" >&2
	exit 1
fi
echo "ci/fuzz.sh: nothing found"
}

main "$@"
exit
