"""Writes a shell script that runs every command the README shows, in order, with small
step counts: readme_commands.py README.md > run.sh. The commands are the lines of its
```sh blocks that start with loom, loomc, c++, qemu-aarch64, ./ or cd (set-up commands and
loom-opt's synopsis are not among them); `loom` and `loomc` become $LOOM and $LOOMC;
--steps N runs at most 40 steps and --epochs N N/20 epochs (at least 1); the ```cpp
block that names my_program.cc is written to that file first. Plain Python.
"""
import re
import sys

text = open(sys.argv[1], encoding="utf-8").read()
print("set -ex")
for block in re.findall(r"```cpp\n(// my_program\.cc\n.*?)```", text, re.S):
    print("cat > my_program.cc <<'LOOM_README_EOF'\n" + block + "LOOM_README_EOF")
for block in re.findall(r"```sh\n(.*?)```", text, re.S):
    for line in block.splitlines():
        line = re.sub(r"\s+#.*$", "", line).strip()
        if not re.match(r"(loom |loomc |c\+\+ |qemu-aarch64 |\./|cd )", line):
            continue
        if line.startswith("loom-opt"):
            continue
        line = re.sub(r"--steps (\d+)", lambda m: f"--steps {min(int(m.group(1)), 40)}", line)
        line = re.sub(r"--epochs (\d+)", lambda m: f"--epochs {max(1, int(m.group(1)) // 20)}", line)
        line = re.sub(r"^loomc ", '"$LOOMC" ', line)
        line = re.sub(r"^loom ", '"$LOOM" ', line)
        print(line)
