#!/bin/bash
# Data-parallel training under Open MPI, as a user runs it: `mpirun -np 2 loom train`
# on localhost for the seed's char-RNN and SentimentLSTM.
#   1. Equivalence: 2 ranks x batch B end where 1 process x batch 2B does, to float
#      summation (the seeds' models with SGD: Adam's and Adagrad's first steps are
#      ±lr·sign(g), which turns a rounding difference in a tiny gradient into a visible
#      one — docs/DISTRIBUTED.md has those figures too).
#   2. Resume: a 2-rank run cut in two equals it run straight, bit for bit; a 2-rank
#      checkpoint resumes in one process (the same whole batch) to the same place.
#   3. A rank killed (SIGKILL) stops the run instead of hanging, and the last checkpoint
#      loads and resumes; a rank that hangs (SIGSTOP) makes the others give up after
#      --rank-timeout with a clear error.
# usage: mpi_test.sh LOOM COMPARE_CHECKPOINTS SOURCE_DIR
set -euo pipefail
loom=$1 compare=$2 src=$3
work=$(mktemp -d)
# The processes whose command line holds $1 (from /proc: no procps needed).
pids_of() {
  local d
  for d in /proc/[0-9]*; do
    [ "${d#/proc/}" != $$ ] && tr '\0' ' ' < "$d/cmdline" 2>/dev/null | grep -qF -- "$1" && echo "${d#/proc/}"
  done
  return 0
}
trap 'for p in $(pids_of "$work/long"); do kill -CONT "$p" 2>/dev/null || true; kill -KILL "$p" 2>/dev/null || true; done
      rm -rf "$work"' EXIT
# CI runs as root; two ranks on a 2-core machine whatever its slots.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
mpi() { mpirun --oversubscribe -np "$@"; }
cd "$work"
sentiment="$work/sentiment_sgd.pbtxt" char="$work/char_rnn_sgd.pbtxt"
sed 's/optimizer { lr: 0.001 adam {} }/optimizer { lr: 0.5 sgd {} }/' "$src/examples/sentiment_lstm.pbtxt" > "$sentiment"
sed 's/optimizer { lr: 0.1 adagrad { eps: 1e-8 } }/optimizer { lr: 0.01 sgd {} }/' "$src/examples/char_rnn.pbtxt" > "$char"
grep -q sgd "$sentiment" && grep -q sgd "$char"  # the seeds' lines were found
texts="$src/tests/data/spam_ham_700.tsv" book="$src/data/moby_dick_1-15.txt"
common=(--threads 1 --val-split 0.05)

echo "== 1. SentimentLSTM (dropout 0.5 twice): 2 ranks x 8 = 1 process x 16"
mpi 2 "$loom" train "$sentiment" --data "$texts" --steps 8 --batch 8 "${common[@]}" --save ranks.ckpt 2> ranks.log
grep -q "on 2 ranks (8 per rank)" ranks.log
grep -q "data-parallel: 2 ranks; per step 7.57 MB summed" ranks.log  # 1,893,185 floats and the loss
"$loom" train "$sentiment" --data "$texts" --steps 8 --batch 16 "${common[@]}" --save one.ckpt 2> one.log
"$compare" ranks.ckpt one.ckpt 1e-5
diff <(cut -d, -f1,2,4 ranks.ckpt.csv) <(cut -d, -f1,2,4 one.ckpt.csv)  # steps, epochs, validation

echo "== 1. char-RNN (state carried from batch to batch): 2 ranks x 1 = 1 process x 2"
mpi 2 "$loom" train "$char" --data "$book" --steps 40 --batch 1 "${common[@]}" --save c2.ckpt 2> c2.log
"$loom" train "$char" --data "$book" --steps 40 --batch 2 "${common[@]}" --save c1.ckpt 2> c1.log
"$compare" c2.ckpt c1.ckpt 1e-5

echo "== 2. resume: 20 steps, then 20 more, = 40 straight (the seed's Adagrad char-RNN)"
mpi 2 "$loom" train "$src/examples/char_rnn.pbtxt" --data "$book" --steps 40 --batch 1 "${common[@]}" --save straight.ckpt 2> /dev/null
mpi 2 "$loom" train "$src/examples/char_rnn.pbtxt" --data "$book" --steps 20 --batch 1 "${common[@]}" --save cut.ckpt 2> /dev/null
mpi 2 "$loom" train "$src/examples/char_rnn.pbtxt" --data "$book" --steps 40 --batch 1 "${common[@]}" --resume cut.ckpt 2> /dev/null
"$compare" cut.ckpt straight.ckpt 0
echo "== 2. a 2-rank checkpoint resumed by one process with the same whole batch"
mpi 2 "$loom" train "$char" --data "$book" --steps 20 --batch 1 "${common[@]}" --save half.ckpt 2> /dev/null
"$loom" train "$char" --data "$book" --steps 40 --batch 2 "${common[@]}" --resume half.ckpt 2> /dev/null
"$compare" half.ckpt c2.ckpt 1e-5
# Another whole batch is refused: batches are laid out by it.
if "$loom" train "$char" --data "$book" --steps 40 --batch 1 "${common[@]}" --resume half.ckpt 2> other.log; then exit 1; fi
grep -q "was trained on batches of 2 examples in all; this run's are 1" other.log

# The rank's pid, from Open MPI's environment of each process.
rank_pid() {
  for p in $(pids_of "$work/long"); do
    if tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$1"; then echo "$p"; return; fi
  done
}
# Starts a long 2-rank run in the background (its pid in $run) and waits for its first
# checkpoint.
start_long() {
  rm -f long.ckpt*
  mpi 2 "$loom" train "$src/examples/char_rnn.pbtxt" --data "$book" --steps 1000000 --batch 1 --threads 1 \
    --val-split 0.001 --save "$work/long.ckpt" --rank-timeout "$1" > long.log 2>&1 &
  run=$!
  for _ in $(seq 600); do [ -s long.ckpt ] && break; sleep 0.1; done
  [ -s long.ckpt ]
}
# Waits at most 60 s for the run to end; its exit status in $status.
wait_long() {
  for _ in $(seq 600); do kill -0 "$run" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$run" 2>/dev/null; then echo "the run hangs"; cat long.log; exit 1; fi
  status=0; wait "$run" || status=$?
}

echo "== 3. a rank killed: the run stops, its checkpoint loads and resumes"
start_long 300
pid=$(rank_pid 1)
[ -n "$pid" ] && kill -KILL "$pid"
wait_long
[ "$status" -ne 0 ]
grep -q "exited on signal 9" long.log  # mpirun says which rank
"$loom" eval long.ckpt --data "$book" > /dev/null 2>&1
steps=$(grep -o 'step [0-9]*:' long.log | tail -1 | tr -dc 0-9)
mpi 2 "$loom" train "$src/examples/char_rnn.pbtxt" --data "$book" --steps $((steps + 10)) --batch 1 "${common[@]}" \
  --resume long.ckpt 2> resumed.log
grep -q "saved long.ckpt" resumed.log

echo "== 3. a rank that hangs: the others give up after --rank-timeout"
start_long 3
pid=$(rank_pid 1)
[ -n "$pid" ] && kill -STOP "$pid"
wait_long
kill -KILL "$pid" 2>/dev/null || true
[ "$status" -ne 0 ]
grep -q "rank 0 of 2: no answer from the other ranks in 3 s" long.log
"$loom" eval long.ckpt --data "$book" > /dev/null 2>&1
echo "mpi: all passed"
