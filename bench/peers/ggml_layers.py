#!/usr/bin/env python3
"""Peer benchmark: llama.cpp's CPU ternary kernels on one linear layer.

onebit's compiled ternary layers are only as interesting as the best
existing kernels for the same weights, and the best-known CPU ones are
llama.cpp's: ggml types TQ2_0 (2.06 bits/weight, activations quantized to
q8_K on the fly) and TQ1_0 (1.69 bits/weight), with plain f32 weights as the
float reference. This script times them on y[M, N] = x[M, K] W^T for the same
shapes and batch sizes as onebit's layer benchmarks, on this machine, in one
run beside its streaming read bandwidth, so the numbers can be set against
bench/cpu_kernels.cpp's.

Nothing of llama.cpp lives in this repository. At benchmark time the script
  1. downloads llama-cpp-python's source distribution from PyPI
     (`pip download --no-binary :all: --no-deps`; cached under --work),
     which carries llama.cpp, ggml included, under vendor/llama.cpp;
  2. extracts it and configures only ggml (CPU backend, Release,
     GGML_NATIVE=ON, OpenMP and llamafile's sgemm on, as llama.cpp's own
     build has them) with Ninja, through a two-line wrapper project that also
     builds the harness ggml_mul_mat.c beside this file;
  3. runs the harness, prints a markdown table and writes JSON (--json).

The harness makes exactly ternary weights ({-1, 0, +1} times one scale, a
third zeros, fixed seed), quantizes them with ggml_quantize_chunk, checks
every result against a double-precision product before timing it, and times
each layer "hot" (the same weights every call) and "cold" (cycling through
enough copies to exceed twice the L3, so the weights come from DRAM). For
M = 1 the table gives the weight bytes read per second as a fraction of the
measured read bandwidth at the same thread count: the memory roof.

The machines are shared, and ggml's threads spin at every barrier, so one
core taken by another process slows a multi-threaded case many times over.
Each case therefore reports the share of the cores other processes used while
it was timed, and is timed again (within a small budget) when that share was
high; read rows with a high "others' load" as suspect.

    .venv/bin/python bench/peers/ggml_layers.py --threads "1 2"
"""

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tarfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
HARNESS = pathlib.Path(__file__).resolve().parent / "ggml_mul_mat.c"
PACKAGE = "llama-cpp-python"

# The ggml options this benchmark builds with. OpenMP and LLAMAFILE are on
# because llama.cpp's top-level build turns them on by default, so these are
# the kernels its users run; everything but the CPU backend is off.
GGML_OPTIONS = {
    "CMAKE_BUILD_TYPE": "Release",
    "BUILD_SHARED_LIBS": "OFF",
    "GGML_NATIVE": "ON",
    "GGML_CPU": "ON",
    "GGML_OPENMP": "ON",
    "GGML_LLAMAFILE": "ON",
    "GGML_BLAS": "OFF",
    "GGML_BUILD_TESTS": "OFF",
    "GGML_BUILD_EXAMPLES": "OFF",
    "GGML_CCACHE": "OFF",
}

# ggml's own CMakeLists cannot be configured on its own from the sdist (it
# lacks ggml.pc.in, which only a standalone ggml checkout has), so it goes in
# as a subdirectory of this wrapper, which also builds the harness.
WRAPPER = """\
cmake_minimum_required(VERSION 3.14)
project(onebit_ggml_peer C CXX)
add_subdirectory("${GGML_SOURCE}" ggml)
add_executable(ggml_mul_mat "${HARNESS}")
target_link_libraries(ggml_mul_mat PRIVATE ggml ggml-cpu m)
find_package(Threads REQUIRED)
target_link_libraries(ggml_mul_mat PRIVATE Threads::Threads)
# The harness's own loops (bandwidth, reference product) as wide as ggml's.
target_compile_options(ggml_mul_mat PRIVATE -O3 -march=native)
"""


def log(message):
    print(message, file=sys.stderr, flush=True)


def run(command, **kwargs):
    log("+ " + " ".join(str(part) for part in command))
    subprocess.run([str(part) for part in command], check=True, **kwargs)


def sdist_version(path):
    # llama_cpp_python-0.3.36.tar.gz -> 0.3.36
    return path.name[len("llama_cpp_python-"):-len(".tar.gz")]


def download(cache, version, refresh):
    """The sdist tarball in `cache`, fetched with pip only when missing."""
    cache.mkdir(parents=True, exist_ok=True)
    pattern = f"llama_cpp_python-{version or '*'}.tar.gz"
    have = sorted(cache.glob(pattern), key=lambda p: p.stat().st_mtime)
    if have and not refresh:
        return have[-1]
    spec = f"{PACKAGE}=={version}" if version else PACKAGE
    # pip prepares the sdist's metadata (a build-dependency install) even
    # for a download: about a minute and a half, once per version.
    before = set(cache.glob("llama_cpp_python-*.tar.gz"))
    run([sys.executable, "-m", "pip", "download", "--no-binary", ":all:",
         "--no-deps", "--disable-pip-version-check", spec, "-d", cache])
    after = sorted(cache.glob(pattern), key=lambda p: p.stat().st_mtime)
    new = [p for p in after if p not in before]
    if not after:
        sys.exit(f"error: pip left no {pattern} in {cache}")
    return (new or after)[-1]


def extract(tarball, work):
    """The ggml folder inside the extracted sdist (extracted once)."""
    top = work / "src" / tarball.name[:-len(".tar.gz")]
    done = top / ".onebit-extracted"
    if not done.exists():
        if top.exists():
            shutil.rmtree(top)  # a half-finished extraction
        log(f"extracting {tarball.name}")
        with tarfile.open(tarball) as archive:
            if hasattr(tarfile, "data_filter"):
                archive.extractall(work / "src", filter="data")
            else:
                archive.extractall(work / "src")
        done.touch()
    ggml = top / "vendor" / "llama.cpp" / "ggml"
    if not (ggml / "include" / "ggml.h").exists():
        sys.exit(f"error: no vendor/llama.cpp/ggml in {tarball.name}")
    return ggml, source_state(ggml.parent)


def source_state(llama_cpp):
    """Whether the extracted llama.cpp is its recorded commit, unchanged.

    The sdist carries llama.cpp's git metadata. `git status` also refreshes
    the index's file times, which extraction made stale: without that,
    ggml's configure step (git diff-index) calls the commit "-dirty"."""
    try:
        out = subprocess.run(["git", "-C", str(llama_cpp), "status",
                              "--porcelain", "--untracked-files=no"],
                             capture_output=True, text=True)
    except OSError:
        return "unverified (no git)"
    if out.returncode != 0:
        return "unverified (no git metadata)"
    return "as committed" if not out.stdout.strip() else "modified"


def build(ggml, work, version):
    """Configures and builds ggml and the harness; returns the binary."""
    project = work / "project"
    project.mkdir(parents=True, exist_ok=True)
    lists = project / "CMakeLists.txt"
    if not lists.exists() or lists.read_text() != WRAPPER:
        lists.write_text(WRAPPER)
    build_dir = work / f"build-{version}"
    defines = dict(GGML_OPTIONS, GGML_SOURCE=str(ggml), HARNESS=str(HARNESS))
    run(["cmake", "-S", project, "-B", build_dir, "-G", "Ninja",
         "-Wno-dev", "--log-level=WARNING"]
        + [f"-D{key}={value}" for key, value in defines.items()],
        stdout=subprocess.DEVNULL)
    started = time.time()
    run(["cmake", "--build", build_dir, "--target", "ggml_mul_mat"],
        stdout=subprocess.DEVNULL)
    log(f"built in {time.time() - started:.0f} s")
    return build_dir / "ggml_mul_mat", build_dir


def compile_flags(build_dir):
    """The flags ggml's CPU kernels were compiled with (from the compile
    database), so the report says what -march=native turned into."""
    try:
        commands = json.loads((build_dir / "compile_commands.json").read_text())
    except (OSError, ValueError):
        return ""
    for entry in commands:
        if entry["file"].endswith("arch/x86/quants.c"):
            flags = entry.get("command", "").split()
            keep = [f for f in flags if f.startswith(("-O", "-m", "-f", "-D"))
                    and not f.startswith("-DGGML_BUILD")]
            return " ".join(keep)
    return ""


def cpu_model():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    except OSError:
        out = ""
    for line in out.splitlines():
        if line.startswith("Model name:"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def load_average():
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "?"


def split_list(text):
    return [item for item in text.replace(",", " ").split() if item]


def fmt_us(value):
    return f"{value:,.1f}" if value < 1000 else f"{value:,.0f}"


def table(cases):
    """The markdown table: one row per shape, M, type and thread count."""
    lines = [
        "| N x K | M | type | T | weights MiB | copies | hot min µs "
        "| hot median µs | cold min µs | cold median µs | rel. error "
        "| hot / roof | cold / roof | others' load |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: | ---: | ---: | ---: |",
    ]
    for c in cases:
        hot_roof = cold_roof = ""
        if c["m"] == 1:
            hot_roof = f"{c['hot_roof_fraction']:.2f}"
            cold_roof = f"{c['cold_roof_fraction']:.2f}"
        lines.append(
            f"| {c['n']}x{c['k']} | {c['m']} | {c['type']} | {c['threads']} "
            f"| {c['weight_bytes'] / 2**20:.1f} | {c['copies']} "
            f"| {fmt_us(c['hot_min_us'])} | {fmt_us(c['hot_median_us'])} "
            f"| {fmt_us(c['cold_min_us'])} | {fmt_us(c['cold_median_us'])} "
            f"| {c['rel_error']:.1e} | {hot_roof} | {cold_roof} "
            f"| {c['other_load'] * 100:.0f}%"
            + (f" ({c['attempts']} tries)" if c["attempts"] > 1 else "")
            + " |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=pathlib.Path,
                        default=ROOT / "build" / "bench" / "ggml",
                        help="download cache, sources and build "
                        "(default: build/bench/ggml, git-ignored)")
    parser.add_argument("--threads", default=f"1 {os.cpu_count()}",
                        help="thread counts, e.g. \"1 2\" (default: 1 and "
                        "all cores)")
    parser.add_argument("--shapes", default="4096x4096,2560x6912,6912x2560",
                        help="N x K of each layer (K a multiple of 256 for "
                        "the TQ types)")
    parser.add_argument("--rows", default="1,8,32,128",
                        help="M, the rows of x")
    parser.add_argument("--types", default="tq2_0,tq1_0,f32",
                        help="ggml weight types")
    parser.add_argument("--min-time", type=float, default=0.5,
                        help="seconds of calls in each repetition "
                        "(default 0.5)")
    parser.add_argument("--repetitions", type=int, default=5,
                        help="timed repetitions per case and mode; the table "
                        "gives their minimum and median (default 5)")
    parser.add_argument("--max-other-load", type=float, default=0.10,
                        help="time a case again when other processes kept "
                        "more than this share of the cores busy meanwhile "
                        "(default 0.10)")
    parser.add_argument("--retries", type=int, default=2,
                        help="at most this many extra attempts per case "
                        "(default 2)")
    parser.add_argument("--retry-budget", type=float, default=60,
                        help="seconds of retries (and of waiting for a quiet "
                        "machine before them) in the whole run (default 60)")
    parser.add_argument("--version", dest="package_version",
                        help=f"{PACKAGE} version (default: the newest one "
                        "in the cache, else the newest on PyPI)")
    parser.add_argument("--refresh", action="store_true",
                        help="ask PyPI again even with a tarball in the cache")
    parser.add_argument("--json", type=pathlib.Path,
                        help="where to write the results (default: "
                        "WORK/results.json)")
    args = parser.parse_args()

    work = args.work.resolve()
    tarball = download(work / "cache", args.package_version, args.refresh)
    version = sdist_version(tarball)
    ggml, source_state = extract(tarball, work)
    binary, build_dir = build(ggml, work, version)

    threads = [int(t) for t in split_list(args.threads)]
    command = [binary,
               "--shapes", ",".join(split_list(args.shapes)),
               "--rows", ",".join(split_list(args.rows)),
               "--types", ",".join(split_list(args.types)),
               "--threads", ",".join(map(str, threads)),
               "--min-time", str(args.min_time),
               "--repetitions", str(args.repetitions),
               "--max-other-load", str(args.max_other_load),
               "--retries", str(args.retries),
               "--retry-budget", str(args.retry_budget)]
    log("+ " + " ".join(map(str, command)))
    load_before = load_average()
    started = time.time()
    # Progress goes straight to the terminal; the JSON lines come back here.
    result = subprocess.run([str(c) for c in command], stdout=subprocess.PIPE,
                            text=True)
    elapsed = time.time() - started
    load_after = load_average()
    records = [json.loads(line) for line in result.stdout.splitlines()
               if line.startswith("{")]
    if result.returncode != 0:
        sys.exit(f"error: the harness stopped (exit {result.returncode}) "
                 f"after {sum(r['kind'] == 'case' for r in records)} cases")

    info = next(r for r in records if r["kind"] == "info")
    # The best of the bandwidth measured before and after the layers.
    stream = {}
    for r in records:
        if r["kind"] == "stream":
            stream[r["threads"]] = max(stream.get(r["threads"], 0),
                                       r["bytes_per_s"])
    cases = [r for r in records if r["kind"] == "case"]
    for c in cases:
        roof = stream[c["threads"]]
        for mode in ("hot", "cold"):
            rate = c["weight_bytes"] / (c[f"{mode}_min_us"] * 1e-6)
            c[f"{mode}_weight_bytes_per_s"] = rate
            c[f"{mode}_roof_fraction"] = rate / roof
    # Rows in the order the options gave shapes and types.
    shape_order = {s: i for i, s in enumerate(split_list(args.shapes))}
    type_order = {t: i for i, t in enumerate(split_list(args.types))}
    cases.sort(key=lambda c: (shape_order.get(f"{c['n']}x{c['k']}", 99),
                              c["m"], type_order.get(c["type"], 99),
                              c["threads"]))

    flags = compile_flags(build_dir)
    cpu = cpu_model()
    print(f"## Peer: llama.cpp (ggml) ternary kernels, one linear layer\n")
    print(f"- CPU: {cpu}; L3 {info['l3_bytes'] / 2**20:.0f} MiB; "
          f"{os.cpu_count()} cores; ggml sees AVX2={info['avx2']} "
          f"AVX-512={info['avx512']} FMA={info['fma']} F16C={info['f16c']}")
    print(f"- ggml {info['ggml_version']} (llama.cpp commit "
          f"{info['ggml_commit']}; sources {source_state}) from {PACKAGE} "
          f"{version}")
    print("- build: " + " ".join(f"{k}={v}" for k, v in GGML_OPTIONS.items())
          + (f"; CPU kernels compiled with `{flags}`" if flags else ""))
    print("- streaming read (1 GiB, best of before/after): "
          + ", ".join(f"{t} thread(s) {stream[t] * 1e-9:.1f} GB/s"
                      for t in sorted(stream)))
    print(f"- timing: {args.repetitions} repetitions of >= {args.min_time} s "
          f"of calls per case and mode, after a warm-up; min and median of "
          f"the per-call means. hot = one copy of the weights; cold = cycling "
          f"through copies totalling > {info['cold_factor']:g}x L3. "
          f"roof = weight bytes/s at M=1 over the read bandwidth at the same "
          f"thread count (from the min time). others' load = the share of "
          f"all cores that other processes kept busy while the case was "
          f"timed (the machine is shared: a busy core stalls ggml's "
          f"spinning threads); a case over {args.max_other_load:.0%} was "
          f"timed again, up to {args.retries} times within "
          f"{args.retry_budget:g} s of retries in all, keeping the quietest "
          f"attempt. Harness ran {elapsed:.0f} s; load average "
          f"{load_before} before, {load_after} after.")
    print()
    print(table(cases))

    out = args.json or work / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "machine": {"cpu": cpu, "l3_bytes": info["l3_bytes"],
                    "cores": os.cpu_count()},
        "ggml": {"version": info["ggml_version"],
                 "commit": info["ggml_commit"],
                 "sources": source_state,
                 "package": PACKAGE, "package_version": version,
                 "options": GGML_OPTIONS, "cpu_kernel_flags": flags,
                 "features": {k: info[k] for k in
                              ("avx2", "avx512", "fma", "f16c", "llamafile")}},
        "timing": {"min_time_s": args.min_time,
                   "repetitions": args.repetitions,
                   "max_other_load": args.max_other_load,
                   "retries": args.retries,
                   "retry_budget_s": args.retry_budget,
                   "cold_factor": info["cold_factor"]},
        "stream_read_bytes_per_s": {str(t): v for t, v in stream.items()},
        "stream_read_runs": [r for r in records if r["kind"] == "stream"],
        "load_average": {"before": load_before, "after": load_after},
        "cases": cases,
        "harness_seconds": elapsed,
    }, indent=1) + "\n")
    log(f"wrote {out}")


if __name__ == "__main__":
    main()
