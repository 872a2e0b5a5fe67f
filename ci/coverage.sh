#!/usr/bin/env bash
# Line and branch coverage of lib9p by its own test suite, and of the server
# (server/*.c: the engine, the POSIX backend, p9d) by the server's suite, as
# one lcov HTML report in build-cov/coverage-html/ with a summary for each.
# With --check, fail when lib9p is below 95% of lines or 85% of branches
# (the server's figures are reported, not checked).
set -euo pipefail

cd "$(dirname "$0")/.."
top=$(pwd)
check=0
case "${1:-}" in
--check) check=1 ;;
"") ;;
*) echo "usage: ci/coverage.sh [--check]" >&2; exit 2 ;;
esac

dir=build-cov
rc=(--rc lcov_branch_coverage=1)

# lcov 1.16's geninfo on Debian 12 warns "Subroutine ... redefined": noise.
lcov() { command lcov "$@" 2> >(grep -v 'redefined at' >&2); }
if [ -d "$dir/meson-private" ]; then
	meson setup --wipe "$dir" -Db_coverage=true -Dbuildtype=debug
else
	rm -rf "$dir"
	meson setup "$dir" -Db_coverage=true -Dbuildtype=debug
fi
meson compile -C "$dir"
find "$dir" -name '*.gcda' -delete
# "lib9p:lib9p": a bare "lib9p" would also match the project name, i.e. every test.
meson test -C "$dir" --suite lib9p:lib9p --suite lib9p:server --print-errorlogs

# The --initial baseline lists every compiled line at zero, so a file that no
# test reaches shows up as uncovered instead of missing from the report.
lcov --quiet "${rc[@]}" --capture --initial --directory "$dir" --output-file "$dir/base.info"
lcov --quiet "${rc[@]}" --capture --directory "$dir" --output-file "$dir/run.info"
lcov --quiet "${rc[@]}" --add-tracefile "$dir/base.info" --add-tracefile "$dir/run.info" \
	--output-file "$dir/all.info"
lcov --quiet "${rc[@]}" --extract "$dir/all.info" "$top/lib9p/*.c" "$top/lib9p/*.h" \
	--output-file "$dir/lib9p.info"
lcov --quiet "${rc[@]}" --remove "$dir/lib9p.info" "$top/lib9p/tests/*" \
	--output-file "$dir/lib9p.info"
lcov --quiet "${rc[@]}" --extract "$dir/all.info" "$top/server/*.c" \
	--output-file "$dir/server.info"
lcov --quiet "${rc[@]}" --remove "$dir/server.info" "$top/server/tests/*" \
	--output-file "$dir/server.info"
lcov --quiet "${rc[@]}" --add-tracefile "$dir/lib9p.info" --add-tracefile "$dir/server.info" \
	--output-file "$dir/project.info"
rm -rf "$dir/coverage-html"
genhtml --quiet "${rc[@]}" --branch-coverage --title "lib9p and p9d" \
	--output-directory "$dir/coverage-html" "$dir/project.info"

echo "== server/ (engine, POSIX backend, p9d) by the server's tests"
lcov "${rc[@]}" --summary "$dir/server.info" 2>&1
echo "== lib9p/ by its own tests"
summary=$(lcov "${rc[@]}" --summary "$dir/lib9p.info" 2>&1)
echo "$summary"
echo "HTML report (both): $dir/coverage-html/index.html"

# "  lines......: 97.1% (…)" -> 97.1
pct() { echo "$summary" | sed -n "s/^ *$1\.*: *\([0-9.]*\)%.*/\1/p"; }
lines=$(pct lines)
branches=$(pct branches)
if [ "$check" -eq 1 ]; then
	if awk -v l="${lines:-0}" -v b="${branches:-0}" 'BEGIN { exit !(l >= 95 && b >= 85) }'; then
		echo "coverage check passed: lines $lines% >= 95%, branches $branches% >= 85%"
	else
		echo "coverage check FAILED: lines ${lines:-?}% (want >= 95%), branches ${branches:-?}% (want >= 85%)" >&2
		exit 1
	fi
fi
