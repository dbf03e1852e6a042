#!/usr/bin/env bash
# Air-gapped installs: the Debian 12 packages autoscale builds against, carried as .deb files and
# unpacked into a prefix on a node with no package registry (never into /: Debian packages over
# another distribution can break it). The node brings its compiler, CMake, Ninja and a libtorch
# (the PyTorch wheel's, for CUDA); the bundle brings everything else.
#
#   scripts/offline-bundle.sh collect [DIR]          on a Debian 12 machine with the registry:
#                                                     the .debs, SHA256SUMS, MANIFEST (default: offline-bundle/)
#   scripts/offline-bundle.sh install DIR PREFIX     on the node: check the sums, unpack into PREFIX,
#                                                     write PREFIX/autoscale-env.sh
#   source PREFIX/autoscale-env.sh && cmake -S . -B build -G Ninja $AUTOSCALE_CMAKE_ARGS [-DAUTOSCALE_CUDA=ON]
#
# HDF5 is linked statically from the bundle (-DAUTOSCALE_HDF5_STATIC=ON), so the binary needs
# neither libcurl nor libcrypto at run time. See ../shared/spec/build-stack.md section 8.2.
set -euo pipefail

# The libraries of the fixed stack and the ones added to it, with the run-time libraries they
# need that a minimal Debian/Ubuntu does not have.
PACKAGES=(
  libfaiss-dev libopenblas0-pthread libgfortran5 libquadmath0
  libyaml-cpp-dev libyaml-cpp0.7 libspdlog-dev libspdlog1.10 libfmt-dev libfmt9
  libcli11-dev libeigen3-dev libgtest-dev libhdf5-dev libaec-dev zlib1g-dev
  libpugixml-dev libpugixml1v5 nlohmann-json3-dev libgeos-dev libgeos-c1v5 libgeos3.11.1
  liblz4-dev liblz4-1
)

die() { echo "offline-bundle: error: $*" >&2; exit 1; }

collect() {
  local dir=${1:-offline-bundle}
  command -v apt-get >/dev/null || die "collect needs apt-get (a Debian 12 machine that reaches the registry)"
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  TMP_DOWNLOAD=$(mktemp -d "$dir/.download.XXXXXX")
  trap 'rm -rf "$TMP_DOWNLOAD"' EXIT
  chmod 755 "$TMP_DOWNLOAD"  # apt's unprivileged downloader writes there
  local tmp=$TMP_DOWNLOAD
  # apt-get download fetches exactly the named packages (no dependency resolution, no root).
  (cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "${PACKAGES[@]}") >/dev/null || die "apt-get download failed (run apt-get update?)"
  local n
  n=$(ls "$tmp"/*.deb | wc -l)
  [ "$n" -eq ${#PACKAGES[@]} ] || die "downloaded $n of ${#PACKAGES[@]} packages"
  rm -f "$dir"/*.deb
  mv "$tmp"/*.deb "$dir"/
  (cd "$dir" && sha256sum -- *.deb >SHA256SUMS.tmp && mv SHA256SUMS.tmp SHA256SUMS)
  for f in "$dir"/*.deb; do dpkg-deb --showformat='${Package}=${Version}\n' -W "$f"; done >"$dir/MANIFEST.tmp"
  mv "$dir/MANIFEST.tmp" "$dir/MANIFEST"
  cp "$0" "$dir/offline-bundle.sh"
  echo "offline-bundle: $n packages, $(du -sh "$dir" | cut -f1) in $dir (copy it to the node, then: $dir/offline-bundle.sh install $dir PREFIX)"
}

install_bundle() {
  local dir=$1 prefix=$2
  [ -f "$dir/SHA256SUMS" ] || die "$dir: no SHA256SUMS (not a bundle made by '$0 collect')"
  (cd "$dir" && sha256sum --check --quiet --strict SHA256SUMS) || die "$dir: checksum mismatch: the bundle is damaged"
  command -v dpkg-deb >/dev/null || die "install needs dpkg-deb (Debian's dpkg, also on Ubuntu)"
  mkdir -p "$prefix"
  prefix=$(cd "$prefix" && pwd)
  [ "$prefix" != / ] || die "refusing to unpack into /"
  local f
  for f in "$dir"/*.deb; do dpkg-deb -x "$f" "$prefix"; done
  local lib=$prefix/usr/lib/x86_64-linux-gnu
  cat >"$prefix/autoscale-env.sh.tmp" <<ENV
# Written by offline-bundle.sh install: the unpacked packages for building and running autoscale.
# LD_LIBRARY_PATH is needed at build time too (the test binaries run during the build).
export LD_LIBRARY_PATH="$lib:$lib/openblas-pthread\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
export AUTOSCALE_CMAKE_ARGS="-DCMAKE_PREFIX_PATH=$prefix/usr -DAUTOSCALE_HDF5_STATIC=ON"
ENV
  mv "$prefix/autoscale-env.sh.tmp" "$prefix/autoscale-env.sh"
  echo "offline-bundle: unpacked $(ls "$dir"/*.deb | wc -l) packages into $prefix"
  echo "  source $prefix/autoscale-env.sh && cmake -S . -B build -G Ninja \$AUTOSCALE_CMAKE_ARGS"
}

case "${1:-}" in
  collect) shift; collect "$@" ;;
  install) [ $# -eq 3 ] || die "usage: $0 install DIR PREFIX"; install_bundle "$2" "$3" ;;
  *) echo "usage: $0 collect [DIR] | install DIR PREFIX" >&2; exit 2 ;;
esac
