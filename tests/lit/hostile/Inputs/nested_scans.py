# Text IR with N scans nested one in another: nested_scans.py N > x.loom
import sys
n = int(sys.argv[1])
out = ["module @m { func @f(%c0: f32[]) -> (f32[]) {"]
for i in range(n):
    out.append(f"%r{i} = scan carries(%c{i}) steps() invariants() {{length = 1}} {{ ^bb(%c{i+1}: f32[]):")
out.append(f"yield %c{n}")
for i in reversed(range(n)):
    out.append(f"}} : f32[]")
    out.append(f"yield %r{i}" if i > 0 else "return %r0 } }")
print("\n".join(out))
