#!/usr/bin/env bash
# Run one stage of the build or test, then print how long it took:  tools/stage.sh NAME CMD...
name=$1; shift
start=$(date +%s)
"$@"
rc=$?
echo "[stage] ${name}: $(( $(date +%s) - start )) s (exit ${rc})"
exit $rc
