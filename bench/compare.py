#!/usr/bin/python3
"""Loom next to oneDNN's RNN primitives and PyTorch, one thread, in one run: each model
workload of bench/model_bench.cc (Loom), bench/onednn_bench.cc (the recurrent part alone)
and bench/pytorch_bench.py, for this CPU's own instruction set and for AVX2 alone —
Loom generating code for x86-64-v3, oneDNN under ONEDNN_MAX_CPU_ISA=AVX2, PyTorch with
OpenBLAS's Haswell kernels and ATen's AVX2 ones — plus the gate products' GFLOP/s
against the FMA peak (bench/gemm_bench.cc). Prints the Markdown tables of
docs/PERFORMANCE.md: medians of --repetitions runs (default 5), the three taking turns,
and each ratio the median of the runs' own ratios.

  bench/compare.py [--build build] [--repetitions 5]

With --threads, instead: each workload on 1 and 2 threads (this CPU's instruction set),
the three taking turns as above — Loom under LOOM_NUM_THREADS, oneDNN under
OMP_NUM_THREADS (its threads spinning between primitives, OpenMP's default), PyTorch
under torch.set_num_threads with OMP_WAIT_POLICY=PASSIVE — and
the throughput of 1 to 8 concurrent callers, each with its own Session of one compiled
SentimentLSTM (batch 1).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

# (Loom's model_bench name, oneDNN's, PyTorch's, what it is)
WORKLOADS = [
    ("SentimentForward", "BM_SentimentLstmForward", "forward, batch 32, seq 50"),
    ("SentimentTrainStep", "BM_SentimentLstmTraining", "training step, batch 32, seq 50"),
    ("StreamingLstmStep", "BM_StreamingLstmStep", "streaming LSTM(256) step, batch 1"),
    ("Lstm100StepsBatch1", "BM_Lstm100StepsBatch1", "LSTM(256) over 100 steps, batch 1"),
    ("StackedLstmBatch1", "BM_StackedLstmBatch1", "2-layer LSTM(64) over 100 steps, batch 1"),
    ("CharRnnTrainStep", "BM_CharRnnTraining", "char-RNN training step"),
    ("GruByGateTrainStep", "BM_GruTraining", "gate-by-gate GRU training step"),
    ("BiGruForward", "BM_BiGruForward", "2-layer bidirectional GRU forward"),
]
UNIT_MS = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}


def google_benchmark(binary, env, flt, repetitions):
    """Median real time in ms of each benchmark matching flt."""
    out = subprocess.run([binary, f"--benchmark_filter={flt}", f"--benchmark_repetitions={repetitions}",
                          "--benchmark_format=json"], env=env, capture_output=True, text=True, check=True).stdout
    runs = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("run_type") == "iteration":
            runs.setdefault(b["run_name"], []).append(b["real_time"] * UNIT_MS[b["time_unit"]])
    return {name: statistics.median(t) for name, t in runs.items()}


def gflops(binary, env, repetitions):
    out = subprocess.run([binary, f"--benchmark_repetitions={repetitions}", "--benchmark_format=json"], env=env,
                         capture_output=True, text=True, check=True).stdout
    runs = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("run_type") == "iteration":
            runs.setdefault(b["run_name"], []).append(b["GFLOP/s"] / 1e9)
    return {name: statistics.median(v) for name, v in runs.items()}


def threads_tables(args, here):
    bench = os.path.join(args.build, "bench")
    counts = (1, 2)
    loom, dnnl, torch = {}, {}, {}
    for _ in range(args.repetitions):
        for n in counts:
            env = dict(os.environ, OMP_NUM_THREADS=str(n), OPENBLAS_NUM_THREADS=str(n), LOOM_NUM_THREADS=str(n))
            for name, ms in google_benchmark(os.path.join(bench, "model_bench"), env, "/full$", 1).items():
                loom.setdefault((name.split("/")[0], n), []).append(ms)
            # oneDNN's OpenMP threads spin between primitives by default, as Loom's do.
            for name, ms in google_benchmark(os.path.join(bench, "onednn_bench"), env, ".", 1).items():
                dnnl.setdefault((name, n), []).append(ms)
            out = subprocess.run(["/usr/bin/python3", os.path.join(here, "pytorch_bench.py"), str(n)],
                                 env=dict(env, OMP_WAIT_POLICY="PASSIVE"), capture_output=True, text=True,
                                 check=True).stdout
            for name, ms in json.loads(out).items():
                torch.setdefault((name.split("/")[0], n), []).append(ms)
    med = statistics.median
    print(f"### 1 and 2 threads, medians of {args.repetitions}\n")
    print("| workload | Loom 1 | Loom 2 | speed-up | oneDNN 1 | oneDNN 2 | speed-up | PyTorch 1 | PyTorch 2 "
          "| speed-up | Loom 2 / oneDNN 2 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, dnnl_name, what in WORKLOADS:
        l1, l2 = med(loom[(name, 1)]), med(loom[(name, 2)])
        d1, d2 = med(dnnl[(dnnl_name, 1)]), med(dnnl[(dnnl_name, 2)])
        t1, t2 = med(torch[(name, 1)]), med(torch[(name, 2)])
        fmt = (lambda ms: f"{ms * 1000:.1f} µs") if l1 < 1 else (lambda ms: f"{ms:.3g} ms")
        print(f"| {what} | {fmt(l1)} | {fmt(l2)} | {l1 / l2:.2f} | {fmt(d1)} | {fmt(d2)} | {d1 / d2:.2f} "
              f"| {fmt(t1)} | {fmt(t2)} | {t1 / t2:.2f} | {l2 / d2:.2f} |")
    out = subprocess.run([os.path.join(bench, "model_bench"), "--benchmark_filter=Serving",
                          f"--benchmark_repetitions={args.repetitions}", "--benchmark_format=json"],
                         env=dict(os.environ, LOOM_NUM_THREADS="2"), capture_output=True, text=True, check=True).stdout
    rates = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("run_type") == "iteration":
            rates.setdefault(b["threads"], []).append(b["items_per_second"])
    print("\nConcurrent callers, one Session each, of one compiled SentimentLSTM (batch 1):\n")
    print("| callers | forwards/s | per caller |")
    print("|---:|---:|---:|")
    for callers, r in sorted(rates.items()):
        print(f"| {callers} | {med(r):.0f} | {med(r) / callers:.0f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default="build")
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--threads", action="store_true", help="1 vs 2 threads, and concurrent callers")
    args = parser.parse_args()
    bench = os.path.join(args.build, "bench")
    here = os.path.dirname(os.path.abspath(__file__))
    if args.threads:
        return threads_tables(args, here)
    cpuinfo = dict(l.split(":", 1) for l in open("/proc/cpuinfo").read().split("\n\n")[0].splitlines() if ":" in l)
    cpuinfo = {k.strip(): v.strip() for k, v in cpuinfo.items()}
    # Virtual machines often name no model ("AMD EPYC"): family and model tell which.
    model = f"{cpuinfo['model name']} (family {cpuinfo['cpu family']}, model {cpuinfo['model']})"
    avx512 = "avx512f" in cpuinfo["flags"].split()
    isas = [("this CPU" + (" (AVX-512)" if avx512 else ""), {}, {}, {"OPENBLAS_CORETYPE": "SkylakeX" if avx512 else "Haswell"})]
    isas.append(("AVX2", {"LOOM_TARGET_CPU": "x86-64-v3"}, {"ONEDNN_MAX_CPU_ISA": "AVX2"},
                 {"OPENBLAS_CORETYPE": "Haswell", "ATEN_CPU_CAPABILITY": "avx2"}))
    base = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", LOOM_NUM_THREADS="1")
    print(f"CPU: {model}, {'with' if avx512 else 'without'} AVX-512; one thread; medians of {args.repetitions}.\n")
    for isa, loom_env, dnnl_env, torch_env in isas:
        # The three take turns, one repetition each, so that what else the machine does
        # weighs on all of them alike; each ratio is the median of the repetitions' own.
        loom, dnnl, torch = {}, {}, {}
        for _ in range(args.repetitions):
            for name, ms in google_benchmark(os.path.join(bench, "model_bench"), dict(base, **loom_env),
                                             "/full$|CompileSentiment", 1).items():
                loom.setdefault(name, []).append(ms)
            for name, ms in google_benchmark(os.path.join(bench, "onednn_bench"), dict(base, **dnnl_env), ".", 1).items():
                dnnl.setdefault(name, []).append(ms)
            out = subprocess.run(["/usr/bin/python3", os.path.join(here, "pytorch_bench.py")],
                                 env=dict(base, **torch_env), capture_output=True, text=True, check=True).stdout
            for name, ms in json.loads(out).items():
                torch.setdefault(name, []).append(ms)
        print(f"### {isa}\n")
        print("| workload | Loom | oneDNN (RNN part) | PyTorch 1.13 | Loom / oneDNN | Loom / PyTorch |")
        print("|---|---:|---:|---:|---:|---:|")
        for name, dnnl_name, what in WORKLOADS:
            l, d, t = loom[f"{name}/full"], dnnl[dnnl_name], torch[f"{name}/threads:1"]
            ratio = lambda xs, ys: statistics.median(x / y for x, y in zip(xs, ys))
            lm, dm, tm = statistics.median(l), statistics.median(d), statistics.median(t)
            fmt = (lambda ms: f"{ms * 1000:.1f} µs") if lm < 1 else (lambda ms: f"{ms:.3g} ms")
            print(f"| {what} | {fmt(lm)} | {fmt(dm)} | {fmt(tm)} | {ratio(l, d):.2f} | {ratio(l, t):.2f} |")
        compile_ms = statistics.median(next(v for k, v in loom.items() if k.startswith("BM_CompileSentiment")))
        print(f"\nCompiling the SentimentLSTM's training step (batch 32): {compile_ms / 1000:.2f} s.\n")
        g = gflops(os.path.join(bench, "gemm_bench"), dict(base, **loom_env, OPENBLAS_CORETYPE=torch_env["OPENBLAS_CORETYPE"]),
                   args.repetitions)
        peak = g["BM_FmaPeak"]
        print(f"Gate products, GFLOP/s (FMA peak measured: {peak:.1f}):\n")
        print("| M × K (N = 1024) | Loom | % of peak | OpenBLAS |")
        print("|---|---:|---:|---:|")
        for shape in ("32/356", "32/512", "1/256", "1600/100"):
            lg, og = g[f"BM_Loom/{shape}"], g[f"BM_OpenBlas/{shape}"]
            print(f"| {shape.replace('/', ' × ')} | {lg:.1f} | {100 * lg / peak:.0f}% | {og:.1f} |")
        print()
        sys.stdout.flush()


if __name__ == "__main__":
    main()
