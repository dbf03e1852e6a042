#!/usr/bin/env bash
# scripts/bench_scale.py end to end on a small store (label `data`): a store of copies of the
# NGSIM fixture, every stage timed with its memory, and the growth fitted over two sizes.
# usage: bench_scale_test.sh AUTOSCALE_BIN REPO_DIR PYTHON
set -u
BIN=$1 REPO=$2 PY=$3
source "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
"$BIN" import "$REPO/tests/data/commonroad-ngsim" -o "$T/src" -q >/dev/null 2>&1
small=(--score-scenes 10 --train-steps 4 --queries 20 --random-reads 40 --set data.split.val_fraction=0.3
       --set data.split.test_fraction=0.3 --set loop.synthetic_budget=50 --set mixture.kmeans.k=4)
for n in 150 300; do
  "$PY" "$REPO/scripts/bench_scale.py" measure --from "$T/src" --real $n --synthetic $((2 * n)) -o "$T/m$n" \
    --autoscale "$BIN" "${small[@]}" >"$T/out$n" 2>&1
  check "measure at $n real scenes exits 0" [ $? -eq 0 ]
done
tail -5 "$T/out300"
check "every stage has a row" "$PY" -c "
import csv, sys
rows = list(csv.DictReader(open('$T/m300/stages.csv')))
stages = [r['stage'] for r in rows]
want = ['write', 'read-real-sequential', 'read-synthetic-random', 'encode-fit', 'encode-embed', 'kmeans',
        'index-build', 'retrieve', 'metric-cache+score', 'train', 'run (vanilla_random)']
assert all(w in stages for w in want), stages
assert all(float(r['seconds']) > 0 and float(r['peak_rss_mib']) > 10 for r in rows), rows
assert [r for r in rows if r['stage'] == 'write'][0]['items'] == '900'"
check "the stores hold what was asked" contains "$T/m300/logs/write.log" "300 real, 600 synthetic scenes"
"$PY" "$REPO/scripts/bench_scale.py" fit "$T/m150" "$T/m300" >"$T/fit" 2>&1
check "fit prints the table with a growth per stage" grep -q "^| encode-embed | .* | [0-9.-]* | [0-9,]* s |$" "$T/fit"
"$PY" "$REPO/scripts/bench_scale.py" measure --from "$T/src" --real 10 --synthetic 1 -o "$T/m150" \
  --autoscale "$BIN" >"$T/err" 2>&1
check "an existing output directory is refused" contains "$T/err" "exists (choose a new directory)"
"$PY" "$REPO/scripts/bench_scale.py" measure --from "$T/src" --real 10 --synthetic 0 -o "$T/m0" \
  --autoscale "$BIN" >"$T/err" 2>&1
check "an empty synthetic pool is refused" contains "$T/err" "both must be at least 1"
echo "$checks checks, $failures failures"
[ "$failures" -eq 0 ]
