#!/usr/bin/env python3
"""Held-out check of capture invariance with an independent capture model.

The same skin (a `skintrack phantom --unchanged` baseline) is photographed
again by code that shares nothing with skintrack's own capture model:
PIL resampling through a random similarity (±2°, scale 0.97–1.03, ±15 px),
exposure in linear light, a gamma change and white balance (±4 %, about ±10 % of linear light) on the *encoded*
values, a Gaussian blur (in float), cos⁴-like vignetting, noise on the encoded
values, and PIL's JPEG at quality 60–95 with 4:2:0 chroma. Nothing about the
skin changes, so a report must claim no change.

With --phone, every follow-up's chroma is smoothed (Gaussian, σ 2 px, on
Cb and Cr) before the JPEG, as a phone's noise reduction does: the
quantiser then keeps no chroma detail and rounds an area's colour alike.

With --card, the phantom carries a grey-step reference card on the skin
(`skintrack phantom --card`) and case.toml names it, so the analysis reads
each follow-up's tone curve from it.

usage: independent_captures.py SKINTRACK WORKDIR SEED [SEED ...] [--erythema E] [--phone] [--card]
       [--noise LO HI] [--blur LO HI]
prints one line per case and a summary; exits 1 when any claim is made.
Needs numpy and Pillow.
"""
import json, os, random, shutil, subprocess, sys
import numpy as np
from PIL import Image, ImageFilter

OFFSET = (100, 75)       # the baseline is this crop of a 1400×1050 phantom
FRAME = (1200, 900)
PHONE_CHROMA_SIGMA = None  # px; set by --phone
CARD = False  # set by --card
NOISE = (0.5, 2.0)  # encoded levels; set by --noise LO HI
BLUR = (0.3, 1.2)  # px; set by --blur LO HI


def srgb_to_linear(v):
    v = v / 255.0
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(l):
    l = np.clip(l, 0.0, 1.0)
    return 255.0 * np.where(l <= 0.0031308, 12.92 * l, 1.055 * l ** (1 / 2.4) - 0.055)


def gaussian_blur(v, sigma):
    """`v` (H × W × C, float) blurred by a Gaussian of `sigma` px, applied
    as its exact transfer exp(−2π²σ²f²) in the Fourier domain (a sampled
    kernel under-blurs below σ 0.5: "0.3" blurred by 0.09 px), edges
    extended by 4σ + 2 px. PIL's GaussianBlur works on the 8-bit values
    and rounds its passes: on skin texture of a level or two it did nearly
    nothing below σ 0.8 px (a "0.5 px" blur left 0.2 % of the pixels
    changed)."""
    if sigma <= 0:
        return v
    r = int(np.ceil(4 * sigma)) + 2
    padded = np.pad(v, ((r, r), (r, r), (0, 0)), mode="edge")
    out = np.stack([periodic_blur(padded[..., c], sigma) for c in range(v.shape[2])], axis=-1)
    return out[r:-r, r:-r]


def periodic_blur(img, sigma):
    """`img` (H × W) blurred by a periodic Gaussian of `sigma` px: its exact
    transfer exp(−2π²σ²f²) applied in the Fourier domain."""
    fy = np.fft.fftfreq(img.shape[0])[:, None]
    fx = np.fft.rfftfreq(img.shape[1])[None, :]
    k = np.exp(-2 * (np.pi * sigma) ** 2 * (fx ** 2 + fy ** 2))
    return np.fft.irfft2(np.fft.rfft2(img) * k, s=img.shape)


def capture(scene, rng, nprng):
    """One follow-up of `scene` (the 1400×1050 picture) and what was done."""
    ang = np.radians(rng.uniform(-2, 2))
    s = rng.uniform(0.97, 1.03)
    tx, ty = rng.uniform(-15, 15), rng.uniform(-15, 15)
    # follow-up pixel p ↦ scene position: rotate/scale about the frame centre
    cx, cy = FRAME[0] / 2, FRAME[1] / 2
    a, b = s * np.cos(ang), s * np.sin(ang)
    # scene = OFFSET + centre + R·(p − centre) + t
    m = [a, -b, OFFSET[0] + cx - a * cx + b * cy + tx,
         b, a, OFFSET[1] + cy - b * cx - a * cy + ty]
    img = scene.transform(FRAME, Image.AFFINE, m, resample=Image.BICUBIC)
    c = dict(gain=rng.uniform(0.7, 1.4), gamma=rng.uniform(0.9, 1.1),
             wb=[rng.uniform(0.96, 1.04) for _ in range(3)],
             blur=rng.uniform(*BLUR), vignetting=rng.uniform(0.0, 0.25),
             noise=rng.uniform(*NOISE), quality=rng.randint(60, 95))
    v = gaussian_blur(np.asarray(img, dtype=np.float64), c["blur"])
    h, w = v.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    r2 = ((xx - w / 2) ** 2 + (yy - h / 2) ** 2) / ((w / 2) ** 2 + (h / 2) ** 2)
    fall = (1 - c["vignetting"] * r2)[..., None]
    lin = srgb_to_linear(v) * c["gain"] * fall
    enc = linear_to_srgb(lin)
    enc = 255.0 * (enc / 255.0) ** (1 / c["gamma"])
    enc = enc * np.array(c["wb"])[None, None, :]
    enc = enc + nprng.normal(0, c["noise"], enc.shape)
    out = Image.fromarray(np.clip(np.round(enc), 0, 255).astype(np.uint8))
    if PHONE_CHROMA_SIGMA:
        y, cb, cr = out.convert("YCbCr").split()
        smooth = ImageFilter.GaussianBlur(PHONE_CHROMA_SIGMA)
        out = Image.merge("YCbCr", (y, cb.filter(smooth), cr.filter(smooth))).convert("RGB")
    return out, c


def write_visits(case, scene, dates, seed, photograph, **baseline_options):
    """Writes CASE/DATE/cheek.jpg: the baseline, the FRAME crop of `scene`
    at OFFSET (JPEG quality 92 and `baseline_options`), and one follow-up a
    later date, `photograph(scene, rng, nprng)`, at its own quality; returns
    what was done to each follow-up."""
    rng, nprng = random.Random(seed), np.random.default_rng(seed)
    os.makedirs(f"{case}/{dates[0]}")
    x0, y0 = OFFSET
    scene.crop((x0, y0, x0 + FRAME[0], y0 + FRAME[1])).save(
        f"{case}/{dates[0]}/cheek.jpg", quality=92, **baseline_options)
    changes = []
    for d in dates[1:]:
        os.makedirs(f"{case}/{d}")
        img, c = photograph(scene, rng, nprng)
        img.save(f"{case}/{d}/cheek.jpg", quality=c["quality"])
        changes.append(c)
    return changes


def make_case(bin_, work, seed, erythema):
    raw, case = f"{work}/raw{seed}", f"{work}/c{seed}"
    for d in (raw, case):
        shutil.rmtree(d, ignore_errors=True)
    cmd = [bin_, "phantom", "--unchanged", "--capture", "accepted", "--seed", str(seed),
           "--sessions", "5", "--size", "1400x1050", raw]
    if erythema:
        cmd += ["--erythema", str(erythema)]
    if CARD:
        cmd.append("--card")
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    truth = json.load(open(f"{raw}/truth.json"))
    dates = [s["date"] for s in truth["sessions"]]
    scene = Image.open(f"{raw}/{dates[0]}/cheek.jpg").convert("RGB")
    changes = write_visits(case, scene, dates, seed, capture, subsampling=0)
    x0, y0 = OFFSET

    def shifted(r):
        return [r[0] - x0, r[1] - y0, r[2], r[3]]
    roi, ctrl = shifted(truth["roi"]), shifted(truth["control"])
    # the control region, cut by the crop, is moved onto the crop's skin
    ctrl = [max(ctrl[0], 60), max(ctrl[1], 60), ctrl[2], ctrl[3]]
    toml = open(f"{raw}/case.toml").read().split("[view.cheek]")[0]
    with open(f"{case}/case.toml", "w") as f:
        f.write(toml + "[view.cheek]\n"
                f"roi = {roi}\ncontrol = {ctrl}\nmm_per_px = {truth['mm_per_px']}\n")
        if CARD:
            f.write(f"card = {shifted(truth['card'])}\n")
    shutil.rmtree(raw)
    return case, changes


CLAIM_QUANTITIES = ("texture.relative_roughness", "wrinkles.tracked_severity",
                    "pores.tracked_severity", "colour.erythema_index_vs_control",
                    "colour.spot_melanin_excess")


class Tally:
    """Claims, values beyond noise on `ok` follow-ups and the claim
    quantities' |change| over the cases analysed so far."""

    def __init__(self):
        self.total = self.beyond = 0
        self.claims = []
        self.change = {k: [] for k in CLAIM_QUANTITIES}

    def analyse(self, bin_, name, case, out):
        """Runs `analyze` on `case` and counts what its metrics.json says."""
        shutil.rmtree(out, ignore_errors=True)
        r = subprocess.run([bin_, "analyze", case, "-o", out], capture_output=True, text=True)
        if r.returncode != 0:
            print(f"{name}: analyze failed: {r.stderr.strip()}")
            return
        m = json.load(open(f"{out}/metrics.json"))
        ss = m["series"][0]["sessions"]
        status = [s["quality"]["status"] + ("" if s["alignment"]["status"] == "ok" else "/unaligned") for s in ss[1:]]
        mine = [c["sentence"] for c in m["claims"] if c.get("beyond_noise")]
        self.claims += [(name, c) for c in mine]
        for s in ss[1:]:
            q = s["quality"]
            # colour is compared on a softer capture too (a warn for fine
            # structure only), as the report's colour claims are
            colour_ok = q["status"] == "ok" or (q["status"] == "warn" and q.get("scope") == "structure")
            if not colour_ok:
                continue
            for k in self.change:
                if q["status"] != "ok" and not k.startswith("colour."):
                    continue
                try:
                    self.change[k].append(abs(s["metrics"][k]["value"] / ss[0]["metrics"][k]["value"] - 1) * 100)
                except (KeyError, TypeError, ZeroDivisionError):
                    pass
            if q["status"] != "ok":
                continue
            for k, v in s["metrics"].items():
                if isinstance(v, dict) and "beyond_noise" in v:
                    self.total += 1
                    self.beyond += bool(v["beyond_noise"])
        print(f"{name}: {status} claims {mine}", flush=True)

    def report(self):
        """Prints the summary; the exit status: 1 when any claim was made."""
        print(f"values beyond noise on ok sessions: {self.beyond}/{self.total} = "
              f"{100 * self.beyond / max(self.total, 1):.1f} %; claims beyond noise: {len(self.claims)}")
        for k, v in self.change.items():
            if v:
                print(f"  {k:38} median |change| {np.median(v):.2f} %  max {max(v):.2f} %  n={len(v)}")
        return 1 if self.claims else 0


def main():
    args = sys.argv[1:]
    erythema = None
    if "--erythema" in args:
        i = args.index("--erythema")
        erythema = float(args[i + 1])
        del args[i:i + 2]
    if "--phone" in args:
        args.remove("--phone")
        global PHONE_CHROMA_SIGMA
        PHONE_CHROMA_SIGMA = 2.0
    if "--card" in args:
        args.remove("--card")
        global CARD
        CARD = True
    if "--noise" in args:
        i = args.index("--noise")
        global NOISE
        NOISE = (float(args[i + 1]), float(args[i + 2]))
        del args[i:i + 3]
    if "--blur" in args:
        i = args.index("--blur")
        global BLUR
        BLUR = (float(args[i + 1]), float(args[i + 2]))
        del args[i:i + 3]
    bin_, work, seeds = args[0], args[1], [int(s) for s in args[2:]]
    os.makedirs(work, exist_ok=True)
    tally = Tally()
    for seed in seeds:
        case, _ = make_case(bin_, work, seed, erythema)
        tally.analyse(bin_, f"seed {seed}", case, f"{work}/o{seed}")
    sys.exit(tally.report())


if __name__ == "__main__":
    main()
