#!/usr/bin/env python3
"""Independent synthetic skin + capture generator for the skintrack audit (audit12).

Skin is rendered in a canvas (skin coordinates) as linear reflectance:
  R_c = base_c * 10^-(M*em_c + H*eh_c + D)
M melanin map, H haemoglobin map, D grey relief darkening (texture, pores, lines).
Each visit scales chosen components inside the treated area by known factors.
A camera then samples the canvas with a similarity transform, optical blur,
exposure/white-balance gains in linear light, sRGB encoding, noise, JPEG.

Usage: gen.py SPEC.json OUT_CASE_DIR
SPEC: {"seed":1, "W":1600,"H":1200, "roi":[x,y,w,h], "control":[x,y,w,h],
       "visits":[{"date":"2026-01-10", "skin":{...}, "cap":{...}}, ...]}
skin keys (factors vs baseline, 1 = unchanged): pores, lines, texture, redness,
  spots; optional "part": {"redness":[x,y,w,h] ...} limit a component's change
  to a sub-rectangle (frame coords of the baseline) of the treated area.
cap keys: rot_deg, scale, dx, dy, exposure, wb [r,g,b], blur, noise, jpeg, sub ("444"|"420")
"""
import json, sys, os, math
import numpy as np
from scipy import ndimage as ndi
from PIL import Image

EM = np.array([0.45, 0.75, 1.05])   # melanin absorbance per unit (R,G,B)
EH = np.array([0.06, 1.00, 0.55])   # haemoglobin absorbance per unit
BASE = np.array([0.92, 0.88, 0.86])
M0, H0 = 0.30, 0.10
MARGIN = 220  # canvas margin around the frame


def bandnoise(rng, shape, s_lo, s_hi=None):
    n = rng.standard_normal(shape).astype(np.float32)
    a = ndi.gaussian_filter(n, s_lo)
    if s_hi is not None:
        a = a - ndi.gaussian_filter(n, s_hi)
    return a / (a.std() + 1e-12)


def splat(shape, xs, ys, w):
    img = np.zeros(shape, np.float32)
    xi = np.clip(np.round(xs).astype(int), 0, shape[1] - 1)
    yi = np.clip(np.round(ys).astype(int), 0, shape[0] - 1)
    np.add.at(img, (yi, xi), w)
    return img


class Skin:
    """Fixed skin anatomy (seeded), rendered for a given set of change factors."""

    def __init__(self, seed, W, H, roi, control, treat_margin=12):
        rng = np.random.default_rng(seed)
        self.W, self.H = W, H
        cw, ch = W + 2 * MARGIN, H + 2 * MARGIN
        self.shape = (ch, cw)
        self.roi = roi
        self.control = control
        yy, xx = np.mgrid[0:ch, 0:cw].astype(np.float32)
        self.xx, self.yy = xx, yy
        # treated area: ROI + margin, feathered (canvas coords)
        x, y, w, h = roi
        x0, y0 = x + MARGIN - treat_margin, y + MARGIN - treat_margin
        x1, y1 = x + w + MARGIN + treat_margin, y + h + MARGIN + treat_margin
        t = ((xx >= x0) & (xx < x1) & (yy >= y0) & (yy < y1)).astype(np.float32)
        self.treat = ndi.gaussian_filter(t, 4)
        # mottling
        self.Mlow = 0.035 * bandnoise(rng, self.shape, 45) + 0.02 * bandnoise(rng, self.shape, 15)
        self.Hlow = 0.020 * bandnoise(rng, self.shape, 40)
        # fine texture (relief)
        self.tex = 0.018 * bandnoise(rng, self.shape, 0.8, 4.0) + 0.010 * bandnoise(rng, self.shape, 2.0, 8.0)
        # pores
        n_p = int(cw * ch / 28 ** 2)
        px = rng.uniform(0, cw, n_p); py = rng.uniform(0, ch, n_p)
        pd = rng.uniform(0.05, 0.11, n_p)
        psig = rng.choice([1.4, 2.0, 2.6], n_p)
        self.pores = np.zeros(self.shape, np.float32)
        for s in (1.4, 2.0, 2.6):
            m = psig == s
            self.pores += ndi.gaussian_filter(splat(self.shape, px[m], py[m], pd[m]), s) * (2 * math.pi * s * s)
        # lines: smooth curves
        self.lines = np.zeros(self.shape, np.float32)
        n_l = int(cw * ch / 110 ** 2)
        acc = {1.2: ([], [], []), 1.8: ([], [], [])}
        for i in range(n_l):
            L = rng.uniform(120, 420)
            sx, sy = rng.uniform(0, cw), rng.uniform(0, ch)
            th = rng.uniform(0, math.pi)
            curv = rng.uniform(-0.004, 0.004)
            depth = rng.uniform(0.04, 0.09)
            sig = float(rng.choice([1.2, 1.8]))
            t_ = np.arange(0, L, 0.5)
            ang = th + curv * t_
            acc[sig][0].append(sx + np.cumsum(np.cos(ang)) * 0.5)
            acc[sig][1].append(sy + np.cumsum(np.sin(ang)) * 0.5)
            acc[sig][2].append(0.5 * np.sin(np.pi * t_ / L) ** 0.5 * depth)
        for sig, (xs, ys, ws) in acc.items():
            ink = ndi.gaussian_filter(splat(self.shape, np.concatenate(xs), np.concatenate(ys), np.concatenate(ws)), sig)
            self.lines += ink * (math.sqrt(2 * math.pi) * sig)
        # pigment spots (brown, melanin)
        self.spots = np.zeros(self.shape, np.float32)
        n_s = int(cw * ch / 160 ** 2)
        sx = rng.uniform(0, cw, n_s); sy = rng.uniform(0, ch, n_s)
        for i in range(n_s):
            s = rng.uniform(5, 12)
            a = rng.uniform(0.18, 0.35)
            r = int(4 * s)
            x0i, y0i = int(sx[i]) - r, int(sy[i]) - r
            xs_ = slice(max(x0i, 0), min(x0i + 2 * r + 1, cw)); ys_ = slice(max(y0i, 0), min(y0i + 2 * r + 1, ch))
            gx = xx[ys_, xs_] - sx[i]; gy = yy[ys_, xs_] - sy[i]
            self.spots[ys_, xs_] += a * np.exp(-(gx ** 2 + gy ** 2) / (2 * s * s))
        # baseline redness excess of treated area (haemoglobin units)
        self.H_excess = 0.11
        self.M0 = M0
        self.redpatch = None

    def factor_map(self, f, part):
        """1 outside treated area; f inside it (or only inside `part` rect, frame coords)."""
        if part is None:
            return 1.0 + (f - 1.0) * self.treat
        x, y, w, h = part
        m = ((self.xx >= x + MARGIN) & (self.xx < x + w + MARGIN) & (self.yy >= y + MARGIN) & (self.yy < y + h + MARGIN)).astype(np.float32)
        m = ndi.gaussian_filter(m, 4) * self.treat
        return 1.0 + (f - 1.0) * m

    def render(self, skin):
        parts = skin.get("part", {})
        fm = {k: self.factor_map(skin.get(k, 1.0), parts.get(k)) for k in ("pores", "lines", "texture", "redness", "spots")}
        D = self.tex * fm["texture"] + self.pores * fm["pores"] + self.lines * fm["lines"]
        M = self.M0 + self.Mlow + self.spots * fm["spots"]
        Hb = H0 + self.Hlow + self.H_excess * self.treat * fm["redness"]
        A = M[..., None] * EM + Hb[..., None] * EH + D[..., None]
        return (BASE * 10.0 ** (-A)).astype(np.float32)


def srgb_encode(lin):
    lin = np.clip(lin, 0, 1)
    return np.where(lin <= 0.0031308, 12.92 * lin, 1.055 * np.power(lin, 1 / 2.4) - 0.055)


def capture(canvas, W, H, cap, rng):
    """Camera: frame pixel (u,v) sees canvas point MARGIN + c + A((u,v) - c) + shift."""
    rot = math.radians(cap.get("rot_deg", 0.0)); s = cap.get("scale", 1.0)
    dx, dy = cap.get("dx", 0.0), cap.get("dy", 0.0)
    # s > 1: camera closer => skin appears larger => each frame px covers 1/s canvas px
    cx, cy = (W - 1) / 2, (H - 1) / 2
    v, u = np.mgrid[0:H, 0:W].astype(np.float64)
    a, b = math.cos(rot) / s, math.sin(rot) / s
    X = cx + a * (u - cx) - b * (v - cy) + dx + MARGIN
    Y = cy + b * (u - cx) + a * (v - cy) + dy + MARGIN
    out = np.empty((H, W, 3), np.float32)
    pre = 0.5 * math.sqrt(max(1 / s ** 2 - 1, 0)) if s < 1 else 0.0
    for c in range(3):
        ch = canvas[..., c]
        if pre > 0.05:
            ch = ndi.gaussian_filter(ch, pre)
        out[..., c] = ndi.map_coordinates(ch, [Y, X], order=3, mode="reflect")
    sig = math.sqrt(0.45 ** 2 + cap.get("blur", 0.0) ** 2)
    for c in range(3):
        out[..., c] = ndi.gaussian_filter(out[..., c], sig)
    gains = cap.get("exposure", 1.0) * np.array(cap.get("wb", [1, 1, 1]))
    out = out * gains
    if "grad" in cap:  # smooth light fall-off: multiplicative linear ramp (gx across width, gy across height)
        gx, gy = cap["grad"]
        ramp = 1.0 + gx * (u - cx) / W + gy * (v - cy) / H
        out = out * ramp[..., None].astype(np.float32)
    enc = srgb_encode(out) * 255.0
    enc = enc + rng.standard_normal(enc.shape) * cap.get("noise", 0.8)
    return np.clip(np.round(enc), 0, 255).astype(np.uint8)


def main():
    spec = json.load(open(sys.argv[1])); out = sys.argv[2]
    os.makedirs(out, exist_ok=True)
    W, H = spec["W"], spec["H"]
    skin = Skin(spec["seed"], W, H, spec["roi"], spec["control"], spec.get("treat_margin", 12))
    if "M0" in spec:
        skin.M0 = spec["M0"]
    if "H_excess" in spec:
        skin.H_excess = spec["H_excess"]
    rng = np.random.default_rng(spec["seed"] + 1000)
    truth = {"spec": spec, "visits": []}
    with open(os.path.join(out, "case.toml"), "w") as f:
        f.write('client = "audit12 %s"\ntreatment = "micro-needling"\n[view.cheek]\n' % os.path.basename(out))
        f.write("roi = [%d, %d, %d, %d]\ncontrol = [%d, %d, %d, %d]\n" % (*spec["roi"], *spec["control"]))
    for vis in spec["visits"]:
        refl = skin.render(vis.get("skin", {}))
        img = capture(refl, W, H, vis.get("cap", {}), rng)
        d = os.path.join(out, vis["date"]); os.makedirs(d, exist_ok=True)
        cap = vis.get("cap", {})
        Image.fromarray(img).save(os.path.join(d, "cheek.jpg"), quality=cap.get("jpeg", 95),
                                  subsampling=0 if cap.get("sub", "444") == "444" else 2)
        # oracle on the clean skin in the baseline frame
        clean = refl[MARGIN:MARGIN + H, MARGIN:MARGIN + W]
        truth["visits"].append({"date": vis["date"], "skin": vis.get("skin", {}), "cap": cap,
                                "oracle": oracle(clean, spec["roi"], spec["control"])})
    json.dump(truth, open(os.path.join(out, "..", os.path.basename(out) + ".truth.json"), "w"), indent=1)


def oracle(lin, roi, control):
    def reg(a, r):
        x, y, w, h = r
        return a[y:y + h, x:x + w]
    o = {}
    R, G = lin[..., 0], lin[..., 1]
    ei_px = 100 * np.log10(np.clip(R, 1e-6, None) / np.clip(G, 1e-6, None))
    o["ei_excess_pixmean"] = float(reg(ei_px, roi).mean() - reg(ei_px, control).mean())
    mr = reg(lin, roi).reshape(-1, 3).mean(0); mc = reg(lin, control).reshape(-1, 3).mean(0)
    o["ei_excess_of_means"] = float(100 * (math.log10(mr[0] / mr[1]) - math.log10(mc[0] / mc[1])))
    enc = srgb_encode(ndi.gaussian_filter(lin, (0.45, 0.45, 0))) * 255
    Y = 0.2126 * enc[..., 0] + 0.7152 * enc[..., 1] + 0.0722 * enc[..., 2]
    hp = Y - ndi.gaussian_filter(Y, 4)
    rr = math.sqrt((reg(hp, roi) ** 2).mean()) / reg(Y, roi).mean()
    rc = math.sqrt((reg(hp, control) ** 2).mean()) / reg(Y, control).mean()
    o["roughness_roi"] = float(math.sqrt((reg(hp, roi) ** 2).mean()))
    o["relative_roughness"] = float(rr / rc)
    return o


if __name__ == "__main__":
    main()
