#!/usr/bin/env bash
# Installs the Debian packages Loom builds with, skipping any already present; with
# --tests also what only the tests need: an AArch64 cross toolchain and user-mode QEMU
# (tests/lit/e2e/aarch64.test builds programs for AArch64 and runs them), pkg-config
# (the installed package is used through it), clang-format (the style check), pytest
# and PyTorch (the Python module's tests compare with torch.nn). Open MPI is for
# data-parallel training (mpirun -np N loom train); Loom builds without it too.
set -euo pipefail
packages=(llvm-19-dev llvm-19-tools libzstd-dev libabsl-dev libprotobuf-dev protobuf-compiler libonnx-dev
          libgtest-dev cmake ninja-build g++ python3 python3-dev python3-numpy pybind11-dev libopenmpi-dev openmpi-bin)
if [[ "${1:-}" == --tests ]]; then
  packages+=(g++-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user binutils pkg-config clang-format-14 libonnx-testdata
            python3-pytest python3-torch python3-onnx)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q "${missing[@]}"
fi
