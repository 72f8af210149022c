#!/usr/bin/env python3
"""How far a JPEG round trip moves an area's mean colour, against the model
of `quality::compression` (BENCHMARKS.md, "JPEG rounding of flat chroma").

1 500 areas of 128×128 px: a grey of 60–200 under a colour cast of ±10 % per
channel, luma texture 0–20 levels, chroma texture 0–4 levels, noise 0–2.5
levels, libjpeg (Pillow) at quality 60–95, 4:4:4 or 4:2:0. For each area:
the shift of its mean red minus green (levels) and its decoded chroma
detail (the SD of red minus green within 16×16 blocks). Prints the shifts
over the model's standard deviation (z) by quality and by detail, and the
same for the former model (1/6 of the chroma DC step).

Needs numpy and Pillow. Usage: python3 tools/jpeg_rounding_sweep.py
"""
import io

import numpy as np
from PIL import Image

# chroma DC step of libjpeg's standard table (17) at each quality
STEP = {60: 14, 70: 10, 82: 6, 90: 3, 95: 2}


def round_trip(a, quality, subsampling):
    buf = io.BytesIO()
    Image.fromarray(a.astype(np.uint8)).save(buf, "JPEG", quality=quality, subsampling=subsampling)
    return np.asarray(Image.open(buf), dtype=np.float64)


def detail(rg, k=16):
    h, w = rg.shape
    blocks = rg.reshape(h // k, k, w // k, k).mean((1, 3))
    return (rg - np.repeat(np.repeat(blocks, k, 0), k, 1)).std()


def dithered(d, step):
    return 1.0 / (1.0 + (d / step) ** 2 / 3.0)


def model_sd(quality, d):
    """SD of an area's mean red minus green, levels: R − G = 2.116 Cr +
    0.344 Cb, each chroma channel with the model's SD."""
    lattice = STEP[quality] / 8.0
    sd = np.hypot(lattice * dithered(d, lattice), dithered(d, 1.0)) / np.sqrt(12.0)
    return np.hypot(2.116, 0.344) * sd


def main():
    rng = np.random.default_rng(5)
    h = w = 128
    yy, xx = np.mgrid[0:h, 0:w]
    rows = []
    for _ in range(1500):
        grey = rng.uniform(60, 200)
        cast = rng.uniform(0.9, 1.1, 3)
        tex = rng.choice([0, 3, 10, 20])
        ctex = rng.choice([0, 0.5, 1, 2, 4])
        ph = rng.uniform(0, 6.3, 4)
        luma = grey + tex * np.sin(xx / 5.3 + ph[0]) * np.cos(yy / 7.1 + ph[1])
        chroma = ctex * np.sin(xx / 11.0 + ph[2]) * np.sin(yy / 9.0 + ph[3])
        a = np.stack([luma * cast[0] + chroma, luma * cast[1] - chroma * 0.5, luma * cast[2]], -1)
        noise = rng.choice([0, 0.5, 1.2, 2.5])
        quality = int(rng.choice(list(STEP)))
        sub = int(rng.choice([0, 2]))
        a = np.clip(np.round(a + rng.normal(0, noise, a.shape)), 0, 255)
        j = round_trip(a, quality, sub)
        rg = j[..., 0] - j[..., 1]
        shift = rg.mean() - (a[..., 0] - a[..., 1]).mean()
        rows.append((quality, shift, detail(rg)))
    q, shift, d = (np.array(c) for c in zip(*rows))
    new = shift / np.array([model_sd(int(k), v) for k, v in zip(q, d)])
    old = shift / (np.hypot(2.116, 0.344) * np.array([STEP[int(k)] / 8.0 / 6.0 for k in q]))

    def line(label, m):
        rms = lambda z: np.sqrt((z[m] ** 2).mean())
        beyond = lambda z: 100 * (np.abs(z[m]) > 1.96).mean()
        print(f"{label:>10} n={m.sum():4d} shift RMS {rms(shift):.2f}  model z RMS {rms(new):.2f} "
              f"({beyond(new):.0f} % > 1.96)  former z RMS {rms(old):.2f} ({beyond(old):.0f} %)")

    for k in STEP:
        line(f"q{k}", q == k)
    for lo, hi in ((0, 0.5), (0.5, 1), (1, 2), (2, 99)):
        line(f"d {lo}-{hi}", (d >= lo) & (d < hi))
    line("all", q > 0)


if __name__ == "__main__":
    main()
