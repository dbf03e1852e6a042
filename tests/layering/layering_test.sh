#!/usr/bin/env bash
# The layering rule of docs/architecture.md, checked on the sources:
#  1. a module includes only its own headers and those of earlier modules;
#  2. no torch header is reachable from any public header (include/autoscale/*/) or cli header:
#     torch stays in the .cpp files and private headers of encode, train and loop (and cli's .cpp).
# usage: layering_test.sh PROJECT_DIR
set -u
ROOT=$1
source "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
ORDER=(core scene store import synth sim eval mixture encode train loop cli)
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
for f in "$ROOT"/include/autoscale/*/*.h "$ROOT"/src/cli/*.h; do
  # -MG lists headers it cannot find by their include name, so torch/... shows without torch installed.
  deps=$(g++ -std=c++17 -M -MG -I"$ROOT/include" "$f" 2>/dev/null | tr ' \\' '\n\n' | grep -E '(^|/)(torch|ATen|c10)/' | head -1)
  [ -n "$deps" ] && torchy+="${f#$ROOT/} reaches $deps; "
done
check "no torch header is reachable from a public or cli header" [ -z "$torchy" ]
if [ -n "$torchy" ]; then echo "  $torchy"; fi
# The check above must be able to fail: a private header that uses torch is seen as one.
probe=$(g++ -std=c++17 -M -MG -I"$ROOT/include" "$ROOT/src/train/collectives.h" 2>/dev/null | grep -c 'torch/')
check "  ...(the probe sees torch in src/train/collectives.h)" [ "$probe" -gt 0 ]
echo "$((checks - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
