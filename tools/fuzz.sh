#!/usr/bin/env bash
# Runs a libFuzzer target for SECONDS:  tools/fuzz.sh TARGET SECONDS
#   TARGET: ir_text ir_binary model_file checkpoint npy data compiler onnx, or "all" (each in
#   turn for SECONDS).
# Builds build-fuzz/ first with clang-14 (AddressSanitizer, UndefinedBehaviorSanitizer,
# coverage). Seeds come from the repository's own files (examples/, tests/) and from
# tests/fuzz/regressions/TARGET/ (every crash found so far); dictionaries from
# tests/fuzz/TARGET.dict. The working corpus grows in build-fuzz/corpus/TARGET. A crash
# is saved in build-fuzz/crashes/TARGET/ and fails the run: fix it, and add the input to
# tests/fuzz/regressions/TARGET/.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: tools/fuzz.sh TARGET SECONDS}
seconds=${2:?usage: tools/fuzz.sh TARGET SECONDS}
targets=(ir_text ir_binary model_file checkpoint npy data compiler onnx)
if [[ $target == all ]]; then
  for t in "${targets[@]}"; do "$0" "$t" "$seconds"; done
  exit 0
fi
[[ " ${targets[*]} " == *" $target "* ]] || { echo "fuzz.sh: unknown target '$target' (${targets[*]})" >&2; exit 2; }

build=${LOOM_FUZZ_BUILD_DIR:-build-fuzz}
if ! command -v clang++-14 >/dev/null || [[ ! -d /usr/lib/llvm-14/lib/clang ]]; then
  apt-get install -y -q clang-14 libclang-rt-14-dev >/dev/null
fi
[[ -f $build/build.ninja ]] || CC=clang-14 CXX=clang++-14 cmake -S . -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOOM_FUZZ=ON >/dev/null
# LOOM_FUZZ_NO_BUILD: the caller has built every target (tools/sanitize.sh runs several
# at once, and two builds in one directory would race).
[[ -n ${LOOM_FUZZ_NO_BUILD:-} ]] || cmake --build "$build" --target "fuzz_$target" >/dev/null

corpus=$build/corpus/$target crashes=$build/crashes/$target
mkdir -p "$corpus" "$crashes"
seed() { [[ -f $1 ]] && cp "$1" "$corpus/seed_$(basename "$1")_$(cksum <"$1" | cut -d' ' -f1)"; return 0; }
# A loader's seed: its selector byte, then the first 4 KB of a real file.
prefixed() { { printf "\\x$(printf %02x "$1")"; head -c 4096 "$2"; } >"$corpus/seed_$1_$(basename "$2")"; }
case $target in
  ir_text) for f in examples/ir/*.loom tests/lit/*/*.loom tests/lit/*/*/*.loom; do seed "$f"; done ;;
  model_file) for f in examples/*.pbtxt tests/e2e/*.pbtxt tests/lit/*/Inputs/*.pbtxt tests/golden/*/model.pbtxt; do seed "$f"; done ;;
  npy) for f in tests/e2e/*.npy tests/lit/*/Inputs/*.npy; do seed "$f"; done ;;
  onnx)
    for f in tests/lit/onnx/Inputs/*.onnx tests/onnx/pytorch/char_rnn/model.onnx \
      tests/onnx/pytorch/bigru_lengths/model.onnx /usr/share/libonnx-testdata/data/node/test_{lstm,gru}_*/model.onnx; do
      seed "$f"
    done ;;
  data)
    prefixed 0 data/moby_dick_1-15.txt
    prefixed 1 tests/data/spam_ham_700.tsv
    prefixed 2 tests/data/us_births.csv ;;
esac
[[ -d tests/fuzz/regressions/$target ]] && cp tests/fuzz/regressions/$target/* "$corpus/" 2>/dev/null || true
dict=()
[[ -f tests/fuzz/$target.dict ]] && dict=(-dict="tests/fuzz/$target.dict")
# The compiler target's inputs are a module's seed and edits to its data (see
# compiler_fuzzer.cc): 512 bytes is over a hundred edits.
max_len=65536
[[ $target == compiler ]] && max_len=512
echo "fuzz.sh: $target for ${seconds}s (corpus $corpus)"
"$build/tests/fuzz/fuzz_$target" "$corpus" "${dict[@]}" -max_total_time="$seconds" -max_len=$max_len \
  -rss_limit_mb=4096 -artifact_prefix="$crashes/" -print_final_stats=1 2>"$build/fuzz_$target.log" || {
  tail -40 "$build/fuzz_$target.log" >&2
  echo "fuzz.sh: $target found a crash: $crashes" >&2
  exit 1
}
grep -E "stat::number_of_executed_units|Done" "$build/fuzz_$target.log" | tail -2
