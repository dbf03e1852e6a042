#!/usr/bin/env bash
# Testbed T1 (configs/t1.yaml; mixture-review §4): SUMO worlds as the real domain with the stops
# removed from its training logs, and a synthetic pool of four planted groups. Makes the worlds
# and stores, then runs three comparisons on the same splits, seeds and test windows:
#   OUT/compare  every method of configs/t1.yaml on the four-group pool
#   OUT/oracle   vanilla_random on the useful group only (the known best selection)
#   OUT/anti     vanilla_random on the harmful group only (the known worst)
# and prints each method's ΔPDMS against random, oracle − random and random − anti-oracle
# (`autoscale paired`) and test PDMS per scene type (t1_by_type.py); PDMS is the config's
# eval.pdms_version (configs/t1.yaml: EPDMS v2). The selection's share of
# each group is in OUT/compare/summary.md.
#   scripts/experiments/bench-t1.sh [OUT] [key=value ...]   (default out/t1; overrides go to every compare)
# T1_WORLDS="TRAIN VAL TEST POOL CRUISE TRUCKS" sets the world counts (default "6 4 15 6 1 6");
# T1_SUMO="key=value ..." adds settings to every world (the CTest version makes short ones).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-out/t1}
shift || true
BIN=${AUTOSCALE:-build/autoscale}
CFG=configs/t1.yaml
mkdir -p "$OUT/worlds"
# world SEED COUNT NAME [key=value ...]: COUNT SUMO worlds of run seed SEED (logs sumo-grid-SEED-w<i>)
world() {
  local seed=$1 count=$2 name=$3
  shift 3
  # shellcheck disable=SC2086  # T1_SUMO is a list of settings
  [ -d "$OUT/worlds/$name" ] || "$BIN" synth sumo -o "$OUT/worlds/$name" -q -c "$CFG" --threads 2 \
    run.seed="$seed" synth.sumo.worlds="$count" ${T1_SUMO:-} "$@"
}
read -r N_TRAIN N_VAL N_TEST N_POOL N_CRUISE N_TRUCKS <<<"${T1_WORLDS:-6 4 15 6 1 6}"
world 101 "$N_TRAIN" train
world 102 "$N_VAL" val
world 103 "$N_TEST" test
world 104 "$N_POOL" pool
world 105 "$N_CRUISE" cruise
world 106 "$N_TRUCKS" trucks synth.sumo.vehicle_class=truck
if [ ! -d "$OUT/real" ]; then
  "$BIN" synth select --scenes "$OUT/worlds/train" -o "$OUT/real.tmp" --type turn --type cruise --as-real -q -c "$CFG"
  "$BIN" synth select --scenes "$OUT/worlds/val" -o "$OUT/real.tmp" --as-real --append -q -c "$CFG"
  "$BIN" synth select --scenes "$OUT/worlds/test" -o "$OUT/real.tmp" --as-real --append -q -c "$CFG"
  mv "$OUT/real.tmp" "$OUT/real"
fi
[ -d "$OUT/useful" ] || "$BIN" synth select --scenes "$OUT/worlds/pool" -o "$OUT/useful" --type stop --tag useful -q -c "$CFG"
[ -d "$OUT/neutral" ] || "$BIN" synth select --scenes "$OUT/worlds/cruise" -o "$OUT/neutral" --type cruise --tag neutral -q -c "$CFG"
[ -d "$OUT/shifted" ] || "$BIN" synth select --scenes "$OUT/worlds/trucks" -o "$OUT/shifted" --type stop --tag shifted -q -c "$CFG"
[ -d "$OUT/harmful" ] || "$BIN" synth corrupt --scenes "$OUT/useful" -o "$OUT/harmful" -q -c "$CFG"
for split in val test; do  # the scored windows by type, for t1_by_type.py
  for t in stop turn cruise; do
    [ -d "$OUT/types/$split/$t" ] || "$BIN" synth select --scenes "$OUT/worlds/$split" -o "$OUT/types/$split/$t" \
      --type "$t" -q -c "$CFG"
  done
done

SETS=(loop.real="[$OUT/real]" "$@")
prepare() {  # RUN [key=value ...]
  local run=$1
  shift
  [ -f "$run/run.json" ] || "$BIN" compare -c "$CFG" -o "$run" --max-steps 0 -q --threads 2 "${SETS[@]}" "$@"
}
prepare "$OUT/compare" loop.synthetic="[$OUT/useful,$OUT/neutral,$OUT/shifted,$OUT/harmful]"
# The bounds need no embedding of their own (random draws): descriptors keep them cheap.
prepare "$OUT/oracle" loop.synthetic="[$OUT/useful]" "loop.compare.methods=[vanilla_random]" encode.embedding=descriptor
prepare "$OUT/anti" loop.synthetic="[$OUT/harmful]" "loop.compare.methods=[vanilla_random]" encode.embedding=descriptor
for run in oracle anti compare; do scripts/experiments/compare-jobs.sh "$OUT/$run"; done
echo "== T1: oracle − random, random − anti-oracle, every method − random (paired by seed and test window)"
"$BIN" paired "$OUT/oracle" vanilla_random "$OUT/compare" vanilla_random
"$BIN" paired "$OUT/compare" vanilla_random "$OUT/anti" vanilla_random
METHODS=$(python3 -c "import json; print(' '.join(json.load(open('$OUT/compare/run.json'))['methods']))")
for m in $METHODS; do
  [ "$m" = vanilla_random ] || "$BIN" paired "$OUT/compare" "$m" "$OUT/compare" vanilla_random
done
echo "== T1: test PDMS by scene type"
SPECS=("$OUT/oracle:vanilla_random:oracle" "$OUT/anti:vanilla_random:anti-oracle")
for m in $METHODS; do SPECS+=("$OUT/compare:$m"); done
scripts/experiments/t1_by_type.py "$OUT" test "${SPECS[@]}"
