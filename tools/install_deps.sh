#!/usr/bin/env bash
# Installs what convgen needs and a fresh Debian 12 machine may lack: Debian packages (compilers,
# GoogleTest, Google Benchmark, python venv) and, in a project-local .venv, Halide 21 from PyPI
# with CMake >= 3.28 and ninja. Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(g++ make python3 python3-venv libgtest-dev libgmock-dev libbenchmark-dev ccache)
missing=()
for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "installing Debian packages: ${missing[*]}"
    sudo_cmd=()
    [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}"
fi

if [[ ! -x .venv/bin/python ]]; then
    echo "creating .venv"
    python3 -m venv .venv
fi
# pip is quick when everything is already satisfied.
.venv/bin/pip install -q --disable-pip-version-check -r tools/requirements.txt
