//! The alignment stage on tests/data/registration: 12 pairs with exact
//! homographies and 3 mismatched pairs that must fail.

mod common;

use common::data;
use skintrack::align::verify::TOLERANCE_PX;
use skintrack::align::{AlignOptions, Status, register};
use skintrack::geometry::Homography;
use skintrack::ingest::{IngestOptions, read_photo};

fn truth(name: &str) -> serde_json::Value {
    truth_in("registration", name)
}

fn truth_in(folder: &str, name: &str) -> serde_json::Value {
    serde_json::from_str(
        &std::fs::read_to_string(data(&format!("{folder}/{name}/truth.json"))).unwrap(),
    )
    .unwrap()
}

fn grey(name: &str, which: &str) -> skintrack::raster::Plane {
    grey_in("registration", name, which)
}

fn grey_in(folder: &str, name: &str, which: &str) -> skintrack::raster::Plane {
    read_photo(
        &data(&format!("{folder}/{name}/{which}.jpg")),
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

/// Three pairs from tools/registration_sweep.py whose detail fills only
/// part of the frame (a motion-blurred dial on a plain wall; a smoothed
/// rocket in an empty sky) were once confirmed wrong at their worst corner.
/// Two, 2.35 and 1.76 px off, through a transform corrected by the
/// verification patches' own shifts and offered to them; the third
/// (clock_gamma), 1.54 px off, through the patches' shared bias alone, on
/// a fit whose own standard error was 1.15 px. Each must now be failed, or
/// right within 1.5 px at every corner.
#[test]
fn a_pair_with_detail_in_part_of_the_frame_is_never_confirmed_wrong() {
    for name in ["clock_blur", "rocket_smooth", "clock_gamma"] {
        let (base, moving) = (
            grey_in("registration_heldout", name, "base"),
            grey_in("registration_heldout", name, "moving"),
        );
        let t = truth_in("registration_heldout", name);
        let reg = register(&base, &moving, &AlignOptions::default());
        let truth = matrix(&t["base_from_moving"]);
        // each BASE corner into MOVING by the truth, back by the estimate
        // (infinite where a corner cannot be mapped)
        let err = (reg.base_from_moving * truth.inverse().unwrap())
            .max_corner_shift(base.width(), base.height());
        eprintln!(
            "{name}: {:?} largest corner error {err:.2} px {:?}",
            reg.status, reg.reason
        );
        assert!(
            reg.status == Status::Failed
                || (reg.base_from_moving.is_finite() && err <= TOLERANCE_PX),
            "{name}: ok but {err:.2} px off"
        );
    }
}
