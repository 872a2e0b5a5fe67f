# shellcheck shell=sh
# TAP-style reporting for the server's shell tests (sourced): ok, not_ok
# and check count into passes and fails; each test prints its own
# "N passed, N failed" line at the end.
passes=0
fails=0
ok() { passes=$((passes + 1)); printf 'ok %d - %s\n' "$((passes + fails))" "$1"; }
not_ok() {
	fails=$((fails + 1))
	printf 'not ok %d - %s\n' "$((passes + fails))" "$1"
	shift
	for line in "$@"; do printf '#   %s\n' "$line"; done
}
check() {	# check NAME COMMAND...: ok if the command succeeds
	name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}
