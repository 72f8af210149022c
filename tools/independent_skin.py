#!/usr/bin/env python3
"""Held-out check of capture invariance on skin that skintrack did not draw.

`skintrack phantom` and the checks built on it (tools/independent_captures.py)
share one skin: its pores, relief, spots and colour model. Here the skin is
drawn by other code, from other ideas, across skin types:

- relief: a network of crossing furrows (ridged band-pass noise in two
  directions, as skin's micro-relief), pits of 1.5–4 px for pores, a few
  long wrinkles of Gaussian section, soft bumps; shaded by a frontal and a
  side light with a little sheen;
- colour: reflectance exp(−(m·εm + h·εh)) per channel from melanin and
  haemoglobin maps (absorption spectra shaped like the chromophores':
  melanin falling from blue to red, haemoglobin strongest in green), with
  a melanin level from very fair to dark skin, mottling, freckles and
  pigmented spots, and the treated region redder than the control region
  by a lasting erythema (with a few thin vessels).

Every case is photographed unchanged five times by
tools/independent_captures.py's camera (`--wide`: tools/real_scene_captures.py's,
issue 15's whole range), so a report must claim no change.

usage: independent_skin.py SKINTRACK WORKDIR SEED [SEED ...] [--wide]
prints one line per case and a summary; exits 1 when any claim is made.
Needs numpy and Pillow.
"""
import os, sys
import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import independent_captures as ic  # noqa: E402
import real_scene_captures as rs  # noqa: E402

H, W = 1050, 1400
# in the 1200 × 900 frame (the scene's crop at ic.OFFSET)
ROI = [320, 260, 700, 480]
CONTROL = [40, 40, 200, 150]
MELANIN = np.array([0.45, 0.85, 1.35])     # absorption per unit, red/green/blue
HAEMOGLOBIN = np.array([0.06, 0.60, 0.35])
ALBEDO = np.array([0.92, 0.80, 0.72])


def noise(rng, sigma):
    """Unit-SD Gaussian noise smoothed at `sigma` px."""
    n = ic.periodic_blur(rng.normal(size=(H, W)), sigma)
    return n / n.std()


def furrows(rng, scale, angle):
    """Ridged noise: lines where band-pass noise stretched along `angle`
    crosses zero (a furrow network), in [0, 1]."""
    white = rng.normal(size=(H, W))
    n = ic.periodic_blur(white, scale) - ic.periodic_blur(white, 3 * scale)
    # stretch along the angle by smoothing along it: shear a few shifted copies
    dx, dy = np.cos(angle), np.sin(angle)
    acc = np.zeros_like(n)
    for t in range(-6, 7):
        acc += np.roll(n, (round(t * dy * scale / 2), round(t * dx * scale / 2)), axis=(0, 1))
    acc /= acc.std()
    return np.exp(-(acc / 0.25) ** 2)


def splat(points, weights, sigma):
    """Sum of Gaussians of `sigma` px at `points` (x, y), each peaking at its weight."""
    img = np.zeros((H, W))
    xs = np.clip(np.round(points[:, 0]).astype(int), 0, W - 1)
    ys = np.clip(np.round(points[:, 1]).astype(int), 0, H - 1)
    np.add.at(img, (ys, xs), weights)
    return ic.periodic_blur(img, sigma) * 2 * np.pi * sigma ** 2


def along(peak, sigma):
    """Weight of each of a curve's points (0.5 px apart) for a line of
    Gaussians of `sigma` px whose profile peaks at `peak`."""
    return peak * 0.5 / (np.sqrt(2 * np.pi) * sigma)


def curve(rng, length):
    """Points 0.5 px apart along a gently bending curve."""
    p = np.array([rng.uniform(100, W - 100), rng.uniform(100, H - 100)])
    a, bend = rng.uniform(0, np.pi), rng.uniform(-0.0008, 0.0008)
    pts = []
    for _ in range(int(2 * length)):
        pts.append(p.copy())
        p += 0.5 * np.array([np.cos(a), np.sin(a)])
        a += bend
    return np.array(pts)


def box(rect, soft):
    """A soft-edged rectangle (x, y, w, h in scene px) in [0, 1]."""
    yy, xx = np.mgrid[0:H, 0:W]
    x0, y0, w, h = rect
    inside = ((xx >= x0) & (xx < x0 + w) & (yy >= y0) & (yy < y0 + h)).astype(float)
    return np.clip(ic.periodic_blur(inside, soft), 0, 1)


def skin(seed):
    """The scene (1400 × 1050, sRGB) of `seed`, and what it holds."""
    rng = np.random.default_rng(seed)
    ox, oy = ic.OFFSET
    roi = [ROI[0] + ox, ROI[1] + oy, ROI[2], ROI[3]]
    # relief (px of height, shaded below)
    angle = rng.uniform(0, np.pi)
    relief = -0.6 * (furrows(rng, rng.uniform(3, 6), angle)
                     + furrows(rng, rng.uniform(3, 6), angle + rng.uniform(0.8, 1.6)))
    n_pores = int(rng.uniform(1500, 5000))
    pores = np.column_stack([rng.uniform(0, W, n_pores), rng.uniform(0, H, n_pores)])
    for sigma in (1.5, 2.5, 4.0):
        pick = rng.random(n_pores) < 0.33
        relief -= splat(pores[pick], rng.uniform(0.5, 2.0, pick.sum()), sigma)
    for _ in range(rng.integers(3, 7)):
        pts = curve(rng, rng.uniform(150, 500))
        sigma = rng.uniform(1.5, 3.0)
        relief -= splat(pts, np.full(len(pts), along(rng.uniform(1.0, 3.0), sigma)), sigma)
    relief += 4.0 * noise(rng, 40)
    gy, gx = np.gradient(ic.periodic_blur(relief, 0.7))
    normal = np.stack([-gx, -gy, np.ones_like(gx)])
    normal /= np.linalg.norm(normal, axis=0)
    el, az = np.radians(rng.uniform(35, 60)), rng.uniform(0, 2 * np.pi)
    side = np.array([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)])
    f = rng.uniform(0.3, 0.7)
    shade = 0.15 + f * normal[2] + (1 - f) * np.clip(np.tensordot(side, normal, 1), 0, None)
    half = (side + np.array([0, 0, 1.0])) / np.linalg.norm(side + np.array([0, 0, 1.0]))
    sheen = rng.uniform(0.0, 0.04) * np.clip(np.tensordot(half, normal, 1), 0, None) ** 30
    # chromophores
    m0 = np.exp(rng.uniform(np.log(0.3), np.log(2.5)))  # very fair … dark
    melanin = m0 * (1 + 0.08 * noise(rng, 30) + 0.05 * noise(rng, 6))
    n_freckles = int(rng.uniform(0, 300))
    melanin += m0 * splat(np.column_stack([rng.uniform(0, W, n_freckles), rng.uniform(0, H, n_freckles)]),
                          rng.uniform(0.2, 0.6, n_freckles), 2.5)
    spots = np.column_stack([rng.uniform(roi[0] + 40, roi[0] + roi[2] - 40, 6),
                             rng.uniform(roi[1] + 40, roi[1] + roi[3] - 40, 6)])
    melanin += m0 * splat(spots, rng.uniform(0.4, 0.9, 6), rng.uniform(8, 20))
    haem = rng.uniform(0.3, 0.6) * (1 + 0.15 * noise(rng, 25))
    redness = rng.uniform(0.25, 0.5)
    haem += redness * box([roi[0] + 30, roi[1] + 30, roi[2] - 60, roi[3] - 60], 25)
    for _ in range(rng.integers(0, 4)):
        pts = curve(rng, rng.uniform(40, 120))
        haem += splat(pts, np.full(len(pts), along(0.15, 1.0)), 1.0)
    reflect = ALBEDO[:, None, None] * np.exp(-(melanin[None] * MELANIN[:, None, None]
                                               + haem[None] * HAEMOGLOBIN[:, None, None]))
    lin = reflect * shade[None] + sheen[None]
    lin *= 0.6 / np.percentile(lin.max(axis=0), 99.5)  # exposed for the brightest channel
    enc = ic.linear_to_srgb(np.moveaxis(lin, 0, -1))
    enc += rng.normal(0, 0.8, enc.shape)
    img = Image.fromarray(np.clip(np.round(enc), 0, 255).astype(np.uint8))
    return img, dict(melanin=round(m0, 2), redness=round(redness, 2))


def make_case(work, seed, wide):
    case = f"{work}/s{seed}"
    ic.shutil.rmtree(case, ignore_errors=True)
    scene, what = skin(seed)
    dates = ["2026-01-05", "2026-02-02", "2026-03-02", "2026-03-30", "2026-04-27"]
    ic.write_visits(case, scene, dates, seed, rs.capture if wide else ic.capture, subsampling=0)
    with open(f"{case}/case.toml", "w") as f:
        f.write(f'client = "independent skin {seed}"\ntreatment = "micro-needling"\n'
                f"treatments = {dates[:-1]}\n[view.cheek]\nroi = {ROI}\n"
                f"control = {CONTROL}\nmm_per_px = 0.05\n".replace("'", '"'))
    return case, what


def main():
    args = sys.argv[1:]
    wide = "--wide" in args
    if wide:
        args.remove("--wide")
    bin_, work, seeds = args[0], args[1], [int(s) for s in args[2:]]
    os.makedirs(work, exist_ok=True)
    tally = ic.Tally()
    for seed in seeds:
        case, what = make_case(work, seed, wide)
        tally.analyse(bin_, f"seed {seed} {what}", case, f"{work}/o{seed}")
    sys.exit(tally.report())


if __name__ == "__main__":
    main()
