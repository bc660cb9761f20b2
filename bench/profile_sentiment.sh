#!/bin/sh
# Where the SentimentLSTM's forward or training step (batch 32, seq 50, Adam) spends its
# time, by function. loomc compiles it ahead of time, so each generated GEMM kernel keeps
# its symbol (JIT code has none for perf), profile_sentiment.cc runs it, perf samples it.
#
#   bench/profile_sentiment.sh [forward|train_step] [BUILD_DIR]      # for this CPU
#   LOOM_TARGET_CPU=x86-64-v3 bench/profile_sentiment.sh train_step  # AVX2 code, this CPU
#   THREADS=2 bench/profile_sentiment.sh train_step                     # on two threads
set -eu
function=${1:-train_step}
case $function in forward | train_step) ;; *) echo "usage: $0 [forward|train_step] [BUILD_DIR]" >&2; exit 2 ;; esac
build=$(realpath "${2:-build}")
bench=$(dirname "$(realpath "$0")")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build/tools/loomc/loomc" "$bench/../examples/sentiment_lstm.pbtxt" --functions "$function" \
  --batch 32 --emit=obj -o "$work/sentiment.o" --header "$work/sentiment.h"
c++ -O2 -std=c++20 -DSTEP_CLASS="SentimentLSTM_$function" -I"$work" "$bench/profile_sentiment.cc" \
  "$work/sentiment.o" -lm -o "$work/run"
perf record -q -o "$work/perf.data" "$work/run" 60 "${THREADS:-1}"
perf report -i "$work/perf.data" --no-children --sort symbol --percent-limit 0.5 --stdio 2>/dev/null |
  grep -v -e '^#' -e '^$' | sed 's/[ -]*$//'
