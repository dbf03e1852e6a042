#!/usr/bin/env bash
# Idempotent set-up: installs the Debian packages autoscale needs (only those missing), then
# configures and builds into build/. Safe to run again; a second run only rebuilds what changed.
#   scripts/setup.sh            # as root on Debian 12 (or with the packages already installed)
#   BUILD_DIR=... CMAKE_ARGS=... scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${BUILD_DIR:-build}
PACKAGES=(
  # toolchain
  g++ cmake ninja-build ccache pkg-config
  # the fixed stack (see third_party/README.md)
  libtorch-dev libfaiss-dev libopenblas-dev libyaml-cpp-dev libspdlog-dev libcli11-dev libhdf5-dev
  libeigen3-dev libgtest-dev
  # the Gloo headers LibTorch's c10d process group needs (data-parallel training)
  libgloo-dev
  # added where they beat writing it: XML, JSON, polygon union
  libpugixml-dev nlohmann-json3-dev libgeos-dev liblz4-dev
  # helper scripts (Debian's /usr/bin/python3)
  python3 python3-numpy python3-h5py python3-shapely python3-yaml
  # HDF5's LZ4 filter plugin: h5py reads and writes the store's default codec (store.codec=lz4)
  hdf5-filter-plugin
  # synthetic traffic (headless SUMO and its tools)
  sumo sumo-tools
)
# Argoverse 2's Feather files are read by Apache Arrow's JavaScript implementation (scripts/node):
# Node.js and npm, unless the machine has them already (NodeSource's nodejs bundles npm).
command -v npm >/dev/null 2>&1 || PACKAGES+=(nodejs npm)
# Only the tests need these (SETUP_TEST_TOOLS=0 leaves them out, as the Apptainer image does):
# the report's render test opens it in headless Chromium; the Slurm tests start a single-node
# cluster on localhost.
if [ "${SETUP_TEST_TOOLS:-1}" != 0 ]; then
  PACKAGES+=(chromium slurm-wlm munge)
  # the PyTorch side of the training side-by-side (scripts/bench_torch_train.py)
  PACKAGES+=(python3-torch)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${#missing[@]} missing packages: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: error: need root to install them (or install them yourself)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The pinned npm packages of scripts/node (package-lock.json), again only when the lock changed.
if [ ! -f scripts/node/node_modules/.package-lock.json ] ||
  [ scripts/node/package-lock.json -nt scripts/node/node_modules/.package-lock.json ]; then
  echo "setup: installing scripts/node's npm packages (Apache Arrow for the Argoverse 2 importer)"
  (cd scripts/node && npm ci --no-audit --no-fund --loglevel=error) ||
    echo "setup: warning: npm ci failed in scripts/node: the Argoverse 2 importer will not run" >&2
fi

jobs=$(nproc)
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  # shellcheck disable=SC2086
  cmake -S . -B "$BUILD_DIR" -G Ninja ${CMAKE_ARGS:-}
fi
cmake --build "$BUILD_DIR" -j "$jobs"
