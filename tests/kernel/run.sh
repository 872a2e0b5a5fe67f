#!/usr/bin/env bash
# tests/kernel/run.sh P9D KT FWD: the Linux kernel's 9p client (v9fs) against
# p9d. Boots Debian's kernel under qemu (TCG, 1 vCPU) with an initramfs of
# busybox, the 9p modules and kt (kt.c), mounts p9d over TCP through qemu's
# user network (guestfwd runs FWD, which connects only to p9d on
# 127.0.0.1), and runs kt's workload once per cache mode x msize, each
# followed by a remount check. Results come back on the serial console as
# "STEP cache-msize/name ok|skip|FAIL errno=N ...".
#
# Needs the cache that setup.sh fills (and qemu-system-x86_64). Without it:
# as root with CI=true it runs setup.sh; otherwise it skips (exit 77).
#
# Environment:
#   KT_CACHE     cache folder (default as in setup.sh)
#   KT_CONFIGS   "cache:msize ..." (default: none and mmap, each with 8192
#                and 1048576, and loose with 1048576: loose writes back one
#                page per Twrite whatever the msize, so a second loose run
#                would only add time)
#   KT_TIMEOUT   seconds for the whole guest run (default 600)
#   KT_STEP_TIMEOUT  seconds before kt gives up on one step (default 120)
#   KT_SERVER    p9d (default) or diod: run the same workload against diod
#                (diod -f -n -e EXPORT -l 127.0.0.1:PORT), for RESULTS.md
#   KT_LOGDIR    where to keep the console log and p9d's -d trace on failure
#                (default: the current directory)
#   KT_KEEP=1    keep the temporary folder
#   KT_RESULTS   write every STEP line to this file (table.sh makes the
#                table of RESULTS.md from it)
set -uo pipefail

if [ $# -ne 3 ]; then
	echo "usage: run.sh P9D KT FWD" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
p9d=$(realpath "$1")
kt=$(realpath "$2")
fwd=$(realpath "$3")
server=${KT_SERVER:-p9d}
configs=${KT_CONFIGS:-"none:8192 none:1048576 mmap:8192 mmap:1048576 loose:1048576"}
limit=${KT_TIMEOUT:-600}
logdir=${KT_LOGDIR:-$(pwd)}
if [ "$(id -u)" -eq 0 ]; then
	cache=${KT_CACHE:-/var/cache/lib9p-kernel}
else
	cache=${KT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lib9p-kernel}
fi
start=$(date +%s)

ready() {
	command -v qemu-system-x86_64 >/dev/null 2>&1 && [ -f "$cache/vmlinuz" ] &&
		[ -x "$cache/busybox" ] && [ -f "$cache/modules.order" ]
}
if ! ready; then
	if [ "$(id -u)" -eq 0 ] && [ "${CI:-}" = true ]; then
		"$here/setup.sh" || { echo "run.sh: setup.sh failed"; exit 1; }
	else
		echo "SKIP: the kernel-client test needs qemu-system-x86_64 and $cache" \
			"(kernel, modules, busybox): run tests/kernel/setup.sh (as root to install qemu)"
		exit 77
	fi
fi
if [ "$server" = diod ] && ! command -v diod >/dev/null 2>&1; then
	echo "SKIP: KT_SERVER=diod but diod is not installed"
	exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kt.XXXXXX")
chmod 755 "$tmp" # the mount's first attach may be as "nobody" (diod checks)
srv_pid=""
qemu_pid=""
failed=0
cleanup() {
	[ -z "$qemu_pid" ] || kill "$qemu_pid" 2>/dev/null
	[ -z "$srv_pid" ] || kill "$srv_pid" 2>/dev/null
	[ -z "$qemu_pid" ] || wait "$qemu_pid" 2>/dev/null
	[ -z "$srv_pid" ] || wait "$srv_pid" 2>/dev/null
	if [ "${KT_KEEP:-0}" = 1 ]; then
		echo "run.sh: kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

export_dir=$tmp/export
mkdir -p "$export_dir" "$tmp/root"
chmod 755 "$export_dir"

# ---- the server, on loopback only ----
if [ "$server" = p9d ]; then
	"$p9d" -e "$export_dir" -l 127.0.0.1:0 -d 2>"$tmp/server.log" &
	srv_pid=$!
	port=""
	for _ in $(seq 100); do
		port=$(sed -n 's/^p9d: listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$tmp/server.log" | head -n 1)
		[ -n "$port" ] && break
		kill -0 "$srv_pid" 2>/dev/null || break
		sleep 0.1
	done
	aname=""
else
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	diod -f -n -e "$export_dir" -l "127.0.0.1:$port" -L stderr -d 1 2>"$tmp/server.log" &
	srv_pid=$!
	for _ in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
		sleep 0.1
	done
	aname=$export_dir
fi
if [ -z "$port" ] || ! kill -0 "$srv_pid" 2>/dev/null; then
	echo "run.sh: $server did not start:"
	cat "$tmp/server.log"
	exit 1
fi
echo "run.sh: $server serves $export_dir on 127.0.0.1:$port"

# ---- the initramfs ----
root=$tmp/root
mkdir -p "$root/bin" "$root/lib/modules" "$root/proc" "$root/sys" "$root/dev" "$root/mnt" \
	"$root/mnt2" "$root/tmp"
cp "$cache/busybox" "$root/bin/busybox"
cp "$kt" "$root/bin/kt"
cp "$cache"/modules/*.ko "$root/lib/modules/"
cp "$cache/modules.order" "$root/modules.order"
cat >"$root/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
echo 3 >/proc/sys/kernel/printk
for m in \$(cat /modules.order); do
	insmod /lib/modules/\$m.ko || echo "KT insmod \$m failed"
done
ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
sysctl -w net.ipv4.tcp_autocorking=0 >/dev/null
[ "${KT_NOQUICKACK:-0}" = 1 ] || kt quickack eth0
echo "KT BOOTED \$(cut -d' ' -f1 /proc/uptime)"
configs="$configs"
aname="$aname"
export KT_STEP_TIMEOUT=${KT_STEP_TIMEOUT:-120}
export KT_SERVER_ROOT=$([ "$(id -u)" -eq 0 ] && echo 1 || echo 0)
EOF
cat >>"$root/init" <<'EOF'
mnt() { # mnt DIR OPTS: mount, printing the error on failure
	out=$(mount -t 9p -o "$2" 10.0.2.100 "$1" 2>&1) && return 0
	echo "$out" | tail -n 1 >/tmp/mount.err
	return 1
}
for cfg in $configs; do
	cache=${cfg%:*}
	msize=${cfg#*:}
	label=$cache-$msize
	# locktimeout=1: a blocked F_SETLKW is retried every second, not 30
	opts=trans=tcp,port=564,version=9p2000.L,msize=$msize,cache=$cache,access=client,locktimeout=1
	[ -z "$aname" ] || opts=$opts,aname=$aname
	t0=$(cut -d' ' -f1 /proc/uptime)
	if ! mnt /mnt "$opts"; then
		echo "STEP $label/mount FAIL errno=? ($(cat /tmp/mount.err))"
		echo "KT END $label"
		continue
	fi
	echo "STEP $label/mount ok"
	echo "INFO $label/mount $(grep ' /mnt ' /proc/mounts)"
	if ! mnt /mnt2 "$opts"; then
		echo "STEP $label/mount_second FAIL errno=? ($(cat /tmp/mount.err))"
	fi
	flags=-
	[ "$cache" = none ] || flags=mmapw
	[ "$cache" != loose ] || flags=mmapw,loose
	# the checksummed file: 6 MiB, 2 MiB with small msizes (8 KiB round trips
	# through TCG and slirp are slow)
	# (and with cache=loose, which writes back one page per Twrite)
	big=6
	[ "$msize" -ge 65536 ] && [ "$cache" != loose ] || big=2
	KT_BIG_MB=$big kt run "/mnt/$label" "/mnt2/$label" "$label" $flags
	# busybox ls -la of a directory of 400 entries: total, ., .. and 400
	n=$(ls -la "/mnt/$label/big" 2>/tmp/ls.err | wc -l)
	if [ "$n" = 403 ] && [ ! -s /tmp/ls.err ]; then
		echo "STEP $label/ls_la_bigdir ok"
	else
		echo "STEP $label/ls_la_bigdir FAIL errno=? ($n lines, want 403; $(head -n 1 /tmp/ls.err))"
	fi
	# busybox rm -rf of the same directory: readdir interleaved with unlinks
	if rm -rf "/mnt/$label/big" 2>/tmp/rm.err && [ ! -e "/mnt/$label/big" ]; then
		echo "STEP $label/rm_rf_bigdir ok"
	else
		echo "STEP $label/rm_rf_bigdir FAIL errno=? ($(head -n 1 /tmp/rm.err))"
	fi
	t1=$(cut -d' ' -f1 /proc/uptime)
	umount /mnt2 2>/dev/null
	if umount /mnt; then
		echo "STEP $label/umount ok"
	else
		echo "STEP $label/umount FAIL errno=? (busy?)"
		umount -l /mnt
	fi
	if mnt /mnt "$opts"; then
		kt verify "/mnt/$label" "$label"
		# the host counts the same tree with find (HOSTCOUNT)
		echo "HOSTCOUNT $label $(cd "/mnt/$label" && find . | wc -l)"
		umount /mnt || umount -l /mnt
	else
		echo "STEP $label/remount FAIL errno=? ($(cat /tmp/mount.err))"
	fi
	t2=$(cut -d' ' -f1 /proc/uptime)
	echo "INFO $label/phases mount+run+ls $t0..$t1, umount+remount+verify ..$t2"
	echo "KT END $label $t0 $t2"
done
echo "KT DONE"
sync
poweroff -f
EOF
chmod 755 "$root/init"
(cd "$root" && find . | "$cache/busybox" cpio -o -H newc 2>/dev/null | gzip -1 >"$tmp/initrd.gz")

# ---- the guest ----
qemu-system-x86_64 -accel tcg -m 512 -smp 1 -nographic -no-reboot \
	-kernel "$cache/vmlinuz" -initrd "$tmp/initrd.gz" \
	-append "console=ttyS0 panic=-1 quiet loglevel=3 rdinit=/init" \
	-netdev "user,id=n0,restrict=on,guestfwd=tcp:10.0.2.100:564-cmd:$fwd $port" \
	-device virtio-net-pci,netdev=n0,romfile= \
	</dev/null >"$tmp/console.log" 2>&1 &
qemu_pid=$!
timed_out=0
while kill -0 "$qemu_pid" 2>/dev/null; do
	if [ $(($(date +%s) - start)) -ge "$limit" ]; then
		timed_out=1
		kill "$qemu_pid" 2>/dev/null
		break
	fi
	sleep 0.5
done
wait "$qemu_pid" 2>/dev/null
qemu_pid=""
tr -d '\r' <"$tmp/console.log" >"$tmp/console.txt"

# Stop the server: p9d exits 0 on SIGTERM; anything else (a sanitizer
# report, a crash) fails the test.
kill -TERM "$srv_pid" 2>/dev/null
for _ in $(seq 100); do
	kill -0 "$srv_pid" 2>/dev/null || break
	sleep 0.1
done
kill -KILL "$srv_pid" 2>/dev/null
wait "$srv_pid" 2>/dev/null
srv_rc=$?
srv_pid=""

# ---- the results ----
grep -E '^(STEP|INFO) ' "$tmp/console.txt"
if [ "$timed_out" = 1 ]; then
	echo "run.sh: FAIL: the guest did not finish within ${limit}s"
	failed=1
fi
if [ "$server" = p9d ] && [ "$srv_rc" -ne 0 ]; then
	echo "run.sh: FAIL: p9d exited with status $srv_rc after SIGTERM"
	failed=1
fi
if grep -q -a -E '^(==[0-9]+==ERROR: |WARNING: ThreadSanitizer|SUMMARY: [A-Za-z]+Sanitizer)|runtime error: ' \
    "$tmp/server.log"; then
	echo "run.sh: FAIL: sanitizer report in the server's log:"
	grep -a -E -A 30 '^(==[0-9]+==ERROR: |WARNING: ThreadSanitizer)|runtime error: ' "$tmp/server.log" | head -n 60
	failed=1
fi
if ! grep -q '^KT DONE' "$tmp/console.txt"; then
	echo "run.sh: FAIL: the guest did not reach the end of its workload"
	failed=1
fi
for cfg in $configs; do
	label=${cfg%:*}-${cfg#*:}
	if ! grep -q "^STEP $label/remount_verify " "$tmp/console.txt"; then
		echo "run.sh: FAIL: no remount_verify step for $label"
		failed=1
	fi
done

# Host side: what the guest wrote is what the export holds.
while read -r _ label name size sum; do
	got=$("$kt" sum "$export_dir/$label/$name" 2>&1)
	if [ "$got" = "$size $sum" ]; then
		echo "STEP $label/host_checksum ok"
	else
		echo "STEP $label/host_checksum FAIL errno=0 (guest wrote $size $sum, export has $got)"
	fi
done < <(grep '^HOSTSUM ' "$tmp/console.txt") >"$tmp/host.txt"
while read -r _ label name mode uid gid size mtime; do
	got=$("$kt" stat "$export_dir/$label/$name" 2>&1)
	if [ "$got" = "$mode $uid $gid $size $mtime" ]; then
		echo "STEP $label/host_stat ok"
	else
		echo "STEP $label/host_stat FAIL errno=0 (guest sees $mode $uid $gid $size $mtime, export has $got)"
	fi
done < <(grep '^HOSTSTAT ' "$tmp/console.txt") >>"$tmp/host.txt"
while read -r _ label name size; do
	got=$("$kt" blocks "$export_dir/$label/$name" 2>&1)
	if [ "${got% *}" = "$size" ] && [ "${got#* }" -lt $((size / 1024)) ]; then
		echo "STEP $label/host_sparse ok"
	else
		echo "STEP $label/host_sparse FAIL errno=0 (size $size, export has size and blocks $got)"
	fi
done < <(grep '^HOSTSPARSE ' "$tmp/console.txt") >>"$tmp/host.txt"
while read -r _ label count; do
	got=$(cd "$export_dir/$label" && find . | wc -l)
	if [ "$got" = "$count" ]; then
		echo "STEP $label/host_find_count ok"
	else
		echo "STEP $label/host_find_count FAIL errno=0 (guest find sees $count entries, host $got)"
	fi
done < <(grep '^HOSTCOUNT ' "$tmp/console.txt") >>"$tmp/host.txt"
cat "$tmp/host.txt"

all_steps=$(cat "$tmp/console.txt" "$tmp/host.txt" | grep '^STEP ')
[ -z "${KT_RESULTS:-}" ] || echo "$all_steps" >"$KT_RESULTS"
nok=$(echo "$all_steps" | grep -c ' ok$')
nskip=$(echo "$all_steps" | grep -c ' skip ')
nfail=$(echo "$all_steps" | grep -c ' FAIL ')
[ "$nfail" -eq 0 ] || failed=1
for cfg in $configs; do
	label=${cfg%:*}-${cfg#*:}
	times=$(grep "^KT END $label " "$tmp/console.txt" | awk '{printf "%.1f", $5 - $4}')
	echo "run.sh: $label: $(echo "$all_steps" | grep -c "^STEP $label/.* ok$") ok," \
		"$(echo "$all_steps" | grep -c "^STEP $label/.* skip ")" skipped, \
		"$(echo "$all_steps" | grep -c "^STEP $label/.* FAIL ")" failed, "${times:-?}s guest time"
done
echo "run.sh: $server: $nok ok, $nskip skipped, $nfail failed in $(($(date +%s) - start))s"

if [ "$failed" -ne 0 ]; then
	echo "==== failed steps"
	echo "$all_steps" | grep ' FAIL ' || true
	echo "==== guest console (last 60 lines)"
	tail -n 60 "$tmp/console.txt"
	echo "==== $server log (last 60 lines)"
	tail -n 60 "$tmp/server.log"
	mkdir -p "$logdir"
	cp "$tmp/console.txt" "$logdir/kernel-console.log"
	cp "$tmp/server.log" "$logdir/kernel-$server.log"
	echo "run.sh: full console in $logdir/kernel-console.log, $server's trace in $logdir/kernel-$server.log"
	exit 1
fi
exit 0
