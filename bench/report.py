#!/usr/bin/env python3
"""Markdown tables of times and ratios from one benchmark run.

Reads the Google Benchmark JSON of onebit-bench-cpu-kernels (kernels_T.json)
and the JSON of bench/llama_model.py (llama_T.json) for each thread count T,
and prints, per thread count, the kernel table with the streaming read
bandwidth measured in the same process, the whole-model table, and the
issue's goals with their measured values. Ratios are "how many times faster":
baseline time / onebit time, so > 1 means onebit is faster.

    python3 bench/report.py --machine "AMD EPYC" --command "..." RESULTS_DIR
"""
import argparse
import glob
import json
import os
import re
import sys

PATHS = ["ternary", "ternary_masked", "ternary_a8", "ternary_a8_masked",
         "sign", "sign_masked", "onebit_f32", "openblas_f32"]
# The low-bit paths, whose GEMV is measured against the read bandwidth.
LOW_BIT = ["ternary", "ternary_a8", "sign"]


def seconds(entry):
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[entry["time_unit"]]
    return entry["real_time"] * scale


def fmt_time(value):
    if value is None:
        return "—"
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.2f} ms"
    return f"{value * 1e6:.0f} µs"


def fmt_ratio(numerator, denominator):
    if numerator is None or denominator is None:
        return "—"
    return f"{numerator / denominator:.2f}x"


def verdict(ok):
    return "**met**" if ok else "**not met**"


def kernel_section(path, lines, goals):
    data = json.load(open(path))
    context = data["context"]
    stream, times, weight_bytes, copies, samples = None, {}, {}, {}, {}
    for entry in data["benchmarks"]:
        if entry.get("run_type", "iteration") != "iteration":
            continue  # mean/median/stddev rows: the repetitions are read instead
        name = entry["name"].removesuffix("/real_time")
        samples[name] = samples.get(name, 0) + 1
        # Best of the repetitions: load from elsewhere only ever adds time.
        if name.startswith("stream_read"):
            stream = max(stream or 0, entry["bytes_per_second"])
            continue
        kind, shape, rows, cache = name.split("/")
        key = (shape, int(rows.removeprefix("M:")), cache)
        best = times.setdefault(key, {}).get(kind)
        times[key][kind] = min(best, seconds(entry)) if best else seconds(entry)
        weight_bytes[(kind, shape)] = entry["weight_bytes"]
        if cache == "cold":
            copies[(kind, shape)] = int(entry["copies"])

    threads = context.get("threads", "?")
    lines.append(f"### Layer kernels, {threads} thread(s)\n")
    lines.append(f"- Streaming read bandwidth, {threads} thread(s), same process: "
                 f"**{stream / 1e9:.2f} GB/s**" if stream else
                 "- Streaming read bandwidth: not measured")
    lines.append(f"- Each time is the best of {max(samples.values())} repetitions, "
                 "run in a random interleaved order (ratios and bandwidth come "
                 "from the same repetitions)")
    lines.append(f"- OpenBLAS: {context.get('openblas', '?')}, "
                 f"{context.get('openblas_threads', '?')} thread(s)")
    lines.append(f"- Load average when the run started: "
                 f"{', '.join(f'{v:.2f}' for v in context.get('load_avg', []))}")
    cold_copies = [f"{k} {s}: {c}" for (k, s), c in sorted(copies.items())]
    lines.append("- Cold runs cycle through separate copies of the weights "
                 "(>= 256 MiB in all): " + "; ".join(cold_copies) + "\n")
    lines.append("| N x K | M | cache | ternary (lookup) | ternary (masked) "
                 "| ternary A8 (lookup) | ternary A8 (masked) | sign (lookup) "
                 "| sign (masked) | onebit f32 | OpenBLAS f32 "
                 "| OpenBLAS / ternary | OpenBLAS / ternary A8 | OpenBLAS / sign "
                 "| onebit f32 / ternary | onebit f32 / ternary A8 "
                 "| ternary GEMV weight GB/s (% of read BW) "
                 "| ternary A8 GEMV weight GB/s (% of read BW) "
                 "| sign GEMV weight GB/s (% of read BW) |")
    lines.append("|" + "---|" * 20)
    for (shape, rows, cache), row in sorted(
            times.items(), key=lambda kv: (kv[0][0], kv[0][2], kv[0][1])):
        get = row.get
        cells = [shape, str(rows), cache]
        cells += [fmt_time(get(k)) for k in PATHS]
        cells += [fmt_ratio(get("openblas_f32"), get(kind)) for kind in LOW_BIT]
        cells += [fmt_ratio(get("onebit_f32"), get(kind))
                  for kind in ("ternary", "ternary_a8")]
        for kind in LOW_BIT:
            if get(kind) and stream and rows == 1:
                rate = weight_bytes[(kind, shape)] / get(kind)
                cells.append(f"{rate / 1e9:.2f} ({100 * rate / stream:.0f}%)")
            else:
                cells.append("—")
        lines.append("| " + " | ".join(cells) + " |")
        for kind in ("ternary", "ternary_a8"):
            if rows == 1 and get(kind):
                goals.setdefault(threads, {}).setdefault("gemv", []).append(
                    (kind, shape, cache,
                     weight_bytes[(kind, shape)] / get(kind) / stream
                     if stream else None,
                     get("openblas_f32") / get(kind) if get("openblas_f32") else None))
    lines.append("")


def model_section(path, lines, goals):
    data = json.load(open(path))
    threads = data["threads"]
    m = data["model"]
    lines.append(f"### LLaMA-like model, {threads} thread(s)\n")
    lines.append(f"- hidden {m['hidden']}, {m['layers']} layers, {m['heads']} heads, "
                 f"SwiGLU {m['ffn']}, vocab {m['vocab']}, rotary, causal softmax "
                 f"attention; {m['parameters'] / 1e6:.1f} M parameters, batch 1, "
                 f"no KV cache (the whole sequence in one call)")
    lines.append(f"- Each time is the best of {data.get('rounds', '?')} interleaved rounds "
                 f"of >= {data.get('min_seconds', '?')} s")
    lines.append(f"- onnxruntime {data['onnxruntime']} (CPUExecutionProvider, "
                 f"intra-op threads {threads}, all graph optimizations) on the float model; "
                 "onebit libraries compiled for the prompt's length S "
                 "(`--input-shape input_ids=1xS`, \"1xS\") and, where that compiles, "
                 "for any length (\"any S\")")
    lines.append("- Logits of every onebit library checked against onnxruntime "
                 "before timing (max |error| <= 1e-3 max |logit|)\n")
    variants = [("", "1xS")]
    if any("onebit_ternary_dynamic" in row or "onebit_f32_dynamic" in row
           for row in data["times"].values()):
        variants.append(("_dynamic", "any S"))
    header = ["seq", "onnxruntime f32"]
    for suffix, label in variants:
        header += [f"onebit f32 ({label})", f"onebit ternary ({label})"]
    for suffix, label in variants:
        header += [f"onnxruntime / onebit ternary ({label})",
                   f"onebit f32 / onnxruntime ({label})"]
    header.append("max \\|error\\| (max \\|logit\\|)")
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    for seq, row in sorted(data["times"].items(), key=lambda kv: int(kv[0])):
        ort = row.get("onnxruntime")
        cells = [seq, fmt_time(ort)]
        for suffix, label in variants:
            cells += [fmt_time(row.get("onebit_f32" + suffix)),
                      fmt_time(row.get("onebit_ternary" + suffix))]
        for suffix, label in variants:
            f32, ter = row.get("onebit_f32" + suffix), row.get("onebit_ternary" + suffix)
            cells += [fmt_ratio(ort, ter), fmt_ratio(f32, ort)]
            goals.setdefault(threads, {}).setdefault("model", []).append(
                (int(seq), label, ort / ter if ort and ter else None,
                 f32 / ort if ort and f32 else None))
        worst = max((v for k, v in row.items() if k.endswith("_max_error")),
                    default=float("nan"))
        cells.append(f"{worst:.1e} ({row['max_logit']:.2f})")
        lines.append("| " + " | ".join(cells) + " |")
    for name, error in data.get("compile", {}).items():
        if isinstance(error, str):
            detail = [l for l in error.splitlines()[1:] if "error" in l]
            lines.append(f"- onebit-compile of the dynamic-length model failed "
                         f"(`{name}`): {detail[0] if detail else error}")
    for name, error in data.get("errors", {}).items():
        lines.append(f"- {name}: {error.splitlines()[0]}")
    lines.append("")


def goal_section(lines, goals):
    lines.append("### The issue's goals\n")
    lines.append("| threads | goal | measured | |")
    lines.append("|---|---|---|---|")
    for threads, g in sorted(goals.items(), key=lambda kv: int(kv[0])):
        label = {"ternary": "ternary", "ternary_a8": "ternary A8"}
        for kind, shape, cache, fraction, speedup in g.get("gemv", []):
            if cache == "cold" and fraction is not None:
                lines.append(f"| {threads} | cold {label[kind]} GEMV >= 70% of read BW, "
                             f"{shape} | {100 * fraction:.0f}% | {verdict(fraction >= 0.7)} |")
        for kind, shape, cache, fraction, speedup in g.get("gemv", []):
            if speedup is not None:
                lines.append(f"| {threads} | {label[kind]} GEMV >= 8x OpenBLAS sgemv, "
                             f"{shape} {cache} | {speedup:.2f}x | {verdict(speedup >= 8)} |")
        for seq, label, speedup, float_ratio in g.get("model", []):
            if seq == 1 and speedup is not None:
                lines.append(f"| {threads} | ternary model >= 3x onnxruntime f32, seq 1, "
                             f"compiled for {label} | {speedup:.2f}x | {verdict(speedup >= 3)} |")
            if float_ratio is not None:
                lines.append(f"| {threads} | onebit f32 within 1.5x of onnxruntime, "
                             f"seq {seq}, compiled for {label} | {float_ratio:.2f}x the time "
                             f"| {verdict(float_ratio <= 1.5)} |")
    lines.append("")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", help="folder with kernels_T.json and llama_T.json")
    parser.add_argument("--machine", default="")
    parser.add_argument("--command", default="")
    args = parser.parse_args()

    def by_threads(pattern):
        found = glob.glob(os.path.join(args.results, pattern))
        return sorted(found, key=lambda p: int(re.findall(r"_(\d+)\.json$", p)[0]))

    lines, goals = [], {}
    if args.machine:
        lines.append(f"Machine: {args.machine}\n")
    if args.command:
        lines.append(f"Command: `{args.command}`\n")
    for path in by_threads("kernels_*.json"):
        kernel_section(path, lines, goals)
    for path in by_threads("llama_*.json"):
        model_section(path, lines, goals)
    if goals:
        goal_section(lines, goals)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
