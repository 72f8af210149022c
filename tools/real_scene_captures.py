#!/usr/bin/env python3
"""Unchanged real scenes re-photographed under issue 15's whole capture range.

A photograph (scaled to fill 1400×1050) is the scene; the baseline is its
1200×900 crop, each follow-up the scene resampled by PIL through a random
similarity (±3°, scale 0.95–1.05, ±20 px), a Gaussian blur σ 0.5–1.5
px (in float), vignetting 0–30 %, a side light (a linear ramp of ±15 % across the
frame, in linear light), exposure 0.6–1.5 in linear light, a gamma change
0.9–1.1 and a white balance of ±10 % per channel on the *encoded* values
(wider than a camera's, which balances linear light), noise 0.5–2.5 levels
and PIL's JPEG at quality 60–95 (4:2:0). Nothing in the scene changes, so
no claim may be made. Wider than tools/independent_captures.py's model.

usage: real_scene_captures.py SKINTRACK WORKDIR PHOTO ROI CONTROL SEED [SEED ...]
  ROI and CONTROL as JSON lists "[x,y,w,h]" in the 1200×900 frame; CONTROL
  may be null. Environment variables BLUR, NOISE, GAMMA, GAIN, QUALITY,
  SIDE, VIGNETTING fix that part of every capture (to find which one moves
  a value). Prints one line per case: the follow-ups' verdicts (o ok, w
  warn, r reject, /F unaligned), the claims, and the values beyond noise on
  `ok` follow-ups. Needs numpy and Pillow.
"""
import json, os, shutil, subprocess, sys
import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import independent_captures as ic  # noqa: E402


def capture(scene, rng, nprng):
    """One follow-up of `scene` and what was done."""
    ang = np.radians(rng.uniform(-3, 3))
    s = rng.uniform(0.95, 1.05)
    tx, ty = rng.uniform(-20, 20), rng.uniform(-20, 20)
    cx, cy = ic.FRAME[0] / 2, ic.FRAME[1] / 2
    a, b = s * np.cos(ang), s * np.sin(ang)
    m = [a, -b, ic.OFFSET[0] + cx - a * cx + b * cy + tx,
         b, a, ic.OFFSET[1] + cy - b * cx - a * cy + ty]
    img = scene.transform(ic.FRAME, Image.AFFINE, m, resample=Image.BICUBIC)
    c = dict(gain=rng.uniform(0.6, 1.5), gamma=rng.uniform(0.9, 1.1),
             wb=[rng.uniform(0.9, 1.1) for _ in range(3)], blur=rng.uniform(0.5, 1.5),
             side=rng.uniform(-0.3, 0.3), vignetting=rng.uniform(0.0, 0.3),
             noise=rng.uniform(0.5, 2.5), quality=rng.randint(60, 95))
    for k in ("blur", "noise", "gamma", "gain", "quality", "side", "vignetting"):
        if os.environ.get(k.upper()):
            c[k] = type(c[k])(os.environ[k.upper()])
    v = ic.gaussian_blur(np.asarray(img, dtype=np.float64), c["blur"])
    h, w = v.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    r2 = ((xx - w / 2) ** 2 + (yy - h / 2) ** 2) / ((w / 2) ** 2 + (h / 2) ** 2)
    fall = (1 - c["vignetting"] * r2) * (1 + c["side"] * (xx / w - 0.5))
    enc = ic.linear_to_srgb(ic.srgb_to_linear(v) * c["gain"] * fall[..., None])
    enc = 255.0 * (enc / 255.0) ** (1 / c["gamma"])
    enc = enc * np.array(c["wb"])[None, None, :]
    enc = enc + nprng.normal(0, c["noise"], enc.shape)
    return Image.fromarray(np.clip(np.round(enc), 0, 255).astype(np.uint8)), c


def make(work, photo, seed, roi, ctrl, sessions=5):
    case = f"{work}/{os.path.basename(photo).split('.')[0]}_{seed}"
    shutil.rmtree(case, ignore_errors=True)
    src = Image.open(photo).convert("RGB")
    k = max(1400 / src.width, 1050 / src.height)
    big = src.resize((round(src.width * k), round(src.height * k)), Image.BICUBIC)
    left, top = (big.width - 1400) // 2, (big.height - 1050) // 2
    scene = big.crop((left, top, left + 1400, top + 1050))
    dates = ["2026-01-05", "2026-02-02", "2026-03-02", "2026-03-30", "2026-04-27"][:sessions]
    changes = ic.write_visits(case, scene, dates, seed, capture)
    with open(f"{case}/case.toml", "w") as f:
        f.write(f'client = "real {seed}"\ntreatment = "micro-needling"\n'
                f"treatments = {json.dumps(dates[:-1])}\n[view.cheek]\nroi = {roi}\n"
                + (f"control = {ctrl}\n" if ctrl else "") + "mm_per_px = 0.05\n")
    return case, changes


def analyse(bin_, case, keep=False):
    """Runs `analyze` on `case` (output beside it, `CASE_out`, removed after
    unless `keep`): the
    follow-ups' verdicts (o ok, w warn, r reject, /F unaligned), the claims,
    and the (session, metric) values of `ok` follow-ups and those of them
    beyond noise; the error line instead when `analyze` fails."""
    out = case + "_out"
    shutil.rmtree(out, ignore_errors=True)
    r = subprocess.run([bin_, "analyze", case, "-o", out], capture_output=True, text=True)
    if r.returncode != 0:
        return r.stderr.strip()
    m = json.load(open(f"{out}/metrics.json"))
    if not keep:
        shutil.rmtree(out, ignore_errors=True)
    ss = m["series"][0]["sessions"]
    st = "".join(s["quality"]["status"][0] + ("" if s["alignment"]["status"] == "ok" else "/F")
                 for s in ss[1:])
    claims = [c["sentence"] for c in m["claims"] if c.get("beyond_noise")]
    values = [(i + 1, k) for i, s in enumerate(ss[1:]) if s["quality"]["status"] == "ok"
              for k, v in s["metrics"].items() if isinstance(v, dict) and "beyond_noise" in v]
    beyond = [(i, k) for i, k in values if ss[i]["metrics"][k].get("beyond_noise")]
    return st, claims, values, beyond


def main():
    bin_, work, photo = sys.argv[1], sys.argv[2], sys.argv[3]
    roi, ctrl = json.loads(sys.argv[4]), json.loads(sys.argv[5])
    for seed in [int(s) for s in sys.argv[6:]]:
        case, _ = make(work, photo, seed, roi, ctrl)
        result = analyse(bin_, case, keep=True)
        if isinstance(result, str):
            print(seed, "failed", result)
            continue
        st, claims, values, beyond = result
        print(f"{os.path.basename(case)}: {st} claims={claims} "
              f"beyond={len(beyond)}/{len(values)} {beyond[:4]}", flush=True)


if __name__ == "__main__":
    main()
