#!/usr/bin/env bash
# Build p9d and serve a directory with it, in the foreground.
#
#   ci/serve.sh [DIR [ADDR [p9d options...]]]
#
# DIR (default ./export, relative to where you run this; created if missing)
# is exported at ADDR (default 127.0.0.1:5640). On a fresh Debian 12 as root
# it first installs what it needs (build tools, cmocka, and diod for its
# diodls/diodcat clients); as another user it expects them to be there.
# The build goes to build-serve/ in the source tree. Stop it with Ctrl-C.
set -euo pipefail

here=$(pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-export}
addr=${2:-127.0.0.1:5640}
shift $(($# > 2 ? 2 : $#))

packages=(meson ninja-build gcc libc6-dev pkg-config libcmocka-dev liburing-dev diod)

if [ "$(id -u)" -eq 0 ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
else
	for t in meson ninja gcc pkg-config; do
		if ! command -v "$t" >/dev/null 2>&1; then
			echo "ci/serve.sh: $t is missing; as root: apt-get install ${packages[*]}" >&2
			exit 1
		fi
	done
fi

cd "$top"
if [ ! -d build-serve/meson-private ]; then
	rm -rf build-serve
	meson setup build-serve >/dev/null
fi
meson compile -C build-serve server/p9d >/dev/null

cd "$here"
mkdir -p -- "$dir"
dir=$(cd -- "$dir" && pwd -P)
echo "ci/serve.sh: exporting $dir; attach with aname \"\" or \"$dir\"" >&2
exec "$top/build-serve/server/p9d" -e "$dir" -l "$addr" "$@"
