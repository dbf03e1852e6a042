#!/usr/bin/env bash
# Testbed T2 (mixture-review §4; issues 15 and 16): the cross-fitted real benchmark of
# bench-cv.sh with planted harm in the synthetic pool: a corrupted-label copy of every perturbed
# start (inputs identical, the ego future drifting 2.5 m to the right over 4 s), so a selection
# blind to outcomes draws ~43% harmful scenes. Reports every method's harmful share (exact) and
# PDMS; the sensitivity of the planner to its labels is vanilla_random here against bench-cv's
# clean pool (scripts/experiments/paired_delta.py).
#   scripts/experiments/bench-t2.sh [OUT] [key=value ...]   (default out/cv)
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-out/cv}
shift || true
RUN_NAME=${RUN_NAME:-t2} WITH_HARM=1 exec scripts/experiments/bench-cv.sh "$OUT" \
  "loop.compare.methods=[vanilla_random,domain_classifier,autoscale_v2]" loop.compare.seeds=2 "$@"
