#!/usr/bin/env python3
"""Time ONNX Runtime on convgen_bench's layers, each op as a one-node model (Conv + Clip).

    python3 bench/onnxruntime_bench.py --bench build/bench/convgen_bench \\
        --layers mobilenet_v1 --threads 1,2 --out ort.json
    python3 bench/summarize.py convgen.json ort.json

The layers come from `convgen_bench --convgen_list_layers`, so both suites time the same
problems (problems/problem_string.h grammar). Each convgen op of a layer becomes one model:
depthwise (Conv, group = c), pointwise (1x1 Conv; a sep layer's runs on the depthwise output)
and conv2d (the standard conv the block replaces), every one with bias and ReLU6 (Clip 0..6,
which ONNX Runtime fuses into the Conv). ONNX Runtime works in NCHW and picks its own kernels
and blocked layouts (all graph optimisations on). Output: Google Benchmark-style JSON (median
aggregates, GFLOP/s and GB/s counted exactly as convgen_bench counts them) named
<op>/<layer>/peer:onnxruntime/threads:<n>/real_time, which summarize.py merges.
Needs numpy, onnx and onnxruntime (tools/requirements-bench.txt).
"""
import argparse
import datetime
import json
import platform
import re
import statistics
import subprocess
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper


def parse_problem(text):
    """The subset of problem_string.h convgen_bench prints (its canonical form)."""
    op, fields = text.split(":", 1)
    values = dict(re.findall(r"(kh|kw|[a-z])(\d+|v|s)?", fields))
    f = {k: v for k, v in values.items()}
    p = {"op": op, "n": int(f.get("n", 1)), "c": int(f["c"]), "h": int(f["h"])}
    p["w"] = int(f.get("w", p["h"]))
    k = int(f.get("k", 1 if op == "pw" else 3))
    p["kh"], p["kw"] = int(f.get("kh", k)), int(f.get("kw", k))
    p["s"], p["d"], p["m"] = int(f.get("s", 1)), int(f.get("d", 1)), int(f.get("m", 1))
    pad = f.get("p", "s")
    p["pad"] = pad if pad in ("v", "s") else int(pad)
    p["o"] = int(f.get("o", p["c"] * p["m"]))
    return p


def out_size(size, k, s, d, pad):
    """Output extent and leading padding, as convgen resolves SAME / VALID / explicit."""
    span = (k - 1) * d + 1
    if pad == "v":
        return (size - span) // s + 1, 0, 0
    if pad == "s":
        out = -(-size // s)
        total = max((out - 1) * s + span - size, 0)
        return out, total // 2, total - total // 2
    return (size + 2 * pad - span) // s + 1, pad, pad


def ops_of(p):
    """[(convgen op name, conv spec)] for a layer, spec = dict for one Conv node."""
    oh, pt, pb = out_size(p["h"], p["kh"], p["s"], p["d"], p["pad"])
    ow, pl, pr = out_size(p["w"], p["kw"], p["s"], p["d"], p["pad"])
    hidden = p["c"] * p["m"]
    window = dict(kh=p["kh"], kw=p["kw"], s=p["s"], d=p["d"], pads=[pt, pl, pb, pr])
    dw = dict(window, n=p["n"], c=p["c"], h=p["h"], w=p["w"], o=hidden, group=p["c"])
    conv = dict(window, n=p["n"], c=p["c"], h=p["h"], w=p["w"], o=p["o"], group=1)
    one = dict(kh=1, kw=1, s=1, d=1, pads=[0, 0, 0, 0], group=1)
    if p["op"] == "dw":
        return [("depthwise", dw)]
    if p["op"] == "conv":
        return [("conv2d", conv)]
    if p["op"] == "pw":
        return [("pointwise", dict(one, n=p["n"], c=p["c"], h=p["h"], w=p["w"], o=p["o"]))]
    pw = dict(one, n=p["n"], c=hidden, h=oh, w=ow, o=p["o"])
    return [("depthwise", dw), ("pointwise", pw), ("conv2d", conv)]


def output_hw(spec):
    """Output height and width of a Conv node with explicit [top, left, bottom, right] pads."""
    top, left, bottom, right = spec["pads"]
    oh = (spec["h"] + top + bottom - ((spec["kh"] - 1) * spec["d"] + 1)) // spec["s"] + 1
    ow = (spec["w"] + left + right - ((spec["kw"] - 1) * spec["d"] + 1)) // spec["s"] + 1
    return oh, ow


def flops_and_bytes(spec):
    """2 FLOPs per multiply-add (bias, activation not counted); compulsory fp32 bytes."""
    oh, ow = output_hw(spec)
    cin_per_group = spec["c"] // spec["group"]
    macs = spec["n"] * oh * ow * spec["o"] * cin_per_group * spec["kh"] * spec["kw"]
    elements = (spec["n"] * spec["h"] * spec["w"] * spec["c"] +
                spec["o"] * cin_per_group * spec["kh"] * spec["kw"] + spec["o"] +
                spec["n"] * oh * ow * spec["o"])
    return 2 * macs, 4 * elements


def model_of(spec, rng):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                      [spec["n"], spec["c"], spec["h"], spec["w"]])
    oh, ow = output_hw(spec)
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [spec["n"], spec["o"], oh, ow])
    cin = spec["c"] // spec["group"]
    fan_in = cin * spec["kh"] * spec["kw"]
    weights = (rng.uniform(-1, 1, (spec["o"], cin, spec["kh"], spec["kw"])) /
               np.sqrt(fan_in)).astype(np.float32)
    bias = rng.uniform(-0.1, 0.1, spec["o"]).astype(np.float32)
    inits = [numpy_helper.from_array(weights, "W"), numpy_helper.from_array(bias, "B"),
             numpy_helper.from_array(np.array(0, np.float32), "lo"),
             numpy_helper.from_array(np.array(6, np.float32), "hi")]
    conv = helper.make_node("Conv", ["x", "W", "B"], ["c"], kernel_shape=[spec["kh"], spec["kw"]],
                            strides=[spec["s"]] * 2, dilations=[spec["d"]] * 2,
                            pads=spec["pads"], group=spec["group"])
    clip = helper.make_node("Clip", ["c", "lo", "hi"], ["y"])
    graph = helper.make_graph([conv, clip], "layer", [x], [y], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    return model, weights, bias


def check_output(spec, x, weights, bias, y):
    """ONNX Runtime's output against numpy on a few output pixels: the peer must compute the
    same convolution before its time means anything."""
    oh, ow = output_hw(spec)
    pt, pl = spec["pads"][0], spec["pads"][1]
    cin = spec["c"] // spec["group"]
    per_group = spec["o"] // spec["group"]
    rng = np.random.default_rng(0)
    for _ in range(16):
        n, o = rng.integers(spec["n"]), rng.integers(spec["o"])
        yy, xx = rng.integers(oh), rng.integers(ow)
        g = o // per_group
        acc = float(bias[o])
        for ky in range(spec["kh"]):
            for kx in range(spec["kw"]):
                iy = yy * spec["s"] + ky * spec["d"] - pt
                ix = xx * spec["s"] + kx * spec["d"] - pl
                if 0 <= iy < spec["h"] and 0 <= ix < spec["w"]:
                    acc += float(np.dot(x[n, g * cin:(g + 1) * cin, iy, ix],
                                        weights[o, :, ky, kx]))
        want = min(max(acc, 0.0), 6.0)
        if abs(y[n, o, yy, xx] - want) > 1e-3 + 1e-3 * abs(want):
            raise SystemExit(f"onnxruntime output mismatch at n={n} o={o} y={yy} x={xx}: "
                             f"{y[n, o, yy, xx]} vs {want}")


def time_session(sess, x, y, repetitions, min_time):
    binding = sess.io_binding()
    binding.bind_cpu_input("x", x)
    binding.bind_ortvalue_output("y", ort.OrtValue.ortvalue_from_numpy(y))
    sess.run_with_iobinding(binding)  # warm-up: allocations, thread pool
    per_rep = []
    for _ in range(repetitions):
        iterations, start = 0, time.perf_counter()
        while True:
            sess.run_with_iobinding(binding)
            iterations += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_time:
                break
        per_rep.append(elapsed / iterations)
    return statistics.median(per_rep), iterations


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", required=True, help="convgen_bench binary (lists the layers)")
    ap.add_argument("--layers", default="mobilenet_v1", help="convgen_bench layer sets")
    ap.add_argument("--problem", default="", help="extra problem strings, comma-separated")
    ap.add_argument("--filter", default="", help="regex on <op>/<layer>, like benchmark_filter")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--repetitions", type=int, default=5)
    ap.add_argument("--min-time", type=float, default=0.05, help="seconds per repetition")
    ap.add_argument("--out", required=True, help="JSON output path")
    args = ap.parse_args()

    cmd = [args.bench, "--convgen_list_layers"]
    if args.layers:
        cmd.append(f"--convgen_layers={args.layers}")
    if args.problem:
        cmd.append(f"--convgen_problem={args.problem}")
    listing = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    threads = [int(t) for t in args.threads.split(",")]
    label = f"onnxruntime {ort.__version__} CPUExecutionProvider"
    rng = np.random.default_rng(1)
    results = []
    for line in listing.splitlines():
        problem, _, tag = line.partition("  tag ")
        problem = problem.strip()
        layer = tag.strip() or problem
        for op, spec in ops_of(parse_problem(problem)):
            if args.filter and not re.search(args.filter, f"{op}/{layer}"):
                continue
            model, weights, bias = model_of(spec, rng)
            x = rng.uniform(-1, 1, (spec["n"], spec["c"], spec["h"], spec["w"])).astype(np.float32)
            oh, ow = output_hw(spec)
            y = np.zeros((spec["n"], spec["o"], oh, ow), np.float32)
            flops, nbytes = flops_and_bytes(spec)
            for t in threads:
                options = ort.SessionOptions()
                options.intra_op_num_threads = t
                options.inter_op_num_threads = 1
                options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                sess = ort.InferenceSession(model.SerializeToString(), options,
                                            providers=["CPUExecutionProvider"])
                seconds, iterations = time_session(sess, x, y, args.repetitions, args.min_time)
                check_output(spec, x, weights, bias, y)
                name = f"{op}/{layer}/peer:onnxruntime/threads:{t}/real_time"
                results.append({
                    "name": name + "_median", "run_name": name, "run_type": "aggregate",
                    "aggregate_name": "median", "repetitions": args.repetitions,
                    "iterations": iterations, "real_time": seconds * 1e6, "time_unit": "us",
                    "GFLOP/s": flops / seconds * 1e-9, "GB/s": nbytes / seconds * 1e-9,
                    "FLOP/B": flops / nbytes, "label": label,
                })
                print(f"{name}: {seconds * 1e6:.1f} us, {flops / seconds * 1e-9:.1f} GFLOP/s",
                      file=sys.stderr)
    context = {"date": datetime.datetime.now().isoformat(timespec="seconds"),
               "host_name": platform.node(), "onnxruntime_version": ort.__version__,
               "executable": "bench/onnxruntime_bench.py"}
    with open(args.out, "w") as f:
        json.dump({"context": context, "benchmarks": results}, f, indent=1)


if __name__ == "__main__":
    main()
