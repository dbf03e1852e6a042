#!/usr/bin/env bash
# Set-up, then the main job on the embedded data, as far as the engine goes today:
#   1. import the bundled real NGSIM recordings (and the nuScenes samples from ../shared when
#      present) into a scene store, and inspect it;
#   2. score the built-in planners on it with the PDM Score;
#   3. make synthetic data: a SUMO world and perturbed starts of the real scenes;
#   4. embed real and synthetic scenes, cluster them into scene types, index the synthetic pool;
#   5. train the planner on the real training logs + synthetic data and score it on held-out logs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

OUT=${OUT:-out/demo}
A=build/autoscale
rm -rf "$OUT"
mkdir -p "$OUT"

echo "== 1. real data"
$A import tests/data/commonroad-ngsim -o "$OUT/real" -q
NUSC=../shared/data-samples/nuscenes-scenarionet
if [ -d "$NUSC" ]; then
  $A import "$NUSC" -o "$OUT/real" --append -q
fi
$A inspect "$OUT/real"

echo "== 2. PDM Score of the built-in planners (real experts scored with their own size)"
for agent in constant_velocity human pdm_closed; do
  $A eval --scenes "$OUT/real" --agent "$agent" --out "$OUT/scores-$agent.csv" -q eval.ego_size=recorded
done

echo "== 3. synthetic data"
$A synth sumo -o "$OUT/sumo" -q synth.sumo.worlds=2
$A synth perturb --scenes "$OUT/real" -o "$OUT/perturbed" -q eval.ego_size=recorded
$A inspect "$OUT/real" --compare "$OUT/sumo"

echo "== 4. scene types and the synthetic pool"
# The Graph-RAE, briefly trained (a GPU trains the full 30 epochs); --report compares it with
# the hand-made descriptor baseline.
$A encode --scenes "$OUT/real" "$OUT/sumo" "$OUT/perturbed" -o "$OUT/embeddings.h5" --report -q \
    --checkpoint "$OUT/graph_rae.pt" encode.graph_rae.epochs=3 encode.graph_rae.hidden=64
$A cluster --embeddings "$OUT/embeddings.h5" -q mixture.kmeans.k=16
$A index --embeddings "$OUT/embeddings.h5" -o "$OUT/index" -q
echo "== 5. the planner: co-trained on real training logs + synthetic, scored on held-out logs"
PLANNER="train.steps=400 train.eval_every=50 train.lr=0.0002 train.weight_decay=0.05 train.warmup_steps=50
         train.planner.d_model=64 train.planner.layers=2 train.planner.feedforward=128
         encode.graph.max_agents=16 encode.graph.max_lanes=32"
$A train --scenes "$OUT/real" --synthetic "$OUT/perturbed" -o "$OUT/planner" -q $PLANNER
for agent in "$OUT/planner/planner.pt" constant_velocity; do
  $A eval --scenes "$OUT/real" --agent "$agent" --split test -q eval.ego_size=recorded $PLANNER
done
echo "demo: outputs in $OUT (stores, per-token scores, embeddings, indexes, the planner run)"
