//! Measuring the parts of a frame cut out beforehand (issue 19: `analyze`
//! keeps no full-resolution aligned frame while it measures) gives the
//! same bits as measuring the frame itself.

use skintrack::measure::{self, MeasureOptions, Measurements};
use skintrack::raster::Rect;
use std::path::Path;

/// Every value and uncertainty, as bits.
fn bits(m: &Measurements) -> Vec<(String, u64, u64)> {
    m.values
        .iter()
        .map(|(k, v)| (k.clone(), v.value.to_bits(), v.uncertainty.to_bits()))
        .collect()
}

#[test]
fn measuring_cut_out_parts_equals_measuring_the_frame() {
    let frame = skintrack::phantom::skin_image(11, 420, 330, 0.03, 0.0);
    // the control region overlaps the ROI's corner, as a case may have it
    let (roi, control) = (Rect::new(90, 60, 300, 250), Rect::new(10, 20, 120, 90));
    let opts = MeasureOptions {
        control: Some(control),
        keep_maps: true,
        ..MeasureOptions::default()
    };
    let source = Path::new("t.jpg");
    let whole = measure::measure(source, &frame, roi, &opts).expect("whole frame");
    let (roi_img, control_img) = (frame.crop(roi), frame.crop(control));
    let cut = measure::measure_cut(
        source,
        (frame.width(), frame.height()),
        &roi_img,
        Some(&control_img),
        roi,
        &opts,
    )
    .expect("cut-out parts");
    assert_eq!(bits(&cut), bits(&whole));
    assert_eq!(cut.control_linear, whole.control_linear);
    let lines = |m: &Measurements| m.maps.as_ref().map(|f| f.wrinkle_lines.clone());
    assert_eq!(lines(&cut), lines(&whole));
    // a test of something: the control region gives relative values
    assert!(whole.values.contains_key("texture.relative_roughness"));
}

#[test]
fn cut_out_parts_of_the_wrong_size_are_refused() {
    let frame = skintrack::phantom::skin_image(3, 200, 160, 0.03, 0.0);
    let roi = Rect::new(20, 20, 120, 100);
    let wrong = frame.crop(Rect::new(20, 20, 100, 100));
    let got = measure::measure_cut(
        Path::new("t.jpg"),
        (200, 160),
        &wrong,
        None,
        roi,
        &MeasureOptions::default(),
    );
    assert!(
        matches!(got, Err(skintrack::Error::Usage { .. })),
        "{:?}",
        got.err()
    );
}
