#!/bin/sh
# Frama-C proofs of lib9p's cursor and codec (proofs/README.md).
#
#   ci/prove.sh            install Frama-C and the provers if missing, run
#                          every proof, print a summary
#   ci/prove.sh --no-install   fail if they are missing instead
#   ci/prove.sh --wip          also run the harnesses not yet at 0 alarms
#
# Steps: WP with -wp-rte on lib9p/p9_cursor.h (every goal must be proved),
# then one Eva run per finished harness in proofs/ (0 alarms, 0 unknown or
# invalid properties). The last line is "N passed, N failed"; the exit
# status is 0 only if nothing failed. Logs go to build-prove-logs/.
set -u

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here" || exit 2
logs=$here/build-prove-logs
mkdir -p "$logs"

install=1
wip=0
for a in "$@"; do
	case $a in
	--no-install) install=0 ;;
	--wip) wip=1 ;;
	*) echo "usage: ci/prove.sh [--no-install] [--wip]" >&2; exit 2 ;;
	esac
done

missing=0
for t in frama-c why3 z3 cvc4; do
	command -v $t >/dev/null 2>&1 || missing=1
done
if [ $install = 1 ] && [ $missing = 1 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "prove: frama-c is missing and this is not root: apt-get install -y --no-install-recommends frama-c-base why3 z3 cvc4" >&2
		exit 2
	fi
	apt-get update -q >/dev/null &&
	apt-get install -y -q --no-install-recommends frama-c-base why3 z3 cvc4 >/dev/null || {
		echo "prove: apt-get install failed" >&2
		exit 2
	}
fi
for t in frama-c why3 z3 cvc4; do
	command -v $t >/dev/null 2>&1 || { echo "prove: $t not found" >&2; exit 2; }
done
# why3 must know the provers (once per user).
why3 config list-provers 2>/dev/null | grep -q Z3 || why3 config detect >/dev/null 2>&1

jobs=$(nproc 2>/dev/null || echo 2)
passed=0
failed=0
summary=""
cpp="-I$here/lib9p"

note() {
	summary="$summary$1
"
}

now() { date +%s; }

# --- WP -------------------------------------------------------------
t0=$(now)
frama-c -c11 -cpp-extra-args="$cpp" proofs/wp_cursor.c \
    -wp -wp-rte -wp-model Typed+cast -wp-prover z3,cvc4 \
    -wp-timeout 10 -wp-par "$jobs" >"$logs/wp_cursor.log" 2>&1
rc=$?
t1=$(now)
line=$(grep 'Proved goals:' "$logs/wp_cursor.log" | tail -1)
proved=$(echo "$line" | sed -n 's/.*Proved goals: *\([0-9]*\) *\/ *\([0-9]*\).*/\1/p')
total=$(echo "$line" | sed -n 's/.*Proved goals: *\([0-9]*\) *\/ *\([0-9]*\).*/\2/p')
if [ $rc = 0 ] && [ -n "$proved" ] && [ "$proved" = "$total" ] && [ "$total" -gt 0 ]; then
	passed=$((passed + 1)); verdict=PASS
else
	failed=$((failed + 1)); verdict=FAIL
fi
note "$verdict wp  p9_cursor.h: ${proved:-?}/${total:-?} goals proved, $((total - proved)) unknown ($((t1 - t0)) s)"

# --- Eva ------------------------------------------------------------
# The cursor functions whose WP-proven contracts Eva uses in place of
# their bodies (it checks their preconditions at every call).
specs_rd=p9_rd_take,p9_rd_fail,p9_rd_u8,p9_rd_u16,p9_rd_u32,p9_rd_u64,p9_rd_x32,p9_rd_x64,p9_rd_o32,p9_rd_opt32,p9_rd_str,p9_rd_data,p9_rd_qid,p9_rd_strs,p9_rd_qids,p9_rd_dirent
specs_wr=p9_wr_put,p9_put_le32,p9_wr_u8,p9_wr_u16,p9_wr_u32,p9_wr_u64,p9_wr_x32,p9_wr_x64,p9_wr_o32,p9_wr_opt32,p9_wr_bytes,p9_wr_str,p9_wr_data,p9_wr_qid,p9_wr_strs,p9_wr_qids
specs_sz=p9_sz_str,p9_sz_data,p9_sz_strs,p9_sz_qids

# eva NAME "SOURCES" "USE-SPEC" [extra frama-c options]
eva() {
	name=$1 srcs=$2 spec=$3
	shift 3
	t0=$(now)
	# shellcheck disable=SC2086
	frama-c -c11 -cpp-extra-args="$cpp" proofs/$name.c $srcs \
	    -eva ${spec:+-eva-use-spec $spec} -eva-no-print \
	    "$@" >"$logs/$name.log" 2>&1
	rc=$?
	t1=$(now)
	alarms=$(sed -n 's/^ *\([0-9][0-9]*\) alarms\{0,1\} generated.*/\1/p' "$logs/$name.log" | tail -1)
	[ -z "$alarms" ] && grep -q 'No alarms\|0 alarm' "$logs/$name.log" && alarms=0
	# Lines like "Preconditions  4 valid  0 unknown  0 invalid  4 total".
	unk=$(awk '/ unknown .* invalid .* total/ {
		for (i = 2; i < NF; i++) if ($(i + 1) == "unknown" || $(i + 1) == "invalid") s += $i
	} END {print s+0}' "$logs/$name.log")
	if [ $rc = 0 ] && [ "${alarms:-x}" = 0 ] && [ "$unk" = 0 ]; then
		passed=$((passed + 1)); verdict=PASS
	else
		failed=$((failed + 1)); verdict=FAIL
	fi
	note "$verdict eva $name: ${alarms:-?} alarms, $unk unknown/invalid properties ($((t1 - t0)) s)"
}

eva eva_frame lib9p/frame.c ""
# Harnesses that do not reach 0 alarms yet (proofs/README.md, "Not yet
# proven"): run with --wip, counted like the others.
if [ $wip = 1 ]; then
	eva eva_dirent lib9p/frame.c ""
	eva eva_decode lib9p/codec.c "$specs_rd"
fi

printf '%s' "$summary"
echo "$passed passed, $failed failed"
[ $failed = 0 ]
