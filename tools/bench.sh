#!/usr/bin/env bash
# Runs the benchmark suite and draws its plots, in one command:
#
#   tools/bench.sh [--quick] [--out DIR] [extra convgen_bench flags...]
#
# Builds (tools/build.sh), probes the machine's FMA peak and memory bandwidth, then times on
# MobileNetV1 (its 9 distinct separable blocks and the whole body as a chain) at 1 and 2 threads:
# convgen (dispatcher's choice), every schedule the build has (hand, tuned, naive, Mullapudi2016,
# Adams2019, Li2018), oneDNN and XNNPACK when built in, and ONNX Runtime (bench/onnxruntime_bench.py)
# when installed. Writes to DIR (default build/bench-results):
#   convgen.json, onnxruntime.json   Google Benchmark JSON (medians of the repetitions)
#   summary.md, summary.csv          tables (bench/summarize.py) and every row
#   gflops.png, roofline.png         GFLOP/s per layer and op (1 thread), and the roofline
# --quick: 3 blocks (112x112, 56x56, 14x14 stride 1), 3 repetitions: about 2 minutes on 2
# cores once built (the full run takes about 6).
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/bench-results
quick=0
extra=()
while (($#)); do
    case "$1" in
    --quick) quick=1 ;;
    --out) out="$2"; shift ;;
    *) extra+=("$1") ;;
    esac
    shift
done

tools/install_deps.sh
tools/build.sh
mkdir -p "$out"

layers='c32_64_112_s1|c64_128_112_s2|c128_128_56_s1|c128_256_56_s2|c256_256_28_s1|c256_512_28_s2|c512_512_14_s1|c512_1024_14_s2|c1024_1024_7_s1'
reps=5
if ((quick)); then
    layers='c32_64_112_s1|c128_128_56_s1|c512_512_14_s1'
    reps=3
fi
build/bench/convgen_bench --convgen_layers=mobilenet_v1 --convgen_threads=1,2 \
    --convgen_schedules=all --convgen_peers=all \
    --benchmark_filter="(/($layers)/|^mobilenet_v1_body)" --benchmark_repetitions=$reps \
    --benchmark_out="$out/convgen.json" --benchmark_out_format=json "${extra[@]}"

jsons=("$out/convgen.json")
if .venv/bin/python -c "import onnxruntime, onnx" 2>/dev/null; then
    .venv/bin/python bench/onnxruntime_bench.py --bench build/bench/convgen_bench \
        --layers mobilenet_v1 --filter "/($layers)\$" --threads 1,2 --repetitions $reps \
        --out "$out/onnxruntime.json"
    jsons+=("$out/onnxruntime.json")
else
    echo "ONNX Runtime not installed (tools/requirements-bench.txt): skipping that peer" >&2
fi
.venv/bin/python bench/summarize.py "${jsons[@]}" --csv "$out/summary.csv" \
    --plot "$out/gflops.png" --roofline "$out/roofline.png" > "$out/summary.md"
cat "$out/summary.md"
echo "results in $out/" >&2
