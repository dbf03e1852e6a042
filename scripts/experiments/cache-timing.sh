#!/usr/bin/env bash
# The scoring cache's effect on compare-real: one seed, vanilla_random + autoscale (v1, 4
# iterations: validation rescored every iteration) + autoscale_v2 (out-of-fold scoring twice),
# run with loop.scoring_cache_scenes=0 (every scene prepared anew) and with the default.
set -euo pipefail
cd "$(dirname "$0")/../.."
B=build/autoscale
mkdir -p out/acc out/demo
if [ ! -f out/acc/real/index.h5 ]; then
  $B import tests/data/commonroad-ngsim -o out/acc/real -q import.commonroad.window.stride_s=0.1
  $B import ../shared/data-samples/nuscenes-scenarionet -o out/acc/real --append -q import.scenarionet.window.stride_s=0.1
fi
[ -f out/acc/perturbed/index.h5 ] || $B synth perturb --scenes out/acc/real -o out/acc/perturbed -q eval.ego_size=recorded
[ -f out/demo/sumo/index.h5 ] || $B synth sumo -o out/demo/sumo -q synth.sumo.worlds=2
COMMON=(-c configs/compare-real.yaml --threads 2 --no-report "loop.compare.methods=[vanilla_random,autoscale,autoscale_v2]"
        loop.compare.seeds=1 "loop.compare.curve_budgets=[]" loop.compare.reference=vanilla_random)
mkdir -p out/cache-timing
for cache in 0 4000; do
  out=out/cache-timing/c$cache
  rm -rf "$out"
  /usr/bin/time -f "wall %e s, max RSS %M KiB" $B compare "${COMMON[@]}" -o "$out" loop.scoring_cache_scenes=$cache \
    > "$out.log" 2>&1 || { echo "compare failed: see $out.log"; exit 1; }
  tail -2 "$out.log"
done
