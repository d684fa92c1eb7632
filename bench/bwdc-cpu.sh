#!/bin/sh
# bench/real-run.mjs's BWDC_PATH for the runner: the real bwdc ($REAL_BWDC), then the `times` builtin appended
# to $BWDC_CPU_FILE (its second line is this shell's children's CPU: bwdc's user and system time), so the bench
# can tell the runner's own CPU from its bwdc's. Not exec: the shell must outlive bwdc to read its times; not
# in a pipeline, which would run `times` in a subshell that has no children.
"$REAL_BWDC" "$@"
rc=$?
times >> "$BWDC_CPU_FILE"
exit $rc
