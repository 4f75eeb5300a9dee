#!/usr/bin/env bash
# Cross-builds convgen for aarch64-linux-gnu into build-aarch64/ (Release): kernels for
# arm-64-linux emitted by the host build's generator binary (build/, made by tools/build.sh),
# the runtime, the tests (run under qemu-aarch64-static by CTest), the demo and, when
# libbenchmark-dev:arm64 is installed, the benchmark. Extra arguments go to the configure step.
set -euo pipefail
cd "$(dirname "$0")/.."
host_build="${CONVGEN_HOST_BUILD:-$PWD/build}"
if [[ ! -f "$host_build/cmake/convgen-halide_generatorsConfig.cmake" ]]; then
    echo "no host generators in $host_build: run tools/build.sh first" >&2
    exit 1
fi
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
.venv/bin/cmake -S . -B build-aarch64 -G Ninja -DCMAKE_BUILD_TYPE=Release \
    --toolchain "$PWD/cmake/toolchains/aarch64-linux-gnu.cmake" \
    -Dconvgen-halide_generators_ROOT="$host_build" \
    -DCMAKE_MAKE_PROGRAM="$PWD/.venv/bin/ninja" "${launcher[@]}" "$@"
.venv/bin/cmake --build build-aarch64
