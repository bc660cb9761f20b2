"""Runs a command under address-space limits from LOW to HIGH MiB (ulimit -v) and checks
that every run either succeeds or fails with Loom's out-of-memory error and exit code 1:
never a signal (SIGSEGV, an abort's SIGABRT) or another exit code. At least one limit must
be too small and one large enough, so that both paths are taken.

    under_memory_limits.py LOW HIGH STEP -- COMMAND ARGS...
"""
import resource
import subprocess
import sys

low, high, step = (int(a) for a in sys.argv[1:4])
assert sys.argv[4] == "--"
command = sys.argv[5:]
failed = succeeded = 0
for mib in range(low, high + 1, step):
    limit = mib << 20

    def bound():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    run = subprocess.run(command, preexec_fn=bound, capture_output=True, text=True)
    last = run.stderr.strip().splitlines()[-1] if run.stderr.strip() else ""
    if "error while loading shared libraries" in last:
        continue  # the dynamic loader's, before any of Loom runs
    print(f"{mib} MiB: exit {run.returncode}: {last}")
    if run.returncode == 0:
        succeeded += 1
    elif run.returncode == 1 and ": error: " in last and ("out of memory" in last or "cannot allocate" in last):
        failed += 1
    else:
        sys.exit(f"under {mib} MiB: exit {run.returncode}, not a clear out-of-memory error:\n{run.stderr}")
if not failed or not succeeded:
    sys.exit(f"{failed} runs ran out of memory, {succeeded} succeeded: widen LOW..HIGH")
print(f"ok: {failed} clear out-of-memory errors, {succeeded} successes")
