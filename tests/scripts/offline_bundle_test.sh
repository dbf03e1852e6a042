#!/usr/bin/env bash
# scripts/offline-bundle.sh: collect the .debs (Debian registry), install them into a prefix, and
# configure autoscale against that prefix: every library must then be found inside the prefix,
# not in /usr. A damaged bundle is refused before anything is unpacked.
# usage: offline_bundle_test.sh REPO_DIR
set -u
REPO=$1
source "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"

"$REPO/scripts/offline-bundle.sh" collect "$T/bundle" >"$T/out" 2>&1
check "collect exits 0" [ $? -eq 0 ]
check "  ...downloads 24 packages" [ "$(ls "$T"/bundle/*.deb | wc -l)" -eq 24 ]
check "  ...with their checksums" [ "$(wc -l <"$T/bundle/SHA256SUMS")" -eq 24 ]
check "  ...and versions" grep -q '^libfaiss-dev=1.7.3' "$T/bundle/MANIFEST"
check "  ...and carries the installer" test -x "$T/bundle/offline-bundle.sh"
"$T/bundle/offline-bundle.sh" install "$T/bundle" "$T/prefix" >"$T/out" 2>&1
check "install exits 0" [ $? -eq 0 ]
check "  ...unpacks the libraries" test -f "$T/prefix/usr/lib/x86_64-linux-gnu/libhdf5_serial.a"
check "  ...writes the environment" test -f "$T/prefix/autoscale-env.sh"
(
  source "$T/prefix/autoscale-env.sh"
  # shellcheck disable=SC2086
  cmake -S "$REPO" -B "$T/build" -G Ninja $AUTOSCALE_CMAKE_ARGS >"$T/cmake.log" 2>&1
)
check "autoscale configures against the prefix" [ $? -eq 0 ]
for v in faiss_DIR yaml-cpp_DIR spdlog_DIR fmt_DIR CLI11_DIR Eigen3_DIR pugixml_DIR nlohmann_json_DIR GTest_DIR \
         AUTOSCALE_GEOS_C_LIBRARY AUTOSCALE_HDF5_C_A AUTOSCALE_AEC_A AUTOSCALE_SZ_A AUTOSCALE_LZ4_LIBRARY; do
  check "  ...$v is found in the prefix" grep -q "^$v:[A-Z]*=$T/prefix/" "$T/build/CMakeCache.txt"
done
cp -r "$T/bundle" "$T/damaged"
printf 'x' >>"$T/damaged/$(ls "$T/damaged" | grep -m1 '\.deb$')"
"$T/damaged/offline-bundle.sh" install "$T/damaged" "$T/prefix2" >"$T/out" 2>"$T/err"
check "a damaged bundle is refused" contains "$T/err" "checksum mismatch: the bundle is damaged"
check "  ...before unpacking anything" [ ! -e "$T/prefix2" ]

echo "$checks checks, $failures failures"
[ "$failures" -eq 0 ]
