#!/usr/bin/env bash
# Your own planner inside `autoscale run` (train.external.command), on real data: a numpy planner
# (tests/loop/external_planner.py, reading scenes through scripts/autoscale_store.py) trains on
# each job's final mixture and plans the validation and test scenes; the loop scores its plans
# with the same PDM Score code as `eval --trajectories`. A failing command, or one whose file
# lacks scenes, stops the run with one clear line.
# usage: external_planner_test.sh AUTOSCALE_BIN REPO_DIR SHARED_DIR PYTHON
set -u
BIN=$1 REPO=$2 SHARED=$3 PY=$4
source "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"

cd "$T"  # configs/ci-smoke.yaml names its stores relative to the working directory
mkdir -p out/smoke
"$BIN" import "$REPO/tests/data/commonroad-ngsim" -o out/smoke/real -q >/dev/null 2>&1
"$BIN" import "$SHARED/data-samples/nuscenes-scenarionet" -o out/smoke/real --append -q >/dev/null 2>&1
"$BIN" synth perturb --scenes out/smoke/real -o out/smoke/perturbed -q eval.ego_size=recorded >/dev/null 2>&1
check "stores made" test -d out/smoke/perturbed
CFG="$REPO/configs/ci-smoke.yaml"
PLANNER="$PY $REPO/tests/loop/external_planner.py --real {real} --selection {selection} --predict {predict}"
PLANNER="$PLANNER --out {trajectories} --steps {steps} --batch {batch} --seed {seed}"

"$BIN" run --config "$CFG" -o E -q loop.method=vanilla_random "train.external.command=$PLANNER" >"$T/stdout" 2>"$T/stderr"
check "run with an external planner exits 0" [ $? -eq 0 ]
J=E/jobs/vanilla_random_n40_s0
for f in real.csv selection.csv predict.csv trajectories.jsonl command.log done.json; do
  check "  ...writes final/external/$f" test -s "$J/final/external/$f"
done
check "  ...the command trained on the mixture it was given" contains "$J/final/external/command.log" "samples drawn"
check "  ...files, weights and result as documented" "$PY" - "$J" <<'EOF'
import csv, json, sys
d = sys.argv[1]
r = json.load(open(d + "/result.json"))
assert r["planner"] == "external", r["planner"]
real = list(csv.DictReader(open(d + "/final/external/real.csv")))
sel = list(csv.DictReader(open(d + "/final/external/selection.csv")))
pred = list(csv.DictReader(open(d + "/final/external/predict.csv")))
assert len(sel) == r["n_syn"] == 40 and len(real) == r["n_real"], (len(sel), len(real), r["n_real"])
w = sum(float(x["weight"]) for x in real + sel)
assert abs(w - 1) < 1e-9, w
assert abs(sum(float(x["weight"]) for x in real) - r["real_share"]) < 1e-9
tokens = {x["token"] for x in pred if x["split"] == "test"}
assert tokens == set(r["test_tokens"]), "predict.csv's test scenes are the scored ones"
assert r["test"]["scenes"] == len(r["test_tokens"]) > 0 and 0 < r["test"]["pdms"] <= 1, r["test"]
EOF

# The loop's scores are what `eval --trajectories` gives for the same file.
"$BIN" eval -c "$CFG" --scenes out/smoke/real --trajectories "$J/final/external/trajectories.jsonl" --split test \
  --out "$T/eval.csv" -q >"$T/log.txt" 2>&1
check "eval --trajectories scores the command's file" [ -s "$T/eval.csv" ]
check "  ...with the loop's per-token numbers" "$PY" - "$J/final/test_scores.csv" "$T/eval.csv" <<'EOF'
import csv, sys
loop = {r["token"]: r for r in csv.DictReader(open(sys.argv[1]))}
ev = {r["token"]: r for r in csv.DictReader(open(sys.argv[2]))}
assert loop and set(loop) <= set(ev), (len(loop), len(ev))
for t, r in loop.items():
    assert r == ev[t], (t, r, ev[t])
EOF

# Bad commands: one line, a non-zero exit, the job left unfinished.
"$BIN" run --config "$CFG" -o F -q loop.method=vanilla_random "train.external.command=echo broken >&2; exit 3" \
  >"$T/log.txt" 2>"$T/err"
check "a failing command stops the run" [ $? -ne 0 ]
check "  ...naming its exit code and log" contains "$T/err" "train.external.command exited with code 3"
check "  ...with the end of its output" contains "$T/err" "| broken"
check "  ...and no result" [ ! -e F/jobs/vanilla_random_n40_s0/result.json ]
"$BIN" run --config "$CFG" -o G -q loop.method=vanilla_random \
  "train.external.command=head -1 $T/$J/final/external/trajectories.jsonl >{trajectories}" \
  >"$T/log.txt" 2>"$T/err"
check "a file that lacks scenes stops the run" contains "$T/err" "no plan for"

echo "$checks checks, $failures failed"
[ "$failures" -eq 0 ]
