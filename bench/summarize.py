#!/usr/bin/env python3
"""Summarise convgen_bench's Google Benchmark JSON output as markdown tables.

    convgen_bench --benchmark_out=results.json --benchmark_out_format=json
    python3 bench/summarize.py results.json [--plot results.png]

Prints, per thread count, the median GFLOP/s of each op on each layer (MobileNetV1 block or
problem string) and the fused vs unfused separable speed-up (time ratio; both do the same
FLOPs), then the forced-variant, per-ISA and peer (oneDNN, XNNPACK) benchmarks. Medians come from the "median" aggregates (--benchmark_repetitions > 1);
without repetitions, the single run is used. --plot writes a bar chart if matplotlib imports.
Python 3 standard library only, apart from the optional plot.
"""
import argparse
import json
import sys

OPS = ["depthwise", "pointwise", "separable_unfused", "separable_fused", "conv2d"]


def parse_name(run_name):
    """'pointwise/c128_128_56_s1/isa:avx2/threads:1/real_time' -> (op, layer, forced, threads)."""
    parts = [p for p in run_name.split("/") if p not in ("real_time", "manual_time")]
    op, layer, rest = parts[0], parts[1] if len(parts) > 1 else "", parts[2:]
    threads, forced = None, []
    for p in rest:
        if p.startswith("threads:"):
            threads = int(p.split(":", 1)[1])
        else:
            forced.append(p)
    return op, layer, "/".join(forced), threads


def load(path):
    with open(path) as f:
        data = json.load(f)
    medians, singles = {}, {}
    for b in data.get("benchmarks", []):
        if b.get("error_occurred"):
            continue
        name = b.get("run_name", b["name"])
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                medians[name] = b
        elif name not in singles:
            singles[name] = b
    rows = {}  # (op, layer, forced, threads) -> dict
    for name, b in {**singles, **medians}.items():
        key = parse_name(name)
        rows[key] = {
            "gflops": b.get("GFLOP/s"),
            "peak": b.get("%peak"),
            "time_us": to_us(b.get("real_time"), b.get("time_unit", "ns")),
            "label": b.get("label", ""),
        }
    return data.get("context", {}), rows


def to_us(value, unit):
    if value is None:
        return None
    return value * {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}[unit]


def fmt(v, spec=".1f"):
    return "-" if v is None else format(v, spec)


def layer_order(layer):
    """Network order: larger spatial size first, then channels. Layers are MobileNetV1 tags
    ("c128_256_56_s2") or problem strings ("dw:n1c32h112w112k3s2", bench/problem_string.h)."""
    import re
    if ":" in layer:
        op, fields = layer.split(":", 1)
        f = dict((k, int(v)) for k, v in re.findall(r"([a-z]+?)(\d+)", fields))
        return (-f.get("h", 0), f.get("c", 0), f.get("o", 0), f.get("s", 1), op)
    try:
        c_in, c_out, size, stride = layer[1:].replace("_s", "_").split("_")
        return (-int(size), int(c_in), int(c_out), int(stride), "")
    except ValueError:
        return (0, 0, 0, 0, layer)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("json", help="Google Benchmark JSON output of convgen_bench")
    ap.add_argument("--plot", metavar="PNG", help="write a bar chart (needs matplotlib)")
    args = ap.parse_args()

    context, rows = load(args.json)
    if not rows:
        sys.exit(f"{args.json}: no benchmark results")
    print("# convgen_bench: median GFLOP/s\n")
    print(f"host: {context.get('host_name', '?')}, {context.get('num_cpus', '?')} CPUs, "
          f"date {context.get('date', '?')}; "
          f"peak per core {context.get('convgen.peak_gflops_per_core', '?')} GFLOP/s\n")

    main_rows = {k: v for k, v in rows.items() if not k[2]}
    layers = sorted({k[1] for k in main_rows}, key=layer_order)
    threads = sorted({k[3] for k in main_rows if k[3] is not None})
    for t in threads:
        print(f"## {t} thread{'s' if t != 1 else ''}\n")
        print("| layer | " + " | ".join(OPS) + " | fused/unfused speed-up | fused %peak |")
        print("|---" * (len(OPS) + 3) + "|")
        for layer in layers:
            cells = [fmt(main_rows.get((op, layer, "", t), {}).get("gflops")) for op in OPS]
            fused = main_rows.get(("separable_fused", layer, "", t), {})
            unfused = main_rows.get(("separable_unfused", layer, "", t), {})
            ratio = None
            if fused.get("time_us") and unfused.get("time_us"):
                ratio = unfused["time_us"] / fused["time_us"]
            print(f"| {layer} | " + " | ".join(cells) +
                  f" | {fmt(ratio, '.2f')}x | {fmt(fused.get('peak'))} |")
        print()

    forced = sorted((k for k in rows if k[2]), key=lambda k: (k[0], k[1], k[3] or 0, k[2]))
    if forced:
        print("## Forced variant / ISA / peer\n")
        print("| op | layer | forced | threads | GFLOP/s | %peak | median us | ran |")
        print("|---|---|---|---|---|---|---|---|")
        for k in forced:
            r = rows[k]
            print(f"| {k[0]} | {k[1]} | {k[2]} | {k[3]} | {fmt(r['gflops'])} | "
                  f"{fmt(r['peak'])} | {fmt(r['time_us'])} | {r['label']} |")
        print()

    if args.plot:
        plot(args.plot, main_rows, layers, threads)


def plot(path, rows, layers, threads):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"matplotlib is not installed: no plot written to {path}", file=sys.stderr)
        return
    fig, axes = plt.subplots(len(threads), 1, figsize=(max(8, 1.4 * len(layers)), 4 * len(threads)),
                             squeeze=False)
    width = 0.8 / len(OPS)
    for ax, t in zip(axes[:, 0], threads):
        for i, op in enumerate(OPS):
            values = [rows.get((op, layer, "", t), {}).get("gflops") or 0 for layer in layers]
            ax.bar([x + (i - (len(OPS) - 1) / 2) * width for x in range(len(layers))], values,
                   width, label=op)
        ax.set_xticks(range(len(layers)))
        ax.set_xticklabels(layers, rotation=30, ha="right")
        ax.set_ylabel("GFLOP/s (median)")
        ax.set_title(f"convgen per layer, {t} thread{'s' if t != 1 else ''}")
        ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
