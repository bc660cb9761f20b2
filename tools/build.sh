#!/usr/bin/env bash
# Installs what is missing, configures (once) and builds everything into build/.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
build_dir=${LOOM_BUILD_DIR:-build}
[ -f "$build_dir/build.ninja" ] || cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$build_dir"
