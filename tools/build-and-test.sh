#!/usr/bin/env bash
# The one test command: installs what is missing, configures, builds and runs every test
# (GoogleTest and lit) through a single ctest run. A second run rebuilds incrementally.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
build_dir=${LOOM_BUILD_DIR:-build}
[ -f "$build_dir/build.ninja" ] || cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$build_dir"
ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)"
