#!/usr/bin/env bash
# The sanitizer half of the test command: builds everything with clang-14 under
# AddressSanitizer + UndefinedBehaviorSanitizer (with the libFuzzer targets) into
# build-sanitize/ and runs every unit and lit test there; runs each fuzz target for
# FUZZ_SECONDS (default 30) from the repository's seeds and regression inputs; builds
# the thread pool's tests and the serving tests (one model, many threads) under
# ThreadSanitizer into build-tsan/ and runs them. Any report fails it.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v clang++-14 >/dev/null || [[ ! -d /usr/lib/llvm-14/lib/clang ]]; then
  apt-get update -q >/dev/null && apt-get install -y -q clang-14 libclang-rt-14-dev >/dev/null
fi
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# Line tables are all a report needs, and much cheaper to build than full debug info.
flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -gline-tables-only -DNDEBUG")
san=build-sanitize
[[ -f $san/build.ninja ]] || CC=clang-14 CXX=clang++-14 cmake -S . -B $san -G Ninja "${flags[@]}" -DLOOM_FUZZ=ON >/dev/null
cmake --build $san
# The JIT example is a demonstration of training (the same code as the JIT tests) that
# takes minutes under the sanitizers; lit skips its long training runs the same way.
ctest --test-dir $san --output-on-failure -j "$(nproc)" -E jit_sentiment_example
# The fuzz targets, as many at once as there are cores.
printf '%s\n' ir_text ir_binary model_file checkpoint npy data compiler onnx |
  LOOM_FUZZ_BUILD_DIR=$san LOOM_FUZZ_NO_BUILD=1 xargs -P "$(nproc)" -I{} tools/fuzz.sh {} "${FUZZ_SECONDS:-30}"

tsan=build-tsan
# -O0: the serving test needs most of the compiler built, and its speed is the JIT's
# code's (compiled by LLVM as always); unoptimized, the build takes half the time.
[[ -f $tsan/build.ninja ]] || CC=clang-14 CXX=clang++-14 cmake -S . -B $tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O0 -gline-tables-only -DNDEBUG" -DLOOM_TSAN=ON >/dev/null
cmake --build $tsan --target thread_pool_tests serving_tests
TSAN_OPTIONS=halt_on_error=1 $tsan/tests/unit/thread_pool_tests
TSAN_OPTIONS=halt_on_error=1 $tsan/tests/unit/serving_tests
