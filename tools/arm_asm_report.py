#!/usr/bin/env python3
"""Code-quality report for the AArch64 NEON kernels, read from the assembly Halide emits.

ARM speed cannot be measured on an x86 build machine, so this reports what the code shows: for
every variant in kernels.json, the host-built generator emits arm-64-linux assembly
(`-e assembly`); for each stage of the op (conv, dw, pw) the hottest innermost loop (the one with
the most vector FMAs: the full register tile of the specialisation ladder) is measured:

  fmla     vector FMAs per iteration (fmla on .4s registers)
  loads    vector/scalar loads per iteration, counted in registers loaded
           (ldp q = 2, ld1r = 1, ldr q = 1, ld1 {..} = number of registers)
  ld/fma   loads per FMA
  spills   stack accesses ([sp ...]) inside the loop: vector registers (q/d/s/v) and scalar
           ones (x/w: addresses and border tests) counted apart

and compares them with the ideal for the register tile the NEON schedules choose
(schedules/arm/arm_defaults.cpp): 32 registers of 4 fp32 lanes.

Usage: tools/arm_asm_report.py [--generator build/convgen.generators] [--manifest kernels.json]
                               [--keep DIR]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = "arm-64-linux-no_runtime"
FIXED_KEYS = ("kernel", "stride", "dilation", "multiplier")

# Default NEON tiles (schedules/arm/arm_defaults.cpp).
GEMM_C, GEMM_X = 4, 6  # vectors x pixels
DW_C, DW_X = 2, 4

LABEL = re.compile(r"^(\.LBB\w+):\s*(//\s*(.*))?$")
BRANCH = re.compile(r"^\s+(b|b\.\w+|cbz|cbnz|tbz|tbnz)\s+.*?(\.LBB\w+)\s*$")
FMLA = re.compile(r"^\s+fmla\s+v\d+\.4s")
LOAD = re.compile(r"^\s+(ldr|ldur|ldp|ldnp|ld1|ld1r|ld2|ld3|ld4)\s+(.*)$")
STACK = re.compile(r"\[sp\b")


def loaded_registers(mnemonic, operands):
    if mnemonic.startswith("ld1") or mnemonic[:3] in ("ld2", "ld3", "ld4"):
        regs = re.match(r"\{([^}]*)\}", operands)
        return len(regs.group(1).split(",")) if regs else 1
    return 2 if mnemonic in ("ldp", "ldnp") else 1


def inner_loops(asm_lines):
    """Yields (name, body lines) of every innermost loop LLVM marks in its comments."""
    for i, line in enumerate(asm_lines):
        m = LABEL.match(line)
        if not m:
            continue
        # The marker sits in the comment lines after the label.
        header = False
        for k in range(i + 1, min(i + 16, len(asm_lines))):
            if "This Inner Loop Header" in asm_lines[k]:
                header = True
                break
            if not asm_lines[k].lstrip().startswith("//"):
                break
        if not header:
            continue
        label, name = m.group(1), (m.group(3) or "").strip().strip('%"')
        end = None
        for j in range(i + 1, len(asm_lines)):
            b = BRANCH.match(asm_lines[j])
            if b and b.group(2) == label:
                end = j
            if asm_lines[j].startswith(".Lfunc_end"):
                break
        if end is not None:
            yield name, asm_lines[i + 1:end + 1]


VECTOR_REG = re.compile(r"^\s+\w+\s+\{?[qdsv]\d+")


def measure(body):
    """(vector FMAs, registers loaded, vector spills, scalar spills) of one loop body."""
    fmla = loads = spills = scalar_spills = 0
    for line in body:
        if FMLA.match(line):
            fmla += 1
        lm = LOAD.match(line)
        if lm:
            loads += loaded_registers(lm.group(1), lm.group(2))
        if STACK.search(line) and re.match(r"^\s+(ld|st)", line):
            if VECTOR_REG.match(line):
                spills += 1
            else:
                scalar_spills += 1
    return fmla, loads, spills, scalar_spills


def stage_of(loop_name):
    for stage in ("conv", "dw", "pw"):
        if re.search(r"(^|_)%s(_acc)?(\$\d+)?[.]" % stage, loop_name):
            return stage
    return None


def ideal(op, stage, variant):
    """(fmla, loads, note) for the default NEON tile of this stage."""
    if stage in ("pw", "conv"):
        return GEMM_C * GEMM_X, GEMM_C + GEMM_X, f"{GEMM_C}x{GEMM_X} tile: {GEMM_C} ldr q + {GEMM_X} ld1r"
    k, s = variant.get("kernel", 0), variant.get("stride", 0)
    acc = DW_C * DW_X
    if k and s:
        cols = (DW_X - 1) * s + k  # input columns a tile of DW_X pixels touches per tap row
        inputs = DW_C * k * cols
        note = (f"{DW_C}x{DW_X} tile, {k}x{k} taps unrolled, weights in registers: "
                f"{DW_C}x{k}x{cols} input vectors")
        if DW_C * k * k + acc > 32:
            note += f" (a bound: {DW_C * k * k} weight vectors do not fit in 32 registers)"
        return acc * k * k, inputs, note
    note = f"{DW_C}x{DW_X} tile, one tap per iteration: {DW_C} weights + {acc} inputs"
    if not variant.get("multiplier"):
        note += " (multiplier 1; a run-time multiplier gathers inputs lane by lane)"
    return acc, DW_C + acc, note


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--generator", default=os.path.join(ROOT, "build", "convgen.generators"))
    ap.add_argument("--manifest", default=os.path.join(ROOT, "kernels.json"))
    ap.add_argument("--keep", help="write the .s files here instead of a temporary directory")
    args = ap.parse_args()
    if not os.access(args.generator, os.X_OK):
        sys.exit(f"no generator binary at {args.generator}: build the host build first "
                 "(tools/build.sh) or pass --generator")
    manifest = json.load(open(args.manifest))
    out_dir = args.keep or tempfile.mkdtemp(prefix="convgen_arm_asm_")
    os.makedirs(out_dir, exist_ok=True)

    rows = []
    for v in manifest["variants"]:
        params = [f"{k}={v[k]}" for k in FIXED_KEYS if k in v]
        if v.get("knobs"):
            params.append(f"knobs={v['knobs']}")
        cmd = [args.generator, "-g", f"convgen_{v['op']}", "-e", "assembly", "-o", out_dir,
               "-f", v["name"], f"target={TARGET}"] + params
        subprocess.run(cmd, check=True)
        lines = open(os.path.join(out_dir, v["name"] + ".s")).read().splitlines()
        best = {}
        for name, body in inner_loops(lines):
            stage = stage_of(name)
            if stage is None:
                continue
            m = measure(body)
            if m[0] and (stage not in best or m[0] > best[stage][1][0]):
                best[stage] = (name, m)
        for stage in ("dw", "conv", "pw"):
            if stage not in best:
                continue
            name, (fmla, loads, spills, scalar_spills) = best[stage]
            i_fmla, i_loads, note = ideal(v["op"], stage, v)
            rows.append((v["name"], stage, name, fmla, loads, spills, scalar_spills, i_fmla,
                         i_loads, note))

    print(f"NEON inner loops ({TARGET}, from {os.path.relpath(args.manifest, ROOT)}); "
          "loads count registers loaded (ldp q = 2).\n")
    print("| variant | stage | inner loop | fmla/iter | loads/iter | loads/FMA | vector spills | "
          "scalar spills | ideal fmla | ideal loads/FMA | ideal (0 spills) |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for name, stage, loop, fmla, loads, spills, sspills, i_fmla, i_loads, note in rows:
        print(f"| {name} | {stage} | `{loop}` | {fmla} | {loads} | {loads / fmla:.2f} | {spills} | "
              f"{sspills} | {i_fmla} | {i_loads / i_fmla:.2f} | {note} |")
    if not args.keep:
        for f in os.listdir(out_dir):
            os.remove(os.path.join(out_dir, f))
        os.rmdir(out_dir)


if __name__ == "__main__":
    main()
