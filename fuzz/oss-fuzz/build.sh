#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build script for lib9p (fuzz/README.md,
# "OSS-Fuzz and ClusterFuzzLite").
#
# Runs in the builder image with the contract's variables set:
#   $SRC/lib9p          the checkout (or LIB9P_SRC, for a local run)
#   $WORK               scratch space (objects go to $WORK/lib9p-obj)
#   $OUT                where every fuzzer and its files go
#   $CC, $CXX, $CFLAGS, $CXXFLAGS   compiler and sanitizer/coverage flags
#   $LIB_FUZZING_ENGINE  -fsanitize=fuzzer (libFuzzer) or an archive
#                        (AFL++'s libAFLDriver.a, honggfuzz, centipede)
# It needs only the compiler, zip and the sources: no meson. For each
# fuzz/fuzz_NAME.c it writes
#   $OUT/fuzz_NAME                   the fuzzer
#   $OUT/fuzz_NAME_seed_corpus.zip   corpus/NAME/ and corpus/regressions/NAME/
#   $OUT/fuzz_NAME.dict              corpus/9p.dict
#   $OUT/fuzz_NAME.options           [libfuzzer] dict = fuzz_NAME.dict
# Sources are listed here and in lib9p/, server/ and fuzz/meson.build:
# a new source file there must be added to this script too (the local test,
# fuzz/oss-fuzz/test.sh, fails to link otherwise).

set -eu

top=${LIB9P_SRC:-$SRC/lib9p}
obj=$WORK/lib9p-obj
rm -rf "$obj"
mkdir -p "$obj" "$OUT"

lib9p_srcs="client.c codec.c errors.c frame.c text.c"
# server/meson.build's lib9plsrv (the engine and the POSIX backend) and
# lib9p/p9pcap.c (the engine's record).
server_srcs="conn.c engine.c fid.c loop.c pool.c posix/attr.c posix/fs.c posix/io.c
posix/lock.c posix/ns.c posix/xattr.c"
harnesses="decode text frame dirent client server memfs"

# CFLAGS may hold several words: split on purpose.
# shellcheck disable=SC2086
compile() {
	$CC $CFLAGS -std=c17 -D_GNU_SOURCE -I"$top/fuzz" -I"$top/server" \
		-I"$top/server/posix" -I"$top/examples/memfs" -I"$top/lib9p" -c "$1" -o "$2"
}

lib_objs=""
for s in $lib9p_srcs; do
	compile "$top/lib9p/$s" "$obj/lib9p_${s%.c}.o"
	lib_objs="$lib_objs $obj/lib9p_${s%.c}.o"
done
server_objs="$obj/p9pcap.o"
compile "$top/lib9p/p9pcap.c" "$obj/p9pcap.o"
for s in $server_srcs; do
	o=$obj/server_$(echo "${s%.c}" | tr / _).o
	compile "$top/server/$s" "$o"
	server_objs="$server_objs $o"
done

# fuzz_memfs: the server harness's sessions against examples/memfs.
compile "$top/examples/memfs/memfs.c" "$obj/memfs.o"

for h in $harnesses; do
	compile "$top/fuzz/fuzz_$h.c" "$obj/fuzz_$h.o"
	extra=""
	if [ "$h" = server ]; then
		extra="$server_objs -lpthread"
	elif [ "$h" = memfs ]; then
		extra="$obj/memfs.o $server_objs -lpthread"
	fi
	# Link with the C++ driver (libFuzzer and libAFLDriver.a are C++),
	# as OSS-Fuzz projects do.
	# shellcheck disable=SC2086
	$CXX $CXXFLAGS "$obj/fuzz_$h.o" $extra $lib_objs $LIB_FUZZING_ENGINE \
		-o "$OUT/fuzz_$h"

	rm -f "$OUT/fuzz_${h}_seed_corpus.zip"
	(
		cd "$top/corpus"
		seeds=$h
		[ "$h" = memfs ] && seeds=server	# the same sessions
		dirs="$seeds"
		for d in "regressions/$seeds" "regressions/$h"; do
			if [ -d "$d" ] && ! echo " $dirs " | grep -q " $d "; then
				dirs="$dirs $d"
			fi
		done
		# Files only, flattened (-j): names are sha256 sums, so the same
		# name is the same input (a regression that is also a seed: kept
		# once); not the .keep files that hold empty directories in git.
		# shellcheck disable=SC2086
		find $dirs -type f ! -name '.*' -print | awk -F/ '!seen[$NF]++' |
			zip -q -j -@ "$OUT/fuzz_${h}_seed_corpus.zip"
	)
	cp "$top/corpus/9p.dict" "$OUT/fuzz_$h.dict"
	printf '[libfuzzer]\ndict = fuzz_%s.dict\n' "$h" >"$OUT/fuzz_$h.options"
done
