#!/usr/bin/env bash
# Set-up, then the main job on the embedded data:
#   1. import the bundled real NGSIM recordings and the nuScenes samples of ../shared into a
#      scene store, and inspect it;
#   2. score the built-in planners on it with the PDM Score;
#   3. make synthetic data: a SUMO world and perturbed starts of the real scenes;
#   4. the AutoScale loop, `autoscale run --config configs/demo.yaml`: embed and cluster every
#      scene, search the synthetic mixture with Cluster-GA, train the final planner, score it on
#      held-out logs and write the HTML report.
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
if [ ! -d "$NUSC" ]; then  # the demo's validation and test logs are nuScenes logs
  echo "demo: error: $NUSC is missing (configs/demo.yaml holds out its logs for validation/test)" >&2
  exit 1
fi
$A import "$NUSC" -o "$OUT/real" --append -q
$A inspect "$OUT/real"

echo "== 2. PDM Score of the built-in planners (real experts scored with their own size)"
for agent in constant_velocity human pdm_closed; do
  $A eval --scenes "$OUT/real" --agent "$agent" --out "$OUT/scores-$agent.csv" -q eval.ego_size=recorded
done

echo "== 3. synthetic data"
$A synth sumo -o "$OUT/sumo" -q synth.sumo.worlds=2
$A synth perturb --scenes "$OUT/real" -o "$OUT/perturbed" -q eval.ego_size=recorded
$A inspect "$OUT/real" --compare "$OUT/sumo"

echo "== 4. the AutoScale loop (configs/demo.yaml): embed and cluster every scene; per iteration"
echo "   allocate the synthetic budget over clusters, retrieve, train, score on validation logs,"
echo "   Cluster-GA step; then the final planner, scored on the held-out test logs"
$A run --config configs/demo.yaml -o "$OUT/run" "loop.real=[$OUT/real]" "loop.synthetic=[$OUT/sumo,$OUT/perturbed]"
echo "demo: outputs in $OUT (stores, per-token scores, the run directory $OUT/run)"
echo "demo: open the report: $OUT/run/report.html"
