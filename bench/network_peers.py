#!/usr/bin/env python3
"""MobileNetV1's body as one network: convgen against ONNX Runtime, OpenVINO, LiteRT, oneDNN.

    .venv/bin/python bench/network_peers.py                  # 1 and 2 threads, 5 rounds
    .venv/bin/python bench/network_peers.py --threads 1 --rounds 3 --impl convgen-fused,onnxruntime

The body: the 3x3 stride-2 conv 3 -> 32 on a 224x224x3 input, then the 13 depthwise-separable
blocks (3x3 depthwise, 1x1 pointwise; the 512 -> 512 14x14 block five times), bias + ReLU6
after every conv, TensorFlow SAME padding, batch 1, fp32, NHWC in and out, 1.135 GFLOP. The
weights are drawn once (seeded, He-scaled so activations stay O(1), biases nonzero), as if
batch norm had been folded in, and every implementation gets the same ones:

  convgen-fused    build/bench/convgen_network --mode fused (each block one Separable)
  convgen-unfused  the same, each block a Depthwise then a Pointwise operator
  onnxruntime      an ONNX model built here (Conv + Clip(0, 6), NCHW with explicit pads that
                   match SAME; a Transpose at each end keeps NHWC in and out), all graph
                   optimisations, intra-op threads T, inter-op 1, sequential execution
  openvino         the same ONNX model compiled for CPU, INFERENCE_NUM_THREADS T, f32 forced
                   (INFERENCE_PRECISION_HINT: it picks bf16 on CPUs that have it otherwise),
                   NUM_STREAMS 1, PERFORMANCE_HINT LATENCY
  litert           a .tflite converted by TensorFlow (tensorflow-cpu) from tf.nn ops, float32,
                   run by LiteRT's interpreter (ai-edge-litert) with its default XNNPACK
                   delegate at num_threads T (the delegate's log line is checked)
  onednn           build/bench/onednn_network: oneDNN 3 from PyPI (onednn, onednn-devel), one
                   convolution primitive per layer, layouts its own; built only when CMake is
                   given -DCONVGEN_ONEDNN3_ROOT (bench/CMakeLists.txt), else skipped

Every implementation's output is checked against convgen-fused's and against a float64 numpy
reference; above --tolerance (relative to the output's largest magnitude) the script fails.
Timing: each implementation runs in its own process (its peak resident memory, VmHWM, is
reported too), warms up, then runs the network for --seconds (and at least --runs times) and
keeps the median; rounds interleave the implementations (A B C A B C ...), as this kind of
shared VM drifts by tens of percent over minutes; before each run it waits (up to --wait-idle
seconds) until other processes leave the CPUs, and records how busy they were. The table gives
each implementation's median over rounds and its per-round ratio to convgen-fused (median of
the paired ratios).
A peer whose package is missing is skipped with a message (tools/requirements-network.txt).

Output: a markdown table on stdout and --json (default build/network-peers/results.json) with
the CPU, package versions, settings, every round's times, the load average, ratios, errors and
max RSS.
"""
import argparse
import datetime
import importlib.metadata
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
IMPLS = ["convgen-fused", "convgen-unfused", "onnxruntime", "openvino", "litert", "onednn"]
PEAK_GFLOPS_ZEN3 = 93.2  # one core's FMA peak on the development VM (README, peak_probe.cpp)

# ---- the network ----------------------------------------------------------------------------

INPUT_HW, INPUT_C = 224, 3
# (c_in, c_out, stride) of MobileNetV1's 13 separable blocks, as problems/layer_sets.cpp lists them
# (there the 512 -> 512 block appears once; the network has it five times).
BLOCKS = ([(32, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2), (256, 256, 1), (256, 512, 2)]
          + [(512, 512, 1)] * 5 + [(512, 1024, 2), (1024, 1024, 1)])


def same_padding(size, k, stride):
    """TensorFlow SAME: output ceil(size / stride), the odd pixel of padding at the end."""
    out = -(-size // stride)
    total = max((out - 1) * stride + k - size, 0)
    return out, total // 2, total - total // 2


def make_network(seed):
    """Input and layers with weights in convgen's layouts: conv HWIO [k][k][c_in][c_out],
    depthwise [k][k][c], pointwise [c_in][c_out]. He-scaled weights keep activations O(1)
    through ReLU6; biases are small and mostly positive, so few outputs are stuck at 0."""
    rng = np.random.default_rng(seed)

    def he(shape, fan_in):
        return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)

    def bias(n):
        return rng.uniform(-0.05, 0.2, n).astype(np.float32)

    x = rng.uniform(-1, 1, (1, INPUT_HW, INPUT_HW, INPUT_C)).astype(np.float32)
    layers = [dict(kind="conv", c_in=3, c_out=32, k=3, stride=2,
                   w=he((3, 3, 3, 32), 27), b=bias(32))]
    for c_in, c_out, stride in BLOCKS:
        layers.append(dict(kind="sep", c_in=c_in, c_out=c_out, k=3, stride=stride,
                           dw_w=he((3, 3, c_in), 9), dw_b=bias(c_in),
                           pw_w=he((c_in, c_out), c_in), pw_b=bias(c_out)))
    return x, layers


def network_flops(layers):
    """FLOPs as convgen::cost counts them: 2 per multiply-add, bias and activation not counted."""
    size, flops = INPUT_HW, 0
    for l in layers:
        size = same_padding(size, l["k"], l["stride"])[0]
        if l["kind"] == "conv":
            flops += 2 * size * size * l["k"] ** 2 * l["c_in"] * l["c_out"]
        else:
            flops += 2 * size * size * (l["k"] ** 2 * l["c_in"] + l["c_in"] * l["c_out"])
    return flops


def reference(x, layers):
    """The network in float64 numpy, padding computed by same_padding()."""
    def conv(x, w, b, k, stride, depthwise):
        _, h, wd, _ = x.shape
        oh, pt, pb = same_padding(h, k, stride)
        ow, pl, pr = same_padding(wd, k, stride)
        xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
        acc = np.zeros((1, oh, ow, w.shape[-1]), np.float64) + b
        for i in range(k):
            for j in range(k):
                tap = xp[:, i:i + stride * (oh - 1) + 1:stride, j:j + stride * (ow - 1) + 1:stride]
                acc += tap * w[i, j] if depthwise else tap @ w[i, j]
        return np.clip(acc, 0, 6)

    y = x.astype(np.float64)
    for l in layers:
        if l["kind"] == "conv":
            y = conv(y, l["w"].astype(np.float64), l["b"], l["k"], l["stride"], False)
        else:
            y = conv(y, l["dw_w"].astype(np.float64), l["dw_b"], l["k"], l["stride"], True)
            y = np.clip(y @ l["pw_w"].astype(np.float64) + l["pw_b"], 0, 6)
    return y


# ---- each implementation's model files ------------------------------------------------------

def write_convgen(work, x, layers):
    """bench/network_runner.cpp's format: network.txt and raw float32 files."""
    d = work / "convgen"
    d.mkdir(parents=True, exist_ok=True)
    x.tofile(d / "input.f32")
    lines = [f"# MobileNetV1 body, bench/network_peers.py\ninput {INPUT_HW} {INPUT_HW} {INPUT_C} input.f32"]
    for i, l in enumerate(layers):
        names = ["w", "b"] if l["kind"] == "conv" else ["dw_w", "dw_b", "pw_w", "pw_b"]
        files = []
        for name in names:
            files.append(f"l{i}_{name}.f32")
            np.ascontiguousarray(l[name], np.float32).tofile(d / files[-1])
        lines.append(f"{l['kind']} {l['c_in']} {l['c_out']} {l['k']} {l['stride']} " + " ".join(files))
    (d / "network.txt").write_text("\n".join(lines) + "\n")
    return d


def write_onnx(path, layers):
    """Conv + Clip per layer in NCHW, explicit pads = SAME's (bottom/right get the odd pixel on
    stride 2), a Transpose at each end so the model takes and gives NHWC like the others."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    inits = [numpy_helper.from_array(np.array(0, np.float32), "zero"),
             numpy_helper.from_array(np.array(6, np.float32), "six")]
    nodes = [helper.make_node("Transpose", ["input"], ["t0"], perm=[0, 3, 1, 2])]
    size, cur, n = INPUT_HW, "t0", 0

    def conv(w_oihw, b, k, stride, group):
        nonlocal size, cur, n
        out, lo, hi = same_padding(size, k, stride)
        inits.append(numpy_helper.from_array(np.ascontiguousarray(w_oihw), f"w{n}"))
        inits.append(numpy_helper.from_array(b, f"b{n}"))
        nodes.append(helper.make_node("Conv", [cur, f"w{n}", f"b{n}"], [f"c{n}"], kernel_shape=[k, k],
                                      strides=[stride, stride], pads=[lo, lo, hi, hi], group=group))
        nodes.append(helper.make_node("Clip", [f"c{n}", "zero", "six"], [f"r{n}"]))
        size, cur, n = out, f"r{n}", n + 1

    for l in layers:
        if l["kind"] == "conv":
            conv(l["w"].transpose(3, 2, 0, 1), l["b"], l["k"], l["stride"], 1)
        else:
            conv(l["dw_w"].transpose(2, 0, 1)[:, None], l["dw_b"], l["k"], l["stride"], l["c_in"])
            conv(l["pw_w"].T[:, :, None, None], l["pw_b"], 1, 1, 1)
    c_out = layers[-1]["c_out"]
    nodes.append(helper.make_node("Transpose", [cur], ["output"], perm=[0, 2, 3, 1]))
    graph = helper.make_graph(
        nodes, "mobilenet_v1_body",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, INPUT_HW, INPUT_HW, INPUT_C])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, size, size, c_out])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8  # readable by older runtimes too
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def write_tflite(path, layers):
    """tf.nn ops (conv2d / depthwise_conv2d with padding SAME, bias, relu6) converted to a
    float32 .tflite; the converter fuses bias and ReLU6 into each conv."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    consts = []
    for l in layers:
        if l["kind"] == "conv":
            consts.append((tf.constant(l["w"]), tf.constant(l["b"])))
        else:
            consts.append((tf.constant(l["dw_w"][:, :, :, None]), tf.constant(l["dw_b"]),
                           tf.constant(l["pw_w"][None, None]), tf.constant(l["pw_b"])))

    @tf.function(input_signature=[tf.TensorSpec([1, INPUT_HW, INPUT_HW, INPUT_C], tf.float32)])
    def body(x):
        for l, c in zip(layers, consts):
            s = [1, l["stride"], l["stride"], 1]
            if l["kind"] == "conv":
                x = tf.nn.relu6(tf.nn.conv2d(x, c[0], s, "SAME") + c[1])
            else:
                x = tf.nn.relu6(tf.nn.depthwise_conv2d(x, c[0], s, "SAME") + c[1])
                x = tf.nn.relu6(tf.nn.conv2d(x, c[2], 1, "SAME") + c[3])
        return x

    converter = tf.lite.TFLiteConverter.from_concrete_functions([body.get_concrete_function()], body)
    path.write_bytes(converter.convert())


# ---- workers: one implementation timed in its own process -----------------------------------

def time_loop(run, warmup, runs, seconds):
    for _ in range(warmup):
        run()
    times = []
    start = time.perf_counter()
    while len(times) < runs or time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        run()
        times.append((time.perf_counter() - t0) * 1e3)
    return dict(median_ms=statistics.median(times), min_ms=min(times), runs=len(times))


def peak_rss_kib():
    """This process's peak resident memory (VmHWM), as bench/network_files.cpp reads it."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def worker(args):
    """Loads one peer's model, times it, writes its output; prints one JSON line."""
    work, t = Path(args.work), args.threads
    x = np.fromfile(work / "convgen" / "input.f32", np.float32).reshape(1, INPUT_HW, INPUT_HW, INPUT_C)
    info = {}
    if args.worker == "onnxruntime":
        import onnxruntime as ort
        so = ort.SessionOptions()
        so.intra_op_num_threads = t
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        sess = ort.InferenceSession(str(work / "model.onnx"), so, providers=["CPUExecutionProvider"])
        info["providers"] = sess.get_providers()
        feeds = {"input": x}
        last = [None]

        def run():
            last[0] = sess.run(["output"], feeds)[0]

        def output():
            return last[0]
    elif args.worker == "openvino":
        import openvino as ov
        core = ov.Core()
        compiled = core.compile_model(core.read_model(str(work / "model.onnx")), "CPU", {
            "INFERENCE_NUM_THREADS": t, "INFERENCE_PRECISION_HINT": "f32",
            "NUM_STREAMS": 1, "PERFORMANCE_HINT": "LATENCY"})
        for key in ("INFERENCE_NUM_THREADS", "INFERENCE_PRECISION_HINT", "NUM_STREAMS",
                    "PERFORMANCE_HINT", "EXECUTION_MODE_HINT"):
            info[key] = str(compiled.get_property(key))
        if compiled.get_property("INFERENCE_PRECISION_HINT") != ov.Type.f32:
            sys.exit(f"openvino did not keep f32: INFERENCE_PRECISION_HINT = {info['INFERENCE_PRECISION_HINT']}")
        # The kernels it chose and the precision each runs in, e.g. brgconv_avx2_dw_f32 f32.
        kernels = {}
        for op in compiled.get_runtime_model().get_ordered_ops():
            rt = op.get_rt_info()
            if rt["layerType"].astype(str) in ("Convolution", "Reorder", "Transpose"):
                kind = f'{rt["primitiveType"].astype(str)} {rt["runtimePrecision"].astype(str)}'
                kernels[kind] = kernels.get(kind, 0) + 1
        info["kernels"] = kernels
        request = compiled.create_infer_request()
        request.set_input_tensor(ov.Tensor(x))

        def run():
            request.infer()

        def output():
            return request.get_output_tensor().data
    elif args.worker == "litert":
        from ai_edge_litert.interpreter import Interpreter
        interp = Interpreter(model_path=str(work / "model.tflite"), num_threads=t)
        interp.allocate_tensors()
        # After allocate_tensors the node list ends with the delegate's node(s), if one applied.
        info["ops"] = sorted({op["op_name"] for op in interp._get_ops_details()})
        if "DELEGATE" not in info["ops"]:
            sys.exit(f"litert: no delegate applied (ops {info['ops']})")
        inp, out = interp.get_input_details()[0]["index"], interp.get_output_details()[0]["index"]
        interp.set_tensor(inp, x)

        def run():
            interp.invoke()

        def output():
            return interp.get_tensor(out)
    else:
        sys.exit(f"unknown worker {args.worker}")
    timing = time_loop(run, args.warmup, args.runs, args.seconds)
    y = output()
    np.ascontiguousarray(y, np.float32).tofile(args.out)
    print(json.dumps(dict(timing, threads=t, info=info, output_shape=list(y.shape),
                          peak_rss_kib=peak_rss_kib())), flush=True)


def run_impl(impl, t, args, work, out_path):
    """Runs one implementation in its own process; returns its JSON result."""
    common = ["--threads", str(t), "--runs", str(args.runs), "--warmup", str(args.warmup),
              "--seconds", str(args.seconds), "--out", str(out_path)]
    if impl.startswith("convgen"):
        cmd = [str(args.convgen), str(work / "convgen"), "--mode", impl.split("-")[1], "--json"] + common
    elif impl == "onednn":
        cmd = [str(args.onednn), str(work / "convgen"), "--json"] + common
    else:
        cmd = [sys.executable, __file__, "--worker", impl, "--work", str(work)] + common
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="0")  # LiteRT logs the delegate it applies
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    stdout, stderr = proc.stdout, proc.stderr
    if proc.returncode != 0:
        raise RuntimeError(f"{impl} at {t} threads failed ({proc.returncode}):\n{stderr[-3000:]}")
    result = json.loads(stdout.strip().splitlines()[-1])
    # Each child reports its own peak RSS (VmHWM): the ru_maxrss that wait4 gives a parent
    # counts the parent's RSS at fork (here hundreds of MiB, with TensorFlow loaded).
    result["maxrss_mib"] = result.pop("peak_rss_kib") / 1024
    if impl == "litert":
        # The interpreter applies XNNPACK by default; fail if this build did not.
        if "XNNPACK delegate" not in stderr:
            raise RuntimeError(f"litert: no XNNPACK delegate in its log:\n{stderr[-2000:]}")
        result["info"]["xnnpack_log"] = next(line for line in stderr.splitlines() if "XNNPACK" in line)
    return result


# ---- the comparison -------------------------------------------------------------------------

def cpu_busy(interval=0.5):
    """Fraction of all CPUs busy over `interval` seconds (/proc/stat) while this process sleeps:
    other processes' load, which the load average only shows a minute late."""
    def sample():
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return fields[3] + fields[4], sum(fields[:8])  # idle + iowait, total (no guest time)
    idle0, total0 = sample()
    time.sleep(interval)
    idle1, total1 = sample()
    return 1 - (idle1 - idle0) / max(total1 - total0, 1)


def wait_for_idle(args):
    """Waits up to --wait-idle seconds for the CPUs to be at most --idle-busy busy; returns the
    last busy fraction measured (kept with each timing, so a loaded run can be told apart)."""
    deadline = time.monotonic() + args.wait_idle
    busy = cpu_busy()
    while busy > args.idle_busy and time.monotonic() < deadline:
        time.sleep(2)
        busy = cpu_busy()
    return busy


def cpu_info():
    fields = {}
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if ":" in line:
            key, value = (s.strip() for s in line.split(":", 1))
            fields.setdefault(key, value)
    flags = set(fields.get("flags", "").split())
    return {"model_name": fields.get("model name"), "vendor": fields.get("vendor_id"),
            "family": fields.get("cpu family"), "model": fields.get("model"),
            "stepping": fields.get("stepping"), "cpus": os.cpu_count(),
            "isa": [f for f in ("sse4_1", "avx2", "fma", "avx512f", "avx512_bf16", "amx_tile")
                    if f in flags]}


def versions():
    out = {"python": platform.python_version()}
    for pkg in ("numpy", "onnx", "onnxruntime", "openvino", "ai-edge-litert", "tensorflow-cpu",
                "tensorflow", "halide"):
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            pass
    try:
        out["convgen_commit"] = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                                               capture_output=True, text=True).stdout.strip()
    except OSError:
        pass
    return out


def available(impls, args):
    """The selected implementations that can run, with a message for each that cannot."""
    need = {"onnxruntime": ["onnx", "onnxruntime"], "openvino": ["onnx", "openvino"],
            "litert": ["tensorflow", "ai_edge_litert"]}
    keep = []
    for impl in impls:
        if impl.startswith("convgen"):
            if not args.convgen.exists():
                print(f"skipping {impl}: {args.convgen} not built (tools/build.sh)")
                continue
        elif impl == "onednn":
            if not args.onednn.exists():
                print(f"skipping onednn: {args.onednn} not built (pip install --prefix build/onednn3 "
                      f"onednn-devel; tools/build.sh -DCONVGEN_ONEDNN3_ROOT=$PWD/build/onednn3)")
                continue
        else:
            missing = [m for m in need[impl] if importlib.util.find_spec(m) is None]
            if missing:
                print(f"skipping {impl}: no Python package {', '.join(missing)} "
                      f"(pip install -r tools/requirements-network.txt)")
                continue
        keep.append(impl)
    return keep


def error_stats(y, ref):
    scale = float(np.max(np.abs(ref)))
    err = float(np.max(np.abs(y.astype(np.float64) - ref)))
    return {"max_abs": err, "max_rel_to_max": err / scale if scale else float("inf")}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--impl", default=",".join(IMPLS), help=f"comma-separated subset of {','.join(IMPLS)}")
    ap.add_argument("--threads", default="1,2", help="thread counts (default 1,2)")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    ap.add_argument("--seconds", type=float, default=2.0,
                    help="timed seconds per implementation per round (default 2)")
    ap.add_argument("--runs", type=int, default=10, help="at least this many timed runs (default 10)")
    ap.add_argument("--warmup", type=int, default=5, help="warm-up runs (default 5)")
    ap.add_argument("--peak-gflops", type=float, default=PEAK_GFLOPS_ZEN3,
                    help=f"one core's FMA peak, for the FMA limit (default {PEAK_GFLOPS_ZEN3}: the Zen 3 VM)")
    ap.add_argument("--tolerance", type=float, default=1e-3,
                    help="max |error| allowed, relative to the output's largest magnitude")
    ap.add_argument("--wait-idle", type=float, default=30,
                    help="before each run, wait up to this many seconds for other processes to leave "
                         "the CPUs (default 30; 0: never wait)")
    ap.add_argument("--idle-busy", type=float, default=0.15,
                    help="CPUs count as idle at or below this busy fraction (default 0.15)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--convgen", type=Path, default=ROOT / "build" / "bench" / "convgen_network")
    ap.add_argument("--onednn", type=Path, default=ROOT / "build" / "bench" / "onednn_network")
    ap.add_argument("--work", type=Path, default=ROOT / "build" / "network-peers")
    ap.add_argument("--json", type=Path, help="results file (default <work>/results.json)")
    # Internal: one implementation in this process (run_impl starts these).
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        args.threads = int(args.threads)
        return worker(args)

    threads = [int(t) for t in args.threads.split(",")]
    impls = [s.strip() for s in args.impl.split(",") if s.strip()]
    unknown = [i for i in impls if i not in IMPLS]
    if unknown:
        ap.error(f"unknown --impl {unknown}; choose from {IMPLS}")
    impls = available(impls, args)
    if not impls:
        sys.exit("nothing to run")
    base = "convgen-fused" if "convgen-fused" in impls else impls[0]
    work = args.work
    work.mkdir(parents=True, exist_ok=True)

    x, layers = make_network(args.seed)
    flops = network_flops(layers)
    write_convgen(work, x, layers)
    if {"onnxruntime", "openvino"} & set(impls):
        write_onnx(work / "model.onnx", layers)
    if "litert" in impls:
        print("converting the network to .tflite with TensorFlow ...", flush=True)
        write_tflite(work / "model.tflite", layers)
    ref = reference(x, layers)
    print(f"network: {len(layers)} layers, {flops / 1e9:.3f} GFLOP; output {list(ref.shape)}, "
          f"{np.mean(ref == 0):.0%} zeros, {np.mean(ref == 6):.0%} at 6, max {ref.max():.3f}")

    cpu = cpu_info()
    print(f"CPU: {cpu['model_name']} (family {cpu['family']} model {cpu['model']}), "
          f"{cpu['cpus']} CPUs, {' '.join(cpu['isa'])}; load average {os.getloadavg()}")
    rounds, errors, infos = [], {}, {}
    for r in range(args.rounds):
        record = {"load_before": os.getloadavg(), "idle_busy": args.idle_busy, "times": {}}
        for t in threads:
            for impl in impls:
                out_path = work / f"out_{impl}_{t}.f32"
                busy = wait_for_idle(args)
                res = run_impl(impl, t, args, work, out_path)
                res["cpu_busy_before"] = busy
                record["times"][f"{impl}/{t}"] = res
                infos[f"{impl}/{t}"] = res.get("info", {})
                if r == 0:  # outputs are deterministic enough: check each once per thread count
                    y = np.fromfile(out_path, np.float32).reshape(ref.shape)
                    errors[f"{impl}/{t}"] = {"vs_reference": error_stats(y, ref)}
                print(f"  round {r + 1}/{args.rounds}  {t}T  {impl:16s} {res['median_ms']:8.2f} ms "
                      f"(min {res['min_ms']:.2f}, {res['runs']} runs)  peak RSS {res['maxrss_mib']:.0f} MiB  "
                      f"CPUs {busy:.0%} busy before",
                      flush=True)
        record["load_after"] = os.getloadavg()
        rounds.append(record)
        if r == 0:
            check_outputs(errors, impls, threads, work, ref, base, args.tolerance)

    summary = summarize(rounds, impls, threads, base, flops, args.peak_gflops, args.idle_busy)
    results = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "cpu": cpu, "versions": versions(), "network": "MobileNetV1 body (conv 3->32 s2 + 13 separable blocks), 224x224x3, N=1, fp32 NHWC",
        "gflop": flops / 1e9, "peak_gflops_per_core": args.peak_gflops,
        "settings": {k: v for k, v in vars(args).items() if k not in ("worker", "out")},
        "threads": threads, "impls": impls, "baseline": base, "summary": summary,
        "errors": errors, "impl_info": infos, "rounds": rounds,
    }
    json_path = args.json or work / "results.json"
    json_path.write_text(json.dumps(results, indent=1, default=str))
    print_table(summary, impls, threads, base, flops, args.peak_gflops, errors, cpu, rounds)
    print(f"\nresults: {json_path}")


def check_outputs(errors, impls, threads, work, ref, base, tolerance):
    """Each output against the baseline's (convgen-fused) at the same thread count; fails loudly."""
    bad = []
    for t in threads:
        y_base = np.fromfile(work / f"out_{base}_{t}.f32", np.float32).reshape(ref.shape).astype(np.float64)
        for impl in impls:
            y = np.fromfile(work / f"out_{impl}_{t}.f32", np.float32).reshape(ref.shape)
            e = errors[f"{impl}/{t}"]
            e["vs_" + base] = error_stats(y, y_base)
            for key, stats in e.items():
                if not stats["max_rel_to_max"] <= tolerance:
                    bad.append(f"{impl} at {t}T {key}: max |error| {stats['max_abs']:.3g} "
                               f"({stats['max_rel_to_max']:.3g} of the output's max)")
    if bad:
        sys.exit("outputs disagree beyond --tolerance:\n  " + "\n  ".join(bad))


def summarize(rounds, impls, threads, base, flops, peak, idle_busy):
    out = {}
    for t in threads:
        for impl in impls:
            key = f"{impl}/{t}"
            ms = [r["times"][key]["median_ms"] for r in rounds]
            # The rounds whose run started on idle CPUs: nearer what a quiet machine gives.
            quiet = [r["times"][key]["median_ms"] for r in rounds
                     if r["times"][key]["cpu_busy_before"] <= idle_busy]
            ratios = [r["times"][key]["median_ms"] / r["times"][f"{base}/{t}"]["median_ms"] for r in rounds]
            out[key] = {"median_ms": statistics.median(ms), "min_round_ms": min(ms), "max_round_ms": max(ms),
                        "best_run_ms": min(r["times"][key]["min_ms"] for r in rounds),
                        f"ratio_to_{base}": statistics.median(ratios),
                        "gflops": flops / 1e6 / statistics.median(ms),
                        "maxrss_mib": max(r["times"][key]["maxrss_mib"] for r in rounds),
                        "quiet_rounds": len(quiet),
                        "quiet_median_ms": statistics.median(quiet) if quiet else None}
        out[f"fma_limit_ms/{t}"] = flops / (peak * 1e9 * t) * 1e3
    return out


def print_table(summary, impls, threads, base, flops, peak, errors, cpu, rounds):
    loads = [r["load_before"][0] for r in rounds] + [r["load_after"][0] for r in rounds]
    busy = sorted(res["cpu_busy_before"] for r in rounds for res in r["times"].values())
    print(f"\nMobileNetV1 body, {flops / 1e9:.3f} GFLOP, on {cpu['model_name']} (family {cpu['family']} "
          f"model {cpu['model']}); {len(rounds)} interleaved rounds, 1-minute load average "
          f"{min(loads):.2f}-{max(loads):.2f}; CPUs busy with other work just before each run: "
          f"median {statistics.median(busy):.0%}, max {busy[-1]:.0%}\n")
    head = "| implementation |"
    rule = "|---|"
    for t in threads:
        head += f" {t}T ms (round range) | {t}T / {base} | {t}T GFLOP/s |"
        rule += "---|---|---|"
    head += " max rel. error | peak RSS MiB |"
    rule += "---|---|"
    print(head)
    print(rule)
    for impl in impls:
        row = f"| {impl} |"
        for t in threads:
            s = summary[f"{impl}/{t}"]
            row += (f" {s['median_ms']:.2f} ({s['min_round_ms']:.2f}-{s['max_round_ms']:.2f}) |"
                    f" {s[f'ratio_to_{base}']:.2f} | {s['gflops']:.1f} |")
        err = max(e["max_rel_to_max"] for t in threads for e in errors[f"{impl}/{t}"].values())
        rss = max(summary[f"{impl}/{t}"]["maxrss_mib"] for t in threads)
        print(row + f" {err:.1e} | {rss:.0f} |")
    print(f"\nOnly the rounds whose run started on idle CPUs (busy <= {rounds[0].get('idle_busy', 0):.0%}): "
          "median ms (rounds)\n")
    print("| implementation |" + "".join(f" {t}T quiet ms |" for t in threads))
    print("|---|" + "---|" * len(threads))
    for impl in impls:
        cells = []
        for t in threads:
            s = summary[f"{impl}/{t}"]
            cells.append(f" {s['quiet_median_ms']:.2f} ({s['quiet_rounds']}) |" if s["quiet_rounds"] else " - (0) |")
        print(f"| {impl} |" + "".join(cells))
    limits = ", ".join(f"{summary[f'fma_limit_ms/{t}']:.2f} ms at {t}T" for t in threads)
    print(f"\nFMA limit: {flops / 1e9:.3f} GFLOP / ({peak:g} GFLOP/s per core x threads) = {limits}")


if __name__ == "__main__":
    main()
