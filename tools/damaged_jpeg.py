"""Makes two damaged copies of photos/coffee.jpg (../shared/data, CC0) whose
scans still decode without an error in common decoders:

  coffee_inserted_bytes.jpg  32 bytes (0x5A) inserted in the middle of the
                             entropy-coded data: decoded as codes of their
                             own, they change what follows (in this file a
                             DC difference: the same band as below).
  coffee_dc_flip.jpg         one bit of the scan changed where it alters a
                             DC difference only: every later block of that
                             component is offset (a band of other colour or
                             brightness to the end of the picture). Chosen as
                             the first bit from the scan's middle on whose
                             change Pillow decodes without error, changes
                             over 5 % of the pixels by more than 10 levels,
                             and starts mid-row (at least 48 px from either
                             end of its row of blocks).

Usage: python tools/damaged_jpeg.py tests/data/photos OUT_DIR

Pillow is the ground truth of the damage here, not skintrack: it found bit
1 of byte 68500 (the band from row 216, column 488 on), which
tests/hostile.rs changes at test time.
"""
import io
import os
import sys

import numpy as np
from PIL import Image

src = os.path.join(sys.argv[1], "coffee.jpg")
out = sys.argv[2]
data = open(src, "rb").read()
sos = data.find(b"\xff\xda")
start = sos + 2 + (data[sos + 2] << 8 | data[sos + 3])
end = data.rfind(b"\xff\xd9")
mid = (start + end) // 2
while data[mid] == 0xFF or data[mid - 1] == 0xFF:
    mid += 1
open(os.path.join(out, "coffee_inserted_bytes.jpg"), "wb").write(data[:mid] + b"\x5a" * 32 + data[mid:])

clean = np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(float)
h, w = clean.shape[:2]
for pos in range(mid, end):
    if data[pos] == 0xFF or data[pos - 1] == 0xFF:
        continue
    for bit in range(8):
        d = bytearray(data)
        d[pos] ^= 1 << bit
        if d[pos] == 0xFF:
            continue
        try:
            im = Image.open(io.BytesIO(bytes(d)))
            im.load()
        except Exception:
            continue
        diff = np.abs(np.asarray(im.convert("RGB")).astype(float) - clean).max(axis=2) > 10
        if diff.mean() < 0.05:
            continue
        rows = np.nonzero(diff.any(axis=1))[0]
        y0 = rows[0]
        cols = np.nonzero(diff[y0])[0]
        x0 = cols[0]
        if 48 <= x0 <= w - 48 and diff[y0 + 20:].mean() > 0.9:
            open(os.path.join(out, "coffee_dc_flip.jpg"), "wb").write(bytes(d))
            print("bit", bit, "of byte", pos, "from row", y0, "column", x0, "changed", round(diff.mean(), 3))
            sys.exit(0)
sys.exit("no such bit found")
