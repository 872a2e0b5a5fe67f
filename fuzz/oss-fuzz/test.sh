#!/usr/bin/env bash
# Runs fuzz/oss-fuzz/build.sh the way the OSS-Fuzz builder image does, for
# libFuzzer and for AFL++, with AddressSanitizer (by default) or
# UndefinedBehaviorSanitizer or both, checks what it leaves in
# $OUT, and runs every built fuzzer over its seed corpus
# (fuzz/README.md, "OSS-Fuzz and ClusterFuzzLite").
#
# usage: fuzz/oss-fuzz/test.sh [--engine libfuzzer|afl|all]
#                              [--sanitizer address|undefined|all] [--keep]
#
# SRC, WORK and OUT are fresh directories under TMPDIR (default /tmp),
# $SRC/lib9p is this checkout (a symbolic link), and $SRC/build.sh is what
# the Dockerfile copies there: for libFuzzer, .clusterfuzzlite/build.sh
# (ClusterFuzzLite's image, which runs fuzz/oss-fuzz/build.sh), for AFL++
# fuzz/oss-fuzz/build.sh itself (OSS-Fuzz's image; ClusterFuzzLite has no
# AFL++); it runs from $SRC/lib9p, the image's WORKDIR. The variables:
#   libfuzzer: CC=clang CXX=clang++, CFLAGS=CXXFLAGS as OSS-Fuzz's
#              sanitizer=address (or undefined) builds set them, with
#              -fsanitize=fuzzer-no-link;
#              LIB_FUZZING_ENGINE=-fsanitize=fuzzer
#   afl:       CC=afl-clang-fast CXX=afl-clang-fast++, the same flags without
#              -fsanitize=fuzzer-no-link; LIB_FUZZING_ENGINE=AFL++'s
#              libAFLDriver.a (AFL_DRIVER, default /usr/lib/afl/libAFLDriver.a)
# (OSS-Fuzz also adds -stdlib=libc++ to CXXFLAGS; its clang has libc++,
# the local one need not: left out.)
# First a "config" check: the project.yaml files, Dockerfiles and the
# workflow say what OSS-Fuzz and ClusterFuzzLite expect (YAML parsed when
# python3 has the yaml module). Then per engine and target, two checks: "files" (the fuzzer is executable,
# the seed zip holds exactly the files of corpus/NAME/ and
# corpus/regressions/NAME/ but the .keep files, the
# dictionary is corpus/9p.dict, the options file names it) and "replay"
# (every seed runs: libFuzzer: fuzz_NAME -runs=0 SEEDDIR, which must report
# every file; AFL++: the driver's file mode, fuzz_NAME FILE...).
# An engine whose compiler is missing is skipped; exit 77 if both are.
# Last line: "N passed, N failed, N skipped"; exit 1 if anything failed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
engines="libfuzzer afl"
sanitizers=address
keep=0
while [ $# -gt 0 ]; do
	case $1 in
	--engine)
		case ${2:-} in
		libfuzzer|afl) engines=$2 ;;
		all) ;;
		*) echo "test.sh: --engine libfuzzer|afl|all" >&2; exit 2 ;;
		esac
		shift 2 ;;
	--sanitizer)
		case ${2:-} in
		address|undefined) sanitizers=$2 ;;
		all) sanitizers="address undefined" ;;
		*) echo "test.sh: --sanitizer address|undefined|all" >&2; exit 2 ;;
		esac
		shift 2 ;;
	--keep) keep=1; shift ;;
	-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "test.sh: unknown argument: $1" >&2; exit 2 ;;
	esac
done

harnesses=()
for f in "$top"/fuzz/fuzz_*.c; do
	h=${f##*/fuzz_}
	harnesses+=("${h%.c}")
done

linebuf=""
if command -v stdbuf >/dev/null; then
	linebuf="stdbuf -oL"
fi

passed=0 failed=0 skipped=0
pass() { passed=$((passed + 1)); echo "ok    $*"; }
fail() { failed=$((failed + 1)); echo "FAIL  $*"; }
skip() { skipped=$((skipped + 1)); echo "skip  $*"; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lib9p-oss-fuzz.XXXXXX")
if [ "$keep" -eq 0 ]; then
	trap 'rm -rf "$tmp"' EXIT
else
	echo "keeping $tmp"
fi

common_flags="-O1 -fno-omit-frame-pointer -gline-tables-only -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION"
# OSS-Fuzz's SANITIZER_FLAGS_address and SANITIZER_FLAGS_undefined.
address_flags="-fsanitize=address -fsanitize-address-use-after-scope"
ubsan_checks=array-bounds,bool,builtin,enum,float-divide-by-zero,function,integer-divide-by-zero,null,object-size,return,returns-nonnull-attribute,shift,signed-integer-overflow,unreachable,vla-bound,vptr
undefined_flags="-fsanitize=$ubsan_checks,unsigned-integer-overflow -fno-sanitize-recover=$ubsan_checks"
# As ClusterFuzz runs them: unsigned overflow (well defined) not reported.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:silence_unsigned_overflow=1}

# seed_files NAME: the corpus files build.sh should have zipped (memfs
# runs the server harness's sessions: the server's seeds, and its own
# regressions if it has any).
seed_files() {
	local s=$1
	[ "$1" = memfs ] && s=server
	find "$top/corpus/$s" -type f ! -name '.*'
	if [ -d "$top/corpus/regressions/$s" ]; then
		find "$top/corpus/regressions/$s" -type f ! -name '.*'
	fi
	if [ "$s" != "$1" ] && [ -d "$top/corpus/regressions/$1" ]; then
		find "$top/corpus/regressions/$1" -type f ! -name '.*'
	fi
}

check_files() {
	local e=$1 h=$2 out=$3 n_zip n_src why=""
	[ -x "$out/fuzz_$h" ] || why="$why no executable fuzz_$h;"
	if [ -f "$out/fuzz_${h}_seed_corpus.zip" ]; then
		n_zip=$(unzip -Z1 "$out/fuzz_${h}_seed_corpus.zip" | wc -l)
		n_src=$(seed_files "$h" | sed 's,.*/,,' | sort -u | wc -l)
		[ "$n_zip" -eq "$n_src" ] ||
			why="$why seed zip has $n_zip files, corpus $n_src;"
	else
		why="$why no fuzz_${h}_seed_corpus.zip;"
	fi
	cmp -s "$out/fuzz_$h.dict" "$top/corpus/9p.dict" ||
		why="$why fuzz_$h.dict is not corpus/9p.dict;"
	[ "$(cat "$out/fuzz_$h.options" 2>/dev/null)" = "$(printf '[libfuzzer]\ndict = fuzz_%s.dict' "$h")" ] ||
		why="$why fuzz_$h.options wrong or missing;"
	if [ -z "$why" ]; then
		pass "$e/$san $h files ($n_zip seeds)"
	else
		fail "$e/$san $h files:$why"
		return 1
	fi
}

replay() {
	local e=$1 h=$2 out=$3
	local seeds=$tmp/$e-$san/seeds/$h log=$tmp/$e-$san/replay-$h.log
	local n rc=0 start secs files
	rm -rf "$seeds"
	mkdir -p "$seeds" "$tmp/$e-$san/tmp-$h"
	unzip -q "$out/fuzz_${h}_seed_corpus.zip" -d "$seeds"
	n=$(find "$seeds" -type f | wc -l)
	start=$(date +%s)
	# The server harness makes its export under TMPDIR.
	if [ "$e" = libfuzzer ]; then
		(cd "$tmp/$e-$san" && TMPDIR=$tmp/$e-$san/tmp-$h "$out/fuzz_$h" -runs=0 -timeout=25 \
			-rss_limit_mb=2560 "$seeds") >"$log" 2>&1 || rc=$?
		# libFuzzer reads every file before running them (INFO: seed
		# corpus: files: N) and has run them all at INITED.
		files=$(sed -n 's/.*seed corpus: files: \([0-9]*\).*/\1/p' "$log" | head -1)
		if [ "$rc" -eq 0 ] && { [ "${files:-0}" -ne "$n" ] || ! grep -q 'INITED' "$log"; }; then
			echo "  fuzz_$h read ${files:-?} of $n seeds or did not finish; log: $log"
			rc=1
		fi
	else
		(cd "$seeds" && find . -type f -print0 | sort -z |
			TMPDIR=$tmp/$e-$san/tmp-$h $linebuf xargs -0 "$out/fuzz_$h") >"$log" 2>&1 || rc=$?
		# The driver says, for each file, "Reading N bytes from FILE"
		# (line-buffered, so that the one that crashed is in the log).
		files=$(grep -c '^Reading ' "$log" || true)
		if [ "$rc" -eq 0 ] && [ "$files" -ne "$n" ]; then
			echo "  fuzz_$h ran $files of $n seeds; log: $log"
			rc=1
		fi
	fi
	secs=$(($(date +%s) - start))
	if [ "$rc" -eq 0 ]; then
		pass "$e/$san $h replay ($n seeds, ${secs}s)"
	else
		fail "$e/$san $h replay (exit $rc, ${secs}s); log (--keep keeps it): $log"
		# The input (AFL++'s driver names each before running it) and
		# the error.
		{
			grep '^Reading ' "$log" | tail -1 || true
			grep -m3 -E 'ERROR: |runtime error|invariant' "$log" || tail -10 "$log"
		} | sed 's/^/  /'
	fi
}

run_engine() {
	local e=$1 d=$tmp/$1-$san start secs h
	case $e in
	libfuzzer)
		if ! command -v clang >/dev/null || ! command -v clang++ >/dev/null; then
			for h in "${harnesses[@]}"; do skip "$e/$san $h (no clang)"; done
			return
		fi
		export CC=clang CXX=clang++
		export CFLAGS="$common_flags $san_flags -fsanitize=fuzzer-no-link"
		export LIB_FUZZING_ENGINE=-fsanitize=fuzzer
		;;
	afl)
		local driver=${AFL_DRIVER:-/usr/lib/afl/libAFLDriver.a}
		if ! command -v afl-clang-fast >/dev/null || ! command -v afl-clang-fast++ >/dev/null ||
			[ ! -f "$driver" ]; then
			for h in "${harnesses[@]}"; do skip "$e/$san $h (no afl-clang-fast or $driver)"; done
			return
		fi
		export CC=afl-clang-fast CXX=afl-clang-fast++
		export CFLAGS="$common_flags $san_flags"
		export LIB_FUZZING_ENGINE=$driver
		export AFL_QUIET=1
		;;
	esac
	export CXXFLAGS=$CFLAGS
	export SRC=$d/src WORK=$d/work OUT=$d/out
	export FUZZING_ENGINE=$e SANITIZER=$san ARCHITECTURE=x86_64
	mkdir -p "$SRC" "$WORK" "$OUT"
	ln -s "$top" "$SRC/lib9p"
	if [ "$e" = libfuzzer ]; then
		cp "$top/.clusterfuzzlite/build.sh" "$SRC/build.sh"
	else
		cp "$here/build.sh" "$SRC/build.sh"
	fi
	start=$(date +%s)
	if ! (cd "$SRC/lib9p" && bash -eu "$SRC/build.sh") >"$d/build.log" 2>&1; then
		secs=$(($(date +%s) - start))
		for h in "${harnesses[@]}"; do fail "$e/$san $h: build.sh failed (${secs}s)"; done
		tail -30 "$d/build.log" | sed 's/^/  /'
		return
	fi
	secs=$(($(date +%s) - start))
	echo "$e/$san: build.sh built ${#harnesses[@]} fuzzers in ${secs}s"
	if [ "$e" = libfuzzer ]; then
		export ASAN_OPTIONS=${ASAN_OPTIONS_LIBFUZZER:-abort_on_error=1:detect_leaks=1}
	else
		export ASAN_OPTIONS=${ASAN_OPTIONS_AFL:-abort_on_error=1:detect_leaks=0:symbolize=0}
	fi
	for h in "${harnesses[@]}"; do
		if check_files "$e" "$h" "$OUT"; then
			replay "$e" "$h" "$OUT"
		else
			fail "$e/$san $h replay: not run"
		fi
	done
}

# check_config: the files the two services read, as they expect them.
# (The $ in the patterns are literal.)
# shellcheck disable=SC2016
check_config() {
	local why="" f
	for f in fuzz/oss-fuzz/Dockerfile .clusterfuzzlite/Dockerfile; do
		grep -q '^FROM gcr.io/oss-fuzz-base/base-builder' "$top/$f" ||
			why="$why $f: not FROM base-builder;"
		grep -q '^COPY .*build.sh \$SRC/$' "$top/$f" ||
			why="$why $f: does not COPY build.sh to \$SRC/;"
	done
	grep -q '^COPY \. \$SRC/lib9p$' "$top/.clusterfuzzlite/Dockerfile" ||
		why="$why .clusterfuzzlite/Dockerfile: checkout not at \$SRC/lib9p;"
	grep -q 'lib9p lib9p$' "$top/fuzz/oss-fuzz/Dockerfile" ||
		why="$why fuzz/oss-fuzz/Dockerfile: no clone into lib9p;"
	grep -q '"$SRC/lib9p/fuzz/oss-fuzz/build.sh"' "$top/.clusterfuzzlite/build.sh" ||
		why="$why .clusterfuzzlite/build.sh does not run fuzz/oss-fuzz/build.sh;"
	if command -v python3 >/dev/null && python3 -c 'import yaml' 2>/dev/null; then
		why="$why$(cd "$top" && python3 - <<'PY'
import yaml
why = []
for f in ("fuzz/oss-fuzz/project.yaml", ".clusterfuzzlite/project.yaml"):
    y = yaml.safe_load(open(f))
    if y.get("language") != "c":
        why.append(f + ": language is not c;")
y = yaml.safe_load(open("fuzz/oss-fuzz/project.yaml"))
for k in ("homepage", "main_repo", "primary_contact", "sanitizers", "fuzzing_engines"):
    if k not in y:
        why.append("fuzz/oss-fuzz/project.yaml: no " + k + ";")
w = yaml.safe_load(open(".github/workflows/cflite_pr.yml"))
# YAML 1.1 reads the key "on" as True.
if "pull_request" not in (w.get("on") or w.get(True) or {}):
    why.append("cflite_pr.yml: not on pull_request;")
steps = w["jobs"]["PR"]["steps"]
uses = [s.get("uses", "") for s in steps]
if uses != ["google/clusterfuzzlite/actions/build_fuzzers@v1",
            "google/clusterfuzzlite/actions/run_fuzzers@v1"]:
    why.append("cflite_pr.yml: steps are " + repr(uses) + ";")
elif steps[0]["with"].get("language") != "c" or steps[1]["with"].get("mode") != "code-change":
    why.append("cflite_pr.yml: not language c, mode code-change;")
print(" " + " ".join(why) if why else "", end="")
PY
)"
	fi
	if [ -z "$why" ]; then
		pass "config"
	else
		fail "config:$why"
	fi
}

check_config
for san in $sanitizers; do
	case $san in
	address) san_flags=$address_flags ;;
	undefined) san_flags=$undefined_flags ;;
	esac
	for e in $engines; do
		run_engine "$e"
	done
done

echo "$passed passed, $failed failed, $skipped skipped"
if [ "$failed" -ne 0 ]; then
	exit 1
fi
if [ "$passed" -eq 0 ]; then
	exit 77
fi
