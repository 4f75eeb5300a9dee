#!/usr/bin/env bash
# Builds the runtime and the test suite with AddressSanitizer and UndefinedBehaviorSanitizer in
# build-asan/ and runs the tests there (leak checking on). Not part of the default test command:
# the instrumented build takes a few minutes more. The Halide kernels themselves are not
# instrumented; what this checks is the runtime's validation, packing and buffer handling.
#
#   tools/sanitize.sh            ASan + UBSan: the API, bad-input, reliability and GPU suites
#   tools/sanitize.sh --thread   ThreadSanitizer in build-tsan/: the concurrency tests (threads
#                                running operators while others change the thread count and ISA
#                                cap; operators on an application's executor; runs in caller
#                                workspaces). TSan sees convgen's runtime and thread pool; it
#                                does not see inside the Halide kernels, which only touch their
#                                own buffers.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh
if [[ "${1:-}" == "--thread" ]]; then
    # The kernels come from the host build's (uninstrumented) generator binary, as in the
    # aarch64 build: an instrumented generator would take half an hour to emit them.
    [[ -f build/cmake/convgen-halide_generatorsConfig.cmake ]] || tools/build.sh
    tsan="-fsanitize=thread -fno-omit-frame-pointer"
    .venv/bin/cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -Dconvgen-halide_generators_ROOT="$PWD/build" \
        -DCONVGEN_BUILD_BENCH=OFF -DCONVGEN_BUILD_TUNER=OFF -DCONVGEN_BUILD_SHARED=OFF \
        -DCMAKE_MAKE_PROGRAM="$PWD/.venv/bin/ninja" \
        -DCMAKE_CXX_FLAGS="$tsan" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread"
    .venv/bin/cmake --build build-tsan --target convgen_tests convgen_reliability_tests
    export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
    build-tsan/tests/convgen_tests \
        --gtest_filter='Concurrency.*:OperatorThreads.*:Threads.*:RunOptions.*:Workspace.*'
    build-tsan/tests/convgen_reliability_tests --gtest_filter='Concurrency.*'
    exit 0
fi
san="-fsanitize=address,undefined -fno-omit-frame-pointer"
# The kernels come from the host build's generator binary, as above: the kernels are not
# instrumented either way, and an instrumented generator is slow to emit them.
[[ -f build/cmake/convgen-halide_generatorsConfig.cmake ]] || tools/build.sh
ASAN_OPTIONS=detect_leaks=0 .venv/bin/cmake -S . -B build-asan -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONVGEN_BUILD_BENCH=OFF -DCONVGEN_BUILD_TUNER=OFF \
    -Dconvgen-halide_generators_ROOT="$PWD/build" \
    -DCMAKE_MAKE_PROGRAM="$PWD/.venv/bin/ninja" \
    -DCMAKE_CXX_FLAGS="$san" -DCMAKE_EXE_LINKER_FLAGS="${san%% -fno*}"
ASAN_OPTIONS=detect_leaks=0 .venv/bin/cmake --build build-asan --target convgen_tests \
    convgen_gpu_tests convgen_reliability_tests
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    build-asan/tests/convgen_tests
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    build-asan/tests/convgen_reliability_tests
# The GPU operators on OpenCL (PoCL; CUDA where a GPU is): the unfused separable's scratch,
# buffer wrapping, concurrency. No leak check: the OpenCL driver keeps its own allocations.
ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    build-asan/tests/convgen_gpu_tests
