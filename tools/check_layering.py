#!/usr/bin/env python3
"""Checks that every #include follows Loom's layering, and says which one does not.

  tools, python -> api -> pipeline -> {frontends, autodiff, passes, codegen} -> ir -> support
  autodiff -> passes (it uses their rewrites); codegen and frontends -> runtime;
  runtime -> support only: the runtime never depends on the compiler.

The CMake libraries (one per folder) link along the same arrows. Public headers
(include/loom/) belong to the folder that implements them, and include nothing of
Loom's but other public headers; the examples include nothing but public headers.

usage: check_layering.py [ROOT]   (exit 1 and one line per violation when there are any)
"""
import pathlib
import re
import sys

# Each folder and the folders it may include (besides itself).
ALLOWED = {
    "support": set(),
    "runtime": {"support"},
    "ir": {"support"},
    "compiler/passes": {"ir", "support"},
    "compiler/autodiff": {"compiler/passes", "ir", "support"},
    "compiler/codegen": {"ir", "support", "runtime"},
    "frontends": {"ir", "support", "runtime"},
    "compiler/pipeline": {"frontends", "compiler/autodiff", "compiler/passes", "compiler/codegen", "ir", "support",
                          "runtime"},
    "api": {"compiler/pipeline", "frontends", "compiler/autodiff", "compiler/passes", "compiler/codegen", "ir",
            "support", "runtime"},
    "tools": {"api", "compiler/pipeline", "frontends", "compiler/autodiff", "compiler/passes", "compiler/codegen",
              "ir", "support", "runtime"},
    "python": {"api", "compiler/pipeline", "frontends", "compiler/autodiff", "compiler/passes", "compiler/codegen",
               "ir", "support", "runtime"},
    "examples": set(),
}
# Public headers and the folder that implements each.
PUBLIC_OWNER = {"tensor.h": "support", "dtype.h": "support", "checkpoint.h": "runtime", "nn.h": "frontends",
                "jit.h": "api", "data.h": "api", "loom.h": "api", "world.h": "runtime"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def folder_of(path):
    """The layer a repository path (or an include of one) belongs to, or None."""
    parts = path.split("/")
    if parts[0] == "include" and len(parts) == 3 and parts[1] == "loom":
        return PUBLIC_OWNER.get(parts[2], "api")
    if parts[0] == "loom" and len(parts) == 2:  # an include of a public header
        return PUBLIC_OWNER.get(parts[1], "api")
    if parts[0] == "compiler" and len(parts) > 2:
        return "compiler/" + parts[1]
    return parts[0] if parts[0] in ALLOWED else None


def check(root):
    errors = []
    for path in sorted(root.rglob("*")):
        if path.suffix not in (".h", ".cc", ".cpp", ".def") or not path.is_file():
            continue
        rel = path.relative_to(root).as_posix()
        if rel.startswith("build") or rel.startswith("tests/") or rel.startswith("bench/"):
            continue
        layer = folder_of(rel)
        if layer is None:
            continue
        public = rel.startswith("include/loom/") or rel.startswith("examples/")
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            target = m.group(1)
            if public:
                # The installed headers and their users see only loom/*.h (and Abseil).
                if not target.startswith("loom/") and not target.startswith("absl/"):
                    errors.append(f'{rel}:{number}: error: "{target}" is not a public header; '
                                  f"public headers and examples include only loom/*.h and absl/")
                if not rel.startswith("include/loom/"):
                    continue
            used = folder_of(target)
            if used is None or used == layer:
                continue
            if used not in ALLOWED[layer]:
                allowed = ", ".join(sorted(ALLOWED[layer])) or "nothing but itself"
                errors.append(f'{rel}:{number}: error: {layer} includes "{target}" ({used}); '
                              f"{layer} may include only {allowed}")
    return errors


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent)
    errors = check(root)
    for e in errors:
        print(e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
