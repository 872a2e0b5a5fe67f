#!/bin/sh
# The systemd units meson configures: systemd-analyze verify accepts them
# (p9d.socket, p9d.service, and p9d@.service as the instance of /srv/data),
# with ExecStart pointed at the p9d just built. Skipped (77) without
# systemd-analyze.
#
#   test_units.sh P9D BINDIR p9d.socket p9d.service p9d@.service
set -u

p9d=${1:?usage: test_units.sh P9D BINDIR UNITS...}
bindir=${2:?}
shift 2
if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "# SKIP: no systemd-analyze"
	exit 77
fi
case $p9d in /*) ;; *) p9d=$(pwd)/$p9d ;; esac
tmp=$(mktemp -d /tmp/p9d-units.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP
fails=0
n=0
ok() { n=$((n + 1)); printf 'ok %d - %s\n' "$n" "$1"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); printf 'not ok %d - %s\n' "$n" "$1"; }

for u in "$@"; do
	base=$(basename "$u")
	case $base in p9d@.service) base=p9d@srv-data.service ;; esac
	sed "s#$bindir/p9d #$p9d #" "$u" >"$tmp/$base"
done
for u in p9d.socket p9d.service p9d@srv-data.service; do
	if [ ! -f "$tmp/$u" ]; then
		not_ok "$u: given"
		continue
	fi
	# The ExecStart of the services is the configured bindir's p9d.
	case $u in
	*.service)
		if grep -q "^ExecStart=$p9d " "$tmp/$u"; then ok "$u: ExecStart runs $bindir/p9d"
		else not_ok "$u: ExecStart runs $bindir/p9d"; sed 's/^/#   /' "$tmp/$u"; fi ;;
	esac
done
if grep '^ExecStart=' "$tmp/p9d.service" | grep -q -e ' -l ' -e '--listen' -e '--fd' -e '--stdio'; then
	not_ok "p9d.service gives no listener: it serves p9d.socket's (LISTEN_FDS)"
else
	ok "p9d.service gives no listener: it serves p9d.socket's (LISTEN_FDS)"
fi
if (cd "$tmp" && SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no \
    ./p9d.socket ./p9d.service ./p9d@srv-data.service) >"$tmp/verify.out" 2>&1 &&
    ! grep -q . "$tmp/verify.out"; then
	ok "systemd-analyze verify: no complaint"
else
	not_ok "systemd-analyze verify: no complaint"
	sed 's/^/#   /' "$tmp/verify.out"
fi
[ "$fails" -eq 0 ]
