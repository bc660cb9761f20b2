#!/usr/bin/env bash
# The one test command: installs what is missing, checks the C++ formatting, configures,
# builds and runs every test (GoogleTest, lit, the JIT example, the installed package
# used from outside the tree) through one ctest run; runs the tests that
# generate code again with code for AVX2 (x86-64-v3) on a CPU with AVX-512, so that both
# paths are tested on every machine (on an AVX2-only CPU the first run was that); then the same
# tests under ASan + UBSan, each fuzz target briefly, and the thread pool under TSan
# (tools/sanitize.sh). A second run rebuilds incrementally.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh --tests
tools/check_format.sh
tools/build.sh
build_dir=${LOOM_BUILD_DIR:-build}
ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)"
if grep -qw avx512f /proc/cpuinfo; then
  echo "== The JIT and loomc tests again, generating code for x86-64-v3 (AVX2)"
  LOOM_TARGET_CPU=x86-64-v3 ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)" \
    -R '^(codegen_tests|loop_optimizations_tests|jit_sentiment_example|lit)$'
fi
tools/sanitize.sh
