#!/usr/bin/env bash
# Configures and builds convgen in build/ (Release) with the .venv's CMake and ninja; ccache is
# used when installed. Extra arguments go to the CMake configure step.
set -euo pipefail
cd "$(dirname "$0")/.."
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
.venv/bin/cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_MAKE_PROGRAM="$PWD/.venv/bin/ninja" "${launcher[@]}" "$@"
.venv/bin/cmake --build build
