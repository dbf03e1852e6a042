#!/usr/bin/env bash
# The multi-source real benchmark (configs/bench-real.yaml): imports every real source of
# ../shared (NGSIM, nuScenes, SinD, Argoverse 2) into one store, makes the synthetic pool
# (perturbed starts of the real scenes with PDM-Closed labels, SUMO on the real Bologna acosta
# network), prints the domain-gap table by source, prepares every fold and runs the plan's jobs
# as 2 one-thread processes (compare-jobs.sh), then writes the comparison.
#   scripts/experiments/bench-real.sh [OUT] [key=value ...]   (default out/real-bench; needs ../shared, a build)
# Extra key=value overrides go to the compare (e.g. loop.compare.seeds=2).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-out/real-bench}
shift || true
BIN=${AUTOSCALE:-build/autoscale}
CFG=configs/bench-real.yaml
SHARED=${AUTOSCALE_SHARED_DIR:-../shared}/data-samples
mkdir -p "$OUT"
if [ ! -d "$OUT/real" ]; then
  rm -rf "$OUT/real.tmp"  # a half-made store of an earlier try
  for source in commonroad-ngsim nuscenes-scenarionet commonroad-sind av2-sensor; do  # each prints its scenes/s
    "$BIN" import "$SHARED/$source" -o "$OUT/real.tmp" $([ -d "$OUT/real.tmp" ] && echo --append) -q -c "$CFG"
  done
  mv "$OUT/real.tmp" "$OUT/real"
fi
[ -d "$OUT/perturbed" ] || "$BIN" synth perturb --scenes "$OUT/real" -o "$OUT/perturbed" -q -c "$CFG"
# Bologna acosta: its own net, calibrated demand and light programs; FCD bounded to the city
# centre and 3 minutes after a 5-minute warm-up (duration_s counts the warm-up), so the world
# stays small.
[ -d "$OUT/bologna" ] || "$BIN" synth sumo --scenario "$SHARED/sumo-bologna/acosta/run.sumocfg" -o "$OUT/bologna" \
  -q -c "$CFG" "synth.sumo.area=[500,300,1300,1000]" synth.sumo.warmup_s=300 synth.sumo.duration_s=480 \
  synth.sumo.max_egos_per_world=100
"$BIN" inspect "$OUT/real" --by-source --compare "$OUT/perturbed" "$OUT/bologna" | tee "$OUT/domain_gap.txt"
RUN="$OUT/${RUN_NAME:-compare}"
if [ ! -f "$RUN/run.json" ]; then
  "$BIN" compare -c "$CFG" -o "$RUN" --max-steps 0 -q --threads 2 loop.real="[$OUT/real]" \
    loop.synthetic="[$OUT/perturbed,$OUT/bologna]" "$@"
fi
exec scripts/experiments/compare-jobs.sh "$RUN"
