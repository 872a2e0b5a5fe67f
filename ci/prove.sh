#!/bin/sh
# Frama-C proofs of lib9p's cursor and codec (proofs/README.md).
#
#   ci/prove.sh            install Frama-C and the provers if missing, run
#                          every proof, print a summary
#   ci/prove.sh --no-install   fail if they are missing instead
#   ci/prove.sh --wip          also run the harnesses not yet at 0 alarms
#                          (none at present)
#
# Steps: WP with -wp-rte on lib9p/p9_cursor.h and on the text parser's
# helpers in lib9p/text.c (every goal must be proved), then one Eva run per
# finished harness in proofs/ (0 alarms, 0 unknown or
# invalid assertions, loop invariants and preconditions). The last line is "N passed, N failed"; the exit
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
# wp NAME FILE [FUNCTIONS]: every goal (contracts and -wp-rte) of FILE, or
# of the listed functions only, must be proved.
wp() {
	name=$1 file=$2 fcts=${3:-}
	t0=$(now)
	# shellcheck disable=SC2086
	frama-c -c11 -cpp-extra-args="$cpp" proofs/$file.c \
	    -wp -wp-rte -wp-model Typed+cast -wp-prover z3,cvc4 \
	    -wp-timeout 10 -wp-par "$jobs" ${fcts:+-wp-fct $fcts} \
	    >"$logs/$name.log" 2>&1
	rc=$?
	t1=$(now)
	line=$(grep 'Proved goals:' "$logs/$name.log" | tail -1)
	proved=$(echo "$line" | sed -n 's/.*Proved goals: *\([0-9]*\) *\/ *\([0-9]*\).*/\1/p')
	total=$(echo "$line" | sed -n 's/.*Proved goals: *\([0-9]*\) *\/ *\([0-9]*\).*/\2/p')
	if [ $rc = 0 ] && [ -n "$proved" ] && [ "$proved" = "$total" ] && [ "$total" -gt 0 ]; then
		passed=$((passed + 1)); verdict=PASS
	else
		failed=$((failed + 1)); verdict=FAIL
	fi
	note "$verdict wp  $name: ${proved:-?}/${total:-?} goals proved, $((${total:-0} - ${proved:-0})) unknown ($((t1 - t0)) s)"
}

# The cursor: every function of lib9p/p9_cursor.h.
wp wp_cursor wp_cursor
# The text parser's helpers in lib9p/text.c (the functions with a
# contract; eva_parse uses the field parsers' contracts).
wp wp_text wp_text in_fail,in_expect,digit_value,is_bare,unescape,qscan,pa_num,pa_u8,pa_quoted,pa_str,pa_dirents,pa_data,pa_qid,pa_list_next,pa_strs,pa_qids,pa_field,pa_errno_name

# --- Eva ------------------------------------------------------------
# eva NAME FILE "SOURCES" "USE-SPEC" [extra frama-c options]
# USE-SPEC: cursor functions whose WP-proven contracts Eva uses in place of
# their bodies (it checks their preconditions at every call). A harness
# passes when Eva reports 0 alarms and no assertion, loop invariant or
# precondition it reached is unknown or invalid. Eva also evaluates the
# postconditions of the cursor functions whose bodies it analyses; those
# are WP's to prove (all proved above), and the ones Eva leaves unknown
# are counted in the line but do not fail it (proofs/README.md).
eva() {
	name=$1 file=$2 srcs=$3 spec=$4
	shift 4
	t0=$(now)
	# shellcheck disable=SC2086
	frama-c -c11 -cpp-extra-args="$cpp" proofs/$file.c $srcs \
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
	post=$(grep -c 'postcondition got status' "$logs/$name.log")
	if [ $rc = 0 ] && [ "${alarms:-x}" = 0 ] && [ "$unk" = 0 ]; then
		passed=$((passed + 1)); verdict=PASS
	else
		failed=$((failed + 1)); verdict=FAIL
	fi
	note "$verdict eva $name: ${alarms:-?} alarms, $unk unknown/invalid properties, $post postcondition statuses left to WP ($((t1 - t0)) s)"
}

# Options shared by the codec harnesses: keep the paths of the decoder
# apart (slevel), and through the readers' returns (partition history), so
# that a view and its length are not merged with the states of an error.
precise="-eva-precision 3 -eva-slevel 200 -eva-partition-history 2 -eva-interprocedural-history -eva-split-limit 300"
# Readers with a loop or a memchr over a length read from the frame: Eva
# uses their contracts (eva_dirent analyses p9_dirents_check's body). Eva
# cannot relate a length read from the frame to the position it moves in a
# non-relational state (a memchr over a name that follows a name).
dec_spec=p9_rd_str,p9_rd_strs,p9_rd_qids,p9_dirents_check

eva eva_frame eva_frame lib9p/frame.c ""
# shellcheck disable=SC2086
eva eva_decode eva_decode lib9p/codec.c "$dec_spec" $precise
# shellcheck disable=SC2086
eva eva_decode_long eva_decode lib9p/codec.c "$dec_spec" $precise -cpp-extra-args=-DP9_PROOF_LONG
eva eva_dirent eva_dirent lib9p/frame.c p9_rd_str -eva-precision 3
eva eva_dirent_put eva_dirent_put lib9p/frame.c "" -eva-precision 3 -eva-split-limit 300
# Encode: the writers' bodies are analysed (only p9_dirents_check's
# contract is used). The string lengths are split in the harness's helpers
# (interprocedural splits); partition history 3 keeps a refused write gate
# apart from a placed one through the writers' returns, and p9_wr_strs's
# loop needs more than slevel 200 to stay unrolled with every count.
# shellcheck disable=SC2086
eva eva_encode eva_encode lib9p/codec.c p9_dirents_check $precise \
    -eva-partition-history 3 -eva-interprocedural-splits \
    -eva-slevel-function p9_wr_strs:2000
# Text parser: p9_msg_parse on every text of 0..16 bytes. Eva uses the
# WP-proven contracts of the field parsers (wp_text) and analyses the rest
# from its body: the name lookup, the dispatch on the type, the
# per-message field lists, the trailing check. The lookup's loop over the
# 256 type names is unrolled (auto-loop-unroll), so that each memcmp
# compares with one name of a known length; the text's and the scratch
# area's lengths are split in the harness.
parse_spec=pa_num,pa_field,pa_str,pa_data,pa_qid,pa_strs,pa_qids,pa_errno_name
eva eva_parse eva_parse "lib9p/text.c lib9p/codec.c lib9p/errors.c" "$parse_spec" \
    -eva-precision 1 -eva-split-limit 300 -eva-auto-loop-unroll 300
# Harnesses that do not reach 0 alarms yet (proofs/README.md, "Not
# proven") would run here with --wip; there are none at present.
if [ $wip = 1 ]; then
	:
fi

printf '%s' "$summary"
echo "$passed passed, $failed failed"
[ $failed = 0 ]
