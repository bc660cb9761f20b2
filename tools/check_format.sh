#!/usr/bin/env bash
# Every C++ file of the project formatted as .clang-format says (clang-format 14, as
# Debian 12 ships it); names each file that is not. To fix: tools/check_format.sh --fix.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cc' '*.h' '*.cpp')
if [[ "${1:-}" == --fix ]]; then
  clang-format-14 -i "${files[@]}"
else
  clang-format-14 --dry-run --Werror "${files[@]}"
  echo "check_format: ${#files[@]} files formatted as .clang-format says"
fi
