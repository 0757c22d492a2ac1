#!/usr/bin/env bash
# tools/lanes.sh NAME=COMMAND...
# Run each COMMAND (a shell command line) at the same time, in lanes of its
# own, and wait for all of them. This machine has 2 cores and the lab's nodes
# spend much of their time waiting on SSH, Python starts and apt: two labs
# side by side finish sooner than one after the other. Each lane's output goes
# to build/logs/lane-NAME.log and is printed whole when the lane ends (so a
# log reads as one lane at a time); a line per lane says when it started and
# how it ended. Exits non-zero when any lane failed, after all have ended.
set -uo pipefail
mkdir -p build/logs
declare -A pids logs starts
for spec in "$@"; do
  name=${spec%%=*} cmd=${spec#*=}
  logs[$name]=build/logs/lane-$name.log
  starts[$name]=$SECONDS
  echo "=== lane $name started: $cmd"
  bash -c "$cmd" >"${logs[$name]}" 2>&1 &
  pids[$name]=$!
done
status=0
pending=("${!pids[@]}")
while ((${#pending[@]})); do
  # wait -n -p (bash 5.1+) names the lane that ended.
  wait -n -p ended "${pids[@]}"
  rc=$?
  for name in "${pending[@]}"; do
    [ "${pids[$name]}" = "$ended" ] || continue
    cat "${logs[$name]}"
    if ((rc == 0)); then
      echo "=== lane $name passed in $((SECONDS - starts[$name])) s"
    else
      echo "=== lane $name FAILED (exit $rc) after $((SECONDS - starts[$name])) s; its log: ${logs[$name]}"
      status=1
    fi
    unset "pids[$name]"
  done
  pending=("${!pids[@]}")
done
exit "$status"
