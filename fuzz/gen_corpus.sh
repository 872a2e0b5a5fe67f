#!/bin/sh
# Regenerate the generated part of corpus/: the seeds of every harness
# (fuzz/gen_seeds.c, from the golden vectors and conformance/traces, named
# by the sha256 of their content) and the 9p
# dictionary (fuzz/gen_dict.c -> corpus/9p.dict). Seeds already there stay
# (campaigns add to the corpus too); nothing is deleted.
#
# usage: fuzz/gen_corpus.sh [BUILDDIR]          (default: build)
#        fuzz/gen_corpus.sh --check GEN_SEEDS CORPUS TRACES   (meson test:
#        every generated seed is in the corpus)
set -eu

# generate GEN_SEEDS TRACES: the seeds into $tmp/out/, and "SUM HARNESS/LABEL"
# for each (one sha256sum for all) into $tmp/sums.
generate() {
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	mkdir "$tmp/out"
	"$1" "$tmp/out" "$2" >/dev/null
	(cd "$tmp/out" && sha256sum -- */*) >"$tmp/sums"
}

if [ "${1:-}" = "--check" ]; then
	corpus=$3
	generate "$2" "$4"
	missing=0
	n=0
	while read -r sum f; do
		n=$((n + 1))
		h=${f%%/*}
		if [ ! -f "$corpus/$h/$sum" ]; then
			echo "missing seed: corpus/$h/$sum (${f#*/}): run fuzz/gen_corpus.sh" >&2
			missing=1
		fi
	done <"$tmp/sums"
	[ $missing -eq 0 ] && echo "every generated seed ($n) is in $corpus"
	exit $missing
fi

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
meson compile -C "$build" fuzz/gen_seeds fuzz/gen_dict >/dev/null
generate "$build/fuzz/gen_seeds" "$top/conformance/traces"
n=0
while read -r sum f; do
	h=${f%%/*}
	mkdir -p "$top/corpus/$h" "$top/corpus/regressions/$h"
	if [ ! -f "$top/corpus/$h/$sum" ]; then
		cp "$tmp/out/$f" "$top/corpus/$h/$sum"
		n=$((n + 1))
	fi
done <"$tmp/sums"
"$build/fuzz/gen_dict" >"$top/corpus/9p.dict"
echo "gen_corpus.sh: $n new seeds; corpus/9p.dict rewritten"
