#!/usr/bin/env bash
# Set-up (scripts/setup.sh), then every test through ctest, ending with ctest's summary.
#   scripts/test.sh                 # all tests
#   scripts/test.sh -L data         # only those with a label (data, slow, ...)
#   scripts/test.sh -LE slow        # all but a label
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j "$(nproc)" "$@"
