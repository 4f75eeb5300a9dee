#!/usr/bin/env python3
"""Summarise convgen_bench (and onnxruntime_bench.py) JSON: markdown tables, CSV, plots.

    convgen_bench --benchmark_out=convgen.json --benchmark_out_format=json
    python3 bench/summarize.py convgen.json [ort.json ...] [--csv all.csv]
                               [--plot gflops.png] [--roofline roofline.png] [--threads 1]

Prints, per thread count: the median GFLOP/s of each op on each layer with the fused vs unfused
separable speed-up; the schedules compared on each layer (hand, tuned, naive, Halide's
autoschedulers: `sched:<name>` benchmarks); the peers (oneDNN, XNNPACK, ONNX Runtime:
`peer:<name>`) beside convgen; then the other forced benchmarks (variants, ISAs) and the
MobileNetV1 body. Medians come from the "median" aggregates (--benchmark_repetitions > 1),
otherwise the single run. --csv writes every row; --plot draws GFLOP/s per layer for each op,
convgen's schedules and the peers side by side; --roofline draws each op on the machine's
roofline (FMA peak and memory bandwidth from the run's context, probed by convgen_bench).
Plots need matplotlib (tools/requirements-bench.txt); everything else is the standard library.
"""
import argparse
import csv
import json
import re
import sys

OPS = ["depthwise", "pointwise", "separable_unfused", "separable_fused", "conv2d"]
SCHEDULES = ["hand", "tuned", "naive", "Mullapudi2016", "Adams2019", "Li2018"]
AUTOSCHEDULERS = ["Mullapudi2016", "Adams2019", "Li2018"]
PEERS = ["onednn", "xnnpack", "onnxruntime"]
PEER_OPS = ["depthwise", "pointwise", "conv2d"]
# One colour per source (convgen, each schedule, each peer) in every panel of every plot.
SOURCE_COLORS = {
    "convgen": "#1f77b4", "sched:tuned": "#17becf", "sched:naive": "#7f7f7f",
    "sched:Mullapudi2016": "#bcbd22", "sched:Adams2019": "#9467bd", "sched:Li2018": "#8c564b",
    "onednn": "#d62728", "xnnpack": "#2ca02c", "onnxruntime": "#ff7f0e",
}
OP_MARKERS = {"depthwise": "o", "pointwise": "s", "separable_fused": "D",
              "separable_unfused": "d", "conv2d": "^"}


def short_layer(layer):
    """A short label for a layer: 'c128_256_56_s2' -> '56:128>256/2'; problem strings lose n1."""
    try:
        c_in, c_out, size, stride = layer[1:].replace("_s", "_").split("_")
        return f"{size}:{c_in}>{c_out}" + (f"/{stride}" if stride != "1" else "")
    except ValueError:
        return layer.replace("n1", "")


def parse_name(run_name):
    """'pointwise/c128_128_56_s1/isa:avx2/threads:1/real_time' -> (op, layer, forced, threads)."""
    parts = [p for p in run_name.split("/") if p not in ("real_time", "manual_time")]
    op, layer, rest = parts[0], parts[1] if len(parts) > 1 else "", parts[2:]
    threads, forced = None, []
    for p in rest:
        if p.startswith("threads:"):
            threads = int(p.split(":", 1)[1])
        elif not p.startswith("repeats:"):  # a benchmark's own repetition count
            forced.append(p)
    return op, layer, "/".join(forced), threads


def to_us(value, unit):
    if value is None:
        return None
    return value * {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}[unit]


def load(paths):
    """Rows keyed (op, layer, forced, threads) from every file; the first file's context."""
    context, rows = {}, {}
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        for k, v in data.get("context", {}).items():
            context.setdefault(k, v)
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
        for name, b in {**singles, **medians}.items():
            rows[parse_name(name)] = {
                "gflops": b.get("GFLOP/s"), "peak": b.get("%peak"), "gbps": b.get("GB/s"),
                "bw": b.get("%bw"), "intensity": b.get("FLOP/B"),
                "time_us": to_us(b.get("real_time"), b.get("time_unit", "ns")),
                "label": b.get("label", ""),
            }
    return context, rows


def fmt(v, spec=".1f"):
    return "-" if v is None else format(v, spec)


def layer_order(layer):
    """Network order: larger spatial size first, then channels. Layers are MobileNetV1 tags
    ("c128_256_56_s2") or problem strings ("dw:n1c32h112w112k3s2", problems/problem_string.h)."""
    if ":" in layer:
        op, fields = layer.split(":", 1)
        f = dict((k, int(v)) for k, v in re.findall(r"([a-z]+?)(\d+)", fields))
        return (-f.get("h", 0), f.get("c", 0), f.get("o", 0), f.get("s", 1), op)
    try:
        c_in, c_out, size, stride = layer[1:].replace("_s", "_").split("_")
        return (-int(size), int(c_in), int(c_out), int(stride), "")
    except ValueError:
        return (0, 0, 0, 0, layer)


def gflops(rows, op, layer, forced, t):
    return rows.get((op, layer, forced, t), {}).get("gflops")


def print_main(rows, layers, t):
    print("| layer | " + " | ".join(OPS) + " | fused/unfused | fused %peak | depthwise %bw |")
    print("|---" * (len(OPS) + 4) + "|")
    for layer in layers:
        cells = [fmt(gflops(rows, op, layer, "", t)) for op in OPS]
        fused = rows.get(("separable_fused", layer, "", t), {})
        unfused = rows.get(("separable_unfused", layer, "", t), {})
        ratio = None
        if fused.get("time_us") and unfused.get("time_us"):
            ratio = unfused["time_us"] / fused["time_us"]
        dw_bw = rows.get(("depthwise", layer, "", t), {}).get("bw")
        print(f"| {layer} | " + " | ".join(cells) +
              f" | {fmt(ratio, '.2f')}x | {fmt(fused.get('peak'))} | {fmt(dw_bw)} |")
    print()


def print_schedules(rows, layers, t):
    present = [s for s in SCHEDULES if any(k[2] == f"sched:{s}" and k[3] == t for k in rows)]
    if not present:
        return
    print(f"### Schedules, {t} thread{'s' if t != 1 else ''} (GFLOP/s)\n")
    print("| op | layer | " + " | ".join(present) + " | best autoscheduler / hand |")
    print("|---" * (len(present) + 3) + "|")
    for op in ["depthwise", "pointwise", "separable_fused", "conv2d"]:
        for layer in layers:
            cells = {s: gflops(rows, op, layer, f"sched:{s}", t) for s in present}
            if all(v is None for v in cells.values()):
                continue
            autos = [cells[s] for s in AUTOSCHEDULERS if cells.get(s)]
            ratio = max(autos) / cells["hand"] if autos and cells.get("hand") else None
            print(f"| {op} | {layer} | " + " | ".join(fmt(cells[s]) for s in present) +
                  f" | {fmt(ratio, '.2f')}x |")
    print()


def print_peers(rows, layers, t):
    present = [p for p in PEERS if any(k[2] == f"peer:{p}" and k[3] == t for k in rows)]
    if not present:
        return
    print(f"### Peers, {t} thread{'s' if t != 1 else ''} (GFLOP/s; convgen = its dispatcher's "
          "choice)\n")
    header = []
    for op in PEER_OPS:
        header += [f"{op} convgen"] + [f"{op} {p}" for p in present]
    print("| layer | " + " | ".join(header) + " |")
    print("|---" * (len(header) + 1) + "|")
    for layer in layers:
        cells = []
        for op in PEER_OPS:
            cells.append(fmt(gflops(rows, op, layer, "", t)))
            cells += [fmt(gflops(rows, op, layer, f"peer:{p}", t)) for p in present]
        if all(c == "-" for c in cells):
            continue
        print(f"| {layer} | " + " | ".join(cells) + " |")
    labels = sorted({r["label"] for k, r in rows.items() if k[2].startswith("peer:")})
    if labels:
        print("\nImplementations the peers reported: " + "; ".join(labels[:12]) +
              (" ..." if len(labels) > 12 else ""))
    print()


def print_other(rows):
    other = sorted((k for k in rows if k[2] and not k[2].startswith(("sched:", "peer:"))),
                   key=lambda k: (k[0], k[1], k[3] or 0, k[2]))
    body = sorted(k for k in rows if k[0] == "mobilenet_v1_body")
    if other or body:
        print("## Forced variants, ISAs, network body\n")
        print("| op | layer | forced | threads | GFLOP/s | %peak | median us | ran |")
        print("|---|---|---|---|---|---|---|---|")
        for k in other + body:
            r = rows[k]
            print(f"| {k[0]} | {k[1]} | {k[2]} | {k[3]} | {fmt(r['gflops'])} | "
                  f"{fmt(r['peak'])} | {fmt(r['time_us'])} | {r['label']} |")
        print()


def write_csv(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["op", "layer", "forced", "threads", "median_us", "gflops", "pct_peak",
                    "gbps", "pct_bandwidth", "flop_per_byte", "label"])
        for k in sorted(rows, key=lambda k: (k[0], layer_order(k[1]), k[2], k[3] or 0)):
            r = rows[k]
            w.writerow([k[0], k[1], k[2], k[3], r["time_us"], r["gflops"], r["peak"], r["gbps"],
                        r["bw"], r["intensity"], r["label"]])
    print(f"wrote {path}", file=sys.stderr)


def pyplot():
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        return plt
    except ImportError:
        print("matplotlib is not installed (tools/requirements-bench.txt): no plots",
              file=sys.stderr)
        return None


def series_for(rows, op, t):
    """[(legend, forced)] present for op at t: convgen, its schedules, the peers."""
    out = [("convgen", "")]
    out += [(f"sched:{s}", f"sched:{s}") for s in SCHEDULES
            if s != "hand" and any(k[0] == op and k[2] == f"sched:{s}" and k[3] == t
                                   for k in rows)]
    out += [(p, f"peer:{p}") for p in PEERS
            if any(k[0] == op and k[2] == f"peer:{p}" and k[3] == t for k in rows)]
    return out


def plot_gflops(path, rows, layers, t, title):
    plt = pyplot()
    if not plt:
        return
    ops = [op for op in ["depthwise", "pointwise", "separable_fused", "conv2d"]
           if any(k[0] == op and k[3] == t for k in rows)]
    fig, axes = plt.subplots(len(ops), 1, figsize=(max(9, 1.3 * len(layers)), 3.4 * len(ops)),
                             squeeze=False)
    shown = {}
    for ax, op in zip(axes[:, 0], ops):
        op_layers = [l for l in layers if any(k[0] == op and k[1] == l for k in rows)]
        series = series_for(rows, op, t)
        width = 0.85 / len(series)
        for i, (legend, forced) in enumerate(series):
            values = [gflops(rows, op, l, forced, t) or 0 for l in op_layers]
            bars = ax.bar([x + (i - (len(series) - 1) / 2) * width for x in range(len(op_layers))],
                          values, width, color=SOURCE_COLORS.get(legend, "#333333"))
            shown.setdefault(legend, bars)
        ax.set_xticks(range(len(op_layers)))
        ax.set_xticklabels(op_layers, rotation=25, ha="right", fontsize="small")
        ax.set_ylabel("GFLOP/s (median)")
        ax.set_title(f"{op}, {t} thread{'s' if t != 1 else ''}", fontsize="medium")
    # One legend for the figure: a source has the same colour in every panel.
    order = [s for s in SOURCE_COLORS if s in shown]
    fig.suptitle(title, fontsize="small", y=0.998)
    fig.legend([shown[s] for s in order], order, loc="upper center", ncol=min(len(order), 9),
               fontsize="small", frameon=False, bbox_to_anchor=(0.5, 0.985))
    fig.tight_layout(rect=(0, 0, 1, 0.955))
    fig.savefig(path, dpi=110)
    print(f"wrote {path}", file=sys.stderr)


def plot_roofline(path, rows, context, t, title):
    plt = pyplot()
    if not plt:
        return
    from matplotlib.lines import Line2D
    peak = float(context.get("convgen.peak_gflops_per_core", 0) or 0) * t
    bw = float(context.get(f"convgen.peak_gbps.threads:{t}", 0) or 0)
    fig, ax = plt.subplots(figsize=(11, 6))
    sources = [("convgen", "")] + [(p, f"peer:{p}") for p in PEERS] + \
              [(f"sched:{s}", f"sched:{s}") for s in AUTOSCHEDULERS]
    xs, used_sources, used_ops = [], [], []
    for legend, forced in sources:
        for op, marker in OP_MARKERS.items():
            pts = [(r["intensity"], r["gflops"], k[1]) for k, r in rows.items()
                   if k[0] == op and k[2] == forced and k[3] == t and r["intensity"]
                   and r["gflops"]]
            if not pts:
                continue
            xs += [p[0] for p in pts]
            ax.scatter([p[0] for p in pts], [p[1] for p in pts], marker=marker, s=30,
                       color=SOURCE_COLORS[legend], alpha=0.85, edgecolors="none")
            if legend not in used_sources:
                used_sources.append(legend)
            if op not in used_ops:
                used_ops.append(op)
            if legend == "convgen":  # convgen's points carry their layer; peers sit beside them
                for x, y, layer in pts:
                    ax.annotate(short_layer(layer), (x, y), xytext=(3, 2),
                                textcoords="offset points", fontsize=5.5, color="#333333")
    if xs and peak and bw:
        lo, hi = min(xs) / 2, max(xs) * 2
        ridge = peak / bw
        grid = [lo * (hi / lo) ** (j / 200) for j in range(201)]
        ax.plot(grid, [min(peak, bw * x) for x in grid], "k-", lw=1.2)
        ax.annotate(f"FMA peak {peak:.0f} GFLOP/s", (hi, peak), ha="right", va="bottom",
                    fontsize="small")
        ax.annotate(f"{bw:.0f} GB/s", (lo * 1.1, bw * lo * 1.1), fontsize="small", rotation=30)
        ax.axvline(ridge, color="gray", lw=0.5, ls=":")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity (FLOP per compulsory byte)")
    ax.set_ylabel("GFLOP/s (median)")
    ax.set_title(f"Roofline, {t} thread{'s' if t != 1 else ''} ({title}); labels: "
                 "size:c_in>c_out/stride", fontsize="small")
    # Two short legends: colour = who ran it, marker = which op.
    who = ax.legend([Line2D([], [], ls="", marker="o", color=SOURCE_COLORS[s]) for s in used_sources],
                    used_sources, title="source", fontsize="x-small", title_fontsize="x-small",
                    loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.add_artist(who)
    ax.legend([Line2D([], [], ls="", marker=OP_MARKERS[o], color="black") for o in used_ops],
              used_ops, title="op", fontsize="x-small", title_fontsize="x-small",
              loc="lower left", bbox_to_anchor=(1.0, 0.0))
    ax.grid(True, which="both", lw=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"wrote {path}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("json", nargs="+", help="Google Benchmark JSON (convgen_bench first)")
    ap.add_argument("--csv", metavar="CSV", help="write every median row as CSV")
    ap.add_argument("--plot", metavar="PNG", help="GFLOP/s per layer and op (needs matplotlib)")
    ap.add_argument("--roofline", metavar="PNG", help="roofline chart (needs matplotlib)")
    ap.add_argument("--threads", type=int, default=1, help="thread count the plots show")
    args = ap.parse_args()

    context, rows = load(args.json)
    if not rows:
        sys.exit(f"{', '.join(args.json)}: no benchmark results")
    bws = ", ".join(f"{k.split(':')[-1]} thread(s) {v} GB/s" for k, v in sorted(context.items())
                    if k.startswith("convgen.peak_gbps"))
    machine = (f"{context.get('host_name', '?')}, {context.get('num_cpus', '?')} CPUs, "
               f"ISA {context.get('convgen.detected_isa', '?')}")
    print("# convgen_bench: median GFLOP/s\n")
    print(f"machine: {machine}; date {context.get('date', '?')}; FMA peak per core "
          f"{context.get('convgen.peak_gflops_per_core', '?')} GFLOP/s; bandwidth {bws or '?'}"
          f"; peers: {context.get('convgen.peers_built_in', '?')}, oneDNN "
          f"{context.get('convgen.onednn_version', '-')}\n")

    main_rows = {k: v for k, v in rows.items() if not k[2] and k[0] in OPS}
    layers = sorted({k[1] for k in rows if k[0] in OPS}, key=layer_order)
    threads = sorted({k[3] for k in rows if k[3] is not None})
    for t in threads:
        print(f"## {t} thread{'s' if t != 1 else ''}\n")
        print_main(main_rows, [l for l in layers if any(k[1] == l for k in main_rows)], t)
        print_schedules(rows, layers, t)
        print_peers(rows, layers, t)
    print_other(rows)

    if args.csv:
        write_csv(args.csv, rows)
    title = f"{machine}, {context.get('date', '?')[:10]}"
    if args.plot:
        plot_gflops(args.plot, rows, layers, args.threads, title)
    if args.roofline:
        plot_roofline(args.roofline, rows, context, args.threads, title)


if __name__ == "__main__":
    main()
