#!/usr/bin/env bash
# The project's test command. On a fresh Debian 12 as root it installs what it
# needs; as another user it expects the tools to be there. Then it builds and
# tests with gcc, with gcc + ASan/UBSan and with clang, builds
# buildtype=release with gcc and with clang (the library's tests only), runs
# the server's tests under ThreadSanitizer, runs every fuzz harness for a few
# seconds, installs into a scratch DESTDIR and links a small program against
# the installed copy. Every build is configured with -Dwerror=true (the
# project's default is off, so that a warning never stops a user's build).
# diod provides diodls/diodcat, the independent client of
# server/tests/test_tools.sh (skipped without it).
# tshark decodes the captures of p9dump --pcap, p9conform --pcap-dir and
# p9d --record in tools/tests/test_pcap.sh (skipped without it); its
# debconf question (may non-root users capture?) takes the default here.
set -euo pipefail

cd "$(dirname "$0")/.."
top=$(pwd)

# libclang-rt-14-dev holds clang's sanitizer and libFuzzer runtimes: clang
# only recommends it, and --no-install-recommends would leave it out.
# systemd: systemd-socket-activate and systemd-analyze for the server's
# socket-activation and unit tests (skipped without them).
# liburing-dev: the server engine's io_uring loop (p9d --io uring); the
# clang build runs every test on it (P9SRV_IO=uring), the others on epoll.
packages=(meson ninja-build gcc clang libclang-rt-14-dev libc6-dev libcmocka-dev liburing-dev pkg-config lcov diod tshark systemd)
tools=(meson ninja gcc clang pkg-config lcov)

step_names=()
step_times=()
current=""
start_all=$(date +%s)

step() {
	current=$1
	printf '\n==== %s\n' "$current"
	step_start=$(date +%s)
}

step_done() {
	step_names+=("$current")
	step_times+=($(($(date +%s) - step_start)))
}

cleanup=""
on_exit() {
	local rc=$? i
	[ -z "$cleanup" ] || rm -rf "$cleanup"
	printf '\n==== summary\n'
	for i in "${!step_names[@]}"; do
		printf 'ok    %-46s %4ss\n' "${step_names[$i]}" "${step_times[$i]}"
	done
	if [ "$rc" -ne 0 ]; then
		printf 'FAIL  %s\n' "$current"
		printf 'ci/test.sh: FAILED (exit %d) after %ss\n' "$rc" $(($(date +%s) - start_all))
	else
		printf 'ci/test.sh: all passed in %ss\n' $(($(date +%s) - start_all))
	fi
}
trap on_exit EXIT

# setup DIR [meson options...]: configure DIR from scratch, even on a rerun,
# with -Dwerror=true: in CI a warning fails the build.
setup() {
	local dir=$1
	shift
	if [ -d "$dir/meson-private" ]; then
		meson setup --wipe "$dir" -Dwerror=true "$@"
	else
		rm -rf "$dir"
		meson setup "$dir" -Dwerror=true "$@"
	fi
}

missing_tools() {
	local t
	for t in "${tools[@]}"; do
		command -v "$t" >/dev/null 2>&1 || printf '%s ' "$t"
	done
	[ -f /usr/include/cmocka.h ] || printf 'libcmocka-dev '
	[ -f /usr/include/liburing.h ] || printf 'liburing-dev '
}

step "install build dependencies"
if [ "$(id -u)" -eq 0 ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update
	apt-get install -y --no-install-recommends "${packages[@]}"
else
	missing=$(missing_tools)
	if [ -n "$missing" ]; then
		echo "ci/test.sh: missing: $missing- run as root to install: ${packages[*]}" >&2
		exit 1
	fi
	echo "not root and every tool is present: skipping apt-get"
fi
step_done

# The kernel-client test (suite 'kernel', tests/kernel/) boots Debian's
# kernel under qemu: setup.sh installs qemu-system-x86 (as root) and caches
# the kernel, its 9p modules and busybox-static outside the tree. Without
# them the test skips.
step "kernel-client test prerequisites (tests/kernel/setup.sh)"
if [ "$(id -u)" -eq 0 ]; then
	tests/kernel/setup.sh
else
	tests/kernel/setup.sh || echo "tests/kernel/setup.sh failed: the kernel test will skip"
fi
step_done

step "gcc build + tests (build-ci)"
CC=gcc setup build-ci
meson compile -C build-ci
meson test -C build-ci --print-errorlogs
# The kernel-client test is registered for this build only (kt links
# statically): once more with p9d on io_uring.
P9SRV_IO=uring meson test -C build-ci --suite kernel --print-errorlogs
step_done

step "gcc ASan+UBSan build + tests (build-ci-asan)"
CC=gcc setup build-ci-asan -Db_sanitize=address,undefined -Db_lundef=false
meson compile -C build-ci-asan
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
	meson test -C build-ci-asan --print-errorlogs
step_done

step "clang build + tests on io_uring (build-ci-clang)"
# Every server this build's tests start (p9d, the in-process engines, the
# fuzz replays) runs its loops on io_uring: P9SRV_IO=uring. -Dio_uring=enabled:
# without liburing the build fails rather than testing epoll twice.
CC=clang setup build-ci-clang -Dio_uring=enabled
meson compile -C build-ci-clang
P9SRV_IO=uring meson test -C build-ci-clang --print-errorlogs
step_done

step "release builds, gcc and clang (build-ci-release, build-ci-clang-release)"
# meson's release buildtype: -O3. The optimiser's deeper analysis finds
# warnings (-Wmaybe-uninitialized) that -O2 does not. Compile everything; of
# the tests, only the library's (they take a second).
CC=gcc setup build-ci-release -Dbuildtype=release
meson compile -C build-ci-release
meson test -C build-ci-release --suite lib9p:lib9p --print-errorlogs
CC=clang setup build-ci-clang-release -Dbuildtype=release
meson compile -C build-ci-clang-release
meson test -C build-ci-clang-release --suite lib9p:lib9p --print-errorlogs
step_done

step "gcc TSan build + server tests (build-ci-tsan)"
CC=gcc setup build-ci-tsan -Db_sanitize=thread -Db_lundef=false
meson compile -C build-ci-tsan
# halt_on_error: a race report kills p9d (or the test), so the test fails.
# No suppressions: every report so far would be ours.
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
	meson test -C build-ci-tsan --suite server --print-errorlogs
# The engine's own tests again on io_uring (its loop threads and workers).
P9SRV_IO=uring TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
	meson test -C build-ci-tsan engine session flush leak io --print-errorlogs
step_done

step "fuzz smoke: every harness, libFuzzer, a few seconds each (build-ci-fuzz)"
# ci/fuzz.sh builds fuzz/ with clang -fsanitize=fuzzer,address,undefined;
# any finding is minimised into corpus/regressions/ and fails the step.
rm -rf build-ci-fuzz
ci/fuzz.sh --engine libfuzzer --harness all --seconds "${FUZZ_SMOKE_SECONDS:-5}" --builddir build-ci-fuzz
step_done

step "install into DESTDIR and link against it"
dest=$(mktemp -d)
cleanup=$dest
DESTDIR=$dest meson install -C build-ci --no-rebuild --quiet
prefix=$(meson introspect build-ci --buildoptions |
	python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))')
libdir=$(meson introspect build-ci --buildoptions |
	python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "libdir"))')
mandir=$(meson introspect build-ci --buildoptions |
	python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "mandir"))')
case $libdir in /*) ;; *) libdir=$prefix/$libdir ;; esac
case $mandir in /*) ;; *) mandir=$prefix/$mandir ;; esac
for f in "$prefix/include/9pl/p9.h" "$prefix/include/9pl/p9_client.h" "$prefix/include/9pl/p9_msgs.def" \
    "$libdir/lib9pl.so" "$libdir/lib9pl.a" "$libdir/pkgconfig/9pl.pc" "$prefix/bin/p9dump"; do
	if [ ! -e "$dest$f" ]; then
		echo "not installed: $f" >&2
		exit 1
	fi
	echo "installed: $f"
done
# p9dump and p9load are installed; p9bench and canned9p are not.
for f in p9bench canned9p; do
	if [ -e "$dest$prefix/bin/$f" ]; then
		echo "$f must not be installed" >&2
		exit 1
	fi
done
cat >"$dest/use9pl.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <p9.h>
#include <p9_client.h>

int
main(void)
{
	static const unsigned char tclunk[] = { 11, 0, 0, 0, 120, 2, 0, 1, 0, 0, 0 };
	struct p9_creq slots[2];
	struct p9_client c;
	struct p9_msg m;
	char line[128];
	unsigned char out[64];

	/* The client encodes the same frame (lowest free tag is 0, so tag 0). */
	p9_client_init(&c, slots, 2, 8192);
	m = (struct p9_msg){ .type = P9_TCLUNK };
	m.tclunk.fid = 1;
	if (p9_client_request(&c, &m, NULL, out, sizeof(out)) != 11 || out[5] != 0)
		return 1;

	if (p9_msg_decode(tclunk, sizeof(tclunk), &m) != 0 || m.type != P9_TCLUNK ||
	    m.tclunk.fid != 1)
		return 1;
	if (p9_msg_print(&m, line, sizeof(line)) < 0)
		return 1;
	printf("%s\n", line);
	return strcmp(p9_type_name(m.type), "Tclunk") != 0;
}
C
export PKG_CONFIG_PATH=$dest$libdir/pkgconfig
export PKG_CONFIG_SYSROOT_DIR=$dest
flags=$(pkg-config --cflags --libs 9pl)
echo "pkg-config --cflags --libs 9pl: $flags"
# shellcheck disable=SC2086
cc -std=c17 -Wall -Wextra -Wpedantic -Werror -o "$dest/use9pl" "$dest/use9pl.c" $flags
LD_LIBRARY_PATH=$dest$libdir "$dest/use9pl"
# shellcheck disable=SC2086
cc -std=c17 -Wall -Wextra -Wpedantic -Werror -o "$dest/use9pl-static" "$dest/use9pl.c" \
	$(pkg-config --cflags 9pl) "$dest$libdir/lib9pl.a"
"$dest/use9pl-static"
LD_LIBRARY_PATH=$dest$libdir "$dest$prefix/bin/p9dump" --help >/dev/null
# The server engine: headers, libraries, pkg-config module; only its API
# is exported; the README's examples build against the installed copy and
# hellofs serves p9cat.
for f in "$prefix/include/9pl/p9srv.h" "$prefix/include/9pl/p9srv_posix.h" \
    "$libdir/lib9plsrv.so" "$libdir/lib9plsrv.a" "$libdir/pkgconfig/9plsrv.pc"; do
	if [ ! -e "$dest$f" ]; then
		echo "not installed: $f" >&2
		exit 1
	fi
	echo "installed: $f"
done
stray=$(nm -D --defined-only "$dest$libdir/lib9plsrv.so" | awk '{ print $3 }' |
	grep -vE '^(p9srv_|posix_)' || true)
if [ -n "$stray" ]; then
	echo "lib9plsrv.so exports more than its API:" $stray >&2
	exit 1
fi
srvflags=$(pkg-config --cflags --libs 9plsrv)
echo "pkg-config --cflags --libs 9plsrv: $srvflags"
# shellcheck disable=SC2086
cc -std=c17 -Wall -Wextra -Wpedantic -Werror -o "$dest/hellofs" examples/hellofs.c $srvflags
# The archive needs what 9plsrv.pc names as private (liburing, when the
# engine was built with io_uring).
srvpriv=$(pkg-config --print-requires-private 9plsrv | awk '{ print $1 }')
echo "9plsrv's private requirements: ${srvpriv:-none}"
# shellcheck disable=SC2086
cc -std=c17 -Wall -Wextra -Wpedantic -Werror -o "$dest/hellofs-static" examples/hellofs.c \
	$(pkg-config --cflags 9plsrv) "$dest$libdir/lib9plsrv.a" "$dest$libdir/lib9pl.a" \
	${srvpriv:+$(pkg-config --libs $srvpriv)} -pthread
# shellcheck disable=SC2086
cc -std=c17 -Wall -Wextra -Wpedantic -Werror -o "$dest/p9cat" examples/p9cat.c $flags
LD_LIBRARY_PATH=$dest$libdir sh examples/test_hellofs.sh "$dest/hellofs" "$dest/p9cat"
LD_LIBRARY_PATH=$dest$libdir sh examples/test_hellofs.sh "$dest/hellofs-static" "$dest/p9cat"
for f in "$prefix/bin/p9d" "$mandir/man8/p9d.8" "$mandir/man1/p9dump.1" "$mandir/man1/p9conform.1" \
    "$prefix/bin/p9load" "$mandir/man1/p9load.1" \
    "$prefix/lib/systemd/system/p9d.socket" "$prefix/lib/systemd/system/p9d.service" \
    "$prefix/lib/systemd/system/p9d@.service"; do
	if [ ! -e "$dest$f" ]; then
		echo "not installed: $f" >&2
		exit 1
	fi
	echo "installed: $f"
done
LD_LIBRARY_PATH=$dest$libdir "$dest$prefix/bin/p9d" --help >/dev/null
step_done
