#!/bin/sh
# The README shows examples/p9cat.c and examples/hellofs.c whole: check
# that what it shows is what the tests build and run.
#
#   test_readme.sh SOURCE_ROOT
set -u
top=${1:?usage: test_readme.sh SOURCE_ROOT}
passes=0
fails=0
tmp=$(mktemp -d /tmp/readme-test.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
for f in p9cat.c hellofs.c; do
	first=$(head -n 1 "$top/examples/$f")
	# The fenced block whose first line is the file's first line.
	awk -v first="$first" '
		inblock && /^```$/ { inblock = 0; done = 1 }
		inblock { print }
		!done && prev == "```c" && $0 == first { inblock = 1; print }
		{ prev = $0 }
	' "$top/README.md" >"$tmp/$f"
	if cmp -s "$tmp/$f" "$top/examples/$f"; then
		passes=$((passes + 1)); echo "ok - README.md shows examples/$f as it is"
	else
		fails=$((fails + 1)); echo "not ok - README.md shows examples/$f as it is"
		diff "$top/examples/$f" "$tmp/$f" | head -20 | sed 's/^/#   /'
	fi
done
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
