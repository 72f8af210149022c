#!/usr/bin/env python3
"""What each part of a capture alone does to the measures.

For each seed, builds the example `capture_decomposition` case (the same
unchanged skin; each follow-up changes one part of the capture: pose only,
JPEG quality 62 with noise, JPEG alone, noise alone, vignetting, the side
light, gamma with exposure, a blur), analyses it with SKINTRACK and prints,
per measure, each follow-up's change from the baseline in %, with the mean
over seeds, and the control region's shared detail (control_detail_shared).

usage: capture_decomposition.py SKINTRACK WORKDIR SEED [SEED ...]
(run from the repository root; builds the example with cargo)
"""
import json, os, shutil, subprocess, sys

MEASURES = ["wrinkles.tracked_severity", "wrinkles.tracked_contrast",
            "texture.relative_roughness", "pores.tracked_severity"]


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    bin_, work, seeds = sys.argv[1], sys.argv[2], sys.argv[3:]
    subprocess.run(["cargo", "build", "--release", "--quiet", "--example",
                    "capture_decomposition"], check=True)
    example = os.path.join("target", "release", "examples", "capture_decomposition")
    names = subprocess.run([example, "--names"], check=True, capture_output=True,
                           text=True).stdout.split("\n")[:-1]
    rows = {}
    os.makedirs(work, exist_ok=True)
    for seed in seeds:
        case, out = os.path.join(work, f"case{seed}"), os.path.join(work, f"out{seed}")
        if not os.path.isfile(os.path.join(case, "truth.json")):
            # new, or left half-built by an interrupted run
            shutil.rmtree(case, ignore_errors=True)
            subprocess.run([example, case, seed], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([bin_, "analyze", case, "-o", out], check=True,
                       capture_output=True)
        sessions = json.load(open(os.path.join(out, "metrics.json")))["series"][0]["sessions"]
        base = sessions[0]["metrics"]
        for k in MEASURES:
            rows.setdefault(k, []).append(
                [100 * (s["metrics"][k]["value"] / base[k]["value"] - 1)
                 if k in s["metrics"] and k in base else float("nan")
                 for s in sessions[1:]])
        rows.setdefault("control_detail_shared", []).append(
            [s["quality"]["measures"].get("control_detail_shared", float("nan"))
             for s in sessions[1:]])
    for k, table in rows.items():
        print(k)
        print("seed " + " ".join(f"{n:>10}" for n in names))
        for seed, r in zip(seeds, table):
            print(f"{seed:>4} " + " ".join(f"{v:+10.1f}" if k != "control_detail_shared"
                                         else f"{v:10.3f}" for v in r))
        means = [sum(c) / len(c) for c in zip(*table)]
        print("mean " + " ".join(f"{v:+10.1f}" if k != "control_detail_shared"
                                 else f"{v:10.3f}" for v in means))


if __name__ == "__main__":
    main()
