#!/usr/bin/env bash
# Testbed T1, small (label `testbed`): scripts/experiments/bench-t1.sh on short SUMO worlds with
# tiny trainings. Checks the construction (the "real" training logs hold no stop, the harmful
# group is the useful one with other labels, every group tagged) and that the three comparisons
# run and report each method's share of every planted group and its paired ΔPDMS.
# usage: t1_testbed_test.sh AUTOSCALE_BIN REPO_DIR PYTHON
set -u
BIN=$1 REPO=$2 PY=$3
source "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
OUT="$T/t1"
AUTOSCALE="$BIN" T1_WORLDS="2 1 2 2 1 2" \
  T1_SUMO="synth.sumo.duration_s=70 synth.sumo.max_egos_per_world=8" \
  "$REPO/scripts/experiments/bench-t1.sh" "$OUT" \
  "data.split.val_logs=[sumo-grid-102-w0]" "data.split.test_logs=[sumo-grid-103-w0,sumo-grid-103-w1]" \
  train.steps=40 train.warmup_steps=5 train.checkpoint_every=40 loop.compare.seeds=1 loop.synthetic_budget=40 \
  "loop.compare.methods=[vanilla_random,domain_classifier,autoscale_v2]" encode.graph_rae.epochs=1 \
  mixture.kmeans.k=4 loop.v2.window_stride_s=4 >"$T/out.txt" 2>&1
rc=$?
check "bench-t1.sh exits 0" [ $rc -eq 0 ]
[ $rc -eq 0 ] || tail -30 "$T/out.txt"

inspect() { "$BIN" inspect "$1" --json 2>/dev/null; }
inspect "$OUT/real" >"$T/real.json"
"$BIN" synth select --scenes "$OUT/real" -o "$T/real_stops" --type stop -q >"$T/select.txt" 2>&1
inspect "$T/real_stops" >"$T/stops.json"
check "the real store is marked real" "$PY" -c "
import json, sys; d = json.load(open('$T/real.json'))
sys.exit(d['by_domain'].get('real', 0) != d['scenes'])"
check "no training log holds a stop; validation and test logs do" "$PY" -c "
import json, sys; logs = json.load(open('$T/stops.json'))['by_log']
sys.exit(any(l.startswith('sumo-grid-101') for l in logs) or not any(l.startswith('sumo-grid-103') for l in logs))"
inspect "$OUT/useful" >"$T/useful.json"
inspect "$OUT/harmful" >"$T/harmful.json"
check "the harmful group copies every useful scene" "$PY" -c "
import json, sys; u, h = (json.load(open('$T/' + n + '.json')) for n in ('useful', 'harmful'))
sys.exit(not (u['scenes'] > 0 and u['scenes'] == h['scenes'] and list(h['by_generator']) == ['corrupt_constant_velocity']
              and list(u['by_generator']) == ['sumo:useful']))"
for g in sumo:useful sumo:neutral sumo:shifted corrupt_constant_velocity; do
  check "compare reports the share of $g" contains "$OUT/compare/summary.md" "$g"
done
check "the EPDMS table carries EPDMS's own sub-scores" contains "$OUT/compare/summary.md" "| EP | TLC | LK | HC | EC | PDMS"
check "  ...and every row fills them" "$PY" -c "
import json, sys; rows = json.load(open('$OUT/compare/compare.json'))['rows']
sys.exit(not rows or any(set(('tlc', 'lk', 'hc', 'ec')) - set(r['mean']) for r in rows))"
check "the oracle draws only useful scenes" contains "$OUT/oracle/summary.md" "sumo:useful 1.000"
check "the anti-oracle draws only harmful scenes" contains "$OUT/anti/summary.md" "corrupt_constant_velocity 1.000"
check "paired ΔPDMS: oracle − random" grep -q "oracle.*vanilla_random\|vanilla_random.*oracle" "$T/out.txt"
check "paired ΔPDMS: autoscale_v2 − random" grep -q "autoscale_v2" "$T/out.txt"
check "v2 records its validation feedback" grep -rq '"validation_logs"' "$OUT/compare/jobs"
check "v2's steps: accepted ones in a row, then one rejected (or the last of loop.v2.rounds); each accepted step doubles the next one's trust region" "$PY" - "$OUT" <<'PY'
import glob, json, sys
decisions = glob.glob(f"{sys.argv[1]}/compare/jobs/autoscale_v2_*/v2/decision.json")
assert decisions
for path in decisions:
    d = json.load(open(path))
    if "steps" not in d:  # no search (too few logs): the prior, with its reason
        assert "reason" in d and not d["accepted"], d
        continue
    steps, k = d["steps"], d["steps_accepted"]
    assert 1 <= len(steps) <= 3 and all(s.get("accepted") for s in steps[:k]), steps
    assert len(steps) == k or (len(steps) == k + 1 and not steps[-1].get("accepted", False)), steps
    assert [s["trust"] for s in steps] == [min(1.0, 0.5 * 2**i) for i in range(len(steps))], steps
    assert k > 0 or not d["accepted"], d
PY
# Under EPDMS v2 (configs/t1.yaml) the quality gate sees what v1 forgives: a constant-velocity
# label through a red light (TLC) or into a stopping leader scores far below the recorded label.
"$BIN" compare -c "$REPO/configs/t1.yaml" -o "$T/v2gate" --max-steps 0 -q --threads 2 loop.real="[$OUT/real]" \
  loop.synthetic="[$OUT/useful,$OUT/harmful]" "loop.compare.methods=[autoscale_v2]" loop.compare.reference=autoscale_v2 \
  encode.embedding=descriptor loop.compare.seeds=1 "data.split.val_logs=[sumo-grid-102-w0]" \
  "data.split.test_logs=[sumo-grid-103-w0,sumo-grid-103-w1]" >"$T/v2gate.txt" 2>&1
check "v2 gate: compare prepares" [ $? -eq 0 ]
check "v2 gate: constant-velocity labels score well below the recorded ones" "$PY" - "$T/v2gate/label_scores.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
harmful = [v for k, v in s.items() if k.startswith("harm-")]
useful = [s[k[len("harm-"):]] for k in s if k.startswith("harm-")]
assert harmful and len(harmful) == len(useful), (len(harmful), len(useful))
mean = lambda x: sum(x) / len(x)
print("label EPDMS: recorded %.3f, constant velocity %.3f" % (mean(useful), mean(harmful)))
assert mean(harmful) < mean(useful) - 0.1, (mean(useful), mean(harmful))
passing = lambda x: sum(v >= 0.8 for v in x) / len(x)  # configs/t1.yaml's gate
print("pass the 0.8 gate: recorded %.2f, constant velocity %.2f" % (passing(useful), passing(harmful)))
assert passing(harmful) < 0.5 * passing(useful), (passing(useful), passing(harmful))
PY
echo "$checks checks, $failures failures"
[ "$failures" -eq 0 ]
