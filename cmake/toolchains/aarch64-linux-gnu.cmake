# Cross-compiles convgen for 64-bit ARM Linux with Debian's g++-aarch64-linux-gnu; tests run
# under qemu-aarch64-static (Debian's qemu-user-static), with the aarch64 libc from
# libc6-dev-arm64-cross in /usr/aarch64-linux-gnu. Used as:
#   cmake -S . -B build-aarch64 --toolchain cmake/toolchains/aarch64-linux-gnu.cmake \
#         -Dconvgen-halide_generators_ROOT=$PWD/build     # the host build's generators
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
# Packages come from both sides: Halide's CMake package (the host's .venv) and the host build's
# exported generators, as well as any aarch64 packages under the sysroot.
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

# LD_LIBRARY_PATH pins the cross libc: where Debian multiarch also installed libc6:arm64 (e.g.
# for libbenchmark-dev:arm64) the loader would otherwise mix the two glibc builds, and
# pthread_create hangs under qemu.
set(CMAKE_CROSSCOMPILING_EMULATOR
    "qemu-aarch64-static;-L;/usr/aarch64-linux-gnu;-E;LD_LIBRARY_PATH=/usr/aarch64-linux-gnu/lib")
