//! Decoding: EXIF orientation (all 8 cases), capture dates, bit depths.

mod common;

use common::{data, mean_abs_difference};
use skintrack::ingest::{IngestOptions, read_date_taken, read_photo};
use skintrack::raster::RgbPlanes;

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

#[test]
fn all_eight_exif_orientations_come_out_upright() {
    let expected = std::fs::read_to_string(data("exif_orientation/expected.txt")).unwrap();
    let reference = read_photo(
        &data("exif_orientation/Portrait_1.jpg"),
        &IngestOptions::default(),
    )
    .unwrap()
    .image;
    let mut checked = 0;
    for line in expected
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let f: Vec<&str> = line.split('\t').collect();
        let photo = read_photo(
            &data(&format!("exif_orientation/{}", f[0])),
            &IngestOptions::default(),
        )
        .unwrap();
        let img = &photo.image;
        let (w, h) = (img.width(), img.height());
        assert_eq!(format!("{w}x{h}"), f[3], "{}: upright size", f[0]);
        assert_eq!(photo.meta.orientation.to_string(), f[1], "{}", f[0]);
        let corners = [(0, 0), (w - 32, 0), (0, h - 32), (w - 32, h - 32)];
        for (k, (x, y)) in corners.into_iter().enumerate() {
            let want: Vec<f64> = f[4 + k].split(',').map(|v| v.parse().unwrap()).collect();
            let got = corner_mean(img, x, y);
            for c in 0..3 {
                // expected.txt: ±6 per channel (corners differ by ≥ 30)
                assert!(
                    (got[c] - want[c]).abs() <= 6.0,
                    "{} corner {k}: {got:?} vs {want:?}",
                    f[0]
                );
            }
        }
        // whole-image check against upright Portrait_1: < 3 for the right
        // transform, > 40 for the best wrong one (expected.txt)
        let mad = mean_abs_difference(img, &reference);
        assert!(
            mad < 3.0,
            "{}: mean abs difference to Portrait_1 is {mad}",
            f[0]
        );
        checked += 1;
    }
    assert_eq!(checked, 8);
}

#[test]
fn a_tiff_orientation_tag_comes_out_upright() {
    // each Portrait_k's stored pixels written as a TIFF whose own
    // Orientation tag (not an EXIF block) is k, read against upright
    // Portrait_1: within 3 levels for the right turn (above)
    let opts = IngestOptions::default();
    let reference = read_photo(&data("exif_orientation/Portrait_1.jpg"), &opts)
        .unwrap()
        .image;
    let t = tempfile::tempdir().unwrap();
    for k in 1..=8u16 {
        // the image crate does not apply EXIF orientation: stored pixels
        let stored = image::open(data(&format!("exif_orientation/Portrait_{k}.jpg")))
            .unwrap()
            .to_rgb8();
        let mut bytes = std::io::Cursor::new(Vec::new());
        let mut enc = tiff::encoder::TiffEncoder::new(&mut bytes).unwrap();
        let mut im = enc
            .new_image::<tiff::encoder::colortype::RGB8>(stored.width(), stored.height())
            .unwrap();
        im.encoder()
            .write_tag(tiff::tags::Tag::Orientation, k)
            .unwrap();
        im.write_data(stored.as_raw()).unwrap();
        let path = t.path().join(format!("p{k}.tif"));
        std::fs::write(&path, bytes.into_inner()).unwrap();
        let photo = read_photo(&path, &opts).unwrap();
        assert_eq!(photo.meta.orientation, k);
        let img = &photo.image;
        assert_eq!(
            (img.width(), img.height()),
            (reference.width(), reference.height()),
            "orientation {k}"
        );
        let mad = mean_abs_difference(img, &reference);
        assert!(mad < 3.0, "orientation {k}: mean abs difference {mad}");
    }
}

#[test]
fn capture_date_comes_from_exif() {
    let d = read_date_taken(&data("bad_inputs/exif_gps.jpg")).unwrap();
    assert_eq!(d.map(|d| d.to_string()), Some("2024-01-15".to_string()));
    assert_eq!(
        read_date_taken(&data("bad_inputs/valid_small.jpg")).unwrap(),
        None
    );
    // A damaged EXIF block is no error, and no date is made up from it.
    // make_bad_inputs.py builds these three from IFD0 alone (no Exif IFD, so
    // no DateTimeOriginal) and then breaks IFD0: a next-IFD pointer looping
    // back to itself, an offset far outside the segment, 65535 entries.
    for name in [
        "exif_ifd_loop.jpg",
        "exif_bad_ifd_offset.jpg",
        "exif_bad_entry_count.jpg",
    ] {
        let got = read_date_taken(&data(&format!("bad_inputs/{name}")));
        assert!(
            matches!(got, Ok(None)),
            "{name}: no capture date and no error, got {got:?}"
        );
    }
}

#[test]
fn sixteen_bit_is_scaled_to_the_eight_bit_range() {
    // rgb16.png holds 8-bit values × 257
    let p16 = read_photo(&data("bad_inputs/rgb16.png"), &IngestOptions::default())
        .unwrap()
        .image;
    let max = p16.r.data().iter().copied().fold(0.0f32, f32::max);
    assert!(max <= 255.0 + 1e-3 && max > 100.0, "max {max}");
    for v in p16.r.data() {
        assert!(
            (v - v.round()).abs() < 1e-3,
            "a ×257 value is an integer after scaling: {v}"
        );
    }
}

#[test]
fn grey_files_stay_grey() {
    let g = read_photo(&data("bad_inputs/gray.jpg"), &IngestOptions::default())
        .unwrap()
        .image;
    assert_eq!(g.model, skintrack::raster::ColourModel::Grey);
    let c = read_photo(
        &data("bad_inputs/valid_small.jpg"),
        &IngestOptions::default(),
    )
    .unwrap()
    .image;
    assert_eq!(c.model, skintrack::raster::ColourModel::Rgb);
}

#[test]
fn tiffs_that_are_not_read_say_why_in_plain_words() {
    let opts = IngestOptions::default();
    for (file, says) in [
        ("palette.tif", "a palette (indexed-colour) TIFF is not read"),
        (
            "int32.tif",
            "its samples (e.g. 32-bit integers) are not read",
        ),
    ] {
        let path = data(&format!("unread_tiff/{file}"));
        let err = read_photo(&path, &opts).unwrap_err().to_string();
        assert!(err.contains(says), "{file}: {err}");
        assert!(
            !err.contains("Palette") && !err.contains("format 2"),
            "{err}"
        );
    }
}
