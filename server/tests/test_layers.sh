#!/bin/sh
# The server's layers (server/README.md): the engine (protocol side) makes
# no file-system call and includes no file-system header; the POSIX backend
# sees the engine only through p9srv.h; the one /proc/self/fd path is made
# in server/posix/fs.c; p9d's main.c uses the public headers only.
# Usage: test_layers.sh SERVER_DIR
set -u
dir=${1:?usage: test_layers.sh SERVER_DIR}
cd "$dir" || exit 2
pass=0
fail=0
check() {	# check WHAT STATUS [DETAIL]
	if [ "$2" -eq 0 ]; then
		pass=$((pass + 1)); echo "ok - $1"
	else
		fail=$((fail + 1)); echo "not ok - $1"; [ -z "${3:-}" ] || printf '%s\n' "$3" | sed 's/^/#   /'
	fi
}

engine="conn.c engine.c fid.c loop.c pool.c conn.h srv.h p9srv.h"
backend=$(ls posix/*.c posix/*.h)

# Headers of the host file system, and the calls that reach it.
fsheaders='^#include <(dirent|ftw|sys/stat|sys/xattr|sys/statfs|sys/statvfs|sys/vfs|sys/file|sys/sysmacros|linux/fs)\.h>'
fscalls='\<(open|openat|openat2|creat|fstat|fstatat|statx|lstat|stat|mkdirat|mknodat|unlinkat|renameat2?|linkat|symlinkat|readlinkat|fchmod|fchmodat|fchown|fchownat|ftruncate|utimensat|futimens|[lf]?(get|set|list|remove)xattr|fdopendir|readdir|fsync|fdatasync|fstatfs|opendir)\('
# shellcheck disable=SC2086
hits=$(grep -nE "$fsheaders" $engine)
check "the engine includes no file-system header" "$([ -z "$hits" ]; echo $?)" "$hits"
# shellcheck disable=SC2086
hits=$(grep -nE "$fscalls" $engine | grep -vE '^[^:]+:[0-9]+:\s*(/?\*|//)')
check "the engine makes no file-system call" "$([ -z "$hits" ]; echo $?)" "$hits"
# shellcheck disable=SC2086
hits=$(grep -nE '#include "(posix/)?(posix|p9srv_posix)\.h"' $engine)
check "the engine does not include the backend" "$([ -z "$hits" ]; echo $?)" "$hits"
# shellcheck disable=SC2086
hits=$(grep -nE '#include "(conn|srv)\.h"' $backend)
check "the backend sees the engine through p9srv.h only" "$([ -z "$hits" ]; echo $?)" "$hits"
hits=$(grep -rn '"/proc/self/fd' --include='*.c' . | grep -v '^\./tests/' | grep -v '^\./posix/fs\.c:')
check "/proc/self/fd paths are made in posix/fs.c only" "$([ -z "$hits" ]; echo $?)" "$hits"
n=$(grep -c '"/proc/self/fd' posix/fs.c)
check "posix/fs.c makes them in one place ($n)" "$([ "$n" -eq 1 ]; echo $?)"
hits=$(grep -nE '#include "' main.c ../fuzz/fuzz_server.c |
	grep -vE '"(p9srv|p9srv_posix|p9|p9_client|p9_clock|fill|fuzz|server_names|memfs)\.h"')
check "p9d and the server fuzz harness use the public headers" "$([ -z "$hits" ]; echo $?)" "$hits"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
