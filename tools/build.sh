#!/usr/bin/env bash
# Installs what is missing, configures (once) and builds into build/: everything, or only
# the targets named (tools/build.sh loom builds the loom tool and what it links, not the
# tests and benchmarks).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
build_dir=${LOOM_BUILD_DIR:-build}
[ -f "$build_dir/build.ninja" ] || cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release
if (($#)); then
  cmake --build "$build_dir" --target "$@"
else
  cmake --build "$build_dir"
fi
