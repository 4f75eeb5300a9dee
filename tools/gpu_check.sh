#!/usr/bin/env bash
# The one GPU check: on a machine with an NVIDIA GPU (capability >= 8.0, e.g. an H100), runs the
# CUDA tests (which must pass, not skip), then convgen's CUDA benchmark and the cuDNN one on
# MobileNetV1's separable blocks at batch 1 and 32, and prints one table.
#
#   tools/gpu_check.sh [bin dir]      # default build/; built with tools/build.sh if missing
#
# Needs only the three binaries (tests/convgen_gpu_tests, bench/gpu/convgen_cuda_bench,
# bench/gpu/cudnn_separable_bench; the first two need just the driver's libcuda.so.1, the last
# libcudnn.so.9 and a driver for CUDA 13) and python3, so a machine without Halide can run a
# copied build:
#   tools/gpu_check.sh --stage DIR    # copies them into DIR (~30 MB), to carry elsewhere
# GPU_CHECK_OPENCL=0 skips the OpenCL tests (CI runs them on PoCL).
# Results (logs, CSV, table) go to $OUT if set, else gpu_check_out/. Exit status: non-zero if
# any CUDA test failed or skipped or a benchmark failed.
set -uo pipefail
cd "$(dirname "$0")/.."
bins=(tests/convgen_gpu_tests bench/gpu/convgen_cuda_bench bench/gpu/cudnn_separable_bench)

if [[ "${1:-}" == "--stage" ]]; then
    dest=${2:?usage: tools/gpu_check.sh --stage DIR}
    for b in "${bins[@]}"; do
        [[ -x build/$b ]] || { echo "build/$b is missing: run tools/build.sh first" >&2; exit 1; }
        mkdir -p "$dest/$(dirname "$b")" && cp "build/$b" "$dest/$b"
    done
    echo "staged into $dest; run: tools/gpu_check.sh $dest"
    exit 0
fi

bin=${1:-build}
if [[ ! -x $bin/${bins[0]} || ! -x $bin/${bins[1]} ]]; then
    echo "== building ($bin lacks the GPU binaries)"
    tools/build.sh || exit 1
    bin=build
fi
out=${OUT:-gpu_check_out}
mkdir -p "$out"
status=0

echo "== device"
nvidia-smi --query-gpu=name,compute_cap,driver_version,memory.total --format=csv 2>&1 | tee "$out/device.txt"

echo "== CUDA tests, twice in one process (every GPU variant x target over the correctness grid; must not skip)"
"$bin/tests/convgen_gpu_tests" --gtest_filter='*cuda*:*Cuda*:GpuUnavailable.*' --gtest_repeat=2 \
    > "$out/cuda_tests.log" 2>&1
rc=$?
grep -E "^\[  FAILED  \] |Failure|^\[  PASSED  \]|^\[  SKIPPED \] [0-9]+ test" "$out/cuda_tests.log" | head -n 40
if ((rc != 0)); then echo "CUDA tests FAILED (rc=$rc), see $out/cuda_tests.log"; status=1; fi
if grep -q "^\[  SKIPPED \]" "$out/cuda_tests.log"; then
    echo "CUDA tests were SKIPPED: no usable CUDA device?"; status=1
fi

if [[ "${GPU_CHECK_OPENCL:-1}" != 0 ]]; then
    echo "== OpenCL tests (only if this machine has an OpenCL driver; skips otherwise)"
    "$bin/tests/convgen_gpu_tests" --gtest_filter='*opencl*' > "$out/opencl_tests.log" 2>&1 ||
        { echo "OpenCL tests FAILED, see $out/opencl_tests.log"; status=1; }
    tail -n 3 "$out/opencl_tests.log"
fi

echo "== convgen CUDA benchmark"
if "$bin/bench/gpu/convgen_cuda_bench" > "$out/convgen_info.txt" --batches=1 --iters=1 --reps=1 \
        --problem=sep:n1c32h112k3s1o64 2>&1; then
    cat "$out/convgen_info.txt"
fi
"$bin/bench/gpu/convgen_cuda_bench" --csv --variants > "$out/convgen.csv" 2> "$out/convgen_bench.err" ||
    { echo "convgen_cuda_bench FAILED:"; cat "$out/convgen_bench.err"; status=1; }

echo "== cuDNN benchmark"
cudnn_bench=$bin/bench/gpu/cudnn_separable_bench
if [[ -x $cudnn_bench ]] && ldd "$cudnn_bench" | grep -q "libcudnn.so.9 => not found"; then
    # A GPU machine may carry cuDNN only inside PyTorch's wheels (nvidia-cudnn-cu*).
    lib=$(python3 -c 'import nvidia.cudnn as c, os; print(os.path.join(list(c.__path__)[0], "lib"))' \
          2>/dev/null) || lib=$(dirname "$(find / -xdev -name libcudnn.so.9 2>/dev/null | head -n 1)")
    echo "libcudnn.so.9 from $lib"
    export LD_LIBRARY_PATH=$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
if [[ -x $cudnn_bench ]]; then
    "$cudnn_bench" --csv > "$out/cudnn.csv" 2> "$out/cudnn_bench.err" ||
        { echo "cudnn_separable_bench FAILED:"; cat "$out/cudnn_bench.err"; status=1; }
else
    echo "no cudnn_separable_bench (cuDNN not found at build time)"
fi

echo "== results (microseconds, median of 7 x 50 calls between CUDA events; lower is better)"
python3 - "$out" <<'PY' | tee "$out/table.txt"
import csv, os, sys
out = sys.argv[1]
rows, what, order = {}, {}, []
for name in ("convgen.csv", "cudnn.csv"):
    path = os.path.join(out, name)
    if not os.path.exists(path):
        continue
    for r in csv.reader(open(path)):
        if len(r) != 7:
            continue
        impl, layer, n, stage, us, gflops, ran = r
        key = (int(n), layer)
        if key not in rows:
            order.append(key)
        rows.setdefault(key, {})[f"{impl}_{stage}"] = float(us)
        what.setdefault(key, {})[f"{impl}_{stage}"] = ran
first = {k: i for i, k in enumerate(order)}
order.sort(key=lambda k: (k[0], first[k]))

def table(title, cols, extra, w=14):
    print(title)
    print(f"{'batch':>5} {'layer':<16}" + "".join(f"{c.replace('convgen_', ''):>{w}}" for c in cols) +
          "".join(f"{h:>14}" for h, _ in extra))
    for key in order:
        r = rows[key]
        cells = "".join(f"{r[c]:{w}.1f}" if c in r else f"{'-':>{w}}" for c in cols)
        more = "".join(f"{fn(r, what[key]):>14}" for _, fn in extra)
        print(f"{key[0]:>5} {key[1]:<16}" + cells + more)
    print()

ratio = lambda a, b: (lambda r, w: f"{r[a] / r[b]:.2f}" if a in r and b in r else "-")
path = lambda r, w: ("unfused" if "+" in w.get("convgen_auto", "") else "fused") if "convgen_auto" in w else "-"
table("convgen vs cuDNN (auto: the runtime's choice, fused or unfused)",
      ["convgen_fused", "convgen_unfused", "convgen_auto", "convgen_dw", "convgen_pw",
       "cudnn_unfused", "cudnn_dw", "cudnn_pw"],
      [("fused/cudnn", ratio("convgen_fused", "cudnn_unfused")),
       ("fused/unfused", ratio("convgen_fused", "convgen_unfused")),
       ("auto/unfused", ratio("convgen_auto", "convgen_unfused")), ("auto runs", path)])
variant_cols = sorted({c for r in rows.values() for c in r if ":" in c})
if variant_cols:
    table("schedules (hand default, its alternatives, and the GPU autoschedulers)",
          ["convgen_fused"] + [c for c in variant_cols if c.startswith("convgen_fused:")] +
          ["convgen_dw"] + [c for c in variant_cols if c.startswith("convgen_dw:")] +
          ["convgen_pw"] + [c for c in variant_cols if c.startswith("convgen_pw:")], [], w=24)
PY
exit $status
