#!/usr/bin/env bash
# The one test command: installs what is missing, configures, builds and runs every test
# (GoogleTest, lit and the JIT example) through one ctest run, then the same tests under
# ASan + UBSan, each fuzz target briefly, and the kernels under TSan (tools/sanitize.sh).
# A second run rebuilds incrementally.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/build.sh
ctest --test-dir "${LOOM_BUILD_DIR:-build}" --output-on-failure -j "$(nproc)"
tools/sanitize.sh
