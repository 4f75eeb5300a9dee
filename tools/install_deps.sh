#!/usr/bin/env bash
# Installs what convgen needs and a fresh Debian 12 machine may lack: Debian packages (compilers,
# GoogleTest, Google Benchmark, python venv, the aarch64 cross compiler and qemu for the ARM
# build and its tests; PoCL, an OpenCL driver for the CPU, on which the GPU kernels' tests run; Google Benchmark for arm64 through Debian multiarch, optional) and, in a project-local .venv, Halide 21 from PyPI
# with CMake >= 3.28 and ninja. Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(g++ make python3 python3-venv libgtest-dev libgmock-dev libbenchmark-dev ccache
              pkgconf  # the install test builds a consumer with pkg-config
              g++-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static
              libfmt-dev libcli11-dev nlohmann-json3-dev  # convgen-tune (tuner/)
              libdnnl-dev libxnnpack-dev libpthreadpool-dev  # convgen_bench's optional peers
              pocl-opencl-icd ocl-icd-libopencl1)  # OpenCL on the CPU: the GPU schedules' tests
missing=()
for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
sudo_cmd=()
[[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
if ((${#missing[@]})); then
    echo "installing Debian packages: ${missing[*]}"
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}"
fi
# Google Benchmark for the aarch64 build of convgen_bench (Debian multiarch). Optional: without
# it the cross build skips bench/ and builds everything else.
if ! dpkg-query -W -f='${Status}' libbenchmark-dev:arm64 2>/dev/null | grep -q "install ok installed"; then
    echo "installing libbenchmark-dev:arm64 (optional, for the aarch64 benchmark)"
    if ! { "${sudo_cmd[@]}" dpkg --add-architecture arm64 &&
           "${sudo_cmd[@]}" apt-get update -qq &&
           DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq libbenchmark-dev:arm64; }; then
        echo "warning: no libbenchmark-dev:arm64; build-aarch64 will not build convgen_bench" >&2
    fi
fi

if [[ ! -x .venv/bin/python ]]; then
    echo "creating .venv"
    python3 -m venv .venv
fi
# pip is quick when everything is already satisfied.
.venv/bin/pip install -q --disable-pip-version-check -r tools/requirements.txt
# Optional benchmark extras (plots, the ONNX Runtime peer of tools/bench.sh): a failure here only
# costs those.
.venv/bin/pip install -q --disable-pip-version-check -r tools/requirements-bench.txt ||
    echo "warning: tools/requirements-bench.txt not installed: tools/bench.sh will skip plots and ONNX Runtime" >&2
