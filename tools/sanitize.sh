#!/usr/bin/env bash
# The sanitizer half of the test command: builds everything with clang-14 under
# AddressSanitizer + UndefinedBehaviorSanitizer (with the libFuzzer targets) into
# build-sanitize/ and runs every unit and lit test there; runs each fuzz target for
# FUZZ_SECONDS (default 30) from the repository's seeds and regression inputs; builds
# the kernels' tests under ThreadSanitizer into build-tsan/ and runs them. Any report
# fails it.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v clang++-14 >/dev/null || [[ ! -d /usr/lib/llvm-14/lib/clang ]]; then
  apt-get install -y -q clang-14 libclang-rt-14-dev >/dev/null
fi
export ASAN_OPTIONS=abort_on_error=0:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
san=build-sanitize
[[ -f $san/build.ninja ]] || CC=clang-14 CXX=clang++-14 cmake -S . -B $san -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOOM_FUZZ=ON >/dev/null
cmake --build $san
ctest --test-dir $san --output-on-failure -j "$(nproc)"
LOOM_FUZZ_BUILD_DIR=$san tools/fuzz.sh all "${FUZZ_SECONDS:-30}"

tsan=build-tsan
[[ -f $tsan/build.ninja ]] || CC=clang-14 CXX=clang++-14 cmake -S . -B $tsan -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOOM_TSAN=ON >/dev/null
cmake --build $tsan --target kernels_tests
TSAN_OPTIONS=halt_on_error=1 $tsan/tests/unit/kernels_tests
