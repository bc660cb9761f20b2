#!/usr/bin/env python3
"""A fuzzer of loom's command line: option values a careless or hostile user might type.

    tools/fuzz_cli.py LOOM [RUNS] [SEED]     (LOOM: the loom binary; default 200 runs)

Each run picks a subcommand on small real inputs (the repository's models and data, and
a checkpoint it trains first), sets one to three of that subcommand's options to hostile
values (empty, negative, huge, NaN, infinite, hex, paths that climb, non-UTF-8, an option
given twice) and runs it with a time limit. A finding is a run that dies by a signal,
exits with another code than 0, 1, 2 or 130 (a stopped run), prints what no user should
see (a C++ exception, "LLVM ERROR", a libprotobuf or sanitizer report), or fails without
an error message. A run still going at the time limit (a legal `--steps 1e18`) is
stopped and not a finding. Prints each finding's command; exits 1 if there was one.
tests/lit/hostile/cli_fuzz.test runs it briefly; run it for longer by hand.
"""
import os
import random
import subprocess
import sys
import tempfile

loom = os.path.abspath(sys.argv[1])
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 200
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

VALUES = ["", "0", "-1", "-5", "1", "2", "3", "1e11", "nan", "inf", "-inf", "1e308", "0x1F", "1.5", "-0",
          "2147483648", "4294967296", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
          "abc", "../../x", "/", ".", "/dev/null", "/proc/self/mem", "\udcff", "é", " 3", "3 ", "1,2"]
BAD_OUTPUT = ["terminate called", "LLVM ERROR", "libprotobuf", "Sanitizer", "Assertion", "Segmentation",
              "core dumped", "what():", "runtime error:"]


outcomes = {"succeeded": 0, "refused": 0, "stopped at the time limit": 0}


def check(argv, work, timeout=20):
    try:
        run = subprocess.run(argv, cwd=work, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        outcomes["stopped at the time limit"] += 1
        return None
    outcomes["succeeded" if run.returncode == 0 else "refused"] += 1
    err = run.stderr.decode("utf-8", "replace")
    last = err.strip().splitlines()[-1] if err.strip() else ""
    if run.returncode < 0:
        return f"died by signal {-run.returncode}"
    if run.returncode not in (0, 1, 2, 130):
        return f"exit {run.returncode}: {last}"
    for bad in BAD_OUTPUT:
        if bad in err:
            return f"printed '{bad}': {last}"
    if run.returncode in (1, 2) and "error" not in err and "usage" not in err:
        return f"exit {run.returncode} without an error message: {last!r}"
    return None


def main():
    # Two levels down, so that the values that climb ("../../x") stay inside it.
    work = os.path.join(tempfile.mkdtemp(prefix="loom_fuzz_cli."), "a", "b")
    os.makedirs(work)
    with open(os.path.join(repo, "data/moby_dick_1-15.txt"), "rb") as f:
        open(os.path.join(work, "small.txt"), "wb").write(f.read(20000))
    examples, data = os.path.join(repo, "examples"), os.path.join(repo, "tests/data")
    char_rnn, births = os.path.join(examples, "char_rnn.pbtxt"), os.path.join(repo, "tests/e2e/births_lstm.pbtxt")
    sentiment = os.path.join(examples, "sentiment_lstm.pbtxt")
    for model, data_file, ckpt in [(char_rnn, "small.txt", "c.ckpt"),
                                   (births, os.path.join(data, "us_births.csv"), "b.ckpt")]:
        subprocess.run([loom, "train", model, "--data", data_file, "--steps", "3", "--save", ckpt], cwd=work,
                       check=True, capture_output=True)
    x = os.path.join(repo, "tests/e2e/births_windows.npy")
    commands = [
        (["train", char_rnn, "--data", "small.txt", "--steps", "3"],
         ["--epochs", "--steps", "--batch", "--seq", "--lr", "--seed", "--val-split", "--save", "--resume",
          "--threads", "--data", "--pipeline"]),
        (["train", births, "--data", os.path.join(data, "us_births.csv"), "--steps", "3"],
         ["--batch", "--seq", "--lr", "--val-split", "--save", "--resume", "--threads"]),
        (["train", sentiment, "--data", os.path.join(data, "spam_ham_700.tsv"), "--steps", "2", "--batch", "4"],
         ["--batch", "--seq", "--lr", "--val-split", "--seed"]),
        (["sample", "c.ckpt", "--length", "50"], ["--prime", "--length", "--temperature", "--seed", "--threads",
                                                  "--pipeline"]),
        (["eval", "c.ckpt", "--data", "small.txt"], ["--data", "--batch", "--seq", "--threads", "--pipeline"]),
        (["run", births, "--params", "b.ckpt", "--input", x, "--output", "y.npy"],
         ["--params", "--input", "--output", "--vocab", "--threads", "--pipeline"]),
        (["summary", sentiment], ["--batch", "--vocab"]),
        (["params", "export", char_rnn, "out", "--vocab", "60"], ["--seed", "--vocab", "--batch"]),
        (["gradflow", char_rnn], ["--batch", "--vocab", "--seed"]),
    ]
    findings = 0
    for i in range(runs):
        base, options = rng.choice(commands)
        argv = list(base)
        for _ in range(rng.randint(1, 3)):
            flag, value = rng.choice(options), rng.choice(VALUES)
            if flag in argv and rng.random() < 0.7:
                argv[argv.index(flag) + 1] = value
            else:
                argv += [flag, value] if rng.random() < 0.8 else [f"{flag}={value}"]
        argv = [loom] + [a.encode("utf-8", "surrogateescape") for a in argv]
        problem = check(argv, work)
        if problem:
            findings += 1
            shown = " ".join(repr(a.decode("utf-8", "replace")) if isinstance(a, bytes) else a for a in argv)
            print(f"finding: {shown}\n  {problem}")
    print(f"{runs} runs ({', '.join(f'{n} {what}' for what, n in outcomes.items())}), {findings} findings")
    sys.exit(1 if findings else 0)


main()
