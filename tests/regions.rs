//! `skintrack regions` (issue 18): the baseline photo with a labelled grid
//! and the regions drawn, the case.toml lines on stdout, a suggested
//! control region when case.toml names none, never a write inside the case.

mod common;

use assert_cmd::Command;
use common::tempdir;
use std::path::Path;

fn skintrack() -> Command {
    Command::cargo_bin("skintrack").unwrap()
}

/// The bundled sample case copied to `dst` (photos only: the height maps
/// are not needed here), with `toml` as its case.toml.
fn sample_case(dst: &Path, toml: &str) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    for e in std::fs::read_dir(&src).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            let d = dst.join(p.file_name().unwrap());
            std::fs::create_dir_all(&d).unwrap();
            std::fs::copy(p.join("cheek.jpg"), d.join("cheek.jpg")).unwrap();
        }
    }
    std::fs::write(dst.join("case.toml"), toml).unwrap();
}

/// [x, y, w, h] of `key` in the printed case.toml lines.
fn rect(doc: &toml::Table, key: &str) -> [i64; 4] {
    let a = doc["view"]["cheek"][key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key}"));
    let v: Vec<i64> = a.iter().map(|x| x.as_integer().unwrap()).collect();
    [v[0], v[1], v[2], v[3]]
}

#[test]
fn regions_draws_the_case_toml_regions_and_prints_them() {
    let t = tempdir();
    let case = t.path().join("case");
    sample_case(
        &case,
        "[view.cheek]\nroi = [264, 225, 720, 540]\ncontrol = [48, 45, 168, 126]\nmm_per_px = 0.05\n",
    );
    let png = t.path().join("fig").join("where.png");
    let out = skintrack()
        .arg("regions")
        .arg(&case)
        .arg("-o")
        .arg(&png)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    // what it prints is case.toml (the first line a comment naming the file)
    assert!(stdout.lines().next().unwrap().starts_with("# "), "{stdout}");
    assert!(stdout.contains(&png.display().to_string()), "{stdout}");
    let doc: toml::Table = toml::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(rect(&doc, "roi"), [264, 225, 720, 540]);
    assert_eq!(rect(&doc, "control"), [48, 45, 168, 126]);
    // the figure: the 1200×900 baseline at most 1000 px a side, the region's
    // left edge (x 264 → 220 px at 1000/1200) drawn in blue half way down it
    let img = image::open(&png).unwrap().to_rgb8();
    assert_eq!(img.dimensions(), (1000, 750));
    let y = ((225.0 + 270.0) * 1000.0 / 1200.0) as u32;
    let edge = (218..=222)
        .map(|x| img.get_pixel(x, y).0)
        .find(|p| p[2] > 200 && p[0] < 90);
    assert!(edge.is_some(), "no blue edge near x 220 at y {y}");
    // the samples are untouched: nothing written inside the case
    assert_eq!(
        std::fs::read_dir(case.join("2026-01-12")).unwrap().count(),
        1
    );
}

#[test]
fn without_regions_it_draws_the_default_and_suggests_a_control() {
    let t = tempdir();
    let case = t.path().join("case");
    sample_case(&case, "client = \"x\"\n");
    let png = t.path().join("r.png");
    let out = skintrack()
        .arg("regions")
        .arg(&case)
        .arg("-o")
        .arg(&png)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let doc: toml::Table = toml::from_str(&stdout).unwrap();
    let roi = rect(&doc, "roi");
    let control = rect(&doc, "control");
    assert!(stdout.contains("the default"), "{stdout}");
    assert!(
        stdout.contains("suggested"),
        "it says the control was suggested: {stdout}"
    );
    // both inside the 1200×900 photo, the control outside the region
    for r in [roi, control] {
        assert!(
            r[0] >= 0 && r[1] >= 0 && r[0] + r[2] <= 1200 && r[1] + r[3] <= 900,
            "{r:?}"
        );
        assert!(r[2] >= 16 && r[3] >= 16, "{r:?}");
    }
    let apart = control[0] + control[2] <= roi[0]
        || roi[0] + roi[2] <= control[0]
        || control[1] + control[3] <= roi[1]
        || roi[1] + roi[3] <= control[1];
    assert!(apart, "control {control:?} overlaps the region {roi:?}");
    // and it is what analyze would use for that case.toml
    let full = format!(
        "{}\n",
        stdout
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n")
    );
    std::fs::write(case.join("case.toml"), full).unwrap();
    let out2 = skintrack()
        .arg("regions")
        .arg(&case)
        .arg("-o")
        .arg(&png)
        .output()
        .unwrap();
    let doc2: toml::Table = toml::from_str(&String::from_utf8(out2.stdout).unwrap()).unwrap();
    assert_eq!(rect(&doc2, "roi"), roi);
    assert_eq!(rect(&doc2, "control"), control);
}

#[test]
fn regions_never_writes_inside_the_case() {
    let t = tempdir();
    let case = t.path().join("case");
    sample_case(&case, "");
    let inside = case.join("regions.png");
    skintrack()
        .arg("regions")
        .arg(&case)
        .arg("-o")
        .arg(&inside)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("inside the case folder"));
    assert!(!inside.exists());
}

#[test]
fn regions_replaces_nothing_but_an_earlier_figure() {
    // another case's original photo, and a file that is not a figure, are
    // never overwritten; an earlier figure is
    let t = tempdir();
    let (case, other) = (t.path().join("case"), t.path().join("other"));
    sample_case(&case, "");
    sample_case(&other, "");
    let photo = other.join("2026-01-12/cheek.jpg");
    // a text file named as a figure is not one: its first bytes are read
    let notes = t.path().join("notes.png");
    std::fs::write(&notes, "my notes").unwrap();
    // nor is a PNG photo, in a case without case.toml or outside any case
    let png_photo = t.path().join("photo.png");
    image::open(&photo).unwrap().save(&png_photo).unwrap();
    let bare = t.path().join("bare/2026-01-12");
    std::fs::create_dir_all(&bare).unwrap();
    std::fs::copy(&png_photo, bare.join("cheek.png")).unwrap();
    for target in [
        &photo,
        &other.join("figure.png"),
        &notes,
        &png_photo,
        &bare.join("cheek.png"),
        &bare.join("new.png"),
    ] {
        let before = std::fs::read(target).ok();
        let o = skintrack()
            .arg("regions")
            .arg(&case)
            .arg("-o")
            .arg(target)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{}: {err}", target.display());
        assert_eq!(err.lines().count(), 1, "{err}");
        assert_eq!(std::fs::read(target).ok(), before, "{}", target.display());
    }
    // and no PNG is written under another name: refused before any work
    let txt = t.path().join("r.txt");
    let o = skintrack()
        .arg("regions")
        .arg(&case)
        .arg("-o")
        .arg(&txt)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("r.txt") && err.contains("name it .png"),
        "{err}"
    );
    assert!(!txt.exists());
    let figure = t.path().join("figure.png");
    for _ in 0..2 {
        skintrack()
            .arg("regions")
            .arg(&case)
            .arg("-o")
            .arg(&figure)
            .assert()
            .success();
    }
}

/// Without `roi`, the suggested measured region is the largest one every
/// visit covers beside the control region: it used to take the control in,
/// the ruler of the region's own texture, lines and colour.
#[test]
fn the_suggested_region_keeps_out_of_the_control_region() {
    let t = tempdir();
    let case = t.path().join("case");
    sample_case(&case, "[view.cheek]\ncontrol = [48, 45, 168, 126]\n");
    let out = skintrack()
        .arg("regions")
        .arg(&case)
        .arg("-o")
        .arg(t.path().join("where.png"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let doc: toml::Table = toml::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let [x, y, w, h] = rect(&doc, "roi");
    let [cx, cy, cw, ch] = rect(&doc, "control");
    let apart = x >= cx + cw || cx >= x + w || y >= cy + ch || cy >= y + h;
    assert!(
        apart,
        "roi {:?} over control {:?}",
        [x, y, w, h],
        [cx, cy, cw, ch]
    );
    assert!(
        stdout.contains("every visit covers beside the control region"),
        "{stdout}"
    );
    // still most of the 1200×900 photo: below the control (y ≥ 171)
    assert!(w * h > 1200 * 600, "{:?}", [x, y, w, h]);
}
