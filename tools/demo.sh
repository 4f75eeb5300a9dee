#!/usr/bin/env bash
# Quick start, step 1: install what is missing, build everything, run the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh
tools/build.sh
build/examples/demo/convgen_demo "$@"
