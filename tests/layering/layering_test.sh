#!/usr/bin/env bash
# The layering rule of docs/architecture.md, checked on the sources:
#  1. a module includes only its own headers and those of earlier modules;
#  2. no torch header is reachable from the headers of the torch-free modules (core, scene, sim,
#     eval, mixture) or of cli (its .cpp files may use torch; its headers may not).
# usage: layering_test.sh PROJECT_DIR
set -u
ROOT=$1
source "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
ORDER=(core scene sim eval mixture encode train loop cli)
rank() { local i; for i in "${!ORDER[@]}"; do [ "${ORDER[$i]}" = "$1" ] && echo "$i" && return; done; echo 99; }

upward=""
for m in "${ORDER[@]}"; do
  r=$(rank "$m")
  for f in "$ROOT"/include/autoscale/"$m"/*.h "$ROOT"/src/"$m"/*.h "$ROOT"/src/"$m"/*.cpp; do
    [ -e "$f" ] || continue
    for used in $(grep -oE '#include "autoscale/[a-z]+/' "$f" | sed -E 's|.*autoscale/([a-z]+)/|\1|' | sort -u); do
      [ "$(rank "$used")" -gt "$r" ] && upward+="${f#$ROOT/} includes $used; "
    done
  done
done
check "no module includes a later module" [ -z "$upward" ]
if [ -n "$upward" ]; then echo "  $upward"; fi

torchy=""
for f in "$ROOT"/include/autoscale/{core,scene,sim,eval,mixture}/*.h "$ROOT"/src/cli/*.h; do
  # -MG lists headers it cannot find by their include name, so torch/... shows without torch installed.
  deps=$(g++ -std=c++17 -M -MG -I"$ROOT/include" "$f" 2>/dev/null | tr ' \\' '\n\n' | grep -E '(^|/)(torch|ATen|c10)/' | head -1)
  [ -n "$deps" ] && torchy+="${f#$ROOT/} reaches $deps; "
done
check "no torch header is reachable from torch-free or cli headers" [ -z "$torchy" ]
if [ -n "$torchy" ]; then echo "  $torchy"; fi
# The check above must be able to fail: a header of a torch module is seen as one.
probe=$(g++ -std=c++17 -M -MG -I"$ROOT/include" "$ROOT/include/autoscale/train/distributed.h" 2>/dev/null | grep -c 'torch/')
check "  ...(the probe sees torch in train/distributed.h)" [ "$probe" -gt 0 ]
echo "$((checks - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
