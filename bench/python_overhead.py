#!/usr/bin/python3
"""Per-call overhead of the Python module: m.forward at batch 1 on a model too small to
matter (an LSTM(8, 16) over one step), next to the same call from C++ (model_bench's
TinyLstmForward) and to PyTorch's nn.LSTM called from Python. One thread each; medians.

usage: PYTHONPATH=build/python /usr/bin/python3 bench/python_overhead.py [--build build]
"""
import argparse
import json
import os
import statistics
import subprocess
import timeit

import numpy as np

import loom

TINY = """
name: "Tiny"
input { name: "x" dtype: F32 shape: [-1, 1, 8] }
layer { name: "lstm" inputs: "x" lstm { input_size: 8 hidden_size: 16 batch_first: true } }
output: "lstm"
"""


def median_us(fn, number=2000, repeat=9):
    fn()
    return statistics.median(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e6


def cpp_us(build):
    out = subprocess.run([os.path.join(build, "bench", "model_bench"), "--benchmark_filter=TinyLstmForward",
                          "--benchmark_repetitions=9", "--benchmark_report_aggregates_only=true",
                          "--benchmark_format=json"], env=dict(os.environ, LOOM_NUM_THREADS="1"),
                         capture_output=True, text=True, check=True)
    rows = json.loads(out.stdout)["benchmarks"]
    return next(r["real_time"] for r in rows if r.get("aggregate_name") == "median")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default="build")
    args = parser.parse_args()
    m = loom.parse(TINY).compile(batch=1, threads=1)
    x = np.zeros((1, 1, 8), np.float32)
    rows = [("loom, Python m.forward(x)", median_us(lambda: m.forward(x))),
            ("loom, C++ CompiledModel::Forward", cpp_us(args.build))]
    try:
        import torch
        torch.set_num_threads(1)
        lstm = torch.nn.LSTM(8, 16, batch_first=True)
        xt = torch.zeros(1, 1, 8)
        with torch.no_grad():
            rows.append(("PyTorch, Python nn.LSTM(x) (no_grad)", median_us(lambda: lstm(xt))))
    except ImportError:
        pass
    for name, us in rows:
        print(f"{name:40s} {us:8.2f} µs")
    print(f"Python overhead over C++: {rows[0][1] - rows[1][1]:.2f} µs a call")


if __name__ == "__main__":
    main()
