#!/bin/sh
# Where a SentimentLSTM training step (batch 32, seq 50, Adam) spends its time, by
# function. loomc compiles the step ahead of time, so each generated GEMM kernel keeps its
# symbol (JIT code has none for perf), profile_train_step.cc runs it, perf samples it.
#
#   bench/profile_train_step.sh [BUILD_DIR]                  # for this CPU
#   LOOM_TARGET_CPU=x86-64-v3 bench/profile_train_step.sh    # AVX2 code on this CPU
set -eu
build=$(realpath "${1:-build}")
bench=$(dirname "$(realpath "$0")")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build/tools/loomc/loomc" "$bench/../examples/sentiment_lstm.pbtxt" --functions train_step \
  --batch 32 --emit=obj -o "$work/sentiment_train_step.o" --header "$work/sentiment_train_step.h"
c++ -O2 -std=c++20 -I"$work" "$bench/profile_train_step.cc" "$work/sentiment_train_step.o" -lm \
  -o "$work/train_step"
perf record -q -o "$work/perf.data" "$work/train_step" 60
perf report -i "$work/perf.data" --no-children --sort symbol --percent-limit 0.5 --stdio 2>/dev/null |
  grep -v -e '^#' -e '^$' | sed 's/[ -]*$//'
