"""Reference timings for BENCHMARKS.md (issue 5): scikit-image's frangi and
graycomatrix on the metrics benchmark photo.

    python -m venv /tmp/sk && /tmp/sk/bin/pip install scikit-image==0.26.0
    cargo bench --bench stages -- metrics   # makes target/bench-data/
    /tmp/sk/bin/python benches/reference/skimage_frangi_glcm.py target/bench-data/base_4032x3024.jpg
"""
import sys
import time

import numpy as np
from skimage import io
from skimage.feature import graycomatrix
from skimage.filters import frangi

img = io.imread(sys.argv[1]).astype(np.float64)
# Rec. 709 luminance, as skintrack's (DESIGN.md)
y = 0.2126 * img[..., 0] + 0.7152 * img[..., 1] + 0.0722 * img[..., 2]
print("image", y.shape)

t = time.perf_counter()
frangi(y, sigmas=[1, 2, 3, 4], black_ridges=True)
print(f"frangi sigmas 1-4: {time.perf_counter() - t:.2f} s")

q = np.clip(np.floor(y * 64 / 256), 0, 63).astype(np.uint8)
angles = [0, np.pi / 4, np.pi / 2, 3 * np.pi / 4]
for distances in ([1], [1, 2, 4]):
    times = []
    for _ in range(3):
        t = time.perf_counter()
        graycomatrix(q, distances, angles, levels=64, symmetric=True, normed=True)
        times.append(time.perf_counter() - t)
    print(f"graycomatrix distances {distances}: {min(times) * 1e3:.0f} ms")
