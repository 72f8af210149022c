//! The alignment stage on tests/data/registration: 12 pairs with exact
//! homographies and 3 mismatched pairs that must fail.

mod common;

use common::data;
use skintrack::align::{AlignOptions, Status, register};
use skintrack::geometry::Homography;
use skintrack::ingest::{IngestOptions, read_photo};

fn truth(name: &str) -> serde_json::Value {
    serde_json::from_str(
        &std::fs::read_to_string(data(&format!("registration/{name}/truth.json"))).unwrap(),
    )
    .unwrap()
}

fn grey(name: &str, which: &str) -> skintrack::raster::Plane {
    read_photo(
        &data(&format!("registration/{name}/{which}.jpg")),
        &IngestOptions::default(),
    )
    .unwrap()
    .image
    .luminance()
}

fn matrix(v: &serde_json::Value) -> Homography {
    let mut m = [[0.0; 3]; 3];
    for (i, row) in v.as_array().unwrap().iter().enumerate() {
        for (j, x) in row.as_array().unwrap().iter().enumerate() {
            m[i][j] = x.as_f64().unwrap();
        }
    }
    Homography(m)
}

/// Mean distance between the BASE corners mapped into MOVING by the truth
/// and by the estimate (the corner error).
fn corner_error(truth: &Homography, est: &Homography, w: usize, h: usize) -> f64 {
    truth
        .inverse()
        .unwrap()
        .corner_error(&est.inverse().unwrap(), w, h)
}

#[test]
fn aligned_pairs_are_recovered_to_subpixel() {
    let mut errors = Vec::new();
    for i in 1..=12 {
        let name = format!("p{i:02}");
        let t = truth(&name);
        let (base, moving) = (grey(&name, "base"), grey(&name, "moving"));
        let reg = register(&base, &moving, &AlignOptions::default());
        let h = matrix(&t["base_from_moving"]);
        let err = corner_error(&h, &reg.base_from_moving, base.width(), base.height());
        eprintln!(
            "{name}: {:?} corner error {err:.3} px, score {:.3}, structure {:.3}, overlap {:.3} (truth {:.3}), inliers {} ({:.2}) {:?}",
            reg.status,
            reg.score,
            reg.structure_score,
            reg.overlap,
            t["overlap_fraction_of_base"].as_f64().unwrap(),
            reg.inliers,
            reg.inlier_ratio,
            reg.reason
        );
        assert_eq!(reg.status, Status::Ok, "{name}: {:?}", reg.reason);
        errors.push(err);
    }
    errors.sort_by(f64::total_cmp);
    let median = 0.5 * (errors[5] + errors[6]);
    // 90th percentile of 12 values: the 11th (linear interpolation at 10.9)
    let p90 = errors[9] + 0.9 * (errors[10] - errors[9]);
    let max = errors[11];
    eprintln!("corner error median {median:.3}, p90 {p90:.3}, max {max:.3}");
    assert!(median <= 0.3, "median {median}");
    assert!(p90 <= 1.0, "p90 {p90}");
    assert!(max <= 3.0, "max {max}");
}

#[test]
fn mismatched_pairs_fail() {
    for name in ["m01", "m02", "m03"] {
        let reg = register(
            &grey(name, "base"),
            &grey(name, "moving"),
            &AlignOptions::default(),
        );
        eprintln!(
            "{name}: {:?} score {:.3} structure {:.3} inliers {} {:?}",
            reg.status, reg.score, reg.structure_score, reg.inliers, reg.reason
        );
        assert_eq!(reg.status, Status::Failed, "{name} must fail");
        assert!(reg.reason.is_some());
    }
}

/// Largest distance between the true and the estimated position of a BASE
/// corner (in BASE px): what "ok implies an error below 1.5 px" bounds.
fn max_corner_error(truth: &Homography, est: &Homography, w: usize, h: usize) -> f64 {
    let (xe, ye) = (w as f64 - 1.0, h as f64 - 1.0);
    let ti = truth.inverse().unwrap();
    [(0.0, 0.0), (xe, 0.0), (0.0, ye), (xe, ye)]
        .iter()
        .map(|&(x, y)| {
            // the BASE corner's place in MOVING, then back through the estimate
            let m = ti.apply(x, y).unwrap();
            let b = est.apply(m.0, m.1).unwrap();
            (b.0 - x).hypot(b.1 - y)
        })
        .fold(0.0, f64::max)
}

/// Two pairs from tools/registration_sweep.py whose detail fills only part
/// of the frame (a motion-blurred dial on a plain wall; a smoothed rocket
/// in an empty sky) were once confirmed 2.85 and 1.61 px off: a transform
/// corrected by the verification patches' own shifts was offered to them.
/// Each must now be failed, or right within 1.5 px at every corner.
#[test]
fn a_pair_with_detail_in_part_of_the_frame_is_never_confirmed_wrong() {
    for name in ["clock_blur", "rocket_smooth"] {
        let read = |which: &str| {
            read_photo(
                &data(&format!("registration_heldout/{name}/{which}.jpg")),
                &IngestOptions::default(),
            )
            .unwrap()
            .image
            .luminance()
        };
        let (base, moving) = (read("base"), read("moving"));
        let t: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(data(&format!("registration_heldout/{name}/truth.json")))
                .unwrap(),
        )
        .unwrap();
        let reg = register(&base, &moving, &AlignOptions::default());
        let truth = matrix(&t["base_from_moving"]);
        let err = max_corner_error(&truth, &reg.base_from_moving, base.width(), base.height());
        eprintln!(
            "{name}: {:?} largest corner error {err:.2} px {:?}",
            reg.status, reg.reason
        );
        assert!(
            reg.status == Status::Failed || err <= 1.5,
            "{name}: ok but {err:.2} px off"
        );
    }
}
