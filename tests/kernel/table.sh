#!/bin/sh
# tests/kernel/table.sh FILE...: a markdown table (step x cache-msize) from
# the "STEP cache-msize/name status..." lines run.sh writes to $KT_RESULTS.
# Cells: ok, skip, or FAIL with the errno; footnotes give the details.
awk '
/^STEP / {
	split($2, p, "/"); cfg = p[1]; step = p[2]; st = $3
	if (!(cfg in seencfg)) { seencfg[cfg] = 1; cfgs[++nc] = cfg }
	if (!(step in seenstep)) { seenstep[step] = 1; steps[++ns] = step }
	cell = st
	if (st == "FAIL") {
		detail = $0; sub(/^STEP [^ ]* FAIL /, "", detail)
		e = $4; sub(/^errno=/, "", e)
		cell = "FAIL " e
		notes[++nn] = "`" cfg "/" step "`: " detail
	} else if (st == "skip") {
		detail = $0; sub(/^STEP [^ ]* skip /, "", detail)
		if (!(step in skipnote)) { skipnote[step] = 1; notes[++nn] = "`" step "` skipped: " detail }
	}
	res[step, cfg] = cell
}
END {
	printf "| step |"; for (i = 1; i <= nc; i++) printf " %s |", cfgs[i]; printf "\n"
	printf "|---|"; for (i = 1; i <= nc; i++) printf "---|"; printf "\n"
	for (j = 1; j <= ns; j++) {
		printf "| %s |", steps[j]
		for (i = 1; i <= nc; i++) {
			c = res[steps[j], cfgs[i]]
			printf " %s |", c == "" ? "-" : c
		}
		printf "\n"
	}
	if (nn) { printf "\n"; for (k = 1; k <= nn; k++) printf "- %s\n", notes[k] }
}' "$@"
