#!/usr/bin/env bash
# Set-up, then the main job on the embedded data: import the bundled real NGSIM recordings
# (and the nuScenes samples from ../shared when present) into a scene store and inspect it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

OUT=${OUT:-out/demo}
STORE="$OUT/store"
rm -rf "$STORE"
mkdir -p "$OUT"
build/autoscale import tests/data/commonroad-ngsim -o "$STORE"
NUSC=../shared/data-samples/nuscenes-scenarionet
if [ -d "$NUSC" ]; then
  build/autoscale import "$NUSC" -o "$STORE" --append
fi
build/autoscale inspect "$STORE"
echo "demo: scene store at $STORE"
