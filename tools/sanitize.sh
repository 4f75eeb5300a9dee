#!/usr/bin/env bash
# Builds the runtime and the test suite with AddressSanitizer and UndefinedBehaviorSanitizer in
# build-asan/ and runs the tests there (leak checking on). Not part of the default test command:
# the instrumented build takes a few minutes more. The Halide kernels themselves are not
# instrumented; what this checks is the runtime's validation, packing and buffer handling.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh
san="-fsanitize=address,undefined -fno-omit-frame-pointer"
# The generator binary runs during the build: no leak report from Halide's own allocations.
ASAN_OPTIONS=detect_leaks=0 .venv/bin/cmake -S . -B build-asan -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONVGEN_BUILD_BENCH=OFF \
    -DCMAKE_MAKE_PROGRAM="$PWD/.venv/bin/ninja" \
    -DCMAKE_CXX_FLAGS="$san" -DCMAKE_EXE_LINKER_FLAGS="${san%% -fno*}"
ASAN_OPTIONS=detect_leaks=0 .venv/bin/cmake --build build-asan --target convgen_tests \
    convgen_gpu_tests
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    build-asan/tests/convgen_tests
# The GPU operators on OpenCL (PoCL; CUDA where a GPU is): the unfused separable's scratch,
# buffer wrapping, concurrency. No leak check: the OpenCL driver keeps its own allocations.
ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    build-asan/tests/convgen_gpu_tests
