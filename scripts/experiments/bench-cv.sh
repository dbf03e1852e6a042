#!/usr/bin/env bash
# The cross-fitted real-data benchmark (configs/bench-cv.yaml): imports every real source of
# ../shared (NGSIM, nuScenes, SinD) into one store, makes the synthetic pool (perturbed starts
# of the real scenes with PDM-Closed labels, SUMO worlds), prepares every fold (split, Graph-RAE
# and k-means without the fold's held-out logs), then runs the plan's jobs as 2 one-thread
# processes and writes the comparison.
#   scripts/experiments/bench-cv.sh [OUT] [key=value ...]   (default out/cv; needs ../shared and a build)
# Extra key=value overrides go to the compare (e.g. loop.compare.methods=[real_only,vanilla_random]).
# RUN_NAME names the run directory under OUT (default compare). WITH_HARM=1 plants testbed T2
# (mixture-review §4): corrupted-label copies of the perturbed starts (synth corrupt, labels
# drifting HARM_LATERAL_M metres to the right over 4 s) join the synthetic pool.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-out/cv}
shift || true
BIN=${AUTOSCALE:-build/autoscale}
CFG=configs/bench-cv.yaml
SHARED=${AUTOSCALE_SHARED_DIR:-../shared}/data-samples
mkdir -p "$OUT"
if [ ! -d "$OUT/real" ]; then
  "$BIN" import "$SHARED/commonroad-ngsim" -o "$OUT/real.tmp" -q -c "$CFG"
  "$BIN" import "$SHARED/nuscenes-scenarionet" -o "$OUT/real.tmp" --append -q -c "$CFG"
  if [ "${WITH_SIND:-1}" = 1 ]; then
    "$BIN" import "$SHARED/commonroad-sind" -o "$OUT/real.tmp" --append -q -c "$CFG"
  fi
  mv "$OUT/real.tmp" "$OUT/real"
fi
[ -d "$OUT/perturbed" ] || "$BIN" synth perturb --scenes "$OUT/real" -o "$OUT/perturbed" -q -c "$CFG"
[ -d "$OUT/sumo" ] || "$BIN" synth sumo -o "$OUT/sumo" -q -c "$CFG" synth.sumo.worlds=2
SYNTHETIC="$OUT/perturbed,$OUT/sumo"
if [ "${WITH_HARM:-0}" = 1 ]; then
  [ -d "$OUT/harm" ] || "$BIN" synth corrupt --scenes "$OUT/perturbed" -o "$OUT/harm" -q -c "$CFG" \
    synth.corrupt.kind=lateral_drift synth.corrupt.lateral_m="${HARM_LATERAL_M:-2.5}"
  SYNTHETIC="$SYNTHETIC,$OUT/harm"
fi
RUN="$OUT/${RUN_NAME:-compare}"
SETS=(loop.real="[$OUT/real]" loop.synthetic="[$SYNTHETIC]" "$@")
if [ ! -f "$RUN/run.json" ]; then
  "$BIN" compare -c "$CFG" -o "$RUN" --max-steps 0 -q --threads 2 "${SETS[@]}"
fi
exec scripts/experiments/compare-jobs.sh "$RUN"
