//! Reading case folders: the layout of DESIGN.md, and every kind of bad case.

mod common;

use common::{data, tempdir};
use skintrack::case::{CaptureKind, Kind, read_case};
use std::path::Path;

fn write(p: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

fn photo(p: &Path) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::copy(data("bad_inputs/valid_small.jpg"), p).unwrap();
}

#[test]
fn reads_a_full_case() {
    let t = tempdir();
    let c = t.path();
    write(
        &c.join("case.toml"),
        br#"client = "Client 7"
treatment = "micro-needling"
treatments = ["2026-02-10", "2026-01-12"]
[view.cheek]
roi = [10, 10, 100, 80]
control = [120, 0, 20, 20]
mm_per_px = 0.04
exclude = [[5, 5, 10, 10]]
"#,
    );
    photo(&c.join("2026-02-10/cheek.jpg"));
    photo(&c.join("2026-01-12/cheek.jpg"));
    photo(&c.join("2026-01-12/cheek.r2.jpg"));
    photo(&c.join("2026-01-12/forehead.JPG"));
    write(&c.join("2026-01-12/notes.txt"), b"ignored");
    write(&c.join("2026-01-12/.DS_Store"), b"ignored");
    std::fs::copy(
        data("heightmaps/session1.png"),
        c.join("2026-01-12/cheek.height.png"),
    )
    .unwrap();
    std::fs::copy(
        data("heightmaps/session1.height.toml"),
        c.join("2026-01-12/cheek.height.toml"),
    )
    .unwrap();
    let case = read_case(c).unwrap();
    assert_eq!(case.client.as_deref(), Some("Client 7"));
    assert_eq!(case.sessions.len(), 2);
    assert_eq!(case.sessions[0].date.to_string(), "2026-01-12");
    assert_eq!(
        case.treatments
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["2026-01-12", "2026-02-10"]
    );
    let views: Vec<(String, Kind, u32)> = case.sessions[0]
        .captures
        .iter()
        .map(|c| (c.view.clone(), c.kind.kind(), c.repeat))
        .collect();
    assert_eq!(
        views,
        [
            ("cheek".into(), Kind::Height, 1),
            ("cheek".into(), Kind::Photo, 1),
            ("cheek".into(), Kind::Photo, 2),
            ("forehead".into(), Kind::Photo, 1)
        ]
    );
    let CaptureKind::Height(side) = &case.sessions[0].captures[0].kind else {
        panic!("height capture expected")
    };
    assert!((side.um_per_level.get() - 0.025).abs() < 1e-12);
    let v = &case.views["cheek"];
    assert_eq!(v.exclude.len(), 1);
    assert!((v.mm_per_px.unwrap().get() - 0.04).abs() < 1e-12);
}

#[test]
fn treatments_default_to_every_visit_but_one_within_two_weeks_of_the_last() {
    let t = tempdir();
    for d in [
        "2026-03-01",
        "2026-01-01",
        "2026-01-03",
        "2026-01-15",
        "2026-01-30",
    ] {
        photo(&t.path().join(format!("{d}/cheek.jpg")));
    }
    let case = read_case(t.path()).unwrap();
    assert!(case.treatments_assumed);
    // 01-03 is 2 days after a visit, 01-15 12 days: checks, not sessions;
    // 01-30 is 15 days after the visit before it
    let want: Vec<String> = ["2026-01-01", "2026-01-30", "2026-03-01"]
        .iter()
        .map(|s| (*s).to_string())
        .collect();
    let got: Vec<String> = case.treatments.iter().map(ToString::to_string).collect();
    assert_eq!(got, want);
}

#[test]
fn exif_dates_a_session_folder_without_a_date_name() {
    let t = tempdir();
    std::fs::create_dir_all(t.path().join("first visit")).unwrap();
    std::fs::copy(
        data("bad_inputs/exif_gps.jpg"),
        t.path().join("first visit/cheek.jpg"),
    )
    .unwrap();
    let case = read_case(t.path()).unwrap();
    assert_eq!(case.sessions[0].date.to_string(), "2024-01-15");
}

/// A photo whose EXIF capture date names another day than its folder is
/// warned about and keeps that date beside the folder's (a photo taken the
/// day after a session, filed under it, is in the skin's reaction to it:
/// `trend::timeline_taken`); one taken on its folder's day is not.
/// exif_gps.jpg was taken on 2024:01:15.
#[test]
fn a_photo_taken_on_another_day_than_its_folder_is_warned_about() {
    let t = tempdir();
    for (dir, view) in [("2024-01-14", "cheek"), ("2024-01-15", "chin")] {
        std::fs::create_dir_all(t.path().join(dir)).unwrap();
        std::fs::copy(
            data("bad_inputs/exif_gps.jpg"),
            t.path().join(format!("{dir}/{view}.jpg")),
        )
        .unwrap();
    }
    let case = read_case(t.path()).unwrap();
    let taken = |k: usize| case.sessions[k].captures[0].taken.map(|d| d.to_string());
    assert_eq!(taken(0).as_deref(), Some("2024-01-15"));
    assert_eq!(taken(1), None);
    assert_eq!(case.date_warnings.len(), 1, "{:?}", case.date_warnings);
    let w = &case.date_warnings[0];
    assert!(
        w.starts_with("2024-01-14/cheek.jpg: taken on 2024-01-15"),
        "{w}"
    );
    assert!(case.warnings.contains(w));
}

/// A photo's EXIF date in the future (a camera clock never set) is named
/// so, beside the folder's date it differs from.
#[test]
fn a_photo_dated_in_the_future_by_its_camera_is_named_so() {
    let t = tempdir();
    std::fs::create_dir_all(t.path().join("2024-01-15")).unwrap();
    let jpeg = std::fs::read(data("bad_inputs/exif_gps.jpg")).unwrap();
    // its DateTimeOriginal, the first of its two dates (the other the GPS's)
    let at = jpeg.windows(10).position(|w| w == b"2024:01:15").unwrap();
    let mut future = jpeg.clone();
    future[at..at + 4].copy_from_slice(b"2099");
    std::fs::write(t.path().join("2024-01-15/cheek.jpg"), future).unwrap();
    let case = read_case(t.path()).unwrap();
    assert_eq!(case.date_warnings.len(), 1, "{:?}", case.date_warnings);
    let w = &case.date_warnings[0];
    assert!(
        w.starts_with("2024-01-15/cheek.jpg: taken on 2099-01-15, in the future (its EXIF"),
        "{w}"
    );
}

/// DESIGN.md: a session folder not named by a date takes its photos' EXIF
/// DateTimeOriginal; with neither, the case is rejected (exit 2) naming the
/// folder. exif_ifd_loop.jpg has a damaged IFD0 and no DateTimeOriginal at
/// all (make_bad_inputs.py); exif_gps.jpg was taken on 2024:01:15.
#[test]
fn an_undated_folder_whose_photo_has_no_exif_date_is_rejected() {
    let t = tempdir();
    let visit = t.path().join("first visit");
    std::fs::create_dir_all(&visit).unwrap();
    std::fs::copy(
        data("bad_inputs/exif_ifd_loop.jpg"),
        visit.join("cheek.jpg"),
    )
    .unwrap();
    let err = read_case(t.path()).unwrap_err();
    assert_eq!(err.exit_code(), 2, "{err}");
    let msg = err.to_string();
    assert!(msg.contains("first visit"), "must name the folder: {msg}");
    assert!(msg.contains("not a date"), "must say what is wrong: {msg}");
    assert!(msg.contains("EXIF capture date"), "{msg}");

    // the command line: exit 2, one line naming the folder, nothing written
    let out_dir = t.path().join("out");
    let out = assert_cmd::Command::cargo_bin("skintrack")
        .unwrap()
        .arg("analyze")
        .arg(t.path())
        .arg("-o")
        .arg(&out_dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| !l.contains("warning:")).collect();
    assert_eq!(errors.len(), 1, "one error line: {stderr:?}");
    assert!(errors[0].contains("first visit"), "{stderr}");
    assert!(!out_dir.exists(), "nothing is written for a rejected case");

    // a second photo in the folder that has a date decides it
    std::fs::copy(data("bad_inputs/exif_gps.jpg"), visit.join("forehead.jpg")).unwrap();
    let case = read_case(t.path()).unwrap();
    assert_eq!(case.sessions.len(), 1);
    assert_eq!(case.sessions[0].date.to_string(), "2024-01-15");
}

fn bad(setup: impl FnOnce(&Path), names: &str) {
    let t = tempdir();
    setup(t.path());
    let err = read_case(t.path()).unwrap_err();
    assert_eq!(err.exit_code(), 2, "{err}");
    let msg = err.to_string();
    assert!(msg.contains(names), "{msg:?} should name {names:?}");
    assert_eq!(msg.lines().count(), 1, "{msg:?}");
}

/// [`bad`] of a one-visit case whose case.toml is `toml`.
fn bad_manifest(toml: &[u8], names: &str) {
    bad(
        |c| {
            photo(&c.join("2026-01-12/cheek.jpg"));
            write(&c.join("case.toml"), toml);
        },
        names,
    );
}

#[test]
fn bad_cases_are_rejected_naming_the_culprit() {
    bad(|_| {}, "no session folders");
    bad(|c| photo(&c.join("visit/cheek.jpg")), "visit");
    bad(
        |c| std::fs::create_dir_all(c.join("2026-01-12")).unwrap(),
        "2026-01-12",
    );
    bad_manifest(b"clinet = \"typo\"\n", "case.toml");
    // the line and the problem in plain words, not the parser's excerpt
    bad_manifest(
        b"client = \"A\"\n\n[view.cheek]\nrio = [1, 2, 3, 4]\n",
        "case.toml: line 4 (rio = [1, 2, 3, 4]): unknown field `rio`, expected one of `roi`",
    );
    bad_manifest(
        b"[view.cheek]\nroi = [-10, 2, 3, 4]\n",
        "line 2 (roi = [-10, 2, 3, 4]): invalid value: integer `-10`, expected a whole number, 0 or more",
    );
    // no type names of the code, and the line that is given twice
    bad_manifest(
        b"client = \"C\"\n[view]\ncheek = 5\n",
        "line 3 (cheek = 5): invalid type: integer `5`, expected a table of settings",
    );
    bad_manifest(
        b"[view.cheek]\nmm_per_px = \"0.05\"\n",
        "invalid type: string \"0.05\", expected a number",
    );
    bad_manifest(
        b"[view.cheek]\nroi = [1, 2, 3, 4]\n[view.cheek]\n",
        "line 3 ([view.cheek]): duplicate key",
    );
    bad_manifest(b"[view.cheek]\nmm_per_px = -2\n", "case.toml");
    bad(
        |c| {
            photo(&c.join("2026-01-12/cheek.jpg"));
            photo(&c.join("2026-01-12/cheek.png"));
        },
        "cheek.png",
    );
    bad(
        |c| {
            photo(&c.join("2026-01-12/cheek.jpg"));
            std::fs::copy(
                data("heightmaps/session1.png"),
                c.join("2026-01-12/cheek.height.png"),
            )
            .unwrap();
        },
        "cheek.height.toml",
    );
    bad(
        |c| {
            photo(&c.join("2026-01-12/cheek.jpg"));
            std::fs::copy(
                data("heightmaps/session1.png"),
                c.join("2026-01-12/cheek.height.png"),
            )
            .unwrap();
            write(
                &c.join("2026-01-12/cheek.height.toml"),
                b"mm_per_px = 0.02\n",
            );
        },
        "cheek.height.toml",
    );
    bad(
        |c| {
            photo(&c.join("2026-01-12/cheek.ps/1.png"));
            write(&c.join("2026-01-12/cheek.ps/filenames.txt"), b"1.png\n");
        },
        "filenames.txt",
    );
    bad(
        |c| {
            for i in 1..=3 {
                photo(&c.join(format!("2026-01-12/cheek.ps/{i}.png")));
            }
            write(
                &c.join("2026-01-12/cheek.ps/filenames.txt"),
                b"1.png\n2.png\n3.png\n",
            );
            write(
                &c.join("2026-01-12/cheek.ps/light_directions.txt"),
                b"0 0 1\n0.5 0 0.8\n",
            );
        },
        "light_directions.txt",
    );
    bad(
        |c| photo(&c.join("2026-01-12/left.cheek.jpg")),
        "left.cheek.jpg",
    );
}

#[test]
fn two_folders_with_one_date_are_rejected() {
    let t = tempdir();
    photo(&t.path().join("2024-01-15/cheek.jpg"));
    std::fs::create_dir_all(t.path().join("visit")).unwrap();
    std::fs::copy(
        data("bad_inputs/exif_gps.jpg"),
        t.path().join("visit/cheek.jpg"),
    )
    .unwrap();
    let err = read_case(t.path()).unwrap_err();
    assert!(err.to_string().contains("same date"), "{err}");
}

#[test]
fn entries_that_would_be_dropped_or_overwritten_unseen_are_refused() {
    // two views whose names become one in the plots' file names
    let t = tempdir();
    photo(&t.path().join("2026-01-12/a b.jpg"));
    photo(&t.path().join("2026-01-12/a_b.jpg"));
    let err = read_case(t.path()).unwrap_err().to_string();
    assert!(
        err.contains("\"a b\" and \"a_b\"") && err.contains("rename"),
        "{err}"
    );
    // a folder named like a photo, a file named like a photometric set, a
    // set's folder in upper case
    for (name, says) in [
        ("cheek.jpg", "a capture is a file"),
        ("cheek.ps", "not a folder"),
        ("cheek.PS", "in lower case"),
    ] {
        let t = tempdir();
        photo(&t.path().join("2026-01-12/cheek.jpg"));
        let odd = t.path().join("2026-02-09").join(name);
        if name == "cheek.ps" {
            photo(&t.path().join("2026-02-09/cheek.jpg"));
            write(&odd, b"not a set");
        } else {
            std::fs::create_dir_all(&odd).unwrap();
        }
        let err = read_case(t.path()).unwrap_err().to_string();
        assert!(err.contains(name) && err.contains(says), "{err}");
    }
}

#[test]
fn a_date_where_the_manifest_takes_something_else_is_said_plainly() {
    for (toml, says) in [
        (
            "treatment = 2026-01-12\n",
            "invalid type: a table or a date, expected a string",
        ),
        ("notes = 2026-01-12\n", "a date where a table is expected"),
    ] {
        let t = tempdir();
        photo(&t.path().join("2026-01-12/cheek.jpg"));
        write(&t.path().join("case.toml"), toml.as_bytes());
        let err = read_case(t.path()).unwrap_err().to_string();
        assert!(
            err.contains(says) && !err.contains("map") && !err.contains('$'),
            "{err}"
        );
    }
}

/// A control region mostly inside the measured region is refused: treated
/// skin in the ruler cancels the change (a client was told "no change"
/// where texture fell 17 % and lines 22 %).
#[test]
fn a_control_region_inside_the_measured_region_is_refused() {
    // the region [10, 10, 100, 80]; a 20×20 control with 2×20 = 10 %
    // inside is warned about, 3×20 = 15 % and wholly inside are refused
    for (x, y, refused) in [(108, 30, false), (107, 30, true), (40, 40, true)] {
        let t = tempdir();
        photo(&t.path().join("2026-01-12/cheek.jpg"));
        let toml = format!("[view.cheek]\nroi = [10, 10, 100, 80]\ncontrol = [{x}, {y}, 20, 20]\n");
        write(&t.path().join("case.toml"), toml.as_bytes());
        match read_case(t.path()) {
            Ok(case) => {
                assert!(!refused, "[{x}, {y}] accepted");
                assert!(
                    case.warnings
                        .iter()
                        .any(|w| w.contains("overlaps the measured region")),
                    "{:?}",
                    case.warnings
                );
            }
            Err(e) => {
                let e = e.to_string();
                assert!(refused, "[{x}, {y}] refused: {e}");
                assert!(
                    e.contains("case.toml")
                        && e.contains("of the control region [")
                        && e.contains("lies inside the measured region [10, 10, 100, 80]"),
                    "{e}"
                );
            }
        }
    }
}

#[test]
fn likely_mistakes_in_a_valid_layout_are_warned_about() {
    let t = tempdir();
    let c = t.path();
    // the second treatment's date, the control region's corner and the card's left edge
    let manifest = |second: &str, (x, y): (u32, u32), card_x: u32| {
        let toml = format!(
            "treatments = [\"2026-01-12\", \"{second}\"]\n[view.cheek]\n\
             roi = [10, 10, 100, 80]\ncontrol = [{x}, {y}, 20, 20]\ncard = [{card_x}, 0, 40, 20]\n"
        );
        write(&c.join("case.toml"), toml.as_bytes());
    };
    // the control's corner 5×5 px inside the region: a slip, warned about
    manifest("2026-02-10", (105, 85), 90);
    // photos named by the camera: a view each, in one visit only; and a
    // second spelling of the cheek
    photo(&c.join("2026-01-12/cheek.jpg"));
    photo(&c.join("2026-01-12/IMG_4411.JPG"));
    photo(&c.join("2026-02-09/cheek.jpg"));
    photo(&c.join("2026-02-09/Cheek.jpg"));
    let w = read_case(c).unwrap().warnings;
    let has = |s: &str| w.iter().any(|x| x.contains(s));
    assert!(has("control region overlaps the measured region"), "{w:?}");
    assert!(has("the card overlaps the measured region"), "{w:?}");
    assert!(has("treatments 2026-02-10 has no visit folder"), "{w:?}");
    assert!(
        has("view \"IMG_4411\" is only in the visit of 2026-01-12"),
        "{w:?}"
    );
    assert!(
        has("\"Cheek\" and \"cheek\" differ only in upper and lower case"),
        "{w:?}"
    );
    assert!(!has("view \"cheek\" is only"), "{w:?}");
    // the same case laid out well: no warning
    manifest("2026-02-09", (110, 0), 140);
    std::fs::remove_file(c.join("2026-01-12/IMG_4411.JPG")).unwrap();
    std::fs::remove_file(c.join("2026-02-09/Cheek.jpg")).unwrap();
    let w = read_case(c).unwrap().warnings;
    assert!(w.is_empty(), "{w:?}");
    // a capture in a format that is not read is said, not skipped unseen;
    // notes beside the photos are not
    write(&c.join("2026-02-09/forehead.webp"), b"RIFF");
    write(&c.join("2026-02-09/chin.CR2"), b"II*");
    write(&c.join("2026-02-09/cheek.height.jpg"), b"\xff\xd8");
    write(&c.join("2026-02-09/notes.txt"), b"dry skin");
    write(&c.join("2026-02-09/consent.pdf"), b"%PDF");
    let w = read_case(c).unwrap().warnings;
    let skipped = |file: &str, what: &str| {
        w.iter()
            .any(|x| x.contains(file) && x.contains(what) && x.contains("; skipped"))
    };
    assert!(
        skipped(
            "forehead.webp",
            "a WebP image, which skintrack does not read"
        ),
        "{w:?}"
    );
    assert!(skipped("chin.CR2", "a raw (Canon) image"), "{w:?}");
    assert!(
        skipped(
            "cheek.height.jpg",
            "a height map is read from a .png or .tif"
        ),
        "{w:?}"
    );
    assert_eq!(w.len(), 3, "{w:?}");
}

#[test]
fn an_empty_client_or_treatment_is_none() {
    let t = tempdir();
    let c = t.path();
    photo(&c.join("2026-01-12/cheek.jpg"));
    photo(&c.join("2026-02-09/cheek.jpg"));
    write(
        &c.join("case.toml"),
        "client = \"  \"\ntreatment = \"\u{200b}\"\n".as_bytes(),
    );
    let case = read_case(c).unwrap();
    // the report then names the case by its folder, not "report — "
    assert_eq!((case.client, case.treatment), (None, None));
}

#[test]
fn a_view_named_with_a_decomposed_accent_is_the_view_typed() {
    // "joué" as a Mac writes it (e + U+0301) in one visit, as typed in the
    // other: one view, read from the files as they are named on disk
    let t = tempdir();
    let c = t.path();
    photo(&c.join("2026-01-12/joué.jpg"));
    photo(&c.join("2026-02-09/joue\u{301}.jpg"));
    std::fs::copy(
        data("heightmaps/session1.png"),
        c.join("2026-02-09/joue\u{301}.height.png"),
    )
    .unwrap();
    std::fs::copy(
        data("heightmaps/session1.height.toml"),
        c.join("2026-02-09/joue\u{301}.height.toml"),
    )
    .unwrap();
    let case = read_case(c).unwrap();
    let views: Vec<(&str, bool)> = case
        .sessions
        .iter()
        .flat_map(|s| &s.captures)
        .map(|cap| (cap.view.as_str(), cap.path.is_file()))
        .collect();
    assert_eq!(views, [("joué", true), ("joué", true), ("joué", true)]);
    assert!(case.warnings.is_empty(), "{:?}", case.warnings);
    // an accent that joins no letter is said as such
    photo(&c.join("2026-02-09/q\u{301}.jpg"));
    let err = read_case(c).unwrap_err().to_string();
    assert!(
        err.contains("an accent stored apart from its letter"),
        "{err}"
    );
}
