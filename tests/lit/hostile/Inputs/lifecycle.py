"""Races and signals real `loom train` processes (lifecycle.test).

    lifecycle.py LOOM MODEL DATA DIR kill-resume   SIGKILL mid-epoch, --resume: the log
                                                   has each step once, in order
    lifecycle.py LOOM MODEL DATA DIR concurrent    a second run with the same --save is
                                                   refused while the first runs
    lifecycle.py LOOM MODEL DATA DIR signal NAME   SIGTERM/SIGHUP/SIGINT: a checkpoint of
                                                   the step it stopped at, exit 128+N
    lifecycle.py LOOM MODEL DATA DIR sample-race   `loom sample` while the checkpoint is
                                                   replaced, again and again, by one of
                                                   another model: every sample succeeds
"""
import shutil
import threading
import os
import signal
import subprocess
import sys
import time

loom, model, data, work, what = sys.argv[1:6]
ckpt = os.path.join(work, "run.ckpt")
log = ckpt + ".csv"
train = [loom, "train", model, "--data", data, "--batch", "8", "--seq", "50", "--save", ckpt]


def rows():
    try:
        with open(log) as f:
            return [line.strip().split(",") for line in f.readlines()[1:] if line.strip()]
    except FileNotFoundError:
        return []


def wait_for(predicate, what, timeout=120):
    start = time.time()
    while not predicate():
        if time.time() - start > timeout:
            sys.exit(f"timed out waiting for {what}")
        time.sleep(0.002)


def start(extra):
    return subprocess.Popen(train + extra, stderr=subprocess.PIPE, text=True)


if what == "kill-resume":
    run = start(["--epochs", "1000"])
    # A row logged in the second epoch, after the first epoch's checkpoint (the row the
    # epoch's end logs, just before that checkpoint is written, is the first of these).
    wait_for(lambda: sum(r[1] == "1" for r in rows()) >= 2, "a row past the checkpoint")
    run.kill()
    run.wait()
    logged = [int(r[0]) for r in rows()]
    resumed = subprocess.run(train[:-2] + ["--resume", ckpt, "--epochs", "3"], stderr=subprocess.PIPE, text=True)
    if resumed.returncode != 0:
        sys.exit(f"resume failed: {resumed.stderr}")
    steps = [int(r[0]) for r in rows()]
    print(f"killed with steps {logged[0]}..{logged[-1]} logged; after --resume {steps[0]}..{steps[-1]}")
    if steps != sorted(set(steps)):
        sys.exit(f"the log repeats or reorders steps: {steps}")
    print("ok: each step logged once, in order")
elif what == "concurrent":
    first = start(["--epochs", "1000"])
    wait_for(lambda: os.path.exists(ckpt + ".lock") and len(rows()) > 0, "the first run to start")
    second = subprocess.run(train + ["--steps", "5"], stderr=subprocess.PIPE, text=True)
    first.kill()
    first.wait()
    print(second.stderr.strip().splitlines()[-1])
    print(f"exit {second.returncode}")
elif what == "sample-race":
    # Two checkpoints of differently sized models, swapped into place as loom train
    # writes one (a whole file renamed over the old).
    small_model = os.path.join(work, "small.pbtxt")
    with open(model) as f:
        open(small_model, "w").write(f.read().replace("hidden_size: 100", "hidden_size: 60").replace("in_features: 100", "in_features: 60"))
    for m, name in [(model, "a.ckpt"), (small_model, "b.ckpt")]:
        subprocess.run([loom, "train", m, "--data", data, "--steps", "2", "--save", os.path.join(work, name)],
                       check=True, capture_output=True)
    stop = threading.Event()

    def writer():
        i = 0
        while not stop.is_set():
            tmp = os.path.join(work, f"swap{i % 2}.tmp")
            shutil.copyfile(os.path.join(work, "ab"[i % 2] + ".ckpt"), tmp)
            os.replace(tmp, ckpt)
            i += 1

    shutil.copyfile(os.path.join(work, "a.ckpt"), ckpt)
    thread = threading.Thread(target=writer)
    thread.start()
    failures = []
    for _ in range(40):
        run = subprocess.run([loom, "sample", ckpt, "--length", "20"], capture_output=True, text=True)
        if run.returncode != 0:
            failures.append(run.stderr.strip())
    stop.set()
    thread.join()
    print(f"40 samples, {len(failures)} failed")
    for f in failures[:3]:
        print(f)
elif what == "signal":
    number = getattr(signal, sys.argv[6])
    run = start(["--epochs", "1000"])
    wait_for(lambda: len(rows()) > 0, "the run to start")
    run.send_signal(number)
    _, err = run.communicate(timeout=120)
    print(err.strip().splitlines()[-1])
    print(f"exit {run.returncode} ({128 + number} expected)")
    # The checkpoint's step, as --resume reads it.
    check = subprocess.run(train[:-2] + ["--resume", ckpt, "--steps", "1"], stderr=subprocess.PIPE, text=True)
    print(check.stderr.strip().splitlines()[-1])
