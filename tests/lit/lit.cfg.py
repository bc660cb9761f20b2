# lit configuration: every .loom file under tests/lit is a test; RUN lines use loom-opt,
# FileCheck and not.
import os
import sys

import lit.formats

config.name = "Loom"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".loom", ".test", ".pbtxt"]
config.excludes = ["Inputs"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.loom_tools_dir, "..", "tests", "lit")

config.substitutions.append(("%loom-opt", os.path.join(config.loom_tools_dir, "loom-opt", "loom-opt")))
config.substitutions.append(("%loomc", os.path.join(config.loom_tools_dir, "loomc", "loomc")))
config.substitutions.append(("%loom ", os.path.join(config.loom_tools_dir, "loom", "loom") + " "))
config.substitutions.append(("%loom_bin", os.path.join(config.loom_tools_dir, "loom", "loom")))
config.substitutions.append(("%cxx", config.cxx))
config.substitutions.append(("%python", sys.executable))
# AArch64 programs (tests/lit/e2e/aarch64.test) run under user-mode QEMU with Debian's
# AArch64 libraries.
config.substitutions.append(("%qemu-aarch64", "qemu-aarch64 -L /usr/aarch64-linux-gnu"))
config.substitutions.append(("%examples", os.path.join(config.loom_source_dir, "examples")))
config.substitutions.append(("%repo", config.loom_source_dir))
config.environment["PATH"] = os.pathsep.join(
    [os.path.join(config.loom_tools_dir, "loom-opt"), config.llvm_tools_dir,
     config.environment.get("PATH", "")])
# One thread per tool unless a test asks for more (--threads): lit runs tests side by
# side on every core already. threads.test checks that the count changes no result.
config.environment["LOOM_NUM_THREADS"] = "1"
# Sanitizer builds skip the long training runs whose point is what the model learns
# (their code paths are covered by the shorter end-to-end tests).
if config.loom_sanitized:
    config.available_features.add("sanitizer")
# A CPU with Intel's AMX runs code for sapphirerapids (target_cpu.test's refusal).
if "amx_tile" in open("/proc/cpuinfo").read():
    config.available_features.add("amx")
