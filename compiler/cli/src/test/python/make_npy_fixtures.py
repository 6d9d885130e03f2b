"""Writes the NumPy fixtures of NpyReaderTest (src/test/resources/data/npy) with NumPy's own writers.

Run from compiler/cli with Debian's python3 (numpy installed):  /usr/bin/python3 src/test/python/make_npy_fixtures.py
The outputs are committed; the tests need no Python. Values are small and exact in float32 so the test can
spell them out.
"""
import os
import numpy as np

out = os.path.join(os.path.dirname(__file__), "..", "resources", "data", "npy")
os.makedirs(out, exist_ok=True)

x = (np.arange(12, dtype=np.float32).reshape(2, 3, 2) / 4).astype("<f4")   # 0, 0.25, ... 2.75
lengths = np.array([3, 2], dtype="<i8")
target = np.array([[1, 0, 2], [2, 1, 0]], dtype="<i4")

np.save(os.path.join(out, "input.npy"), x)
np.save(os.path.join(out, "lengths.npy"), lengths)
np.save(os.path.join(out, "target.npy"), target)
np.save(os.path.join(out, "doubles.npy"), np.array([[0.5, -1.5], [2.0, 1e-3]], dtype="<f8"))
np.save(os.path.join(out, "big_endian.npy"), np.array([1.5, -2.25, 3.0], dtype=">f4"))
np.save(os.path.join(out, "scalar.npy"), np.array(7, dtype="<i8"))
np.save(os.path.join(out, "fortran.npy"), np.asfortranarray(np.arange(6, dtype="<f4").reshape(2, 3)))
np.save(os.path.join(out, "bytes.npy"), np.arange(4, dtype="u1"))
with open(os.path.join(out, "version2.npy"), "wb") as f:
    np.lib.format.write_array(f, np.arange(5, dtype="<i8"), version=(2, 0))
np.savez(os.path.join(out, "batch.npz"), input=x, lengths=lengths, target=target)
np.savez_compressed(os.path.join(out, "compressed.npz"), input=x, lengths=lengths)
with open(os.path.join(out, "input.npy"), "rb") as f:
    data = f.read()
with open(os.path.join(out, "truncated.npy"), "wb") as f:
    f.write(data[:-5])
