"""Writes a float32 .npy of zeros with the shape given as "D0,D1,..." to stdout.

Plain Python (no numpy), for tests that need a large input without shipping one.
"""
import struct
import sys

shape = tuple(int(d) for d in sys.argv[1].split(","))
header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % "".join(f"{d}, " for d in shape).rstrip(" ")
header += " " * (63 - (10 + len(header)) % 64) + "\n"
count = 1
for d in shape:
    count *= d
sys.stdout.buffer.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + bytes(4 * count))
