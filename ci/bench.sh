#!/usr/bin/env bash
# Build p9bench optimized (build-bench/, -Dbuildtype=release) and run it.
# Arguments go to p9bench (e.g. --json, --rounds 11).
set -euo pipefail

cd "$(dirname "$0")/.."
dir=build-bench
if [ -d "$dir/meson-private" ]; then
	meson setup --reconfigure "$dir" -Dbuildtype=release >/dev/null
else
	rm -rf "$dir"
	meson setup "$dir" -Dbuildtype=release >/dev/null
fi
meson compile -C "$dir" bench/p9bench >/dev/null
exec "$dir/bench/p9bench" "$@"
