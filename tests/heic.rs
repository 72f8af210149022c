//! HEIC/HEIF input (build with `--features heic`): the files are made at
//! test time from tests/data with `heif-enc` (tests/common/heif.rs), and
//! libheif's `heif-convert` is the independent reference decoder.
#![cfg(feature = "heic")]

mod common;

use assert_cmd::Command;
use common::heif::{
    Heif, colr_icc, colr_nclx, grid, heif_convert, heif_enc, imir, irot, with_properties,
};
use common::{data, mean_abs_difference, tempdir};
use serde_json::Value;
use skintrack::ingest::{IngestOptions, decode_bytes, read_date_taken, read_photo};
use skintrack::raster::{ColourModel, Plane, RgbPlanes};
use std::path::{Path, PathBuf};

fn skintrack() -> Command {
    Command::cargo_bin("skintrack").unwrap()
}

fn photo(p: &Path) -> RgbPlanes {
    read_photo(p, &IngestOptions::default())
        .unwrap_or_else(|e| panic!("{e}"))
        .image
}

/// libheif's decoding (a PNG from heif-convert) on the 0–255 scale, read
/// with the `image` crate so that the EXIF heif-convert copies into the PNG
/// is not applied to its already transformed pixels.
fn libheif(heic: &Path) -> RgbPlanes {
    let png = heic.with_extension("libheif.png");
    heif_convert(heic, &png);
    let img = image::open(&png).unwrap().to_rgb32f();
    let (w, h) = (img.width() as usize, img.height() as usize);
    let plane = |c: usize| {
        let v = img.pixels().map(|p| p.0[c] * 255.0).collect();
        Plane::from_vec(w, h, v).unwrap()
    };
    RgbPlanes {
        r: plane(0),
        g: plane(1),
        b: plane(2),
        model: ColourModel::Rgb,
    }
}

/// PSNR in dB of the BT.601 luma of `a` against that of `b` (0–255): the
/// HEVC luma plane heif-enc coded, which two decoders reproduce alike
/// whatever chroma upsampling each uses (libheif 1.15 repeats chroma
/// samples, heifer interpolates them as Apple does).
fn luma_psnr(a: &RgbPlanes, b: &RgbPlanes) -> f64 {
    let luma = |p: &RgbPlanes| -> Vec<f32> {
        p.r.data()
            .iter()
            .zip(p.g.data())
            .zip(p.b.data())
            .map(|((r, g), b)| 0.299 * r + 0.587 * g + 0.114 * b)
            .collect()
    };
    let (la, lb) = (luma(a), luma(b));
    assert_eq!(la.len(), lb.len());
    let se: f64 = la
        .iter()
        .zip(&lb)
        .map(|(x, y)| f64::from(x - y).powi(2))
        .sum();
    10.0 * (255.0f64.powi(2) / (se / la.len() as f64)).log10()
}

/// PSNR in dB of `a` against `b` on the 0–255 scale, all channels.
fn psnr(a: &RgbPlanes, b: &RgbPlanes) -> f64 {
    assert_eq!((a.width(), a.height()), (b.width(), b.height()));
    let (mut se, mut n) = (0.0, 0usize);
    for (pa, pb) in a.planes().iter().zip(b.planes()) {
        for (x, y) in pa.data().iter().zip(pb.data()) {
            se += f64::from(x - y).powi(2);
            n += 1;
        }
    }
    10.0 * (255.0f64.powi(2) / (se / n as f64)).log10()
}

fn encode(t: &Path, input: &Path, name: &str, args: &[&str]) -> PathBuf {
    let out = t.join(name);
    heif_enc(input, &out, args);
    out
}

fn metrics_json(p: &Path) -> Value {
    let out = skintrack()
        .args(["metrics", "--json"])
        .arg(p)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The metrics of `heic` that differ from those of `jpeg` by more than the
/// codec may: half the metric's spread over the photo's tiles (its
/// `uncertainty`, the noise every change in a report is judged against) or
/// 1 % of its value, whichever is larger; 3 % where there is no spread (a
/// single value per photo). Prints every difference, for the record.
fn beyond_codec(jpeg: &Value, heic: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for (id, j) in jpeg.as_object().unwrap() {
        let a = j["value"].as_f64().unwrap();
        let u = j["uncertainty"].as_f64().unwrap_or(0.0);
        let b = heic[id]["value"].as_f64().unwrap();
        let bound = if u > 0.0 {
            (0.5 * u).max(0.01 * a.abs())
        } else {
            0.03 * a.abs()
        };
        eprintln!(
            "  {id}: JPEG {a:.4} ± {u:.4}, HEIC {b:.4}: {:.2} % of the value, {:.2} of the bound",
            100.0 * (a - b).abs() / a.abs().max(1e-12),
            (a - b).abs() / bound.max(1e-12)
        );
        if (a - b).abs() > bound {
            out.push(format!("{id}: JPEG {a:.4} ± {u:.4}, HEIC {b:.4}"));
        }
    }
    out
}

/// The same photo as JPEG and as HEIC (heif-enc -q 90 from that JPEG):
/// heifer decodes it as libheif does, and every metric stays within the
/// codec difference. Measured on kodim23 (768×512): heifer vs libheif
/// 60.7 dB in luma (42.4 dB in RGB: chroma upsampling); HEIC vs JPEG
/// 49.5 dB; of the 23 metrics the median moves 0.15 %, the closest to its
/// bound is wrinkles.tracked_contrast (1.3 %, 0.42 of the bound), the
/// largest relative move 2.1 % (colour.a, a value near 0, 0.01 of its
/// bound). A control proves the bound can fail: at -q 50 seven metrics
/// leave it (lbp_entropy 6.3 times, pores.mean_area 2.7 times).
#[test]
fn the_same_photo_as_jpeg_and_heic_measures_alike() {
    let t = tempdir();
    let jpeg = data("photos/kodim23.jpg");
    let heic = encode(t.path(), &jpeg, "kodim23.heic", &["-q", "90"]);
    let ours = photo(&heic);
    let reference = libheif(&heic);
    let (luma, rgb) = (luma_psnr(&ours, &reference), psnr(&ours, &reference));
    eprintln!("heifer vs libheif: luma {luma:.1} dB, RGB {rgb:.1} dB");
    // the luma planes agree to rounding (a wrong range or matrix gives
    // < 35 dB); RGB differs by the chroma upsampling of each decoder
    assert!(luma > 50.0, "heifer vs libheif: luma {luma:.1} dB");
    assert!(rgb > 38.0, "heifer vs libheif: RGB {rgb:.1} dB");
    let codec = psnr(&ours, &photo(&jpeg));
    eprintln!("HEIC vs JPEG: {codec:.1} dB");
    assert!(codec > 35.0, "HEIC vs JPEG {codec:.1} dB");

    let mj = metrics_json(&jpeg);
    let mh = metrics_json(&heic);
    assert_eq!(mj["roi"], mh["roi"]);
    let off = beyond_codec(&mj["metrics"], &mh["metrics"]);
    assert!(off.is_empty(), "beyond the codec difference: {off:#?}");

    // the control: a heavily compressed HEIC is told apart
    let poor = encode(t.path(), &jpeg, "poor.heic", &["-q", "50"]);
    assert!(
        !beyond_codec(&mj["metrics"], &metrics_json(&poor)["metrics"]).is_empty(),
        "the bound does not tell a -q 50 HEIC from the JPEG"
    );
}

fn corner_mean(img: &RgbPlanes, x0: usize, y0: usize) -> [f64; 3] {
    let mut s = [0.0; 3];
    for y in y0..y0 + 32 {
        for x in x0..x0 + 32 {
            for (k, p) in img.planes().iter().enumerate() {
                s[k] += f64::from(p.at(x, y));
            }
        }
    }
    s.map(|v| v / 1024.0)
}

/// The check of tests/ingest.rs against exif_orientation/expected.txt:
/// upright size, the four corner patches (±6) and the whole image against
/// the upright Portrait_1 (< 3 right, > 40 for the best wrong transform).
fn assert_upright(name: &str, img: &RgbPlanes, reference: &RgbPlanes, line: &str) {
    let f: Vec<&str> = line.split('\t').collect();
    let (w, h) = (img.width(), img.height());
    assert_eq!(format!("{w}x{h}"), f[3], "{name}: upright size");
    let corners = [(0, 0), (w - 32, 0), (0, h - 32), (w - 32, h - 32)];
    for (k, (x, y)) in corners.into_iter().enumerate() {
        let want: Vec<f64> = f[4 + k].split(',').map(|v| v.parse().unwrap()).collect();
        let got = corner_mean(img, x, y);
        for c in 0..3 {
            assert!(
                (got[c] - want[c]).abs() <= 6.0,
                "{name} corner {k}: {got:?} vs {want:?}"
            );
        }
    }
    let mad = mean_abs_difference(img, reference);
    // the HEVC generation adds about 1 to the JPEG's 0–2.2
    assert!(mad < 4.0, "{name}: mean abs difference to Portrait_1 {mad}");
}

/// The HEIF transforms equivalent to each EXIF orientation, as iPhones
/// write them next to that EXIF Orientation: `irot` turns anticlockwise,
/// `imir` axis 1 flips left and right, 0 top and bottom (libheif, Apple).
fn transforms_for(orientation: u8) -> Vec<(Vec<u8>, bool)> {
    let t = |b: Vec<u8>| (b, true);
    match orientation {
        2 => vec![t(imir(1))],
        3 => vec![t(irot(2))],
        4 => vec![t(imir(0))],
        5 => vec![t(irot(3)), t(imir(1))],
        6 => vec![t(irot(3))],
        7 => vec![t(irot(1)), t(imir(1))],
        8 => vec![t(irot(1))],
        _ => vec![],
    }
}

/// All eight orientations, two ways: as libheif 1.15's heif-enc converts a
/// rotated JPEG (pixels as stored, EXIF Orientation kept, no irot/imir: the
/// EXIF turn is applied), and as an iPhone writes them (irot/imir plus the
/// same EXIF Orientation: the boxes are applied and EXIF is not applied a
/// second time). libheif's own decoding of the second kind agrees.
#[test]
fn every_orientation_comes_out_upright_once() {
    let t = tempdir();
    let expected = std::fs::read_to_string(data("exif_orientation/expected.txt")).unwrap();
    let reference = photo(&data("exif_orientation/Portrait_1.jpg"));
    let mut checked = 0;
    for line in expected
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let name = line.split('\t').next().unwrap();
        let n: u8 = line.split('\t').nth(1).unwrap().parse().unwrap();
        let plain = encode(
            t.path(),
            &data(&format!("exif_orientation/{name}")),
            &format!("{n}.heic"),
            &["-q", "85"],
        );
        let p = read_photo(&plain, &IngestOptions::default()).unwrap();
        assert_eq!(p.meta.orientation, u16::from(n), "{name}: EXIF applied");
        assert_upright(&format!("{n}.heic"), &p.image, &reference, line);

        let boxed = t.path().join(format!("{n}.irot.heic"));
        let bytes = std::fs::read(&plain).unwrap();
        std::fs::write(&boxed, with_properties(&bytes, &transforms_for(n))).unwrap();
        let p = read_photo(&boxed, &IngestOptions::default()).unwrap();
        assert!(p.meta.warnings.is_empty(), "{:?}", p.meta.warnings);
        assert_upright(&format!("{n}.irot.heic"), &p.image, &reference, line);
        if n != 1 {
            let db = luma_psnr(&p.image, &libheif(&boxed));
            assert!(
                db > 50.0,
                "{n}.irot.heic: luma {db:.1} dB from libheif's decoding"
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 8);

    // irot without a matching EXIF Orientation: the box wins, with a warning
    let plain = std::fs::read(t.path().join("6.heic")).unwrap();
    let odd = with_properties(&plain, &transforms_for(8));
    let d = decode_bytes(Path::new("odd.heic"), &odd, &IngestOptions::default()).unwrap();
    assert_eq!(d.meta.orientation, 8);
    assert_eq!(d.meta.warnings.len(), 1, "{:?}", d.meta.warnings);
    assert!(d.meta.warnings[0].contains("EXIF orientation 6"));
}

/// A visit folder not named by a date takes the EXIF capture date of its
/// HEIC photo (exif_gps.jpg was taken on 2024:01:15; heif-enc keeps its
/// EXIF), no EXIF or GPS from it reaches any output, and a visit whose HEIC
/// is cut short is left out with its reason while the case analyses.
#[test]
fn a_heic_capture_date_dates_its_visit_and_stays_out_of_the_outputs() {
    let t = tempdir();
    let heic = encode(
        t.path(),
        &data("bad_inputs/exif_gps.jpg"),
        "gps.heic",
        &["-q", "90"],
    );
    let bytes = std::fs::read(&heic).unwrap();
    assert!(
        bytes.windows(20).any(|w| w == b"SKINTRACK-GPS-CANARY"),
        "heif-enc dropped the EXIF the test relies on"
    );
    assert_eq!(
        read_date_taken(&heic).unwrap().map(|d| d.to_string()),
        Some("2024-01-15".into())
    );
    let p = read_photo(&heic, &IngestOptions::default()).unwrap();
    assert_eq!(
        p.meta.date_taken.map(|d| d.to_string()),
        Some("2024-01-15".into())
    );

    let case = t.path().join("case");
    for visit in ["first visit", "2024-02-15", "2024-03-15"] {
        std::fs::create_dir_all(case.join(visit)).unwrap();
        std::fs::copy(&heic, case.join(visit).join("face.heic")).unwrap();
    }
    let cut = case.join("2024-03-15/face.heic");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let c = skintrack::case::read_case(&case).unwrap();
    assert_eq!(c.sessions[0].date.to_string(), "2024-01-15");
    let out = t.path().join("out");
    let run = skintrack()
        .args(["analyze"])
        .arg(&case)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).to_string();
    assert!(stderr.contains("2024-03-15/face.heic"), "{stderr}");
    let m: Value =
        serde_json::from_slice(&std::fs::read(out.join("metrics.json")).unwrap()).unwrap();
    assert_eq!(m["baseline_date"], "2024-01-15");
    let sessions = m["series"][0]["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 3);
    assert_eq!(sessions[1]["alignment"]["status"], "ok", "{}", sessions[1]);
    let left_out = &sessions[2]["alignment"];
    assert_eq!(left_out["status"], "failed", "{left_out}");
    assert!(
        left_out["reason"]
            .as_str()
            .unwrap()
            .contains("cannot be read"),
        "{left_out}"
    );
    let mut files = vec![out.clone()];
    let mut seen = 0;
    while let Some(p) = files.pop() {
        if p.is_dir() {
            files.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let b = std::fs::read(&p).unwrap();
        for canary in [&b"SKINTRACK-GPS-CANARY"[..], b"Exif\0\0", b"2024:01:15"] {
            assert!(
                !b.windows(canary.len()).any(|w| w == canary),
                "{} carries {:?}",
                p.display(),
                String::from_utf8_lossy(canary)
            );
        }
        seen += 1;
    }
    assert!(seen >= 3, "only {seen} output files");
}

/// A 16-bit gradient through heif-enc -b 10: the HEIC is 10-bit, decodes
/// to the 16-bit scale with more than 256 distinct levels (an 8-bit path
/// would have at most 256), and matches the source and libheif's decoding.
#[test]
fn ten_bit_heic_keeps_its_precision() {
    let t = tempdir();
    let (w, h) = (512u32, 64u32);
    // a slow ramp: 1024 levels of 10 bits over 512 px in red, flat green,
    // a noise-free diagonal in blue
    let img = image::ImageBuffer::<image::Rgb<u16>, _>::from_fn(w, h, |x, y| {
        image::Rgb([(8192 + x * 64) as u16, 30000, (10000 + (x + y) * 40) as u16])
    });
    let src = t.path().join("ramp16.png");
    img.save(&src).unwrap();
    let heic = encode(t.path(), &src, "ramp10.heic", &["-b", "10", "-q", "95"]);
    let parts = Heif::parse(&std::fs::read(&heic).unwrap());
    let hvcc = parts.prop(parts.primary, b"hvcC").unwrap();
    // hvcC: bitDepthLumaMinus8 is the low 3 bits of byte 17 of its payload
    // (ISO/IEC 14496-15 §8.3.3.1), after the 8-byte box header
    assert_eq!(hvcc[8 + 17] & 7, 2, "heif-enc did not write 10 bits");

    let d = skintrack::ingest::decode_file(&heic, &IngestOptions::default()).unwrap();
    assert_eq!(d.bit_depth, 16);
    let red = &d.planes[0];
    let mut levels: Vec<u32> = red.data().iter().map(|&v| v.round() as u32).collect();
    levels.sort_unstable();
    levels.dedup();
    assert!(
        levels.len() > 256,
        "{} levels: decoded at 8 bits",
        levels.len()
    );
    // against the source, in 8-bit units: the flat and smooth areas survive
    // HEVC at -q 95 within 1 level on average
    let source = photo(&src);
    let ours = photo(&heic);
    let mean_abs = |a: &RgbPlanes, b: &RgbPlanes| {
        let (mut s, mut n) = (0.0, 0.0);
        for (pa, pb) in a.planes().iter().zip(b.planes()) {
            for (x, y) in pa.data().iter().zip(pb.data()) {
                s += f64::from((x - y).abs());
                n += 1.0;
            }
        }
        s / n
    };
    let err = mean_abs(&ours, &source);
    assert!(err < 1.0, "10-bit HEIC vs its 16-bit source: {err:.3}");
    let vs_libheif = mean_abs(&ours, &libheif(&heic));
    assert!(vs_libheif < 0.5, "vs libheif: {vs_libheif:.3}");
}

/// An iPhone-style grid: libheif 1.15's heif-enc cannot write one, so the
/// test codes the tiles with heif-enc and puts them in a `grid` item
/// (3×2 tiles of 256 px, cropped to 700×500). heifer stitches it as libheif
/// does, and as the same photo coded in one piece; turned by an `irot` on
/// the grid (iPhone), it comes out upright.
#[test]
fn a_grid_heic_is_stitched_like_libheif_does() {
    let t = tempdir();
    let whole = image::open(data("photos/kodim23.jpg")).unwrap().to_rgb8();
    let (tw, th) = (256u32, 256u32);
    let (w, h) = (700u32, 500u32);
    let mut tiles = Vec::new();
    for row in 0..2 {
        for col in 0..3 {
            // tiles beyond the crop are filled from the edge of the photo
            let tile = image::ImageBuffer::from_fn(tw, th, |x, y| {
                let sx = (col * tw + x).min(whole.width() - 1);
                let sy = (row * th + y).min(whole.height() - 1);
                *whole.get_pixel(sx, sy)
            });
            let png = t.path().join(format!("tile{row}{col}.png"));
            tile.save(&png).unwrap();
            let heic = encode(
                t.path(),
                &png,
                &format!("tile{row}{col}.heic"),
                &["-q", "92"],
            );
            tiles.push(std::fs::read(heic).unwrap());
        }
    }
    let gridded = t.path().join("grid.heic");
    std::fs::write(&gridded, grid(&tiles, 3, 2, w as u16, h as u16)).unwrap();
    let ours = photo(&gridded);
    assert_eq!((ours.width(), ours.height()), (w as usize, h as usize));
    let db = luma_psnr(&ours, &libheif(&gridded));
    assert!(db > 50.0, "grid: luma {db:.1} dB from libheif's decoding");
    // and the photo itself, every tile in its place (a misplaced tile
    // gives < 20 dB)
    let crop = image::imageops::crop_imm(&whole, 0, 0, w, h).to_image();
    let src = t.path().join("crop.png");
    crop.save(&src).unwrap();
    let db = psnr(&ours, &photo(&src));
    assert!(db > 35.0, "grid vs the photo: {db:.1} dB");
    // as an iPhone held upright writes it: the grid turned by irot
    // (a quarter turn clockwise, EXIF 6), the tiles as the sensor read them
    let turned = t.path().join("grid-irot.heic");
    let bytes = std::fs::read(&gridded).unwrap();
    std::fs::write(&turned, with_properties(&bytes, &[(irot(3), true)])).unwrap();
    let upright = read_photo(&turned, &IngestOptions::default()).unwrap();
    assert_eq!(upright.meta.orientation, 6);
    let img = &upright.image;
    assert_eq!((img.width(), img.height()), (h as usize, w as usize));
    // upright (x, y) shows stored (y, h - 1 - x)
    for (x, y) in [(0, 0), (h as usize - 1, 0), (17, 333), (250, 699)] {
        assert_eq!(
            img.g.at(x, y),
            ours.g.at(y, h as usize - 1 - x),
            "({x}, {y})"
        );
    }
    let db = luma_psnr(img, &libheif(&turned));
    assert!(
        db > 50.0,
        "turned grid: luma {db:.1} dB from libheif's decoding"
    );
}

/// Display P3 (iPhone): colour patches coded as P3 values, tagged once as
/// `nclx` (primaries 12, sRGB transfer) and once with a Display P3 ICC
/// profile, decode to the sRGB values moxcms (an independent CMS) computes
/// from libheif's untouched decoding; the same file read as sRGB would be
/// off by up to 60 levels in saturated red.
#[test]
fn display_p3_heic_is_converted_to_srgb() {
    use moxcms::{ColorProfile, Layout, TransformOptions};
    let t = tempdir();
    // patches of 64×64: P3 red, green, blue, a skin tone, mid grey, a
    // saturated skin red
    let patches: [[u8; 3]; 6] = [
        [230, 30, 30],
        [40, 200, 60],
        [30, 40, 210],
        [224, 172, 150],
        [128, 128, 128],
        [200, 80, 70],
    ];
    let img =
        image::ImageBuffer::from_fn(64 * 6, 64, |x, _| image::Rgb(patches[(x / 64) as usize]));
    let src = t.path().join("p3.png");
    img.save(&src).unwrap();
    let plain = encode(t.path(), &src, "untagged.heic", &["-q", "98"]);
    let bytes = std::fs::read(&plain).unwrap();
    let coded = libheif(&plain);

    let p3 = ColorProfile::new_display_p3();
    let srgb = ColorProfile::new_srgb();
    let to_srgb = p3
        .create_transform_f64(Layout::Rgb, &srgb, Layout::Rgb, TransformOptions::default())
        .unwrap();
    let patch_mean = |img: &RgbPlanes, k: usize| -> [f64; 3] {
        let mut s = [0.0; 3];
        for y in 16..48 {
            for x in 64 * k + 16..64 * k + 48 {
                for (c, p) in img.planes().iter().enumerate() {
                    s[c] += f64::from(p.at(x, y));
                }
            }
        }
        s.map(|v| v / 1024.0)
    };
    let icc = p3.encode().unwrap();
    for (tag, extra) in [("nclx", colr_nclx(12, 13, 6)), ("icc", colr_icc(&icc))] {
        let tagged = t.path().join(format!("{tag}.heic"));
        std::fs::write(&tagged, with_properties(&bytes, &[(extra, false)])).unwrap();
        let ours = photo(&tagged);
        let mut worst_as_srgb: f64 = 0.0;
        for k in 0..patches.len() {
            let c = patch_mean(&coded, k);
            let mut want = [0.0f64; 3];
            to_srgb.transform(&c.map(|v| v / 255.0), &mut want).unwrap();
            let want = want.map(|v| (v * 255.0).clamp(0.0, 255.0));
            let got = patch_mean(&ours, k);
            for ch in 0..3 {
                // 1.5 levels: heifer's 8-bit rounding and table encoder
                // against moxcms in f64
                assert!(
                    (got[ch] - want[ch]).abs() <= 1.5,
                    "{tag} patch {k}: {got:?}, moxcms {want:?} (coded {c:?})"
                );
                worst_as_srgb = worst_as_srgb.max((c[ch] - want[ch]).abs());
            }
        }
        assert!(
            worst_as_srgb > 30.0,
            "the patches hardly differ between P3 and sRGB"
        );
    }
}

/// A cut HEIC is one line naming it and exit 2; cut or flipped bytes
/// anywhere never panic (every 97th cut and 400 flips of a real file).
#[test]
fn a_damaged_heic_is_refused_in_one_line_and_never_panics() {
    let t = tempdir();
    let heic = encode(
        t.path(),
        &data("bad_inputs/exif_gps.jpg"),
        "whole.heic",
        &["-q", "80"],
    );
    let bytes = std::fs::read(&heic).unwrap();
    let cut = t.path().join("truncated_should_exit_2.heic");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let out = skintrack().args(["metrics"]).arg(&cut).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("truncated_should_exit_2.heic"), "{stderr}");

    let opts = IngestOptions::default();
    let p = Path::new("mutant.heic");
    for n in (0..bytes.len()).step_by(97) {
        let e = decode_bytes(p, &bytes[..n], &opts);
        assert!(e.is_err(), "{n} bytes of {} decoded", bytes.len());
        assert_eq!(e.unwrap_err().to_string().lines().count(), 1);
    }
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    for _ in 0..400 {
        let mut m = bytes.clone();
        for _ in 0..4 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let at = (state % m.len() as u64) as usize;
            m[at] ^= 1 << (state >> 61);
        }
        if let Err(e) = decode_bytes(p, &m, &opts) {
            assert_eq!(e.to_string().lines().count(), 1, "{e}");
        }
        let f = t.path().join("mutant.heic");
        std::fs::write(&f, &m).unwrap();
        let _ = read_date_taken(&f);
    }
}

/// The size and memory limits hold before any HEVC is decoded: the
/// primary image's ispe is checked first.
#[test]
fn a_heic_over_the_limits_is_refused_from_its_header() {
    let t = tempdir();
    let heic = encode(
        t.path(),
        &data("photos/kodim23.jpg"),
        "k.heic",
        &["-q", "50"],
    );
    let bytes = std::fs::read(&heic).unwrap();
    // 768×512 at 80 B/px is 31 MB
    let small = IngestOptions {
        max_memory: 20_000_000,
        ..IngestOptions::default()
    };
    let e = decode_bytes(Path::new("k.heic"), &bytes, &small).unwrap_err();
    assert!(e.to_string().contains("--max-memory"), "{e}");
    // a grid that claims 30000×30000 is refused before its tiles decode
    let huge = grid(std::slice::from_ref(&bytes), 1, 1, 30000, 30000);
    let e = decode_bytes(Path::new("huge.heic"), &huge, &IngestOptions::default()).unwrap_err();
    assert!(e.to_string().contains("too large"), "{e}");
    // an ispe that understates the coded picture (16×16 declared, 2048×1536
    // coded) cannot make the decoder allocate what the limits never saw
    let big = image::ImageBuffer::from_fn(2048, 1536, |x, y| {
        image::Rgb([(x / 8) as u8, (y / 6) as u8, 128u8])
    });
    let png = t.path().join("big.png");
    big.save(&png).unwrap();
    let coded = std::fs::read(encode(t.path(), &png, "big.heic", &["-q", "30"])).unwrap();
    assert!(decode_bytes(Path::new("big.heic"), &coded, &IngestOptions::default()).is_ok());
    let mut h = Heif::parse(&coded);
    let primary = h.primary;
    for (p, _) in &mut h.item_mut(primary).props {
        if &p[4..8] == b"ispe" {
            *p = common::heif::ispe(16, 16);
        }
    }
    let e = decode_bytes(
        Path::new("liar.heic"),
        &h.write(),
        &IngestOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(e, skintrack::Error::Decode { .. }), "{e}");
    assert!(e.to_string().starts_with("liar.heic: "), "{e}");
}

fn json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

/// The case the issue describes: visits mixing JPEG and HEIC photos of the
/// same skin. The phantom case is analysed as made (all JPEG) and with two
/// of its three visits converted to HEIC (heif-enc -q 90): the HEIC visits
/// align `ok` to within 0.25 px of where their JPEGs aligned and measure
/// within the codec difference of [`beyond_codec`]. Measured (seed 7): the
/// transforms agree within 0.004 px at the corners; 70 values, median move
/// 0.13 %, the closest to its bound
/// wrinkles.length_per_area (0.047 → 0.041 against a spread of 0.017: 0.72
/// of the bound).
#[test]
fn a_case_mixing_jpeg_and_heic_visits_analyses_alike() {
    let t = tempdir();
    let case = t.path().join("jpeg");
    skintrack()
        .args(["phantom"])
        .arg(&case)
        .args(["--seed", "7", "--sessions", "3", "--size", "800x600"])
        .assert()
        .success();
    let mixed = t.path().join("mixed");
    let truth = json(&case.join("truth.json"));
    let dates: Vec<String> = truth["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["date"].as_str().unwrap().to_string())
        .collect();
    copy_dir(&case, &mixed);
    for d in &dates[1..] {
        let jpg = mixed.join(d).join("cheek.jpg");
        heif_enc(&jpg, &mixed.join(d).join("cheek.heic"), &["-q", "90"]);
        std::fs::remove_file(&jpg).unwrap();
    }
    // the baseline stays JPEG in both: registration targets are the same
    let mut results = Vec::new();
    for c in [&case, &mixed] {
        let out = t
            .path()
            .join(format!("out-{}", c.file_name().unwrap().to_string_lossy()));
        skintrack()
            .args(["analyze"])
            .arg(c)
            .arg("-o")
            .arg(&out)
            .assert()
            .success();
        let m = json(&out.join("metrics.json"));
        let s = m["series"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["kind"] == "photo" && s["view"] == "cheek")
            .expect("photo series")["sessions"]
            .clone();
        results.push(s);
    }
    let (j, h) = (&results[0], &results[1]);
    for k in 1..dates.len() {
        let (sj, sh) = (&j[k], &h[k]);
        assert_eq!(sh["alignment"]["status"], "ok", "{}", sh["alignment"]);
        assert!(
            sh["source"].as_str().unwrap_or_default().ends_with(".heic")
                || sh.to_string().contains("cheek.heic"),
            "{sh}"
        );
        let (a, b) = (
            &sj["alignment"]["base_from_moving"],
            &sh["alignment"]["base_from_moving"],
        );
        for (x, y) in [(0.0, 0.0), (799.0, 0.0), (0.0, 599.0), (799.0, 599.0)] {
            let map = |m: &Value| {
                let g = |i: usize, k: usize| m[i][k].as_f64().unwrap();
                let w = g(2, 0) * x + g(2, 1) * y + g(2, 2);
                (
                    (g(0, 0) * x + g(0, 1) * y + g(0, 2)) / w,
                    (g(1, 0) * x + g(1, 1) * y + g(1, 2)) / w,
                )
            };
            let (p, q) = (map(a), map(b));
            let d = (p.0 - q.0).hypot(p.1 - q.1);
            eprintln!("{}: corner ({x}, {y}) {d:.3} px apart", dates[k]);
            assert!(d < 0.25, "{}: corner ({x}, {y}) {d:.3} px apart", dates[k]);
        }
        let off = beyond_codec(&sj["metrics"], &sh["metrics"]);
        assert!(off.is_empty(), "{}: {off:#?}", dates[k]);
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dst = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dst);
        } else {
            std::fs::copy(&p, &dst).unwrap();
        }
    }
}

/// A monochrome HEIC (heif-enc codes a grey PNG as 4:0:0) stays grey, as
/// a grey JPEG does, so colour metrics are not made up for it.
#[test]
fn a_monochrome_heic_stays_grey() {
    let t = tempdir();
    let png = data("photos/camera.png");
    let heic = encode(t.path(), &png, "grey.heic", &["-q", "90"]);
    let ours = photo(&heic);
    assert_eq!(ours.model, ColourModel::Grey);
    let db = psnr(&ours, &photo(&png));
    assert!(db > 35.0, "grey HEIC vs its PNG: {db:.1} dB");
    // with a grey ICC profile (which heifer's sRGB conversion refuses):
    // still read, as coded
    let icc = moxcms::ColorProfile::new_gray_with_gamma(2.2)
        .encode()
        .unwrap();
    let bytes = std::fs::read(&heic).unwrap();
    let tagged = t.path().join("grey-icc.heic");
    std::fs::write(&tagged, with_properties(&bytes, &[(colr_icc(&icc), false)])).unwrap();
    let again = photo(&tagged);
    assert_eq!(again.model, ColourModel::Grey);
    assert_eq!(again.r.data(), ours.r.data());
}
