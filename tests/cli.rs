//! The command line: exit codes, one-line errors naming the file, every
//! hostile file of tests/data/bad_inputs, and no metadata in outputs.

mod common;

use assert_cmd::Command;
use common::{data, tempdir};
use std::path::Path;
use std::time::Duration;

fn skintrack() -> Command {
    Command::cargo_bin("skintrack").unwrap()
}

#[derive(Debug, PartialEq)]
enum Expect {
    Reject,
    /// refused by the size limit (README: "REJECT before allocating"): exit 2,
    /// and the line says it was the limit, not a decoding error
    TooLarge,
    Accept,
    /// accepted, and its pixels are exactly those of the named intact file,
    /// so its metrics are equal (not garbage presented as valid)
    SameAs(&'static str),
    /// decodes, but too small to measure: exit 2 "too small"
    TooSmall,
}

/// The expectations of tests/data/bad_inputs/README.txt.
const BAD_INPUTS: &[(&str, Expect)] = &[
    ("empty.jpg", Expect::Reject),
    ("empty.png", Expect::Reject),
    ("text_renamed.jpg", Expect::Reject),
    ("random_bytes.png", Expect::Reject),
    // EITHER in the README, recommended ACCEPT (sniff the content): it is
    // valid_small.png byte for byte under a .jpg name
    ("png_named.jpg", Expect::SameAs("valid_small.png")),
    ("truncated_jpeg_in_header.jpg", Expect::Reject),
    ("truncated_jpeg_before_scan.jpg", Expect::Reject),
    ("truncated_jpeg_mid_scan.jpg", Expect::Reject),
    ("truncated_jpeg_near_end.jpg", Expect::Reject),
    // EITHER in the README: valid_small.jpg less its last two bytes (the EOI
    // marker, FF D9); the scan is complete, so accepting it must give the
    // intact file's pixels
    ("jpeg_missing_eoi.jpg", Expect::SameAs("valid_small.jpg")),
    ("jpeg_corrupt_huffman.jpg", Expect::Reject),
    ("jpeg_bad_dht.jpg", Expect::Reject),
    ("jpeg_zero_width.jpg", Expect::Reject),
    ("jpeg_claims_65000x65000.jpg", Expect::TooLarge),
    ("truncated_png_after_ihdr.png", Expect::Reject),
    ("truncated_png_mid_idat.png", Expect::Reject),
    ("png_bad_crc_idat.png", Expect::Reject),
    ("png_bad_crc_ihdr.png", Expect::Reject),
    ("png_bad_zlib.png", Expect::Reject),
    ("png_zero_width.png", Expect::Reject),
    ("png_claims_60000x60000.png", Expect::TooLarge),
    ("png_bomb_valid_20000x20000_1bit.png", Expect::TooLarge),
    ("valid_small.jpg", Expect::Accept),
    ("valid_small.png", Expect::Accept),
    ("tiny_1x1.png", Expect::TooSmall),
    ("tiny_1x1.jpg", Expect::TooSmall),
    ("gray.jpg", Expect::Accept),
    ("progressive.jpg", Expect::Accept),
    ("cmyk.jpg", Expect::Accept),
    ("rgb16.png", Expect::Accept),
    ("rgba_alpha.png", Expect::Accept),
    ("pngsuite_basn0g01.png", Expect::Accept),
    ("pngsuite_basn0g16.png", Expect::Accept),
    ("pngsuite_basn2c16.png", Expect::Accept),
    ("pngsuite_basn3p08.png", Expect::Accept),
    ("pngsuite_basn4a16.png", Expect::Accept),
    ("pngsuite_basn6a08.png", Expect::Accept),
    ("pngsuite_basi2c08.png", Expect::Accept),
    ("exif_gps.jpg", Expect::Accept),
    ("exif_huge_block.jpg", Expect::Accept),
    ("exif_orientation_9.jpg", Expect::Accept),
    ("exif_bad_ifd_offset.jpg", Expect::Accept),
    ("exif_ifd_loop.jpg", Expect::Accept),
    ("exif_bad_entry_count.jpg", Expect::Accept),
];

#[test]
fn every_bad_input_gets_its_documented_result() {
    let listed: std::collections::BTreeSet<&str> = BAD_INPUTS.iter().map(|b| b.0).collect();
    for entry in std::fs::read_dir(data("bad_inputs")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".jpg") || name.ends_with(".png") {
            assert!(
                listed.contains(name.as_str()),
                "{name} has no expectation in this test"
            );
        }
    }
    // `metrics --json` of one file: exit code, stderr, stdout as JSON (if any)
    let run = |name: &str| {
        let out = skintrack()
            .args(["metrics", "--json"])
            .arg(data(&format!("bad_inputs/{name}")))
            // a hang guard, not a speed test: a hang (say an EXIF IFD loop
            // followed forever) is killed and fails below as "killed"
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        let json = serde_json::from_slice::<serde_json::Value>(&out.stdout).ok();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.code(), stderr, json)
    };
    for (name, expect) in BAD_INPUTS {
        let (code, stderr, json) = run(name);
        assert_ne!(code, Some(101), "{name} panicked: {stderr}");
        assert!(code.is_some(), "{name}: killed ({stderr})");
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.contains("warning:")).collect();
        match expect {
            Expect::Accept | Expect::SameAs(_) => {
                assert_eq!(code, Some(0), "{name} must be accepted: {stderr}");
                let v = json
                    .as_ref()
                    .unwrap_or_else(|| panic!("{name}: stdout is not JSON"));
                let m = v["metrics"].as_object().unwrap();
                assert!(
                    m.contains_key("texture.glcm_contrast"),
                    "{name}: no metrics"
                );
                for (id, x) in m {
                    assert!(
                        x["value"].as_f64().is_some_and(f64::is_finite),
                        "{name}: {id} not a finite number"
                    );
                }
            }
            Expect::Reject | Expect::TooLarge | Expect::TooSmall => {
                assert_eq!(
                    code,
                    Some(2),
                    "{name} must be rejected with exit 2: {stderr}"
                );
                assert_eq!(lines.len(), 1, "{name}: one line, got {stderr:?}");
                assert!(
                    lines[0].contains(name),
                    "{name}: the line must name the file: {stderr}"
                );
                // what is wrong, in plain words: no decoder internals
                for internal in [
                    " 0x",
                    "{",
                    "\"",
                    "Png",
                    "I/O",
                    "Exhausted",
                    "DHT",
                    "Distance",
                ] {
                    assert!(!lines[0].contains(internal), "{name}: {stderr}");
                }
                if *expect == Expect::TooSmall {
                    assert!(lines[0].contains("too small"), "{stderr}");
                }
                if *expect == Expect::TooLarge {
                    assert!(lines[0].contains("limit"), "{name}: {stderr}");
                }
            }
        }
        if let Expect::SameAs(intact) = expect {
            let (code, stderr, intact_json) = run(intact);
            assert_eq!(code, Some(0), "{intact}: {stderr}");
            let (v, w) = (json.unwrap(), intact_json.unwrap());
            // same pixels, same deterministic computation: equal to the bit
            assert_eq!(v["roi"], w["roi"], "{name} vs {intact}");
            assert_eq!(v["metrics"], w["metrics"], "{name} vs {intact}");
        }
    }
}

#[test]
fn cmyk_jpeg_is_converted_not_inverted() {
    let out = skintrack()
        .args(["metrics", "--json", "--roi", "0,0,32,32"])
        .arg(data("bad_inputs/cmyk.jpg"))
        .output()
        .unwrap();
    assert!(out.status.success());
    // top-left quadrant is cyan (0,255,255): L* ≈ 91, a* ≈ −48, b* ≈ −14
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let a = v["metrics"]["colour.a"]["value"].as_f64().unwrap();
    let b = v["metrics"]["colour.b"]["value"].as_f64().unwrap();
    assert!(a < -35.0 && b < -5.0, "cyan quadrant has a* {a}, b* {b}");
}

#[test]
fn undefined_orientation_warns_and_reads_upright() {
    let out = skintrack()
        .args(["metrics"])
        .arg(data("bad_inputs/exif_orientation_9.jpg"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("orientation 9"), "{stderr}");
}

#[test]
fn usage_errors_exit_2() {
    skintrack().assert().code(2);
    skintrack()
        .args(["analyze", "/no/such/case"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("/no/such/case"));
    skintrack()
        .args(["metrics", "--roi", "1,2,3"])
        .arg(data("bad_inputs/valid_small.png"))
        .assert()
        .code(2);
    let out = skintrack()
        .args(["metrics", "--roi", "100,60,100,100"])
        .arg(data("bad_inputs/valid_small.png"))
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(stderr.contains("does not fit"), "{stderr}");
    skintrack()
        .args(["metrics", "--mm-per-px", "-1"])
        .arg(data("bad_inputs/valid_small.png"))
        .assert()
        .code(2);
    skintrack()
        .args(["phantom", "x", "--sessions", "1"])
        .assert()
        .code(2);
    // a grey card too small to be read in its own frame (analyze would warn
    // that it shows no steps): refused, and no folder is left (the case is
    // written beside it and renamed when whole)
    for size in ["256x256", "8000x256"] {
        let t = tempdir();
        let out = skintrack()
            .args(["phantom", "--card", "--size", size])
            .arg(t.path().join("c"))
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
        assert!(
            stderr.contains("--card") && stderr.lines().count() == 1,
            "{stderr}"
        );
        // nor is a staging folder left beside it
        let left: Vec<_> = std::fs::read_dir(t.path()).unwrap().collect();
        assert!(left.is_empty(), "{left:?}");
    }
}

#[test]
fn align_prints_the_json_contract() {
    let out = skintrack()
        .args(["align", "--json"])
        .arg(data("registration/p01/base.jpg"))
        .arg(data("registration/p01/moving.jpg"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "ok");
    let m = v["base_from_moving"].as_array().unwrap();
    assert_eq!(m.len(), 3);
    // p01 is a translation by (23.4, -17.8): moving → base adds it
    assert!((m[0][2].as_f64().unwrap() - 23.4).abs() < 0.1, "{v}");
    assert!((m[1][2].as_f64().unwrap() + 17.8).abs() < 0.1, "{v}");
    assert!(v["score"].as_f64().unwrap() > 0.95);
    assert!((v["overlap"].as_f64().unwrap() - 0.96).abs() < 0.02);

    let out = skintrack()
        .args(["align", "--json"])
        .arg(data("registration/m01/base.jpg"))
        .arg(data("registration/m01/moving.jpg"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "failed");
    assert!(v["reason"].as_str().is_some());
}

fn assert_no_canary(dir: &Path) {
    for entry in walk(dir) {
        let bytes = std::fs::read(&entry).unwrap();
        for canary in [
            &b"SKINTRACK-EXIF-CANARY"[..],
            b"SKINTRACK-GPS-CANARY",
            b"CanaryCam",
            b"Exif\0\0",
        ] {
            assert!(
                !bytes.windows(canary.len()).any(|w| w == canary),
                "{} carries {:?}",
                entry.display(),
                String::from_utf8_lossy(canary)
            );
        }
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn no_exif_or_gps_leaves_with_the_outputs() {
    let tmp = tempdir();
    let case = tmp.path().join("case");
    for d in ["2024-01-15", "2024-02-15"] {
        std::fs::create_dir_all(case.join(d)).unwrap();
        std::fs::copy(
            data("bad_inputs/exif_gps.jpg"),
            case.join(d).join("face.jpg"),
        )
        .unwrap();
    }
    let out = tmp.path().join("out");
    skintrack()
        .args(["analyze"])
        .arg(&case)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    assert!(out.join("report.html").exists());
    assert_no_canary(&out);
    let outs = tmp.path().join("align");
    std::fs::create_dir_all(&outs).unwrap();
    let aligned = outs.join("aligned.png");
    skintrack()
        .args(["align"])
        .arg(data("bad_inputs/exif_gps.jpg"))
        .arg(data("bad_inputs/exif_gps.jpg"))
        .arg("-o")
        .arg(&aligned)
        .assert()
        .success();
    let aligned_jpg = outs.join("aligned.jpg");
    skintrack()
        .args(["align"])
        .arg(data("bad_inputs/exif_gps.jpg"))
        .arg(data("bad_inputs/exif_gps.jpg"))
        .arg("-o")
        .arg(&aligned_jpg)
        .assert()
        .success();
    assert_no_canary(&outs);
    assert_eq!(walk(&outs).len(), 2);
}

#[test]
fn output_inside_the_case_is_refused() {
    let tmp = tempdir();
    let case = tmp.path().join("case");
    std::fs::create_dir_all(case.join("2024-01-15")).unwrap();
    std::fs::copy(
        data("bad_inputs/valid_small.jpg"),
        case.join("2024-01-15/face.jpg"),
    )
    .unwrap();
    let out = skintrack()
        .args(["analyze"])
        .arg(&case)
        .arg("-o")
        .arg(case.join("out"))
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(stderr.contains("inside the case folder"), "{stderr}");
    assert!(!case.join("out").exists());
}

/// A default build meets an iPhone photo: exit 2 and one line that names
/// the file and the build that reads it (the HEIC tests run with the
/// feature, in tests/heic.rs).
#[cfg(not(feature = "heic"))]
#[test]
fn a_default_build_names_the_heic_feature() {
    let tmp = tempdir();
    let heic = tmp.path().join("IMG_0001.HEIC");
    let mut f = vec![0, 0, 0, 24];
    f.extend_from_slice(b"ftypheic\0\0\0\0mif1heic");
    f.extend_from_slice(&[0; 64]);
    std::fs::write(&heic, f).unwrap();
    let out = skintrack().args(["metrics"]).arg(&heic).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("IMG_0001.HEIC") && stderr.contains("--features heic"),
        "{stderr}"
    );
}
