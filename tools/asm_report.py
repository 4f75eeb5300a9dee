#!/usr/bin/env python3
"""Code-quality report for the CPU kernels, read from the assembly Halide emits.

A spilling or load-bound inner loop shows in the assembly before it is timed, and on a CPU the
build machine does not have (AVX-512 on an AVX2 machine, NEON on x86) the assembly is all there
is. For every variant in kernels.json and every ISA level of the chosen architecture, the
host-built generator emits assembly (`-e assembly`); for each stage of the op (conv, dw, pw) the
hottest innermost loop (the one with the most vector FMAs: the full register tile of the
specialisation ladder) is measured:

  fma      vector FMAs per iteration (SSE4.1 has none: its mulps count instead)
  loads    vector and broadcast loads per iteration, in registers loaded (an FMA with a memory
           operand counts as one; AArch64 ldp q = 2, ld1 {..} = its register count)
  ld/fma   loads per FMA
  spills   stack accesses inside the loop: vector stores (a value evicted and brought back in
           the loop: on an accumulator, a store-to-load chain), vector reloads (without a store
           in the loop: a loop-invariant, e.g. a weight, read from the stack like any load), and
           scalar ones (addresses, border tests). x86 reads LLVM's "Spill"/"Reload" comments and
           (%rsp) operands; AArch64 [sp ...] operands (st* = store, ld* = reload).

and compares them with the ideal for the register tile the schedules choose by default
(schedules/x86/x86_defaults.cpp, schedules/arm/arm_defaults.cpp; DEFAULT_TILES below must
follow them). A shipped hot loop should have no vector spill stores.

Usage: tools/asm_report.py [--arch x86_64|aarch64] [--generator build/convgen.generators]
                           [--manifest kernels.json] [--isa avx512] [--keep DIR]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXED_KEYS = ("kernel", "stride", "dilation", "multiplier")

# Default register tiles per ISA: (GEMM vectors, GEMM pixels, depthwise vectors, depthwise
# pixels), the pointwise and conv2d ops' own where it differs (op), conv2d's own where it
# differs from that (conv), the depthwise op's own where it differs from the separable's
# depthwise half (dw_op), the tile of variants that fix the window and multiplier 1 where it
# differs (dw_window), the largest window whose tap rows are unrolled (unroll_rows_max_k;
# absent: all), the same for variants that fix the window, stride and a multiplier above 1
# (multiplier_unroll_rows_max_k; absent: as unroll_rows_max_k), the depthwise op's tile for
# windows above 3x3 at stride 2, whose tap rows are rolled (dw_op_large_window_s2), and the
# vector registers of the ISA. (avx512's pointwise op also
# has an alternative 4x5 tile for 4 KiB-aliased inputs and overlapping rows, 5x5 instead where
# it pads the channels less, and a 1x28 rung for channel counts 2x14 pads: not reported. Read
# from the assembly on 2026-12-06: 4x5 20 FMAs + 9 loads, 5x5 25 + 10, no spills; 1x28 28 FMAs
# + 29 loads, no vector spills, 18 scalar reloads of its 28 input row addresses.)
DEFAULT_TILES = {
    "avx512_spr": dict(gemm=(2, 14), op=(4, 6), dw=(2, 4), registers=32),
    "avx512": dict(gemm=(2, 14), conv=(4, 6), dw=(2, 4), dw_op=(2, 7),
                   dw_op_large_window_s2=(2, 7), registers=32),
    "avx2": dict(gemm=(3, 4), dw=(2, 4), registers=16),
    "sse41": dict(gemm=(2, 4), dw=(1, 4), registers=16),
    "neon": dict(gemm=(4, 6), dw=(2, 4), dw_window=(1, 7), unroll_rows_max_k=3,
                 multiplier_unroll_rows_max_k=1, registers=32),
}


class X86:
    comment = "#"
    label = re.compile(r"^(\.LBB\w+):\s*(#\s*(.*))?$")
    branch = re.compile(r"^\s+j\w+\s+(\.LBB\w+)\s*(#.*)?$")
    fma = re.compile(r"^\s+vfn?madd\d+ps\s+(.*)$")
    mul = re.compile(r"^\s+v?mulps\s+(.*)$")
    vreg = re.compile(r"%[xyz]mm\d+")

    @classmethod
    def measure(cls, body, isa):
        fma = loads = stores = reloads = scalar_spills = 0
        for line in body:
            code = line.split("#", 1)[0]
            if not code.strip() or code.lstrip().startswith("."):
                continue
            m = cls.fma.match(code) or (cls.mul.match(code) if isa == "sse41" else None)
            if m:
                fma += 1
            is_spill = re.search(r"\d+-byte (Folded )?(Spill|Reload)", line) or "(%rsp" in code
            operands = code.split(None, 1)[1] if len(code.split(None, 1)) > 1 else ""
            # AT&T syntax: the destination is last; a memory operand before it is a load.
            mem = re.findall(r"-?\w*\([^)]*\)(\{1to\d+\})?", operands)
            parts = [p.strip() for p in re.split(r",(?![^(]*\))", operands)]
            if is_spill:
                if not cls.vreg.search(code):
                    scalar_spills += 1
                elif "Spill" in line or re.search(r",\s*-?\w*\(%rsp", code):
                    stores += 1
                else:
                    reloads += 1
            elif mem and parts and "(" not in parts[-1] and cls.vreg.search(code) \
                    and not code.lstrip().startswith(("lea", "prefetch")):
                loads += 1
        return fma, loads, stores, reloads, scalar_spills


class AArch64:
    comment = "//"
    label = re.compile(r"^(\.LBB\w+):\s*(//\s*(.*))?$")
    branch = re.compile(r"^\s+(?:b|b\.\w+|cbz|cbnz|tbz|tbnz)\s+.*?(\.LBB\w+)\s*$")
    fma = re.compile(r"^\s+fmla\s+v\d+\.4s")
    load = re.compile(r"^\s+(ldr|ldur|ldp|ldnp|ld1|ld1r|ld2|ld3|ld4)\s+(.*)$")
    vreg = re.compile(r"^\s+\w+\s+\{?[qdsv]\d+")

    @classmethod
    def measure(cls, body, isa):
        fma = loads = stores = reloads = scalar_spills = 0
        for line in body:
            if cls.fma.match(line):
                fma += 1
            lm = cls.load.match(line)
            if lm:
                mnemonic, operands = lm.group(1), lm.group(2)
                if mnemonic.startswith("ld1") or mnemonic[:3] in ("ld2", "ld3", "ld4"):
                    regs = re.match(r"\{([^}]*)\}", operands)
                    loads += len(regs.group(1).split(",")) if regs else 1
                else:
                    loads += 2 if mnemonic in ("ldp", "ldnp") else 1
            if re.search(r"\[sp\b", line) and re.match(r"^\s+(ld|st)", line):
                if not cls.vreg.match(line):
                    scalar_spills += 1
                elif re.match(r"^\s+st", line):
                    stores += 1
                else:
                    reloads += 1
        return fma, loads, stores, reloads, scalar_spills


def inner_loops(asm, lines):
    """Yields (name, body lines) of every innermost loop LLVM marks in its comments."""
    for i, line in enumerate(lines):
        m = asm.label.match(line)
        if not m:
            continue
        header = False
        for k in range(i + 1, min(i + 16, len(lines))):
            if "This Inner Loop Header" in lines[k]:
                header = True
                break
            if not lines[k].lstrip().startswith(asm.comment):
                break
        if not header:
            continue
        label, name = m.group(1), (m.group(3) or "").strip().strip('%"')
        end = None
        for j in range(i + 1, len(lines)):
            b = asm.branch.match(lines[j])
            if b and b.group(1) == label:
                end = j
            if lines[j].startswith(".Lfunc_end"):
                break
        if end is not None:
            yield name, lines[i + 1:end + 1]


def stage_of(loop_name):
    for stage in ("conv", "dw", "pw"):
        if re.search(r"(^|_)%s(_acc)?(\$\d+)?[.]" % stage, loop_name):
            return stage
    return None


def ideal(isa, stage, variant):
    """(fma, loads, note) for the default tile of this stage on this ISA."""
    tiles = DEFAULT_TILES[isa]
    if stage in ("pw", "conv"):
        op = variant.get("op") in ("pointwise", "conv2d")  # not the separable's pointwise half
        c, x = tiles["op"] if op and "op" in tiles else tiles["gemm"]
        if variant.get("op") == "conv2d" and "conv" in tiles:
            c, x = tiles["conv"]
        regs = c * x + c + 1
        return c * x, c + x, (f"{c}x{x} tile: {c} vector loads + {x} broadcasts, "
                              f"{regs} of {tiles['registers']} registers")
    # the depthwise op's own tile where it differs (dw_op: variants fixing the window, stride 1
    # and multiplier 1), else the separable's depthwise half's
    dw_op = (variant.get("op") == "depthwise" and "dw_op" in tiles and variant.get("kernel")
             and variant.get("stride") == 1 and variant.get("multiplier") == 1)
    # the fixed-window tile (multiplier 1) where the ISA has one
    dw_window = "dw_window" in tiles and variant.get("kernel") and variant.get("multiplier") == 1
    c, x = tiles["dw_op"] if dw_op else tiles["dw_window"] if dw_window else tiles["dw"]
    k = variant.get("kernel", 0)
    # the depthwise op's tile for windows above 3x3 at stride 2, tap rows rolled
    large_s2 = (variant.get("op") == "depthwise" and "dw_op_large_window_s2" in tiles
                and k > 3 and variant.get("stride") == 2 and variant.get("multiplier") == 1)
    if large_s2:
        c, x = tiles["dw_op_large_window_s2"]
    s, d = variant.get("stride", 0) or 1, variant.get("dilation", 0) or 1  # run-time: as 1
    m = variant.get("multiplier", 0)
    acc = c * x
    max_k = tiles.get("unroll_rows_max_k", k)
    if k and variant.get("stride") and m and m > 1:
        max_k = tiles.get("multiplier_unroll_rows_max_k", max_k)
    if k and (large_s2 or k > max_k):
        # the tap rows rolled: one row's taps per iteration, its weights loaded in the loop
        cols = len({p * s + t * d for p in range(x) for t in range(k)})
        note = (f"{c}x{x} tile, one {k}-tap row per iteration: {c}x{k} weights + "
                f"{c}x{cols} input vectors")
        if m and m > 1:
            note += f"; multiplier {m}: each input channel fills {m} lanes (a shuffle per load)"
        return acc * k, c * k + c * cols, note
    if k:
        # input columns a tile of x pixels touches per tap row
        cols = len({p * s + t * d for p in range(x) for t in range(k)})
        note = f"{c}x{x} tile, {k}x{k} taps unrolled: {c}x{k}x{cols} input vectors"
        if c * k * k + acc > tiles["registers"]:
            note += f" (a bound: {c * k * k} weight vectors do not all fit in registers)"
        if m and m > 1:
            note += f"; multiplier {m}: each input channel fills {m} lanes (a shuffle per load)"
        return acc * k * k, c * k * cols, note
    note = f"{c}x{x} tile, one tap per iteration: {c} weights + {acc} inputs"
    if not variant.get("multiplier"):
        note += " (a run-time multiplier gathers inputs lane by lane)"
    return acc, c + acc, note


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arch", choices=("x86_64", "aarch64"), default="x86_64")
    ap.add_argument("--isa", action="append", help="only these ISA levels (repeatable)")
    ap.add_argument("--generator", default=os.path.join(ROOT, "build", "convgen.generators"))
    ap.add_argument("--manifest", default=os.path.join(ROOT, "kernels.json"))
    ap.add_argument("--keep", help="write the .s files here instead of a temporary directory")
    args = ap.parse_args()
    if not os.access(args.generator, os.X_OK):
        sys.exit(f"no generator binary at {args.generator}: build the host build first "
                 "(tools/build.sh) or pass --generator")
    manifest = json.load(open(args.manifest))
    asm = X86 if args.arch == "x86_64" else AArch64
    levels = [t for t in manifest["isa_targets"][args.arch]
              if not args.isa or t["isa"] in args.isa]
    out_dir = args.keep or tempfile.mkdtemp(prefix="convgen_asm_")
    os.makedirs(out_dir, exist_ok=True)

    rows = []
    for level in levels:
        isa, target = level["isa"], level["halide"] + "-no_runtime"
        for v in manifest["variants"]:
            # Shipped kernels only: the baselines (dispatch false) are other schedulers' output.
            if v.get("schedule", "hand") != "hand" or v.get("dispatch") is False:
                continue
            if v.get("isas") and isa not in v["isas"]:
                continue
            params = [f"{k}={v[k]}" for k in FIXED_KEYS if k in v]
            if v.get("knobs"):
                params.append(f"knobs={v['knobs']}")
            name = f"{v['name']}_{isa}"
            cmd = [args.generator, "-g", f"convgen_{v['op']}", "-e", "assembly", "-o", out_dir,
                   "-f", name, f"target={target}"] + params
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode != 0:
                rows.append((name, "-", "generator failed", 0, 0, 0, 0, 0, 0, 1, r.stderr[-200:]))
                continue
            lines = open(os.path.join(out_dir, name + ".s")).read().splitlines()
            best = {}
            for loop, body in inner_loops(asm, lines):
                stage = stage_of(loop)
                if stage is None:
                    continue
                m = asm.measure(body, isa)
                # The default tile's loop (as many FMAs as its ideal; of those, the fewest
                # loads: a tighter rung of as many accumulators may precede it in the ladder),
                # else the loop with the most FMAs (a narrow rung may hold more than it).
                key = (m[0] == ideal(isa, stage, v)[0], m[0], -m[1])
                if m[0] and (stage not in best or key > best[stage][2]):
                    best[stage] = (loop, m, key)
            for stage in ("dw", "conv", "pw"):
                if stage not in best:
                    continue
                loop, (fma, loads, stores, reloads, scalar_spills), _ = best[stage]
                i_fma, i_loads, note = ideal(isa, stage, v)
                rows.append((name, stage, loop, fma, loads, stores, reloads, scalar_spills,
                             i_fma, i_loads, note))

    print(f"{args.arch} inner loops of the dispatched hand-scheduled variants of "
          f"{os.path.relpath(args.manifest, ROOT)}, at their default tiles.\n")
    print("| variant | stage | inner loop | fma/iter | loads/iter | loads/FMA | vector spill "
          "stores | vector reloads | scalar spills | ideal fma | ideal loads/FMA | "
          "ideal (0 spills) |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for name, stage, loop, fma, loads, stores, reloads, sspills, i_fma, i_loads, note in rows:
        ratio = f"{loads / fma:.2f}" if fma else "-"
        print(f"| {name} | {stage} | `{loop}` | {fma} | {loads} | {ratio} | {stores} | "
              f"{reloads} | {sspills} | {i_fma} | {i_loads / i_fma:.2f} | {note} |")
    if not args.keep:
        for f in os.listdir(out_dir):
            os.remove(os.path.join(out_dir, f))
        os.rmdir(out_dir)


if __name__ == "__main__":
    main()
