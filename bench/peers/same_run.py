#!/usr/bin/env python3
"""onebit's ternary layers against llama.cpp's TQ2_0, in one run.

bench/peers/ggml_layers.py times ggml alone and bench/cpu_kernels.cpp times
onebit alone; on a shared machine two runs minutes apart can differ by more
than the gap being measured. This script alternates them: each round runs
ggml's harness (TQ2_0, and TQ1_0 with --types) and then onebit's benchmark
binary on the same shapes, rows and thread count, and the table keeps each
case's best round. The ratio columns are ggml's time over onebit's (above
1: onebit is faster); "roof" is the weight bytes read per second at M = 1,
cold, over the streaming read bandwidth at the same thread count: the best
that either harness measured (each reads 1 GiB, before and after its
cases) in any round.

onebit's layers are the ones `ninja onebit-bench` compiles into
BUILD/bench/models (exactly ternary weights, --quantize=absmean):
ternary_a8 takes int8 activations (BitNet's W1.58A8, the same arithmetic as
TQ2_0's q8_K activations), ternary keeps float activations, sign is a
OneBit sign layer (--quantize=svid, 1 bit per weight) with float ones. Cold runs cycle
through weight copies of more than twice the last-level cache, read from
sysfs, in both harnesses.

    .venv/bin/python bench/peers/same_run.py --threads "1 2"
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import ggml_layers as peer  # noqa: E402

ROOT = peer.ROOT
ONEBIT_PATHS = ("ternary_a8", "ternary", "sign")


def last_level_cache_bytes():
    """The largest cache the first CPU reports in sysfs (0 if none)."""
    largest = 0
    base = pathlib.Path("/sys/devices/system/cpu/cpu0/cache")
    for index in base.glob("index*"):
        try:
            text = (index / "size").read_text().strip()
        except OSError:
            continue
        scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
        digits = text.rstrip("KMG")
        if digits.isdigit():
            largest = max(largest, int(digits) * scale)
    return largest


def run_ggml(binary, args, threads):
    command = [binary, "--shapes", ",".join(args.shapes),
               "--rows", ",".join(map(str, args.rows)),
               "--types", ",".join(args.types), "--threads", str(threads),
               "--min-time", str(args.min_time), "--repetitions", "3",
               "--retries", "0"]
    done = subprocess.run([str(c) for c in command], stdout=subprocess.PIPE,
                          text=True)
    if done.returncode != 0:
        sys.exit(f"error: the ggml harness failed (exit {done.returncode})")
    return [json.loads(line) for line in done.stdout.splitlines()
            if line.startswith("{")]


def run_onebit(binary, models, args, threads, cold_mib):
    # The hot and cold cases of the chosen paths, and the read bandwidth.
    paths = "|".join(ONEBIT_PATHS)
    command = [binary, f"--models={models}", f"--threads={threads}",
               f"--shapes={','.join(args.shapes)}",
               f"--rows={','.join(map(str, args.rows))}",
               f"--cold-mib={cold_mib}",
               f"--benchmark_filter=^(({paths})/|stream_read)",
               f"--benchmark_min_time={args.min_time}",
               "--benchmark_repetitions=3",
               "--benchmark_report_aggregates_only=false",
               "--benchmark_format=json"]
    done = subprocess.run([str(c) for c in command], stdout=subprocess.PIPE,
                          text=True)
    if done.returncode != 0:
        sys.exit(f"error: {binary} failed (exit {done.returncode})")
    return json.loads(done.stdout)["benchmarks"]


def seconds(entry):
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[entry["time_unit"]]
    return entry["real_time"] * scale


def keep_best(best, key, value):
    if value > 0 and (key not in best or value < best[key]):
        best[key] = value


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", type=pathlib.Path, default=ROOT / "build",
                        help="onebit's build folder, with `ninja onebit-bench` "
                        "done (default: build)")
    parser.add_argument("--work", type=pathlib.Path,
                        default=ROOT / "build" / "bench" / "ggml",
                        help="ggml's download cache and build (as "
                        "ggml_layers.py)")
    parser.add_argument("--threads", default=f"1 {os.cpu_count()}")
    parser.add_argument("--shapes", default="4096x4096,2560x6912,6912x2560")
    parser.add_argument("--rows", default="1,8,32,128")
    parser.add_argument("--types", default="tq2_0",
                        help="ggml types (default tq2_0; tq1_0 too if asked)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternations of the two harnesses (default 3)")
    parser.add_argument("--min-time", type=float, default=0.3,
                        help="seconds of calls per repetition (default 0.3)")
    parser.add_argument("--json", type=pathlib.Path,
                        help="where to write the results (default: "
                        "BUILD/bench/results/same_run.json)")
    args = parser.parse_args()
    args.shapes = peer.split_list(args.shapes)
    args.rows = [int(r) for r in peer.split_list(args.rows)]
    args.types = peer.split_list(args.types)
    threads = [int(t) for t in peer.split_list(args.threads)]

    build = args.build.resolve()
    bench = build / "bin" / "onebit-bench-cpu-kernels"
    models = build / "bench" / "models"
    if not bench.exists() or not models.is_dir():
        sys.exit(f"error: {bench} or {models} is missing: configure with "
                 "-DONEBIT_BUILD_BENCHMARKS=ON and run `ninja onebit-bench`")
    work = args.work.resolve()
    tarball = peer.download(work / "cache", None, False)
    version = peer.sdist_version(tarball)
    ggml, source_state = peer.extract(tarball, work)
    ggml_binary, _ = peer.build(ggml, work, version)

    llc = last_level_cache_bytes()
    cold_mib = max(256, (2 * llc >> 20) + 64)
    best = {}  # (library, path, n x k, m, threads, mode) -> seconds
    stream = {}  # threads -> bytes/s
    started = time.time()
    for round_index in range(args.rounds):
        for t in threads:
            peer.log(f"round {round_index + 1}/{args.rounds}, {t} thread(s): "
                     "ggml")
            for c in run_ggml(ggml_binary, args, t):
                if c["kind"] == "stream":
                    stream[t] = max(stream.get(t, 0), c["bytes_per_s"])
                if c["kind"] != "case":
                    continue
                for mode in ("hot", "cold"):
                    keep_best(best, ("ggml", c["type"], f"{c['n']}x{c['k']}",
                                     c["m"], t, mode),
                              c[f"{mode}_min_us"] * 1e-6)
            peer.log(f"round {round_index + 1}/{args.rounds}, {t} thread(s): "
                     "onebit")
            for entry in run_onebit(bench, models, args, t, cold_mib):
                if entry.get("run_type") != "iteration":
                    continue
                name = entry["run_name"].split("/")
                if name[0] == "stream_read":
                    rate = entry.get("bytes_per_second", 0)
                    stream[t] = max(stream.get(t, 0), rate)
                    continue
                path, shape, m, mode = name[0], name[1], name[2], name[3]
                keep_best(best, ("onebit", path, shape, int(m.split(":")[1]),
                                 t, mode), seconds(entry))
    elapsed = time.time() - started

    def us(key):
        value = best.get(key)
        return f"{value * 1e6:,.0f}" if value else "-"

    def ratio(peer_key, our_key):
        if peer_key in best and our_key in best:
            return f"{best[peer_key] / best[our_key]:.2f}x"
        return "-"

    cpu = peer.cpu_model()
    print("## onebit against llama.cpp TQ2_0, one linear layer, same run\n")
    print(f"- CPU: {cpu}; {os.cpu_count()} cores; last-level cache "
          f"{llc / 2**20:.0f} MiB (sysfs); cold = {cold_mib} MiB of weight "
          f"copies for onebit, > 2x L3 for ggml")
    print(f"- ggml from {peer.PACKAGE} {version} (sources {source_state}); "
          f"onebit from {build}")
    print("- streaming read (the best that either harness measured in any "
          "round): "
          + ", ".join(f"{t} thread(s) {stream[t] * 1e-9:.1f} GB/s"
                      for t in sorted(stream)))
    print(f"- {args.rounds} rounds alternating the two harnesses, each case "
          f"3 repetitions of >= {args.min_time} s; best of all; "
          f"{elapsed:.0f} s in all")
    print()
    tq = args.types[0]
    header = ["N x K", "M", "T", "onebit A8 hot µs", "onebit A8 cold µs",
              "onebit float-act hot µs", "onebit sign hot µs",
              f"{tq} hot µs", f"{tq} cold µs",
              f"{tq} / A8 hot", f"{tq} / A8 cold", f"{tq} / float-act hot",
              f"{tq} / sign hot", "A8 cold roof", f"{tq} cold roof"]
    print("| " + " | ".join(header) + " |")
    print("|" + " --- |" * 3 + " ---: |" * (len(header) - 3))
    rows = []
    for shape in args.shapes:
        n, k = (int(v) for v in shape.split("x"))
        for m in args.rows:
            for t in threads:
                a8 = ("onebit", "ternary_a8", shape, m, t)
                fl = ("onebit", "ternary", shape, m, t)
                sg = ("onebit", "sign", shape, m, t)
                gg = ("ggml", tq, shape, m, t)
                roofs = []
                for key, bits in ((a8, 2.0), (gg, 2.0625)):
                    cold = best.get(key + ("cold",))
                    roofs.append(f"{n * k * bits / 8 / cold / stream[t]:.0%}"
                                 if m == 1 and cold and stream.get(t) else "")
                print(f"| {shape} | {m} | {t} | {us(a8 + ('hot',))} "
                      f"| {us(a8 + ('cold',))} | {us(fl + ('hot',))} "
                      f"| {us(sg + ('hot',))} "
                      f"| {us(gg + ('hot',))} | {us(gg + ('cold',))} "
                      f"| {ratio(gg + ('hot',), a8 + ('hot',))} "
                      f"| {ratio(gg + ('cold',), a8 + ('cold',))} "
                      f"| {ratio(gg + ('hot',), fl + ('hot',))} "
                      f"| {ratio(gg + ('hot',), sg + ('hot',))} "
                      f"| {roofs[0]} | {roofs[1]} |")
    out = args.json or build / "bench" / "results" / "same_run.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "cpu": cpu, "cores": os.cpu_count(), "llc_bytes": llc,
        "cold_mib": cold_mib, "ggml_package_version": version,
        "stream_read_bytes_per_s": stream, "seconds": elapsed,
        "best_seconds": [list(k) + [v] for k, v in sorted(best.items())],
    }, indent=1) + "\n")
    peer.log(f"wrote {out}")


if __name__ == "__main__":
    main()
