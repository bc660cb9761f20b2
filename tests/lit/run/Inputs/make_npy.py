"""Writes a .npy to stdout: make_npy.py DESCR D0,D1,... [VALUE | random:N]

DESCR is numpy's ('<f4', '<f8', '<i4', '<i8', '|b1'); every element is VALUE (default 0), or
with random:N drawn from a fixed seed, integers in [0, N) or floats in [-N, N). Plain
Python (no numpy), for tests that need a large, a random or a deliberately wrong input
without shipping one.
"""
import random
import struct
import sys

descr, dims = sys.argv[1], sys.argv[2]
value = sys.argv[3] if len(sys.argv) > 3 else "0"
shape = tuple(int(d) for d in dims.split(","))
# Exactly as numpy.save writes it (loomc's programs compare headers byte for byte).
dims_text = ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")
header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (descr, dims_text)
header += " " * (63 - (10 + len(header)) % 64) + "\n"
count = 1
for d in shape:
    count *= d
code = {"<f4": "f", "<f8": "d", "<i4": "i", "<i8": "q", "|b1": "?"}[descr]
if value.startswith("random:"):
    n, rng = float(value[len("random:"):]), random.Random(1)
    draw = (lambda: rng.uniform(-n, n)) if code in "fd" else (lambda: rng.randrange(int(n)))
    data = b"".join(struct.pack("<" + code, draw()) for _ in range(count))
else:
    data = struct.pack("<" + code, float(value) if code in "fd" else int(value)) * count
sys.stdout.buffer.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + data)
