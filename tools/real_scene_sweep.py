#!/usr/bin/env python3
"""tools/real_scene_captures.py over a fixed set of scenes and layouts.

Each scene (a photograph or texture of tests/data) is re-photographed
unchanged with three layouts of the 1200 × 900 frame: A, the region in the
middle and the control region near the top left corner; B, the region
lower right and the control region near the top right corner; C, A's
region without a control region. Prints one line per case and a summary:
cases with a claim, `ok` follow-ups, and values beyond noise on them.

usage: real_scene_sweep.py SKINTRACK WORKDIR [--held-out] [--keep] SEED [SEED ...]
  the six photographs by default; --held-out: the rocket, the clock and
  the brick, grass and gravel textures; --keep: each case's metrics.json
  kept as WORKDIR/kept/SCENE_SEED_LAYOUT.json. Exits 1 when any claim is
  made.
Needs numpy and Pillow.
"""
import os, shutil, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import real_scene_captures as rs  # noqa: E402

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data")
PHOTOS = ["photos/astronaut.jpg", "photos/camera.png", "photos/chelsea.png",
          "photos/coffee.jpg", "photos/kodim23.jpg", "photos/retina.jpg"]
HELD_OUT = ["photos/rocket.jpg", "photos/clock_motion.png", "textures/brick.png",
            "textures/grass.png", "textures/gravel.png"]
LAYOUTS = {
    "A": ([348, 252, 504, 396], [60, 60, 200, 150]),
    "B": ([560, 420, 480, 360], [900, 60, 220, 160]),
    "C": ([348, 252, 504, 396], None),
}


def main():
    args = sys.argv[1:]
    scenes = PHOTOS
    if "--held-out" in args:
        args.remove("--held-out")
        scenes = HELD_OUT
    keep = "--keep" in args
    if keep:
        args.remove("--keep")
    bin_, work, seeds = args[0], args[1], [int(s) for s in args[2:]]
    os.makedirs(work, exist_ok=True)
    cases = claimed = ok = values = beyond = 0
    for scene in scenes:
        for name, (roi, ctrl) in LAYOUTS.items():
            for seed in seeds:
                case, _ = rs.make(work, os.path.join(DATA, scene), seed, roi, ctrl)
                label = f"{os.path.basename(case)} {name}"
                result = rs.analyse(bin_, case, keep=keep)
                if keep and os.path.exists(case + "_out/metrics.json"):
                    kept = os.path.join(work, "kept")
                    os.makedirs(kept, exist_ok=True)
                    shutil.copy(case + "_out/metrics.json",
                                os.path.join(kept, f"{os.path.basename(case)}_{name}.json"))
                    shutil.rmtree(case + "_out", ignore_errors=True)
                shutil.rmtree(case, ignore_errors=True)
                if isinstance(result, str):
                    print(f"{label}: analyze failed: {result}", flush=True)
                    continue
                st, claims, mine, far = result
                cases += 1
                claimed += bool(claims)
                ok += st.count("o")
                values += len(mine)
                beyond += len(far)
                print(f"{label}: {st} claims={claims} beyond={len(far)}/{len(mine)} {far[:3]}", flush=True)
    print(f"cases {cases}, with a claim {claimed}; ok follow-ups {ok}; values beyond noise on ok "
          f"{beyond}/{values} = {100 * beyond / max(values, 1):.1f} %")
    sys.exit(1 if claimed else 0)


if __name__ == "__main__":
    main()
