//! Issue 6 against ground truth: photometric stereo on tests/data/photometric
//! (exact normals and scars), height maps on tests/data/heightmaps (ISO 25178,
//! scar depth and volume over three sessions), and `skintrack depth`.

mod common;

use common::{data, rel_diff, tempdir};
use serde_json::Value;
use skintrack::case::HeightSidecar;
use skintrack::depth::{self, surface::Scar};
use skintrack::ingest;
use skintrack::units::MmPerPx;
use std::path::PathBuf;

fn truth(rel: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(data(rel)).unwrap()).unwrap()
}

/// The exact normals of height_u16.png (numpy.gradient: central
/// differences, one-sided at the border; 20 µm pixels; y up).
fn truth_normals() -> (usize, usize, Vec<[f64; 3]>) {
    let sidecar: HeightSidecar = toml::from_str("um_per_level = 0.025\nmm_per_px = 0.02").unwrap();
    let s = ingest::read_height_map(
        &data("photometric/height_u16.png"),
        sidecar.um_per_level,
        sidecar.mm_per_px,
        &Default::default(),
    )
    .unwrap();
    let (w, h) = (s.w, s.h);
    let z = |x: usize, y: usize| s.z[y * w + x];
    let diff = |a: f64, b: f64, d: f64| (a - b) / d;
    let mut n = Vec::with_capacity(w * h);
    for y in 0..h {
        for x in 0..w {
            let dx = match x {
                0 => diff(z(1, y), z(0, y), 1.0),
                _ if x == w - 1 => diff(z(x, y), z(x - 1, y), 1.0),
                _ => diff(z(x + 1, y), z(x - 1, y), 2.0),
            } / 20.0;
            let drow = match y {
                0 => diff(z(x, 1), z(x, 0), 1.0),
                _ if y == h - 1 => diff(z(x, y), z(x, y - 1), 1.0),
                _ => diff(z(x, y + 1), z(x, y - 1), 2.0),
            } / 20.0;
            let v = [-dx, drow, 1.0];
            let len = (v[0] * v[0] + v[1] * v[1] + 1.0).sqrt();
            n.push([v[0] / len, v[1] / len, v[2] / len]);
        }
    }
    (w, h, n)
}

struct Angular {
    mean: f64,
    over_1deg: f64,
}

fn angular_error(set: &str) -> (Angular, depth::stereo::Normals, depth::surface::Surface) {
    angular_error_in(&data(&format!("photometric/{set}")))
}

/// [`angular_error`] of the set in `dir` (filenames.txt, light_directions.txt).
fn angular_error_in(
    dir: &std::path::Path,
) -> (Angular, depth::stereo::Normals, depth::surface::Surface) {
    let names = std::fs::read_to_string(dir.join("filenames.txt")).unwrap();
    let images: Vec<PathBuf> = names
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| dir.join(l.trim()))
        .collect();
    let lights = skintrack::lights::read_directions(&dir.join("light_directions.txt")).unwrap();
    let planes = ingest::read_set(&images, None, None, &Default::default()).unwrap();
    let (normals, surface) = depth::from_set(&planes, &lights, None, MmPerPx::new(0.02));
    let (_, _, want) = truth_normals();
    let mut sum = 0.0;
    let mut over = 0usize;
    for (got, want) in normals.n.iter().zip(&want) {
        let c = (f64::from(got[0]) * want[0]
            + f64::from(got[1]) * want[1]
            + f64::from(got[2]) * want[2])
            .clamp(-1.0, 1.0);
        let deg = if got[2].is_finite() {
            c.acos().to_degrees()
        } else {
            90.0
        };
        sum += deg;
        over += usize::from(deg > 1.0);
    }
    let n = want.len() as f64;
    (
        Angular {
            mean: sum / n,
            over_1deg: over as f64 / n,
        },
        normals,
        surface,
    )
}

/// The found scar nearest each true scar.
fn match_scars<'a>(found: &'a [Scar], scars: &Value) -> Vec<(&'a Scar, f64, f64)> {
    scars
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let c = &t["centre_px"];
            let (cx, cy) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
            let near = found
                .iter()
                .min_by(|a, b| {
                    let d = |s: &Scar| (s.centre.0 - cx).hypot(s.centre.1 - cy);
                    d(a).total_cmp(&d(b))
                })
                .expect("a scar");
            assert!(
                (near.centre.0 - cx).hypot(near.centre.1 - cy)
                    < 0.3 * t["radius_px"].as_f64().unwrap(),
                "scar at ({cx}, {cy}) not found"
            );
            (
                near,
                t["depth_um"].as_f64().unwrap(),
                t["volume_mm3_analytic"].as_f64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn clean_set_normals_within_one_degree_and_scar_depths_within_ten_percent() {
    let (err, normals, surface) = angular_error("clean");
    eprintln!(
        "clean: mean angular error {:.4}°, {:.2}% of pixels > 1°",
        err.mean,
        100.0 * err.over_1deg
    );
    assert!(err.mean <= 1.0, "{}", err.mean);
    // the albedo is recovered (image scale 3600 / 4095 of the 16-bit range)
    let albedo = image::open(data("photometric/albedo.png"))
        .unwrap()
        .to_luma8();
    let scale = 3600.0 / 65535.0;
    let mut worst = 0.0f64;
    for (a, want) in normals.albedo.iter().zip(albedo.pixels()) {
        if a.is_finite() {
            worst = worst.max((f64::from(*a) / scale - f64::from(want.0[0]) / 255.0).abs());
        }
    }
    assert!(worst < 0.02, "albedo error {worst}");
    let rep = depth::report(&surface);
    let t = truth("photometric/truth.json");
    assert_eq!(rep.scars.len(), 3, "{:?}", rep.scars);
    for (s, depth, _) in match_scars(&rep.scars, &t["scars"]) {
        eprintln!("clean: scar depth {:.1} µm (truth {depth})", s.max_depth);
        assert!(
            rel_diff(s.max_depth, depth, 1.0) <= 0.10,
            "{} vs {depth}",
            s.max_depth
        );
    }
}

#[test]
fn shadows_and_highlights_are_rejected() {
    let (err, _, surface) = angular_error("robust");
    eprintln!(
        "robust: mean angular error {:.4}°, {:.2}% of pixels > 1°",
        err.mean,
        100.0 * err.over_1deg
    );
    // better than the naive drop-the-worst-three reference of the data's README (0.32°)
    assert!(err.mean <= 0.32, "{}", err.mean);
    let rep = depth::report(&surface);
    let t = truth("photometric/truth.json");
    for (s, depth, _) in match_scars(&rep.scars, &t["scars"]) {
        eprintln!("robust: scar depth {:.1} µm (truth {depth})", s.max_depth);
        assert!(
            rel_diff(s.max_depth, depth, 1.0) <= 0.10,
            "{} vs {depth}",
            s.max_depth
        );
    }
}

/// The clean set with its first image `gain` times brighter, clipped at
/// the 16-bit full scale, written to `dir`.
fn clean_set_with_first_image_brighter(dir: &std::path::Path, gain: f64) {
    let src = data("photometric/clean");
    for name in ["filenames.txt", "light_directions.txt"] {
        std::fs::copy(src.join(name), dir.join(name)).unwrap();
    }
    let names = std::fs::read_to_string(src.join("filenames.txt")).unwrap();
    for (k, name) in names
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        let mut img = image::open(src.join(name)).unwrap().to_luma16();
        if k == 0 {
            for p in img.pixels_mut() {
                p.0[0] = (f64::from(p.0[0]) * gain).min(65535.0) as u16;
            }
        }
        img.save(dir.join(name)).unwrap();
    }
}

#[test]
fn clipped_samples_are_left_out_and_a_set_clipped_everywhere_is_refused() {
    let tmp = tempdir();
    // the first light's image 60× too bright: most of it clips at 65535;
    // the other seven lights still give the normals
    clean_set_with_first_image_brighter(tmp.path(), 60.0);
    let first = image::open(tmp.path().join("001.png")).unwrap().to_luma16();
    let clipped = first.pixels().filter(|p| p.0[0] == 65535).count();
    assert!(clipped * 2 > first.len(), "{clipped} of {}", first.len());
    let (err, normals, _) = angular_error_in(tmp.path());
    eprintln!("first image clipped: mean angular error {:.4}°", err.mean);
    assert!(err.mean <= 1.0, "{}", err.mean);
    assert!(
        normals.used.iter().all(|&u| u <= 7),
        "a clipped light was used"
    );
    // every image white: nothing to recover, refused with one line
    let white = tmp.path().join("white.png");
    image::GrayImage::from_pixel(16, 16, image::Luma([255]))
        .save(&white)
        .unwrap();
    let lights = tmp.path().join("three.txt");
    std::fs::write(&lights, "0.5 0 0.866\n0 0.5 0.866\n-0.5 0 0.866\n").unwrap();
    let o = assert_cmd::Command::cargo_bin("skintrack")
        .unwrap()
        .arg("depth")
        .arg("--lights")
        .arg(&lights)
        .args([&white, &white, &white])
        .arg("-o")
        .arg(tmp.path().join("out"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("white.png") && err.contains("saturated") && err.lines().count() == 1,
        "{err}"
    );
}

#[test]
fn height_maps_give_the_true_iso_25178_and_shrinking_scars() {
    let t = truth("heightmaps/truth.json");
    let mut depths: Vec<Vec<f64>> = Vec::new();
    for name in ["session1", "session2", "session3"] {
        let sidecar: HeightSidecar = toml::from_str(
            &std::fs::read_to_string(data(&format!("heightmaps/{name}.height.toml"))).unwrap(),
        )
        .unwrap();
        let s = ingest::read_height_map(
            &data(&format!("heightmaps/{name}.png")),
            sidecar.um_per_level,
            sidecar.mm_per_px,
            &Default::default(),
        )
        .unwrap();
        let rep = depth::report(&s);
        let truth = &t["maps"][format!("{name}.png")];
        let iso = rep.iso25178.unwrap();
        let want = &truth["iso25178"];
        for (key, got) in [
            ("Sa", iso.Sa),
            ("Sq", iso.Sq),
            ("Sp", iso.Sp),
            ("Sv", iso.Sv),
            ("Sz", iso.Sz),
            ("Ssk", iso.Ssk),
            ("Sku", iso.Sku),
        ] {
            let w = want[key]
                .as_f64()
                .unwrap_or_else(|| want[format!("{key}_um")].as_f64().unwrap());
            // the same definitions as the truth's: equal to rounding
            assert!(
                rel_diff(got, w, 1e-9) <= 1e-6,
                "{name} {key}: {got} vs {w} (same definition)"
            );
        }
        assert_eq!(rep.scars.len(), 3, "{name}: {:?}", rep.scars);
        let mut d = Vec::new();
        for (s, depth, volume) in match_scars(&rep.scars, &truth["scars"]) {
            eprintln!(
                "{name}: depth {:.2} µm (truth {depth}), volume {:.4} mm³ (truth {volume:.4})",
                s.max_depth, s.volume
            );
            assert!(
                rel_diff(s.max_depth, depth, 1.0) <= 0.05,
                "{name}: depth {} vs {depth}",
                s.max_depth
            );
            assert!(
                rel_diff(s.volume, volume, 1e-6) <= 0.10,
                "{name}: volume {} vs {volume}",
                s.volume
            );
            d.push(s.max_depth);
        }
        depths.push(d);
    }
    for k in 0..3 {
        assert!(
            depths[0][k] > depths[1][k] && depths[1][k] > depths[2][k],
            "scar {k}: {:?}",
            depths.iter().map(|d| d[k]).collect::<Vec<_>>()
        );
    }
}

#[test]
fn holes_at_level_zero_are_no_height_not_scars() {
    // a 3D camera writes its holes as 0: a 30 × 40 px block of them (and a
    // clipped one at 65535) in session 1 once read as a scar 1.4 mm deep
    let sidecar: HeightSidecar =
        toml::from_str(&std::fs::read_to_string(data("heightmaps/session1.height.toml")).unwrap())
            .unwrap();
    let read = |path: &std::path::Path| {
        ingest::read_height_map(
            path,
            sidecar.um_per_level,
            sidecar.mm_per_px,
            &Default::default(),
        )
    };
    let whole = read(&data("heightmaps/session1.png")).unwrap();
    let mut img = image::open(data("heightmaps/session1.png"))
        .unwrap()
        .into_luma16();
    for (x, y, p) in img.enumerate_pixels_mut() {
        if (400..430).contains(&x) && (60..100).contains(&y) {
            p.0[0] = 0;
        } else if (60..80).contains(&x) && (440..460).contains(&y) {
            p.0[0] = 65535;
        }
    }
    let tmp = tempdir();
    let holed = tmp.path().join("holed.png");
    img.save(&holed).unwrap();
    let s = read(&holed).unwrap();
    assert_eq!(s.z.iter().filter(|z| z.is_nan()).count(), 30 * 40 + 20 * 20);
    let (before, after) = (depth::report(&whole).scars, depth::report(&s).scars);
    assert_eq!(after.len(), before.len(), "{after:?}");
    for (a, b) in after.iter().zip(&before) {
        assert!(
            rel_diff(a.max_depth, b.max_depth, 1.0) <= 0.01,
            "{a:?} vs {b:?}"
        );
    }
    // a map that is mostly holes is refused, naming the file
    let blank = tmp.path().join("blank.png");
    image::ImageBuffer::<image::Luma<u16>, _>::from_pixel(64, 64, image::Luma([0u16]))
        .save(&blank)
        .unwrap();
    let err = read(&blank).unwrap_err().to_string();
    assert!(
        err.contains("blank.png") && err.contains("0% of its pixels hold a height"),
        "{err}"
    );
}

#[test]
fn depth_command_writes_the_contract_files_and_json() {
    let dir = data("photometric/robust");
    let out = tempdir();
    let names: Vec<PathBuf> = (1..=8).map(|k| dir.join(format!("{k:03}.png"))).collect();
    let o = assert_cmd::Command::cargo_bin("skintrack")
        .unwrap()
        .arg("depth")
        .arg("--lights")
        .arg(dir.join("light_directions.txt"))
        .arg("--intensities")
        .arg(dir.join("light_intensities.txt"))
        .arg("--mask")
        .arg(data("photometric/mask.png"))
        .args(["--mm-per-px", "0.02", "--json", "-o"])
        .arg(out.path())
        .args(&names)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let j: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["height_unit"], "um");
    assert_eq!(j["scars"].as_array().unwrap().len(), 3);
    // Sq of the recovered surface against the true height map's, both
    // plane-levelled (the ISO code is checked against independent values
    // in height_maps_give_the_true_iso_25178…); 5 %: integration
    // of normals with shadows and highlights rejected, not a 2× error
    let sidecar: HeightSidecar = toml::from_str("um_per_level = 0.025\nmm_per_px = 0.02").unwrap();
    let true_surface = ingest::read_height_map(
        &data("photometric/height_u16.png"),
        sidecar.um_per_level,
        sidecar.mm_per_px,
        &Default::default(),
    )
    .unwrap();
    let true_sq = depth::report(&true_surface).iso25178.unwrap().Sq;
    let sq = j["iso25178"]["Sq"].as_f64().unwrap();
    eprintln!("Sq {sq:.2} µm, truth {true_sq:.2} µm");
    assert!(rel_diff(sq, true_sq, 1e-9) <= 0.05, "Sq {sq} vs {true_sq}");
    // normals.png: 16-bit RGB, channel = round((n + 1) / 2 · 65535), matching truth
    let img = image::open(out.path().join("normals.png"))
        .unwrap()
        .to_rgb16();
    let (_, _, want) = truth_normals();
    let mut sum = 0.0;
    for (p, w) in img.pixels().zip(&want) {
        let n: Vec<f64> =
            p.0.iter()
                .map(|&c| f64::from(c) / 65535.0 * 2.0 - 1.0)
                .collect();
        sum += (n[0] * w[0] + n[1] * w[1] + n[2] * w[2])
            .clamp(-1.0, 1.0)
            .acos()
            .to_degrees();
    }
    assert!(
        sum / want.len() as f64 <= 3.0,
        "{}",
        sum / want.len() as f64
    );
    for f in ["height.tiff", "height.png", "albedo.png"] {
        assert!(out.path().join(f).is_file(), "{f}");
    }
    let mut dec = tiff::decoder::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(out.path().join("height.tiff")).unwrap(),
    ))
    .unwrap();
    assert_eq!(dec.dimensions().unwrap(), (512, 512));
    let tiff::decoder::DecodingResult::F32(z) = dec.read_image().unwrap() else {
        panic!("height.tiff is not f32")
    };
    // the f32 heights are the µm surface: its span (max − min) is the true
    // height map's within 10 % (the relative height is defined up to an
    // offset, and the span rests on the two extreme pixels, so it is looser
    // than Sq)
    let span_of = |v: &mut dyn Iterator<Item = f64>| {
        let (lo, hi) = v.fold((f64::MAX, f64::MIN), |(lo, hi), x| (lo.min(x), hi.max(x)));
        hi - lo
    };
    let mask = image::open(data("photometric/mask.png"))
        .unwrap()
        .to_luma8();
    let inside = |i: usize| mask.as_raw()[i] > 0;
    let span = span_of(
        &mut z
            .iter()
            .enumerate()
            .filter(|(i, v)| inside(*i) && v.is_finite())
            .map(|(_, &v)| f64::from(v)),
    );
    let true_span = span_of(
        &mut true_surface
            .z
            .iter()
            .enumerate()
            .filter(|(i, _)| inside(*i))
            .map(|(_, &v)| v),
    );
    eprintln!("height span {span:.1} µm, truth {true_span:.1} µm");
    assert!(
        rel_diff(span, true_span, 1e-9) <= 0.10,
        "span {span} vs {true_span}"
    );

    // a lights file with too few lines is a clear exit 2 naming the file
    let bad = out.path().join("three.txt");
    std::fs::write(&bad, "0 0 1\n0.5 0 0.8\n0 0.5 0.8\n").unwrap();
    let o = assert_cmd::Command::cargo_bin("skintrack")
        .unwrap()
        .arg("depth")
        .arg("--lights")
        .arg(&bad)
        .args(&names)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("three.txt") && err.lines().count() == 1,
        "{err}"
    );
}

/// A glossy sphere under a DiLiGenT-like dome of 96 lights (Blinn-Phong
/// highlights of several widths, attached shadows, 12-bit quantisation):
/// the robust fit beats plain least squares by a wide margin, for every
/// gloss (a broad lobe, shininess 20, touches most lights and is hardest).
#[test]
fn glossy_sphere_under_many_lights() {
    let lights: Vec<[f64; 3]> = (0..96)
        .map(|k| {
            let ring = k / 16;
            let az = (k % 16) as f64 * std::f64::consts::TAU / 16.0 + ring as f64 * 0.2;
            let slant = (10.0 + 9.0 * ring as f64).to_radians();
            [slant.sin() * az.cos(), slant.sin() * az.sin(), slant.cos()]
        })
        .collect();
    let size = 96usize;
    let centre = (size as f64 - 1.0) / 2.0;
    let radius = size as f64 * 0.45;
    let normal = |x: usize, y: usize| -> Option<[f64; 3]> {
        let (u, v) = ((x as f64 - centre) / radius, -(y as f64 - centre) / radius);
        let r2 = u * u + v * v;
        (r2 < 0.95).then(|| [u, v, (1.0 - r2).sqrt()])
    };
    let mask: Vec<bool> = (0..size * size)
        .map(|i| normal(i % size, i / size).is_some())
        .collect();
    for (ks, shininess) in [(0.3, 20.0), (0.5, 50.0), (0.8, 120.0)] {
        let images: Vec<skintrack::raster::Plane> = lights
            .iter()
            .map(|l| {
                let hv = [l[0], l[1], l[2] + 1.0];
                let hn = (hv[0] * hv[0] + hv[1] * hv[1] + hv[2] * hv[2]).sqrt();
                skintrack::raster::Plane::from_fn(size, size, |x, y| {
                    let Some(n) = normal(x, y) else { return 0.0 };
                    let nl = n[0] * l[0] + n[1] * l[1] + n[2] * l[2];
                    if nl <= 0.0 {
                        return 0.0;
                    }
                    let nh = ((n[0] * hv[0] + n[1] * hv[1] + n[2] * hv[2]) / hn).max(0.0);
                    let radiance = 0.6 * nl + ks * nh.powf(shininess);
                    ((radiance * 3000.0).round().min(4095.0) / 4095.0) as f32
                })
            })
            .collect();
        let robust = depth::stereo::photometric_stereo(
            &images,
            &lights,
            Some(&mask),
            &depth::stereo::StereoOptions::default(),
        );
        let plain = depth::stereo::photometric_stereo(
            &images,
            &lights,
            Some(&mask),
            &depth::stereo::StereoOptions {
                accept_fraction: f32::INFINITY,
                ..Default::default()
            },
        );
        let mean_error = |est: &depth::stereo::Normals| {
            let (mut sum, mut n) = (0.0, 0.0);
            for i in (0..size * size).filter(|&i| mask[i]) {
                let want = normal(i % size, i / size).unwrap();
                let g = est.n[i];
                let c = f64::from(g[0]) * want[0]
                    + f64::from(g[1]) * want[1]
                    + f64::from(g[2]) * want[2];
                sum += if g[2].is_finite() {
                    c.clamp(-1.0, 1.0).acos().to_degrees()
                } else {
                    90.0
                };
                n += 1.0;
            }
            sum / n
        };
        let (r, p) = (mean_error(&robust), mean_error(&plain));
        eprintln!(
            "sphere ks {ks} shininess {shininess}: robust {r:.3}°, plain least squares {p:.3}°"
        );
        assert!(r <= 1.5 && r < 0.5 * p, "robust {r}°, plain {p}°");
    }
}

/// `analyze` on a case whose sessions hold photometric sets: scars.* per
/// session in µm with the case's scale, the scars tracked, a depth map and
/// the per-scar chart in the outputs.
#[test]
fn analyze_reports_scars_from_photometric_sets() {
    let tmp = tempdir();
    let case = tmp.path().join("case");
    for day in ["2026-01-12", "2026-02-10"] {
        let ps = case.join(day).join("cheek.ps");
        std::fs::create_dir_all(&ps).unwrap();
        for e in std::fs::read_dir(data("photometric/robust")).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            if !name.starts_with("castshadow") {
                std::fs::copy(&p, ps.join(&name)).unwrap();
            }
        }
    }
    std::fs::write(case.join("case.toml"), "[view.cheek]\nmm_per_px = 0.02\n").unwrap();
    let out = tmp.path().join("out");
    let o = assert_cmd::Command::cargo_bin("skintrack")
        .unwrap()
        .arg("analyze")
        .arg(&case)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let j: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap();
    let s = common::series_of(&j, "photometric");
    for sess in s["sessions"].as_array().unwrap() {
        assert_eq!(sess["alignment"]["status"], "ok");
        let m = &sess["metrics"];
        assert_eq!(m["scars.count"]["value"], 3.0);
        assert_eq!(m["scars.max_depth_um"]["unit"], "µm");
        assert!(
            rel_diff(
                m["scars.max_depth_um"]["value"].as_f64().unwrap(),
                350.0,
                1.0
            ) <= 0.10
        );
    }
    assert_eq!(s["scars"].as_array().unwrap().len(), 3);
    assert!(out.join("depth/cheek_2026-01-12_photometric.png").is_file());
    assert!(
        out.join("plots/cheek_photometric_scar_depths.png")
            .is_file()
    );
}

/// A copy of the shared robust set (16-bit linear) in `dir`, each value
/// `v` written as `f(v, albedo)` (albedo.png, 0–1).
fn robust_set_as(dir: &std::path::Path, f: impl Fn(f64, f64) -> f64) {
    std::fs::create_dir_all(dir).unwrap();
    let src = data("photometric/robust");
    let albedo = image::open(data("photometric/albedo.png"))
        .unwrap()
        .to_luma8();
    for e in std::fs::read_dir(&src).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with("castshadow") {
            continue;
        }
        if !name.ends_with(".png") {
            std::fs::copy(&p, dir.join(&name)).unwrap();
            continue;
        }
        let mut img = image::open(&p).unwrap().to_luma16();
        for (px, a) in img.pixels_mut().zip(albedo.pixels()) {
            let v = f(f64::from(px.0[0]), f64::from(a.0[0]) / 255.0);
            px.0[0] = v.round().clamp(0.0, 65535.0) as u16;
        }
        img.save(dir.join(&name)).unwrap();
    }
}

/// Issue 15's principle on photometric sets: the same skin under another
/// tone curve (linear light raised to 1.25, as a camera's picture style
/// other than the one assumed) is mapped to the first set's response and
/// claims nothing; under room light (3 % of the lamps' light, in every
/// image and in the shadows) it warns and claims nothing. Unmapped, the
/// tone curve read the three scars 13–18 % deeper (`skintrack depth`).
#[test]
fn a_set_under_another_tone_curve_or_room_light_claims_nothing() {
    let tmp = tempdir();
    let case = tmp.path().join("case");
    // the robust set's values are 3600 × linear light (12-bit data)
    let full = 3600.0;
    robust_set_as(&case.join("2026-01-12/cheek.ps"), |v, _| v);
    robust_set_as(&case.join("2026-02-10/cheek.ps"), |v, _| {
        full * (v / full).powf(1.25)
    });
    robust_set_as(&case.join("2026-03-10/cheek.ps"), |v, albedo| {
        v + 0.03 * full * albedo
    });
    std::fs::write(case.join("case.toml"), "[view.cheek]\nmm_per_px = 0.02\n").unwrap();
    let (j, _) = common::analyze(&case, &tmp.path().join("out"));
    let s = common::series_of(&j, "photometric");
    let sessions = s["sessions"].as_array().unwrap();
    let depth = |k: usize| {
        sessions[k]["metrics"]["scars.tracked_depth_um"]["value"]
            .as_f64()
            .unwrap()
    };
    let measure = |k: usize, m: &str| sessions[k]["quality"]["measures"][m].as_f64().unwrap();
    // the tone curve: read, mapped, and the scars as deep as before
    let tone = measure(1, "tone_vs_baseline");
    assert!((tone - 1.25).abs() < 0.03, "{tone}");
    assert_eq!(sessions[1]["quality"]["status"], "ok");
    assert!(
        rel_diff(depth(1), depth(0), 1.0) < 0.03,
        "{} vs {}",
        depth(1),
        depth(0)
    );
    // room light: read from the shadows, and warned
    let room = measure(2, "ambient_vs_baseline");
    assert!((0.02..0.045).contains(&room), "{room}");
    assert_eq!(sessions[2]["quality"]["status"], "warn");
    let claims: Vec<&str> = j["claims"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["beyond_noise"] == true)
        .map(|c| c["sentence"].as_str().unwrap())
        .collect();
    assert!(claims.is_empty(), "{claims:?}");
}

/// A follow-up set that gives no surface (every image white: clipped) is
/// left out saying so, not as "not aligned".
#[test]
fn a_set_that_gives_no_surface_is_left_out_saying_so() {
    let tmp = tempdir();
    let case = tmp.path().join("case");
    let run = |args: &[&std::ffi::OsStr]| {
        assert_cmd::Command::cargo_bin("skintrack")
            .unwrap()
            .args(args)
            .output()
            .unwrap()
    };
    let o = run(&[
        "phantom".as_ref(),
        case.as_os_str(),
        "--photometric".as_ref(),
        "--sessions".as_ref(),
        "2".as_ref(),
        "--size".as_ref(),
        "320x320".as_ref(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let second = std::fs::read_dir(&case)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .max()
        .unwrap()
        .join("cheek.ps");
    for e in std::fs::read_dir(&second).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "jpg") {
            let (w, h) = image::image_dimensions(&p).unwrap();
            image::RgbImage::from_pixel(w, h, image::Rgb([255, 255, 255]))
                .save(&p)
                .unwrap();
        }
    }
    let out = tmp.path().join("out");
    let o = run(&[
        "analyze".as_ref(),
        case.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    let line = stderr
        .lines()
        .find(|l| l.contains("cheek.ps"))
        .unwrap_or_default();
    assert!(
        line.contains("no height map could be made of this set") && !line.contains("not aligned"),
        "{stderr}"
    );
}

/// A phantom case of three visits (photos and height maps, 480×360, seed
/// 4) in `dir`/case, and its visit folders in date order.
fn three_visit_phantom(dir: &std::path::Path) -> (std::path::PathBuf, Vec<std::path::PathBuf>) {
    let case = dir.join("case");
    let opts = skintrack::phantom::PhantomOptions {
        seed: 4,
        sessions: 3,
        width: 480,
        height: 360,
        ..Default::default()
    };
    skintrack::phantom::generate(&case, &opts).unwrap();
    let mut visits: Vec<_> = std::fs::read_dir(&case)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    visits.sort();
    (case, visits)
}

/// A follow-up height map whose sidecar's scale is a decimal place off
/// (`um_per_level` typed 0.5 for 0.05, or 0.005), or 4 times off, claims
/// nothing: its relief is read against the baseline's and warned; a map on
/// the true scale is not.
#[test]
fn a_height_scale_a_decimal_place_off_is_warned_and_claims_nothing() {
    let tmp = tempdir();
    let (case, visits) = three_visit_phantom(tmp.path());
    let sidecar = visits[2].join("cheek.height.toml");
    let text = std::fs::read_to_string(&sidecar).unwrap();
    let level: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("um_per_level = "))
        .unwrap()
        .parse()
        .unwrap();
    let last = visits[2].file_name().unwrap().to_str().unwrap().to_string();
    for (k, factor) in [10.0, 4.0, 0.25, 0.1].into_iter().enumerate() {
        let typo = format!("um_per_level = {}", level * factor);
        let changed: String = text
            .lines()
            .map(|l| {
                if l.starts_with("um_per_level") {
                    typo.clone()
                } else {
                    l.to_string()
                }
            })
            .map(|l| l + "\n")
            .collect();
        std::fs::write(&sidecar, changed).unwrap();
        let (j, _) = common::analyze(&case, &tmp.path().join(format!("out{k}")));
        let sessions = common::series_of(&j, "height")["sessions"]
            .as_array()
            .unwrap();
        let relief = |s: usize| sessions[s]["quality"]["measures"]["relief_vs_baseline"].as_f64();
        // the true scale: the course's own change, well within the limit
        let middle = relief(1).unwrap();
        assert!((0.5..2.0).contains(&middle), "{middle}");
        assert_eq!(sessions[1]["quality"]["status"], "ok");
        // the typo: about the factor, warned with a reason that names the scale
        let typo = relief(2).unwrap();
        assert!(
            typo / factor > 0.5 && typo / factor < 2.0,
            "{factor}: {typo}"
        );
        assert_eq!(sessions[2]["quality"]["status"], "warn", "{factor}");
        let reasons = sessions[2]["quality"]["reasons"].to_string();
        assert!(reasons.contains("um_per_level"), "{reasons}");
        for c in j["claims"].as_array().unwrap() {
            assert!(
                !(c["kind"] == "height" && c["to"] == last.as_str()),
                "a claim rests on the warned map: {c}"
            );
        }
        // the report's latest depth map is the last one on the true scale
        // (the photos' latest is the last visit, so the middle visit's date
        // as "Latest" can only be the depth map's)
        let report =
            std::fs::read_to_string(tmp.path().join(format!("out{k}/report.html"))).unwrap();
        let date = |v: &std::path::PathBuf| {
            let name = v.file_name().unwrap().to_str().unwrap();
            skintrack::date::Date::parse(name).unwrap().human()
        };
        assert!(
            report.contains(&format!("Latest · {}", date(&visits[1]))),
            "{factor}: the warned map is shown as the latest"
        );
        // and where it can still be picked, it is marked
        assert!(
            report.contains(" · not compared</option>"),
            "{factor}: the warned map is offered unmarked"
        );
        // nor are its scars charted: the depth axis ends where the true
        // maps' scars do (under 600 µm), not 4–10 times deeper
        let svg = std::fs::read_to_string(
            tmp.path()
                .join(format!("out{k}/plots/cheek_height_scar_depths.svg")),
        )
        .unwrap();
        let ticks: Vec<f64> = svg
            .split("<text")
            .filter_map(|t| t.split_once('>')?.1.split_once("</text>"))
            .filter_map(|(text, _)| text.trim().parse().ok())
            .collect();
        assert!(!ticks.is_empty(), "no axis labels read");
        let top = ticks.iter().copied().fold(f64::MIN, f64::max);
        assert!(top < 600.0, "{factor}: the axis reaches {top}");
    }
}

/// Scattered dropouts (level 0) over a tenth of one follow-up's height map
/// leave the baseline's numbers as they were: they are filled, not left as
/// holes that break up the region every visit covers.
#[test]
fn one_visits_scattered_dropouts_do_not_change_the_others() {
    let tmp = tempdir();
    let (case, visits) = three_visit_phantom(tmp.path());
    let baseline = |out: &str| {
        let (j, _) = common::analyze(&case, &tmp.path().join(out));
        common::series_of(&j, "height")["sessions"][0]["metrics"].clone()
    };
    let clean = baseline("clean");
    let map = visits[1].join("cheek.height.png");
    let mut img = image::open(&map).unwrap().into_luma16();
    // every pixel whose hash falls in the lowest tenth: no data
    let mut dropped = 0;
    for (i, p) in img.pixels_mut().enumerate() {
        let hash = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 54;
        if hash < 102 {
            p.0[0] = 0;
            dropped += 1;
        }
    }
    let pixels = (img.width() * img.height()) as usize;
    assert!(dropped > pixels / 12, "{dropped} of {pixels}");
    img.save(&map).unwrap();
    let holed = baseline("holed");
    for id in [
        "scars.count",
        "scars.tracked_depth_um",
        "pores.tracked_depth_um",
    ] {
        let v = |m: &serde_json::Value| m[id]["value"].as_f64();
        assert!(v(&clean).is_some(), "{id}");
        let (a, b) = (v(&clean).unwrap(), v(&holed).unwrap_or(f64::NAN));
        assert!(
            (a - b).abs() <= 0.02 * a.abs(),
            "{id}: {a} clean, {b} with dropouts"
        );
    }
}

/// A scar cut by the edge of the height maps (seed 1: a rolling scar whose
/// centre lies outside the map, its rim inside) is not "resolved" when a
/// later map no longer shows its rim: every scar of the phantom keeps at
/// least half its depth, so none may read as healed, and one not found at
/// the last visit must be one at the map's edge.
#[test]
fn a_scar_at_the_maps_edge_that_is_not_found_later_is_not_resolved() {
    let tmp = tempdir();
    let case = tmp.path().join("case");
    common::course(&case, 1, 5);
    let truth = common::json(&case.join("truth.json"));
    let least = truth["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["state"]["scar_depth_factor"].as_f64().unwrap())
        .fold(f64::INFINITY, f64::min);
    assert!(least > 0.5, "{least}");
    let (j, _) = common::analyze(&case, &tmp.path().join("out"));
    let scars = common::series_of(&j, "height")["scars"].as_array().unwrap();
    let mut left = 0;
    for t in scars {
        assert_eq!(t["resolved"], false, "a scar read as healed: {t}");
        let last = t["sessions"].as_array().unwrap().last().unwrap();
        if last.is_null() {
            assert_eq!(t["at_map_edge"], true, "{t}");
            left += 1;
        }
    }
    // the case this test is for: one edge scar not found at the last visit
    assert!(left >= 1, "no scar left the map: {scars:?}");
    // nor does the count of detected scars, which fell with it, read as a
    // change beyond the noise: one scar may come or go (MDC 1.39 scars)
    let sessions = common::series_of(&j, "height")["sessions"]
        .as_array()
        .unwrap();
    let (first, last) = (
        &sessions[0]["metrics"],
        &sessions.last().unwrap()["metrics"],
    );
    let (n0, n) = (
        first["scars.count"]["value"].as_f64().unwrap(),
        last["scars.count"]["value"].as_f64().unwrap(),
    );
    assert!(n < n0, "the count fell: {n0} → {n}");
    for id in ["scars.count", "scars.area_fraction"] {
        assert_eq!(last[id]["beyond_noise"], false, "{id}: {}", last[id]);
        assert!(first[id]["uncertainty"].as_f64().unwrap() > 0.0, "{id}");
    }
}

/// A claim resting on a visit before the last says which: with the last
/// visit's height map missing, the scar claims rest on the middle visit and
/// name its date, while the photos' claims rest on the last visit and do
/// not (one list once mixed dates unseen).
#[test]
fn a_claim_resting_on_an_earlier_visit_names_it() {
    let tmp = tempdir();
    let (case, visits) = three_visit_phantom(tmp.path());
    for f in std::fs::read_dir(&visits[2]).unwrap() {
        let p = f.unwrap().path();
        if p.to_string_lossy().contains(".height.") {
            std::fs::remove_file(p).unwrap();
        }
    }
    let (j, _) = common::analyze(&case, &tmp.path().join("out"));
    let date = |v: &std::path::PathBuf| v.file_name().unwrap().to_str().unwrap().to_string();
    let middle = skintrack::date::Date::parse(&date(&visits[1]))
        .unwrap()
        .human();
    let (mut relief, mut photo) = (0, 0);
    for c in j["claims"].as_array().unwrap() {
        let sentence = c["sentence"].as_str().unwrap();
        if c["kind"] == "height" {
            assert_eq!(c["to"], date(&visits[1]).as_str());
            assert!(sentence.contains(&middle), "{sentence}");
            relief += 1;
        } else {
            assert_eq!(c["to"], date(&visits[2]).as_str(), "{sentence}");
            assert!(!sentence.contains(" on "), "{sentence}");
            photo += 1;
        }
    }
    assert!(
        relief > 0 && photo > 0,
        "{relief} relief, {photo} photo claims"
    );
}

/// A lamp a few percent brighter or dimmer than its intensity says (an
/// ageing bulb, a lamp moved nearer) is not a tone curve: the same skin,
/// its first lamp's light ×1.08 at the follow-up, is not mapped (a power
/// read alone took one lamp ×1.05 for a tone curve ×1.13 and the mapped
/// scars read 14 % shallower), stays `ok`, says which lamp moved by how
/// much, and claims nothing.
#[test]
fn a_lamp_off_its_intensity_is_not_a_tone_curve_and_claims_nothing() {
    let tmp = tempdir();
    let case = tmp.path().join("case");
    robust_set_as(&case.join("2026-01-12/cheek.ps"), |v, _| v);
    let follow = case.join("2026-02-10/cheek.ps");
    robust_set_as(&follow, |v, _| v);
    let mut images: Vec<PathBuf> = std::fs::read_dir(&follow)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    images.sort();
    let mut first = image::open(&images[0]).unwrap().to_luma16();
    for px in first.pixels_mut() {
        px.0[0] = (f64::from(px.0[0]) * 1.08).round().min(65535.0) as u16;
    }
    first.save(&images[0]).unwrap();
    std::fs::write(case.join("case.toml"), "[view.cheek]\nmm_per_px = 0.02\n").unwrap();
    let (j, _) = common::analyze(&case, &tmp.path().join("out"));
    let sessions = common::series_of(&j, "photometric")["sessions"]
        .as_array()
        .unwrap()
        .clone();
    let q = &sessions[1]["quality"];
    assert_eq!(q["status"], "ok", "{q}");
    let tone = q["measures"]["tone_vs_baseline"].as_f64().unwrap();
    assert!((tone - 1.0).abs() < 0.02, "{tone}");
    // one lamp of eight ×1.08 against the others' mean
    let lamps = q["measures"]["lamps_vs_baseline"].as_f64().unwrap();
    assert!((lamps - 1.08 / (1.0 + 0.08 / 8.0)).abs() < 0.02, "{lamps}");
    let depth = |k: usize| {
        sessions[k]["metrics"]["scars.tracked_depth_um"]["value"]
            .as_f64()
            .unwrap()
    };
    assert!(
        rel_diff(depth(1), depth(0), 1.0) < 0.02,
        "{} vs {}",
        depth(1),
        depth(0)
    );
    let claims: Vec<&Value> = j["claims"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["beyond_noise"] == true)
        .collect();
    assert!(claims.is_empty(), "{claims:?}");
}

/// Scars that level out are the best a course can do, not a height scale
/// typed wrong: on a patch whose relief is mostly three large scars, the
/// scars at 35 % of their depth made the whole relief ×0.41, which the
/// check of the height scale warned (relief halved or less) and the
/// client was told nothing. The relief is now compared beside the
/// baseline's scars, where the skin's own texture is as it was, and the
/// claim follows the designed −65 %.
#[test]
fn scars_that_level_out_are_claimed_not_taken_for_a_wrong_scale() {
    let tmp = tempdir();
    let case = tmp.path().join("case");
    let (w, h) = (420usize, 320usize);
    let scars = [
        (110.0, 110.0, 55.0),
        (300.0, 120.0, 50.0),
        (210.0, 240.0, 60.0),
    ];
    let map = |depth_share: f64| {
        image::ImageBuffer::from_fn(w as u32, h as u32, |x, y| {
            let (x, y) = (f64::from(x), f64::from(y));
            // fine texture, ±4 µm
            let mut um = 3.0 * (x / 3.1).sin() * (y / 4.3).cos() + 1.0 * (x / 1.7 + y / 2.3).sin();
            for &(cx, cy, r) in &scars {
                let t = (x - cx).hypot(y - cy) / r;
                if t < 1.0 {
                    um -= depth_share * 220.0 * (1.0 - t * t).powi(2);
                }
            }
            // 0.05 µm a level around the middle of the range
            image::Luma([(30_000.0 + um / 0.05).round() as u16])
        })
    };
    // the third visit: the first's map with its scale typed twice too
    // large (0.1 for 0.05), which a limit of 2 let through (read 1.99999)
    for (date, share, level) in [
        ("2026-01-12", 1.0, 0.05),
        ("2026-02-10", 0.35, 0.05),
        ("2026-03-10", 1.0, 0.1),
    ] {
        let dir = case.join(date);
        std::fs::create_dir_all(&dir).unwrap();
        map(share).save(dir.join("cheek.height.png")).unwrap();
        std::fs::write(
            dir.join("cheek.height.toml"),
            format!("um_per_level = {level}\nmm_per_px = 0.04\n"),
        )
        .unwrap();
    }
    let (j, _) = common::analyze(&case, &tmp.path().join("out"));
    let sessions = common::series_of(&j, "height")["sessions"]
        .as_array()
        .unwrap()
        .clone();
    let q = &sessions[1]["quality"];
    assert_eq!(q["status"], "ok", "{q}");
    let relief = q["measures"]["relief_vs_baseline"].as_f64().unwrap();
    assert!((relief - 1.0).abs() < 0.1, "{relief}");
    let typo = &sessions[2]["quality"];
    assert_eq!(typo["status"], "warn", "{typo}");
    let claim = j["claims"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["topic"] == "scar_depth")
        .unwrap_or_else(|| panic!("no scar depth claim: {}", j["claims"]));
    let pct = claim["change_pct"].as_f64().unwrap();
    assert!((pct + 65.0).abs() < 8.0, "{pct}");
}
