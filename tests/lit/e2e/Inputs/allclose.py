"""Whether two arrays of f32 or f64 agree element by element within a relative tolerance:
allclose.py A B [RTOL]. Each is a .npy as numpy.save writes it (little-endian f4 or f8) or
the raw floats alone (what tests/e2e/aot_driver.cc writes). Two builds of one model for
different CPUs sum their products in different orders, so an element may move by a few
units in the last place of the terms it was summed from: |a - b| <= RTOL·(|b| + m/100)
(default RTOL 1e-5), m the largest |b| of the array, so that an element much smaller
than the terms that cancelled into it is held to the terms' precision. Prints the
largest difference relative to |b|; exits 1 on the first element beyond the bound.
Plain Python, no numpy.
"""
import struct
import sys


def floats(path):
    data = open(path, "rb").read()
    if data.startswith(b"\x93NUMPY"):
        header = struct.unpack("<H", data[8:10])[0]
        descr = data[10:10 + header].decode()
        if "'<f8'" in descr:
            data = data[10 + header:]
            return struct.unpack(f"<{len(data) // 8}d", data)
        if "'<f4'" not in descr:
            sys.exit(f"{path}: not an f4 or f8 array")
        data = data[10 + header:]
    return struct.unpack(f"<{len(data) // 4}f", data)


a, b = floats(sys.argv[1]), floats(sys.argv[2])
rtol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-5
if len(a) != len(b):
    sys.exit(f"{len(a)} elements against {len(b)}")
floor = max((abs(y) for y in b), default=0.0) / 100
worst = 0.0
for i, (x, y) in enumerate(zip(a, b)):
    if not abs(x - y) <= rtol * (abs(y) + floor):
        sys.exit(f"element {i}: {x!r} against {y!r}")
    worst = max(worst, abs(x - y) / max(abs(y), 1e-30))
print(f"{len(a)} elements, largest relative difference {worst:.2e}")
