#!/usr/bin/env bash
# The package as a user gets it: `cmake --install` into a fresh prefix; each public
# header compiled on its own with only the installed include directory; examples/ built
# out of the tree with find_package(Loom) and run (its test asserts that the model
# learns); the same program linked through pkg-config alone; the README's "Using Loom
# from C++" project, as printed there, built and run, its checkpoint read by the
# installed `loom eval`; the installed tools run.
# usage: install_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >"$work/install.log"

for header in "$prefix"/include/loom/*.h; do
  echo "#include \"loom/$(basename "$header")\"" |
    c++ -std=c++20 -fsyntax-only -x c++ -I"$prefix/include" - || {
      echo "FAILED: loom/$(basename "$header") does not compile with only $prefix/include"
      exit 1
    }
done
echo "every public header compiles with only the installed include directory"

cmake -S "$src/examples" -B "$work/examples" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" >"$work/configure.log"
cmake --build "$work/examples"
ctest --test-dir "$work/examples" --output-on-failure

PKG_CONFIG_PATH=$(dirname "$(find "$prefix" -name loom.pc)")
export PKG_CONFIG_PATH
# shellcheck disable=SC2046 # pkg-config's flags are separate words
c++ -O1 "$src/examples/jit_sentiment.cpp" -o "$work/jit_sentiment_pc" $(pkg-config --cflags --libs loom) \
  -Wl,-rpath,"$(pkg-config --variable=libdir loom)"
echo "linked by pkg-config: $(pkg-config --modversion loom)"

# The README's CMakeLists.txt and program, exactly as a reader would copy them.
mkdir "$work/readme"
python3 - "$src/README.md" "$work/readme" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
section = text[text.index("## Using Loom from C++"):]
blocks = dict(re.findall(r"```(cmake|cpp)\n(.*?)```", section, re.S))
open(sys.argv[2] + "/CMakeLists.txt", "w").write(blocks["cmake"])
open(sys.argv[2] + "/tagger.cpp", "w").write(blocks["cpp"])
PY
cmake -S "$work/readme" -B "$work/readme/build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" >"$work/readme.log"
cmake --build "$work/readme/build" >>"$work/readme.log"
(cd "$work/readme" && ./build/tagger "$src/examples/sentiment_lstm.pbtxt" "$src/tests/data/spam_ham_700.tsv" | tail -1)
"$prefix/bin/loom" eval "$work/readme/model.ckpt" --data "$src/tests/data/spam_ham_700.tsv"

if [ -n "${3:-}" ]; then
  site=$(find "$prefix" -type d -path '*-packages/loom' | head -1)
  [ -n "$site" ] || { echo "FAILED: no loom Python package in $prefix"; exit 1; }
  mkdir -p "$work/python/tests"
  ln -s "$src/examples" "$work/python/examples"
  ln -s "$src/tests/data" "$work/python/tests/data"
  python3 - "$src/README.md" "$work/python/example.py" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
section = text[text.index("## Python"):]
open(sys.argv[2], "w").write(re.search(r"```python\n(.*?)```", section, re.S).group(1))
PY
  export PYTHONPATH=$(dirname "$site") PYTHONDONTWRITEBYTECODE=1
  "$3" -c "import loom; assert loom.__file__.startswith('$prefix'), loom.__file__; print('import loom:', loom.__file__)"
  (cd "$work/python" && "$3" example.py)
  "$prefix/bin/loom" eval "$work/python/sentiment.ckpt" --data "$src/tests/data/spam_ham_700.tsv"
fi

for tool in loom loomc loom-opt; do "$prefix/bin/$tool" --version; done
