#!/usr/bin/env python3
"""MobileNetV2's body as one network: convgen (fused and layer by layer) against ONNX Runtime
and OpenVINO, the same shapes, in interleaved rounds.

    .venv/bin/python bench/mobilenet_v2_peers.py [--threads 1,2] [--rounds 3] [--seconds 2]

The body is problems/layer_sets.cpp's mobilenet_v2_body(): the 3x3 stride-2 conv 3 -> 32 at
224x224, the 17 inverted-residual blocks of Sandler et al.'s table (1x1 expansion + ReLU6,
3x3 depthwise + ReLU6, 1x1 projection, the input added where stride 1 and c_in == c_out), the
1x1 conv 320 -> 1280 + ReLU6; TensorFlow SAME padding, batch 1, fp32, NHWC in and out.

  convgen-fused    convgen_bench's mobilenet_v2_body/fused (each block one InvertedResidual)
  convgen-unfused  mobilenet_v2_body/unfused (each block Pointwise, Depthwise, Pointwise, add)
  onnxruntime      an ONNX model of the same body built here (Conv, Clip(0, 6), Add; NCHW with
                   explicit pads equal to SAME's; a Transpose at each end for NHWC in and out),
                   all graph optimisations, intra-op threads T, sequential execution
  openvino         the same ONNX model compiled for CPU, INFERENCE_NUM_THREADS T, f32 forced,
                   one stream, LATENCY hint

The peers run in this process, convgen as a convgen_bench process per round (its median of 5
repetitions of at least --seconds / 5 each); rounds interleave them, as this kind of shared VM
drifts over minutes. The table gives each implementation's median over rounds and the median of
its per-round ratios to convgen-fused. Weights are random (He-scaled); the peers' outputs are not
compared with convgen's here (tests and convgen_network --self-test do that for convgen).
LiteRT is not run: converting a model to .tflite needs TensorFlow, which this environment lacks.
"""
import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
STAGES = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
          (6, 160, 3, 2), (6, 320, 1, 1)]  # t, c, n, s (3x3 depthwise throughout)


def same_pads(size, k, stride):
    out = (size + stride - 1) // stride
    total = max((out - 1) * stride + k - size, 0)
    return out, total // 2, total - total // 2


def build_onnx(path, rng):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    inits = [numpy_helper.from_array(np.array(0, np.float32), "zero"),
             numpy_helper.from_array(np.array(6, np.float32), "six")]
    nodes = [helper.make_node("Transpose", ["input"], ["t0"], perm=[0, 3, 1, 2])]
    state = {"size": 224, "cur": "t0", "n": 0}

    def conv(c_in, c_out, k, stride, group, relu6):
        n = state["n"]
        out, lo, hi = same_pads(state["size"], k, stride)
        w = rng.standard_normal((c_out, c_in // group, k, k)).astype(np.float32)
        w *= np.sqrt(2.0 / (k * k * c_in // group))
        inits.append(numpy_helper.from_array(w, f"w{n}"))
        inits.append(numpy_helper.from_array((0.1 * rng.standard_normal(c_out)).astype(np.float32), f"b{n}"))
        nodes.append(helper.make_node("Conv", [state["cur"], f"w{n}", f"b{n}"], [f"c{n}"],
                                      kernel_shape=[k, k], strides=[stride, stride],
                                      pads=[lo, lo, hi, hi], group=group))
        name = f"c{n}"
        if relu6:
            nodes.append(helper.make_node("Clip", [name, "zero", "six"], [f"r{n}"]))
            name = f"r{n}"
        state.update(size=out, cur=name, n=n + 1)

    conv(3, 32, 3, 2, 1, True)
    c = 32
    for t, c_out, repeats, s in STAGES:
        for i in range(repeats):
            stride = s if i == 0 else 1
            block_in = state["cur"]
            hidden = t * c
            if t != 1:
                conv(c, hidden, 1, 1, 1, True)
            conv(hidden, hidden, 3, stride, hidden, True)
            conv(hidden, c_out, 1, 1, 1, False)
            if stride == 1 and c == c_out:
                n = state["n"]
                nodes.append(helper.make_node("Add", [state["cur"], block_in], [f"a{n}"]))
                state.update(cur=f"a{n}", n=n + 1)
            c = c_out
    conv(c, 1280, 1, 1, 1, True)
    nodes.append(helper.make_node("Transpose", [state["cur"]], ["output"], perm=[0, 2, 3, 1]))
    size = state["size"]
    graph = helper.make_graph(
        nodes, "mobilenet_v2_body",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 224, 224, 3])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, size, size, 1280])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def time_run(run, seconds):
    for _ in range(3):
        run()
    times, start = [], time.perf_counter()
    while len(times) < 10 or time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        run()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def peers(model, threads):
    x = np.random.default_rng(1).standard_normal((1, 224, 224, 3)).astype(np.float32)
    runs = {}
    try:
        import onnxruntime as ort
        so = ort.SessionOptions()
        so.intra_op_num_threads, so.inter_op_num_threads = threads, 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        sess = ort.InferenceSession(str(model), so, providers=["CPUExecutionProvider"])
        runs["onnxruntime"] = lambda: sess.run(["output"], {"input": x})
    except ImportError:
        print("onnxruntime not installed: skipped", file=sys.stderr)
    try:
        import openvino as ov
        core = ov.Core()
        compiled = core.compile_model(core.read_model(str(model)), "CPU", {
            "INFERENCE_NUM_THREADS": threads, "INFERENCE_PRECISION_HINT": "f32",
            "NUM_STREAMS": 1, "PERFORMANCE_HINT": "LATENCY"})
        request = compiled.create_infer_request()
        request.set_input_tensor(ov.Tensor(x))
        runs["openvino"] = request.infer
    except ImportError:
        print("openvino not installed: skipped", file=sys.stderr)
    return runs


def convgen(threads, seconds):
    out = subprocess.run(
        [str(ROOT / "build/bench/convgen_bench"), "--convgen_layers=mobilenet_v2_blocks",
         f"--convgen_threads={threads}", "--benchmark_filter=mobilenet_v2_body",
         f"--benchmark_min_time={seconds / 5:.2f}s", "--benchmark_repetitions=5",
         "--benchmark_report_aggregates_only=true", "--benchmark_format=json",
         "--convgen_console=full"], capture_output=True, text=True, check=True).stdout
    times = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("aggregate_name") == "median":
            kind = b["name"].split("/")[1]
            times[f"convgen-{kind}"] = b["real_time"] * {"ms": 1, "us": 1e-3}[b["time_unit"]]
    return times


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=2.0)
    args = ap.parse_args()
    model = ROOT / "build" / "mobilenet_v2_body.onnx"
    build_onnx(model, np.random.default_rng(2026))
    print("| threads | implementation | median ms | ratio to convgen-fused (median of rounds) |")
    print("|---:|---|---:|---:|")
    for threads in [int(t) for t in args.threads.split(",")]:
        impls = peers(model, threads)
        rounds = []
        for _ in range(args.rounds):
            r = convgen(threads, args.seconds)
            for name, run in impls.items():
                r[name] = time_run(run, args.seconds)
            rounds.append(r)
        for name in rounds[0]:
            med = statistics.median(r[name] for r in rounds)
            ratio = statistics.median(r[name] / r["convgen-fused"] for r in rounds)
            print(f"| {threads} | {name} | {med:.2f} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
