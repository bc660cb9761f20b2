#!/bin/bash
# Data-parallel training against one process, on this machine: the SentimentLSTM's
# training step (loom train's own timing, after the first step) for one process at
# batch 32 and 64 (one thread, and two), and 2 ranks x 32 under mpirun, one thread
# each; REPS runs of each, medians. docs/DISTRIBUTED.md quotes it.
# usage: bench/data_parallel.sh [BUILD_DIR] [REPS]
set -euo pipefail
build=${1:-build} reps=${2:-5}
loom=$build/tools/loom/loom
src=$(cd "$(dirname "$0")/.." && pwd)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
args=(--data "$src/tests/data/spam_ham_700.tsv" --steps 40 --val-split 0.05)
model=$src/examples/sentiment_lstm.pbtxt
median() { sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
run() {  # label, command...: the median ms per step, and the last run's data-parallel line
  local label=$1; shift
  local times=() log
  for _ in $(seq "$reps"); do
    log=$("$@" 2>&1)
    times+=("$(grep -o 'timing: [0-9.]* ms' <<<"$log" | tr -dc '0-9.')")
  done
  printf '%-34s %8.2f ms per step\n' "$label" "$(printf '%s\n' "${times[@]}" | median)"
  grep 'data-parallel' <<<"$log" | sed 's/^/    /' || true
}
grep -m1 'model name' /proc/cpuinfo | sed 's/.*: /CPU: /'
echo "ISA: $(grep -o 'avx512f\|avx2' /proc/cpuinfo | sort -u | tr '\n' ' ')cores: $(nproc)"
run "1 process, batch 32, 1 thread" "$loom" train "$model" "${args[@]}" --batch 32 --threads 1
run "1 process, batch 64, 1 thread" "$loom" train "$model" "${args[@]}" --batch 64 --threads 1
run "1 process, batch 64, 2 threads" "$loom" train "$model" "${args[@]}" --batch 64 --threads 2
run "2 ranks x batch 32, 1 thread each" mpirun --oversubscribe -np 2 "$loom" train "$model" "${args[@]}" --batch 32 --threads 1
run "  the same, sums started at the end" mpirun --oversubscribe -np 2 "$loom" train "$model" "${args[@]}" --batch 32 \
  --threads 1 --pipeline default,-early-all-reduce
