#!/usr/bin/env bash
# scripts/bench_torch_train.py end to end (label `data`): the C++ trainer and the PyTorch script
# train the same planner on the same real NGSIM scenes in one run; both rates and the time to the
# first step come back, with the resolved planner both sides used.
# usage: bench_torch_train_test.sh AUTOSCALE_BIN REPO_DIR PYTHON
set -u
BIN=$1 REPO=$2 PY=$3
source "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
"$BIN" import "$REPO/tests/data/commonroad-ngsim" -o "$T/ngsim" -q >/dev/null 2>&1
"$PY" "$REPO/scripts/bench_torch_train.py" --scenes "$T/ngsim" -c "$REPO/configs/demo.yaml" --autoscale "$BIN" \
  --steps 6 --threads 1 -o "$T/bench.json" train.batch=16 >"$T/out" 2>&1
check "the side-by-side exits 0" [ $? -eq 0 ]
cat "$T/out"
check "both sides trained and were timed" "$PY" -c "
import json
r = json.load(open('$T/bench.json'))
assert r['steps'] == 6 and r['batch'] == 16 and r['threads'] == 1, r
for side in ('cpp', 'pytorch'):
    assert r[side]['samples_per_s'] > 0 and r[side]['first_step_s'] > 0, r[side]
    assert r[side]['loss'] == r[side]['loss'] and r[side]['loss'] > 0, r[side]  # finite, positive L1
assert 0 < r['pytorch']['data_share'] < 1 and r['pytorch']['compute_samples_per_s'] > r['pytorch']['samples_per_s']
assert abs(r['samples_per_s_ratio'] - r['cpp']['samples_per_s'] / r['pytorch']['samples_per_s']) < 1e-9
assert r['planner']['kind'] == 'transformer' and r['planner']['d_model'] > 0"
check "the table names both sides" grep -q "^C++ / PyTorch samples/s: [0-9.]*" "$T/out"
"$PY" "$REPO/scripts/bench_torch_train.py" --scenes "$T/nowhere" --autoscale "$BIN" >"$T/err" 2>&1
check "a missing store is refused by name" contains "$T/err" "--scenes $T/nowhere: no index.h5"
echo "$checks checks, $failures failures"
[ "$failures" -eq 0 ]
