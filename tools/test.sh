#!/usr/bin/env bash
# Quick start, step 2 (and CI): install what is missing, build, run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh
tools/build.sh
.venv/bin/ctest --test-dir build --output-on-failure -j "$(nproc)"
