#!/usr/bin/env bash
# Quick start, step 2 (and CI): install what is missing, build, run the whole test suite: the
# host (x86-64) build in build/, then the aarch64 cross build in build-aarch64/, whose tests
# run under qemu-aarch64-static.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh
tools/build.sh
.venv/bin/ctest --test-dir build --output-on-failure -j "$(nproc)"
tools/build_aarch64.sh
.venv/bin/ctest --test-dir build-aarch64 --output-on-failure -j "$(nproc)"
