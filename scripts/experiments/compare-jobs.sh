#!/usr/bin/env bash
# Runs every job of a prepared `autoscale compare` run directory on WORKERS one-thread processes
# (job j on worker j % WORKERS), then writes the comparison. Logs: RUN/worker<i>.log.
#   scripts/experiments/compare-jobs.sh RUN
set -euo pipefail
RUN=$1
BIN=${AUTOSCALE:-build/autoscale}
WORKERS=${WORKERS:-2}
jobs=$(python3 -c "
import json; r = json.load(open('$RUN/run.json'))
planners = max(1, len(r.get('planners', [])))
per = len(r['seeds']) * (len(r['methods']) * planners + len(r['budgets']) * sum(m in r['methods'] for m in ('vanilla_random', 'autoscale', 'autoscale_v2')))
print(per * max(1, r.get('folds', 0)))")
echo "$RUN: $jobs jobs on $WORKERS workers"
for w in $(seq 0 $((WORKERS - 1))); do
  (
    for ((j = w; j < jobs; j += WORKERS)); do
      "$BIN" compare --resume "$RUN" --job "$j" -q --threads 1 >>"$RUN/worker$w.log" 2>&1
    done
  ) &
done
wait
"$BIN" compare --resume "$RUN" --threads 2
