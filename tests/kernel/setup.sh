#!/bin/sh
# tests/kernel/setup.sh: fetch what the kernel-client test (run.sh) needs.
#
# As root it installs qemu-system-x86 with apt-get if qemu-system-x86_64 is
# missing. As anyone it downloads (apt-get download, no installation) the
# kernel that linux-image-amd64 depends on and busybox-static, unpacks them
# with dpkg -x and keeps only what the test uses in the cache folder:
#
#   $KT_CACHE (default /var/cache/lib9p-kernel as root,
#              ${XDG_CACHE_HOME:-$HOME/.cache}/lib9p-kernel otherwise)
#     vmlinuz             the kernel
#     modules/*.ko        netfs fscache 9pnet 9pnet_fd 9p virtio_net
#                         virtio_pci and their dependencies
#     modules.order       the order to insmod them in (dependencies first)
#     busybox             busybox-static
#     VERSION             the kernel and busybox packages
#
# Nothing goes into /boot. Re-running is cheap once the cache matches the
# current linux-image-amd64.
set -eu

cache_default() {
	if [ "$(id -u)" -eq 0 ]; then
		echo /var/cache/lib9p-kernel
	else
		echo "${XDG_CACHE_HOME:-$HOME/.cache}/lib9p-kernel"
	fi
}
cache=${KT_CACHE:-$(cache_default)}
want_modules="netfs fscache 9pnet 9pnet_fd 9p virtio_pci virtio_net"

apt_quiet() {
	DEBIAN_FRONTEND=noninteractive apt-get -q "$@"
}

if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup.sh: qemu-system-x86_64 missing; as root: apt-get install qemu-system-x86" >&2
		exit 1
	fi
	apt_quiet install -y --no-install-recommends qemu-system-x86 ||
		{ apt_quiet update && apt_quiet install -y --no-install-recommends qemu-system-x86; }
fi

# The kernel package linux-image-amd64 currently points at.
kpkg=$(apt-cache show --no-all-versions linux-image-amd64 2>/dev/null |
	sed -n 's/^Depends: \(linux-image-[0-9][^ ,]*\).*/\1/p' | head -n 1)
if [ -z "$kpkg" ] && [ "$(id -u)" -eq 0 ]; then
	apt_quiet update
	kpkg=$(apt-cache show --no-all-versions linux-image-amd64 |
		sed -n 's/^Depends: \(linux-image-[0-9][^ ,]*\).*/\1/p' | head -n 1)
fi
if [ -z "$kpkg" ]; then
	echo "setup.sh: apt-cache knows no linux-image-amd64 (run apt-get update as root)" >&2
	exit 1
fi
kver=$(apt-cache show --no-all-versions "$kpkg" | sed -n 's/^Version: //p' | head -n 1)
bver=$(apt-cache show --no-all-versions busybox-static | sed -n 's/^Version: //p' | head -n 1)
stamp="$kpkg $kver busybox-static $bver"

if [ -f "$cache/VERSION" ] && [ "$(cat "$cache/VERSION")" = "$stamp" ] &&
    [ -f "$cache/vmlinuz" ] && [ -x "$cache/busybox" ] && [ -f "$cache/modules.order" ]; then
	echo "setup.sh: $cache is up to date ($stamp)"
	exit 0
fi

mkdir -p "$cache"
work=$(mktemp -d "$cache/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get -q download "$kpkg" busybox-static)
dpkg -x "$work"/"$kpkg"_*.deb "$work/k"
dpkg -x "$work"/busybox-static_*.deb "$work/b"
rm -f "$work"/*.deb

# Resolve module dependencies from each .ko's modinfo "depends=" (no kmod
# needed); print them dependencies first.
moddir=$(echo "$work"/k/lib/modules/*)
find "$moddir/kernel" -name '*.ko' >"$work/all"
resolved=""
# modpath NAME: the .ko of NAME (also spelled with '-'); empty if built in.
modpath() {
	grep -e "/$1\.ko\$" -e "/$(echo "$1" | tr _ -)\.ko\$" "$work/all" | head -n 1
}
# resolve NAME: NAME's dependencies, then NAME (sh has no locals: recompute
# after recursing).
resolve() {
	case " $resolved " in *" $1 "*) return 0 ;; esac
	[ -n "$(modpath "$1")" ] || return 0
	for d in $(tr '\0' '\n' <"$(modpath "$1")" | sed -n 's/^depends=//p' | head -n 1 | tr , ' '); do
		resolve "$d"
	done
	case " $resolved " in *" $1 "*) return 0 ;; esac
	resolved="$resolved $1"
	cp "$(modpath "$1")" "$work/mods/$1.ko"
}
mkdir -p "$work/mods"
for m in $want_modules; do
	resolve "$m"
done
for m in $want_modules; do
	[ -f "$work/mods/$m.ko" ] || { echo "setup.sh: module $m not found in $kpkg" >&2; exit 1; }
done

rm -rf "$cache/modules" "$cache/vmlinuz" "$cache/busybox" "$cache/modules.order"
mv "$work/mods" "$cache/modules"
echo $resolved | tr ' ' '\n' >"$cache/modules.order"
cp "$work"/k/boot/vmlinuz-* "$cache/vmlinuz"
cp "$work/b/bin/busybox" "$cache/busybox"
echo "$stamp" >"$cache/VERSION"
echo "setup.sh: $cache ready ($stamp; modules:$resolved)"
