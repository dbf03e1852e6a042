#!/usr/bin/env bash
# Issue 6 acceptance on real data: constant velocity, the Ego-Status MLP and the transformer
# planner, trained on the real training logs only (configs/planner-real.yaml), scored with PDMS
# v1 on the test logs, for seeds 0..2. Prints the table; the runs stay in OUT.
#   scripts/experiments/planner-real.sh [OUT]   (default out/planner-real; needs ../shared and a build)
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-out/planner-real}
BIN=${AUTOSCALE:-build/autoscale}
CFG=configs/planner-real.yaml
mkdir -p "$OUT"
if [ ! -d "$OUT/real" ]; then
  "$BIN" import tests/data/commonroad-ngsim -o "$OUT/real" -q -c "$CFG"
  "$BIN" import ../shared/data-samples/nuscenes-scenarionet -o "$OUT/real" --append -q -c "$CFG"
fi
score() {  # score NAME AGENT -> one table row
  "$BIN" eval --scenes "$OUT/real" --agent "$2" --split test -q -c "$CFG" >"$OUT/$1.eval" 2>&1
  tail -1 "$OUT/$1.eval" | awk -v n="$1" '{printf "| %-28s | %s | %s | %s | %s | %s | %s |\n", n, $1, $2, $4, $6, $5, $8}'
}
echo "| planner (test logs) | NC | DAC | TTC | C | EP | PDMS |"
echo "|---|---|---|---|---|---|---|"
score constant_velocity constant_velocity
for seed in 0 1 2; do
  # The MLP with its own (default) optimiser settings, which suit it better than the transformer's.
  "$BIN" train --scenes "$OUT/real" -o "$OUT/mlp-s$seed" -q -c "$CFG" run.seed=$seed train.planner.kind=ego_mlp \
    train.steps=1000 train.mirror=0 train.lr=0.0005 train.weight_decay=0.01 train.warmup_steps=200 \
    >"$OUT/mlp-s$seed.log" 2>&1
  score "ego_mlp seed $seed (best val)" "$OUT/mlp-s$seed/best.pt"
  "$BIN" train --scenes "$OUT/real" -o "$OUT/transformer-s$seed" -q -c "$CFG" run.seed=$seed \
    >"$OUT/transformer-s$seed.log" 2>&1
  score "transformer seed $seed (best val)" "$OUT/transformer-s$seed/best.pt"
done
