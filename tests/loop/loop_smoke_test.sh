#!/usr/bin/env bash
# The closed loop end to end on real data (bundled NGSIM + the nuScenes samples of ../shared,
# perturbed starts as the synthetic pool) with configs/ci-smoke.yaml:
#   - `autoscale run` writes every output of the run directory;
#   - killed with SIGKILL mid-search and again mid-final-training, `--resume` ends with exactly
#     the result of the uninterrupted run (same seed, CPU);
#   - `autoscale compare` runs every method with 2 seeds and writes the table with CIs;
#   - bad input gives one clear error line and a non-zero exit.
#   - `autoscale report` writes one self-contained HTML file that renders in headless Chromium
#     (the screenshot stays in SHOT_DIR).
# usage: loop_smoke_test.sh AUTOSCALE_BIN REPO_DIR SHARED_DIR PYTHON SHOT_DIR
set -u
BIN=$1 REPO=$2 SHARED=$3 PY=$4 SHOTS=$5
source "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"

# The config names its stores relative to the working directory: run from a scratch one.
cd "$T"
mkdir -p out/smoke
"$BIN" import "$REPO/tests/data/commonroad-ngsim" -o out/smoke/real -q >/dev/null 2>&1
"$BIN" import "$SHARED/data-samples/nuscenes-scenarionet" -o out/smoke/real --append -q >/dev/null 2>&1
"$BIN" synth perturb --scenes out/smoke/real -o out/smoke/perturbed -q eval.ego_size=recorded >/dev/null 2>&1
check "stores made" test -f out/smoke/perturbed/index.h5 -o -d out/smoke/perturbed
CFG="$REPO/configs/ci-smoke.yaml"

# --- one uninterrupted run ---------------------------------------------------------------------
"$BIN" run --config "$CFG" -o A -q >"$T/stdout.txt" 2>"$T/stderr.txt"
check "run exits 0" [ $? -eq 0 ]
check "run prints the table" contains "$T/stdout.txt" "| autoscale | 40 |"
check "  ...with every v1 sub-score, DDC included" contains "$T/stdout.txt" "| NC | DAC | DDC | TTC | C | EP |"
for c in mix demo ci-smoke compare-real planner-real bench-cv bench-real t1; do
  "$BIN" config -c "$REPO/configs/$c.yaml" -q >/dev/null 2>"$T/stderr.txt"
  check "configs/$c.yaml loads" [ $? -eq 0 ]
done
for f in config.yaml run.json split.json metrics.jsonl embeddings.h5 embedding_map.json compare.json summary.md report.html \
         jobs/autoscale_n40_s0/result.json jobs/autoscale_n40_s0/iter0/iteration.json \
         jobs/autoscale_n40_s0/iter1/iteration.json jobs/autoscale_n40_s0/iter1/val_scores.csv \
         jobs/autoscale_n40_s0/final/selection.json jobs/autoscale_n40_s0/final/test_scores.csv \
         jobs/autoscale_n40_s0/final/train/planner.pt jobs/autoscale_n40_s0/final/pictures/worst-1.svg \
         jobs/autoscale_n40_s0/final/pictures/worst-4.svg jobs/autoscale_n40_s0/final/pictures/selected-1-1.svg \
         jobs/autoscale_n40_s0/final/train/metrics.csv clusters/cluster-0-1.svg clusters/cluster-3-3.svg; do
  check "run writes $f" test -s "A/$f"
done
check "no temporary files left" bash -c "! find A -name '*.tmp*' | grep -q ."
check "the final training's metrics.csv: every logged step, validation L2 at its last" "$PY" - A/jobs/autoscale_n40_s0/final/train <<'PY'
import csv, json, sys
d = sys.argv[1]
rows = list(csv.DictReader(open(d + "/metrics.csv")))
lines = [json.loads(l) for l in open(d + "/metrics.jsonl")]
assert [int(r["step"]) for r in rows] == [l["step"] for l in lines] and rows[-1]["step"] == "24", rows
assert abs(float(rows[-1]["loss"]) - lines[-1]["loss"]) < 1e-12
assert float(rows[-1]["val_l2_4s"]) > float(rows[-1]["val_l2_1s"]) > 0, rows[-1]
PY
check "cluster exemplars come from different logs where the cluster has them" "$PY" - A/clusters <<'PY'
import re, sys
logs = [re.search(r"of log (\S+)", open(f"{sys.argv[1]}/cluster-0-{j}.svg").read()).group(1) for j in (1, 2, 3)]
assert len(set(logs)) == 3, logs
PY
check "result is a closed-loop result" "$PY" - A/jobs/autoscale_n40_s0 <<'PY'
import json, sys
d = sys.argv[1]
r = json.load(open(d + "/result.json"))
it = [json.load(open(f"{d}/iter{t}/iteration.json")) for t in (0, 1)]
assert r["method"] == "autoscale" and r["n_syn"] == 40 and r["steps"] == 24, r
assert r["test"]["scenes"] == 40 and 0 < r["test"]["pdms"] <= 1, r["test"]
assert len(r["test_tokens"]) == len(r["test_pdms"]) == 40
K = 4
for i in it:
    assert len(i["weights"]) == K and abs(sum(i["weights"]) - 1) < 1e-9
    assert sum(i["quotas"]) == 40 and i["selected"] == 40
    assert i["val"]["scenes"] == 30
    assert len(i["alignment"]) == K and len(i["cluster_pdms"]) == K
# the mixture moved: the second iteration trains on the weights the first one produced
assert it[1]["weights"] == it[0]["next_weights"], (it[0]["next_weights"], it[1]["weights"])
assert it[0]["weights"] != it[1]["weights"]
lines = [json.loads(l) for l in open(sys.argv[1] + "/../../metrics.jsonl")]
assert [l["event"] for l in lines] == ["iteration", "iteration", "final"], lines
assert lines[2]["test"] == r["test"]
split = json.load(open(sys.argv[1] + "/../../split.json"))
assert split["val"] == ["scene-0916"] and sorted(split["test"]) == ["USA_Peach-4_8_T-1", "scene-1077"], split
PY

# --- killed twice with SIGKILL, resumed: the same result --------------------------------------
kill_when() {  # kill_when FILE: start (or resume) run B, SIGKILL it once FILE exists
  if [ -d B ]; then "$BIN" run --resume B -q >/dev/null 2>&1 & else "$BIN" run --config "$CFG" -o B -q >/dev/null 2>&1 & fi
  local pid=$!
  for _ in $(seq 1 600); do
    [ -e "$1" ] && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.05
  done
  kill -9 $pid 2>/dev/null
  wait $pid 2>/dev/null
}
kill_when B/jobs/autoscale_n40_s0/iter0/val_scores.csv
check "killed in the first iteration" bash -c "[ ! -e B/jobs/autoscale_n40_s0/result.json ]"
kill_when B/jobs/autoscale_n40_s0/final/train/checkpoint.pt
check "killed before the end" bash -c "[ ! -e B/jobs/autoscale_n40_s0/result.json ]"
"$BIN" run --resume B -q >"$T/stdout.txt" 2>"$T/stderr.txt"
check "resume exits 0" [ $? -eq 0 ]
check "resumed run equals the uninterrupted one" "$PY" - A B <<'PY'
import json, sys
a, b = sys.argv[1:3]
job = "jobs/autoscale_n40_s0"
def strip(x):  # wall times differ between runs; everything else must not
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items() if "seconds" not in k}
    if isinstance(x, list):
        return [strip(v) for v in x]
    return x
for f in ["result.json", "iter0/iteration.json", "iter1/iteration.json", "final/selection.json"]:
    ja, jb = (json.load(open(f"{d}/{job}/{f}")) for d in (a, b))
    assert strip(ja) == strip(jb), f
for f in ["final/test_scores.csv", "iter1/val_scores.csv"]:
    assert open(f"{a}/{job}/{f}").read() == open(f"{b}/{job}/{f}").read(), f
PY
"$BIN" run --config "$CFG" -o A -q >"$T/stdout.txt" 2>"$T/stderr.txt"
check "a finished run directory is not overwritten" [ $? -ne 0 ]
check "  ...and the error says --resume" contains "$T/stderr.txt" "--resume A"

# --- killed while preparing: the resume prepares; a second process of a live run is refused ------
"$BIN" run --config "$CFG" -o K -q >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 600); do [ -e K/run.json ] && break; kill -0 $pid 2>/dev/null || break; sleep 0.02; done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
flock -o K/.lock sleep 60 >/dev/null 2>&1 </dev/null &  # flock(1) plays the live run
HOLDER=$!
for _ in $(seq 50); do flock -n K/.lock true 2>/dev/null || break; sleep 0.1; done
"$BIN" run --resume K --max-steps 0 -q >"$T/stdout.txt" 2>"$T/stderr.txt"
check "a resume of a live run is refused" [ $? -ne 0 ]
check "  ...saying another process runs it" contains "$T/stderr.txt" "another process"
pkill -P $HOLDER sleep 2>/dev/null; kill $HOLDER 2>/dev/null; wait $HOLDER 2>/dev/null
"$BIN" run --resume K --max-steps 0 -q >"$T/stdout.txt" 2>"$T/stderr.txt"
check "a run killed while preparing resumes its preparation" [ $? -eq 0 ]
check "  ...and is prepared then" "$PY" -c "import json; assert isinstance(json.load(open('K/run.json'))['data'], dict)"

# --- online budget mode: one training split into the iterations' stages --------------------------
"$BIN" run --config "$CFG" -o O -q loop.budget_mode=online loop.iterations=3 --no-report >"$T/stdout.txt" 2>"$T/stderr.txt"
check "online run exits 0" [ $? -eq 0 ]
check "online stages spend exactly train.steps, the last stage is the result" "$PY" - O/jobs/autoscale_n40_s0 <<'PY'
import json, os, sys
d = sys.argv[1]
steps = [json.load(open(f"{d}/iter{t}/iteration.json"))["steps"] for t in range(3)]
assert sum(steps) == 24 and steps == [8, 8, 8], steps
assert not os.path.exists(f"{d}/final/train"), "online mode trains no separate final model"
r = json.load(open(f"{d}/result.json"))
assert r["test"]["scenes"] == 40 and r["n_syn"] == 40
# the stages continue one schedule: the learning rate of stage 2's first step is past the peak
first = json.loads(open(f"{d}/iter2/train/metrics.jsonl").readline())
assert first["step"] == 8 and first["lr"] < 5e-4, first
PY

# --- every method side by side ----------------------------------------------------------------
"$BIN" compare --config "$CFG" -o C -q >"$T/stdout.txt" 2>"$T/stderr.txt"
check "compare exits 0" [ $? -eq 0 ]
check "compare table" "$PY" - C <<'PY'
import json, sys
c = json.load(open(sys.argv[1] + "/compare.json"))
rows = {r["method"]: r for r in c["rows"] if r["synthetic_budget"] != 20}  # 20: the curve's extra budget
curve = {(p["method"], p["synthetic_budget"]) for p in c["curve"]}
assert curve == {("vanilla_random", 20), ("vanilla_random", 40), ("autoscale", 20), ("autoscale", 40)}, curve
assert set(rows) == {"real_only", "vanilla_random", "stratified", "dsir", "doremi", "odm", "autoscale"}, rows.keys()
assert c["reference"] == "vanilla_random"
for m, r in rows.items():
    assert r["seeds"] == 2 and r["folds"] == 1, (m, r["seeds"])
    assert 0 < r["mean"]["pdms"] <= 1 and r["std"]["pdms"] >= 0
    p = r["pdms"]  # the two-level bootstrap of the test PDMS: 2 test logs, 2 seeds
    assert p["has_ci"] and p["lo"] <= p["mean"] <= p["hi"] and p["logs"] == 2 and p["windows"] == 40, (m, p)
    assert abs(p["mean"] - r["mean"]["pdms"]) < 1e-9, (m, p["mean"], r["mean"]["pdms"])
    if m == "vanilla_random":
        assert r["delta"] is None
    else:
        d = r["delta"]  # paired by seed on the same 40 windows
        assert d["lo"] <= d["mean"] <= d["hi"] and d["windows"] == 40 and d["seeds"] == 2, (m, d)
        assert abs(d["mde"] - 2.8016 * d["se"]) < 1e-3, (m, d)
assert rows["real_only"]["n_syn"] == 0 and rows["real_only"]["real_share"] == 1
assert rows["autoscale"]["n_syn"] == 40 and rows["autoscale"]["search_seconds"] > 0
PY
check "compare summary" contains C/summary.md "| doremi | 40 |"
check "compare summary has the MDE" contains C/summary.md "Minimal detectable ΔPDMS"
check "compare scores the reference agents once" "$PY" - C <<'PY'
import json, sys
r = json.load(open(sys.argv[1] + "/reference_scores.json"))
assert len(r["human"]) == 40 and len(r["constant_velocity"]) == 40, {k: len(v) for k, v in r.items() if isinstance(v, dict)}
assert all(0 <= v <= 1 for v in r["human"].values())
PY

# --- cross-fitted compare: 2 of 3 leave-logs-out folds, 2 seeds, paired ---------------------------
"$BIN" compare --config "$CFG" -o F -q data.split.folds=3 "data.split.val_logs=[]" "data.split.test_logs=[]" \
  loop.compare.folds=2 "loop.compare.methods=[real_only,vanilla_random]" loop.test_stride_s=0.5 --no-report \
  >"$T/stdout.txt" 2>"$T/stderr.txt"
check "cross-fitted compare exits 0" [ $? -eq 0 ]
check "  ...runs every job in each fold, fitting k-means without the fold's held-out logs" "$PY" - F <<'PY'
import json, os, sys
d = sys.argv[1]
run = json.load(open(f"{d}/run.json"))
assert run["folds"] == 2, run.get("folds")
tests = []
for k in (0, 1):
    split = json.load(open(f"{d}/fold{k}/split.json"))
    assert split["test"] and len(split["val"]) == 1 and split["train"], split
    assert not set(split["test"]) & set(split["train"]), split
    tests.append(set(split["test"]))
    assert os.path.exists(f"{d}/fold{k}/embeddings.h5") and os.path.exists(f"{d}/fold{k}/reference_scores.json")
    for m in ("real_only_n0", "vanilla_random_n40"):
        for s in (0, 1):
            r = json.load(open(f"{d}/jobs/f{k}_{m}_s{s}/result.json"))
            assert r["fold"] == k and set(r["test_logs"]) <= tests[k], (k, m, s)
assert not tests[0] & tests[1], "folds share a test log"
c = json.load(open(f"{d}/compare.json"))
rows = {r["method"]: r for r in c["rows"]}
assert set(rows) == {"real_only", "vanilla_random"}, rows.keys()
for r in rows.values():
    assert r["folds"] == 2 and r["seeds"] == 2 and r["runs"] == 4, r
d = rows["real_only"]["delta"]
assert d["folds"] == 2 and d["logs"] >= 2 and d["has_ci"], d
PY
check "  ...and its summary names the folds" contains F/summary.md "2 cross-fitted folds"
# A job another process holds is refused, naming the holder (flock(1) plays the live worker).
rm F/jobs/f0_real_only_n0_s0/result.json
flock -o F/jobs/f0_real_only_n0_s0/.lock sleep 60 >/dev/null 2>&1 </dev/null &
HOLDER=$!
for _ in $(seq 50); do flock -n F/jobs/f0_real_only_n0_s0/.lock true 2>/dev/null || break; sleep 0.1; done
"$BIN" compare --resume F --job 0 -q >"$T/stdout.txt" 2>"$T/stderr.txt"
check "a job held by another process is refused" [ $? -ne 0 ]
check "  ...saying another process writes it" contains "$T/stderr.txt" "another process"
pkill -P $HOLDER sleep 2>/dev/null; kill $HOLDER 2>/dev/null; wait $HOLDER 2>/dev/null
"$BIN" compare --resume F --job 0 -q >"$T/stdout.txt" 2>"$T/stderr.txt"
check "  ...and runs once the holder is gone" test -f F/jobs/f0_real_only_n0_s0/result.json

# --- planners side by side: every method trained with each planner kind, paired to the first --
"$BIN" compare --config "$CFG" -o P -q "loop.compare.methods=[real_only]" "loop.compare.planners=[ego_mlp,gated]" \
  loop.compare.reference=real_only --no-report >"$T/stdout.txt" 2>"$T/stderr.txt"
check "compare over planners exits 0" [ $? -eq 0 ]
check "  ...pairs the gated planner against the ego MLP" "$PY" - P <<'PY'
import json, sys
d = sys.argv[1]
c = json.load(open(f"{d}/compare.json"))
rows = {r["label"]: r for r in c["rows"]}
assert set(rows) == {"real_only (ego_mlp)", "real_only (gated)"}, rows.keys()
assert c["reference"] == "real_only (ego_mlp)", c["reference"]
assert rows["real_only (ego_mlp)"]["delta"] is None
g = rows["real_only (gated)"]
assert g["planner"] == "gated" and g["delta"]["seeds"] == 2 and g["delta"]["windows"] == 40, g
for s in (0, 1):
    r = json.load(open(f"{d}/jobs/real_only_n0_s{s}_gated/result.json"))
    assert r["planner"] == "gated", r["planner"]
PY

# --- AutoScale v2 and testbed T2 (planted harm): nests the domain classifier, gates bad labels --
"$BIN" synth corrupt --scenes out/smoke/perturbed -o out/smoke/harm -q >/dev/null 2>"$T/stderr.txt"
check "synth corrupt writes the planted-harm store" test -f out/smoke/harm/index.h5
"$BIN" compare --config "$CFG" -o V0 -q loop.synthetic=[out/smoke/perturbed,out/smoke/harm] \
  "loop.compare.methods=[domain_classifier,autoscale_v2]" loop.compare.reference=domain_classifier \
  loop.compare.seeds=1 loop.v2.evidence.trust=0 loop.v2.label_min_pdms=0 --no-report >"$T/stdout.txt" 2>"$T/stderr.txt"
check "v2 with no step and no gate exits 0" [ $? -eq 0 ]
check "  ...selects exactly the domain classifier's scenes" "$PY" - V0 <<'PY'
import json, sys
d = sys.argv[1]
dc = json.load(open(f"{d}/jobs/domain_classifier_n40_s0/final/selection.json"))["tokens"]
v2 = json.load(open(f"{d}/jobs/autoscale_v2_n40_s0/final/selection.json"))["tokens"]
assert len(dc) == 40 and dc == v2, (dc[:3], v2[:3])
r = json.load(open(f"{d}/jobs/autoscale_v2_n40_s0/result.json"))
assert sum(r["selection_sources"].values()) == 40, r["selection_sources"]
PY
"$BIN" compare --config "$CFG" -o VU -q loop.synthetic=[out/smoke/perturbed,out/smoke/harm] \
  "loop.compare.methods=[gated_random,autoscale_v2]" loop.compare.reference=gated_random \
  loop.compare.seeds=1 loop.v2.evidence.trust=0 "loop.v2.priors=[uniform]" --no-report >"$T/stdout.txt" 2>"$T/stderr.txt"
check "v2 with the uniform prior and no step exits 0" [ $? -eq 0 ]
check "  ...selects exactly gated_random's scenes" "$PY" - VU <<'PY'
import json, sys
d = sys.argv[1]
g = json.load(open(f"{d}/jobs/gated_random_n40_s0/final/selection.json"))["tokens"]
v2 = json.load(open(f"{d}/jobs/autoscale_v2_n40_s0/final/selection.json"))["tokens"]
assert len(g) == 40 and g == v2, (g[:3], v2[:3])
PY
"$BIN" compare --config "$CFG" -o V -q loop.synthetic=[out/smoke/perturbed,out/smoke/harm] \
  "loop.compare.methods=[vanilla_random,domain_classifier,autoscale_v2,random_best_of]" \
  "loop.v2.priors=[real_likeness,uniform]" --no-report >"$T/stdout.txt" 2>"$T/stderr.txt"
check "v2 against the baselines on a pool with planted harm exits 0" [ $? -eq 0 ]
check "  ...every scene v2 selects passes the label gate; it draws fewer harmful ones than random" "$PY" - V <<'PY'
import json, sys
d = sys.argv[1]
labels = json.load(open(f"{d}/label_scores.json"))
harm = [v for k, v in labels.items() if k.startswith("harm-")]
clean = [v for k, v in labels.items() if not k.startswith("harm-")]
assert harm and clean and sum(harm) / len(harm) < sum(clean) / len(clean), (len(harm), len(clean))
c = json.load(open(f"{d}/compare.json"))
rows = {r["method"]: r for r in c["rows"] if r["synthetic_budget"] == 40}
share = lambda m: rows[m]["selection_sources"].get("corrupt_lateral_drift", 0)
assert share("autoscale_v2") < share("vanilla_random") and share("vanilla_random") > 0.2, rows
for s in (0, 1):
    picked = json.load(open(f"{d}/jobs/autoscale_v2_n40_s{s}/final/selection.json"))["tokens"]
    assert len(picked) == 40 and all(labels[t] >= 0.9 for t in picked), [labels[t] for t in picked]
    dec = json.load(open(f"{d}/jobs/autoscale_v2_n40_s{s}/v2/decision.json"))
    assert dec["gated_out"] > 0 and len(dec["prior_weights"]) == 4, dec
    assert "evidence" in dec or "reason" in dec, dec
    if "steps" not in dec:  # no search (too few training logs): the first prior, with its reason
        assert dec["prior"] == "real_likeness" and not dec["prior_replaced"], dec
        continue
    ch = dec["prior_challengers"][0]
    assert ch["prior"] == "uniform" and ch["against"] == "real_likeness", ch
    assert dec["prior"] == ("uniform" if ch["accepted"] else "real_likeness"), dec["prior"]
    assert dec["prior_replaced"] == ch["accepted"] and dec["accepted"] == (dec["steps_accepted"] > 0), dec
    # Its cost: inner_folds (2) proxies per pass (the prior, each challenger, each step that trained a candidate).
    passes = 1 + len(dec["prior_challengers"]) + sum("evidence" in st for st in dec["steps"])
    cost = dec["search_cost"]
    assert cost["proxies"] == 2 * passes and cost["proxy_steps"] > 0, (cost, passes)
    assert 0 < cost["train_seconds"] + cost["score_seconds"] <= dec["search_seconds"], (cost, dec["search_seconds"])
    lower = ch["evidence"]["lower"]
    assert ch["accepted"] == (lower is not None and lower > 0), ch
    r = json.load(open(f"{d}/jobs/autoscale_v2_n40_s{s}/result.json"))
    assert r["search_seconds"] > 0 and r["n_syn"] == 40, r
PY
check "  ...random_best_of keeps the draw with the best validation PDMS" "$PY" - V <<'PY'
import json, sys
d = sys.argv[1]
for s in (0, 1):
    dec = json.load(open(f"{d}/jobs/random_best_of_n40_s{s}/best_of/decision.json"))
    assert len(dec["val_pdms"]) == 2 and dec["val_pdms"][dec["best"]] == max(dec["val_pdms"]), dec
    best = json.load(open(f"{d}/jobs/random_best_of_n40_s{s}/best_of/cand{dec['best']}/selection.json"))["tokens"]
    final = json.load(open(f"{d}/jobs/random_best_of_n40_s{s}/final/selection.json"))["tokens"]
    assert best == final and len(final) == 40, (len(best), len(final))
PY
check "  ...and the summary lists the selections' sources" contains V/summary.md "Synthetic selection by source"
"$BIN" paired V vanilla_random F vanilla_random -q >"$T/stdout.txt" 2>"$T/stderr.txt"
check "paired across runs without a common fold and seed fails" contains "$T/stderr.txt" "no run of the same fold and seed"
"$BIN" paired V vanilla_random C vanilla_random -q >"$T/stdout.txt" 2>"$T/stderr.txt"
check "paired across runs: the planted pool against the clean one" contains "$T/stdout.txt" "2 paired runs"

# --- the report -----------------------------------------------------------------------------
"$BIN" report C -o C/again.html -q >"$T/stdout.txt" 2>"$T/stderr.txt"
check "report exits 0" [ $? -eq 0 ]
for section in "<h2>Summary</h2>" "<h2>Comparison</h2>" "Test PDMS against" "<h2>Closed loop per iteration</h2>" \
               "Synthetic mixture weight per cluster" "Validation PDMS per cluster" "<h2>Data and domain gap</h2>" "Scenes per cluster" "of the synthetic pool lies in scene types" \
               "<h2>Resolved configuration</h2>" "autoscale_n40_s0" "<h2>What the planner did</h2>" \
               "Final training: loss" "#1 worst: " "(dashed: expert, red: plan)" "validation L2 by horizon" \
               "<h2>Scene types</h2>" "cluster 0 (" "selected from cluster"; do
  check "report has $section" contains C/again.html "$section"
done
check "report is self-contained (no scripts, links, images or URLs but the SVG namespace)" "$PY" - C/again.html <<'PY'
import re, sys
html = open(sys.argv[1]).read().lower()
assert not re.search(r"<script|<link|<img|<iframe|url\(", html)
assert set(re.findall(r"https?://[^\"' <]+", html)) <= {"http://www.w3.org/2000/svg"}
PY
check "report without a run fails" bash -c "! '$BIN' report '$T/nothing' -q 2>/dev/null"
mkdir -p "$SHOTS"
"$PY" "$REPO/tests/loop/render_report.py" C/again.html "$SHOTS/loop-report.png"
check "report renders in headless Chromium ($SHOTS/loop-report.png)" [ $? -eq 0 ]

# --- bad input --------------------------------------------------------------------------------
"$BIN" run --config "$CFG" -o D -q loop.real=[nowhere] >"$T/stdout.txt" 2>"$T/stderr.txt"
check "missing store fails" [ $? -ne 0 ]
check "  ...naming it" contains "$T/stderr.txt" "nowhere"
"$BIN" run --config "$CFG" -o D -q loop.method=magic >"$T/stdout.txt" 2>"$T/stderr.txt"
check "unknown method fails naming the key" contains "$T/stderr.txt" "loop.method"
"$BIN" run --resume "$T/nothing" -q >"$T/stdout.txt" 2>"$T/stderr.txt"
check "resume of a non-run fails" [ $? -ne 0 ]
check "  ...saying so" contains "$T/stderr.txt" "not a run directory"
"$BIN" run --resume A --config "$CFG" -q >"$T/stdout.txt" 2>"$T/stderr.txt"
check "resume with another config fails" contains "$T/stderr.txt" "drop --config"
"$BIN" run --config "$CFG" -o E -q data.split.val_logs=[] data.split.test_logs=[] data.split.val_fraction=0 >"$T/stdout.txt" 2>"$T/stderr.txt"
check "no validation logs fails clearly" contains "$T/stderr.txt" "no real validation scenes"

echo "$checks checks, $failures failures"
[ "$failures" -eq 0 ]
