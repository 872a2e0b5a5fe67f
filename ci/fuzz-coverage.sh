#!/usr/bin/env bash
# Source coverage that a harness's corpus reaches: replays corpus/NAME/ and
# corpus/regressions/NAME/ (plus any extra directories given, such as a
# campaign's fuzz-work corpus) through replay_NAME in a gcov build, and
# prints lcov's per-file line coverage of the code the harness targets
# (lib9p/ for every harness, server/ too for the server harness), with an
# HTML report in build-cov/fuzz-NAME-html/.
#
# usage: ci/fuzz-coverage.sh NAME|all [EXTRA_DIR...]
set -euo pipefail

cd "$(dirname "$0")/.."
top=$(pwd)
all_harnesses=(decode text frame dirent client server)
[ $# -ge 1 ] || { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
if [ "$1" = all ]; then
	harnesses=("${all_harnesses[@]}")
else
	harnesses=("$1")
fi
shift
dir=build-cov
# Noise: lcov 1.16's "redefined" warnings, and the objects of the other
# replay programs, which did not run.
lcov() { command lcov "$@" 2> >(grep -v -e 'redefined at' -e 'did not produce any data' >&2); }
if [ ! -d "$dir/meson-private" ]; then
	meson setup "$dir" -Db_coverage=true -Dbuildtype=debug >/dev/null
fi
targets=()
for h in "${harnesses[@]}"; do
	targets+=("fuzz/replay_$h")
done
meson compile -C "$dir" "${targets[@]}" >/dev/null
# Every compiled line at zero, so that files a corpus never reaches show.
lcov --quiet --capture --initial --directory "$dir" --output-file "$dir/fz-base.info"

for h in "${harnesses[@]}"; do
	find "$dir" -name '*.gcda' -delete
	tmp=$(mktemp -d)
	TMPDIR=$tmp "$dir/fuzz/replay_$h" -q "corpus/$h" "corpus/regressions/$h" "$@"
	rm -rf "$tmp"
	lcov --quiet --capture --directory "$dir" --output-file "$dir/fz-run.info"
	lcov --quiet --add-tracefile "$dir/fz-base.info" --add-tracefile "$dir/fz-run.info" \
		--output-file "$dir/fz-all.info"
	pats=("$top/lib9p/*.c")
	[ "$h" = server ] && pats+=("$top/server/*.c")
	lcov --quiet --extract "$dir/fz-all.info" "${pats[@]}" --output-file "$dir/fz-$h.info"
	lcov --quiet --remove "$dir/fz-$h.info" "$top/server/main.c" "$top/lib9p/tests/*" "$top/server/tests/*" \
		--output-file "$dir/fz-$h.info"
	echo "== $h: source lines reached by its corpus"
	lcov --list "$dir/fz-$h.info" | sed -n '/^\[/,$p'
	rm -rf "$dir/fuzz-$h-html"
	genhtml --quiet --title "fuzz_$h corpus" --output-directory "$dir/fuzz-$h-html" \
		"$dir/fz-$h.info"
	rm -f "$dir"/fz-run.info "$dir"/fz-all.info
done
rm -f "$dir/fz-base.info"
