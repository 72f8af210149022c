//! A photo's colour profile, so that a change of camera or of its colour
//! setting is not read as a change of colour of the skin. An iPhone set to
//! "Most Compatible" writes JPEGs in Display P3, a camera may write Adobe
//! RGB (`../shared/data/photos/rocket.jpg`), most write sRGB or nothing.
//! The same skin in two of these spaces differs by up to tens of levels in
//! saturated red, so a follow-up in another space than its baseline is
//! converted into the baseline's ([`into_space_of`]). A photo is otherwise
//! measured as its values were stored (the pinned metric definitions and
//! their oracles take the decoded values as they are), so every number of a
//! case whose photos share one space is unchanged by this.

use crate::raster::{ColourModel, RgbPlanes};
use moxcms::{ColorProfile, DataColorSpace, Layout, RenderingIntent, TransformOptions};
use rayon::prelude::*;

/// Largest difference, in levels of 255, a conversion may make anywhere
/// on a grid of colours and still be taken for none: two encodings of one
/// space differ by rounding (sRGB v2 and v4; LittleCMS's built-in sRGB,
/// which Pillow embeds, moves colours by up to a level against moxcms's).
/// Display P3 or Adobe RGB against sRGB move saturated colours by tens.
const SAME_SPACE: f32 = 1.5;

/// What [`into_space_of`] did.
#[derive(Clone, Debug, PartialEq)]
pub enum Conversion {
    /// The two spaces are one (or the image is grey): nothing changed.
    Same,
    /// Converted; the largest change on a grid of colours, in levels.
    Converted { largest: f32 },
    /// A profile could not be used; the image is read as stored.
    Unusable(String),
}

/// The colour profile in `icc` (`None`: sRGB, what an untagged photo is
/// taken to be).
///
/// # Errors
/// Why it cannot be used: unreadable, or not for RGB.
pub fn read(icc: Option<&[u8]>) -> Result<ColorProfile, String> {
    let Some(icc) = icc else {
        return Ok(ColorProfile::new_srgb());
    };
    let profile = ColorProfile::new_from_slice(icc)
        .map_err(|_| "cannot be read (damaged, or of a kind not read)".to_string())?;
    let space = match profile.color_space {
        DataColorSpace::Rgb => return Ok(profile),
        DataColorSpace::Cmyk => "CMYK (print)",
        DataColorSpace::Gray => "grey",
        DataColorSpace::Lab => "CIELAB",
        _ => "a colour space other than RGB",
    };
    Err(format!("is for {space}, not RGB"))
}

/// Converts `image` (sRGB-scale planes, 0–255) from the space of its
/// embedded ICC profile `from` into the space `to` (see [`read`]),
/// relative colorimetric, clipped to the target's gamut. Nothing is
/// changed when the two give the same colours to within [`SAME_SPACE`] on
/// a grid of 16³ colours, or when the image is grey; `Unusable` says why
/// `from` cannot be used.
pub fn into_space_of(image: &mut RgbPlanes, from: Option<&[u8]>, to: &ColorProfile) -> Conversion {
    if image.model == ColourModel::Grey {
        return Conversion::Same;
    }
    let src = match read(from) {
        Ok(p) => p,
        Err(why) => return Conversion::Unusable(why),
    };
    let options = TransformOptions {
        rendering_intent: RenderingIntent::RelativeColorimetric,
        ..TransformOptions::default()
    };
    let transform = match src.create_transform_f32(Layout::Rgb, to, Layout::Rgb, options) {
        Ok(t) => t,
        Err(e) => return Conversion::Unusable(format!("cannot be converted ({e})")),
    };
    let convert = |rgb: &[f32], out: &mut [f32]| -> bool {
        let done = transform.transform(rgb, out).is_ok();
        for v in out.iter_mut() {
            *v = v.clamp(0.0, 1.0);
        }
        done
    };
    // a grid of 16 levels a channel: does the conversion move any colour?
    let grid: Vec<f32> = (0..16 * 16 * 16)
        .flat_map(|i| [i / 256, i / 16 % 16, i % 16].map(|l| l as f32 * 17.0 / 255.0))
        .collect();
    let mut moved = vec![0.0; grid.len()];
    if !convert(&grid, &mut moved) {
        return Conversion::Unusable("cannot be converted".into());
    }
    let largest = grid
        .iter()
        .zip(&moved)
        .map(|(a, b)| 255.0 * (a - b).abs())
        .fold(0.0, f32::max);
    if largest <= SAME_SPACE {
        return Conversion::Same;
    }
    let _t = crate::timing::span("ingest: colour profile");
    let w = image.width();
    let RgbPlanes { r, g, b, .. } = image;
    r.data_mut()
        .par_chunks_mut(w)
        .zip(g.data_mut().par_chunks_mut(w))
        .zip(b.data_mut().par_chunks_mut(w))
        .for_each_init(
            || (vec![0.0; 3 * w], vec![0.0; 3 * w]),
            |(rgb, out), ((r, g), b)| {
                for (x, px) in rgb.chunks_exact_mut(3).enumerate() {
                    px.copy_from_slice(&[r[x], g[x], b[x]].map(|v| v / 255.0));
                }
                // the grid went through, so a row does too (same lengths)
                convert(rgb, out);
                for (x, px) in out.chunks_exact(3).enumerate() {
                    (r[x], g[x], b[x]) = (255.0 * px[0], 255.0 * px[1], 255.0 * px[2]);
                }
            },
        );
    Conversion::Converted { largest }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raster::Plane;

    /// sRGB's curve, to linear light and back.
    fn linear(v: f64) -> f64 {
        if v <= 0.04045 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    }
    fn encoded(l: f64) -> f64 {
        if l <= 0.003_130_8 {
            12.92 * l
        } else {
            1.055 * l.powf(1.0 / 2.4) - 0.055
        }
    }

    /// Display P3 (P3 primaries, D65, sRGB's curve) to sRGB by the
    /// published matrices: P3 → XYZ (SMPTE EG 432-1) then XYZ → sRGB
    /// (IEC 61966-2-1), both D65, so no adaptation.
    fn p3_to_srgb(p3: [f64; 3]) -> [f64; 3] {
        let l = p3.map(linear);
        let to_xyz = [
            [0.486_570_9, 0.265_667_7, 0.198_217_3],
            [0.228_974_6, 0.691_738_5, 0.079_286_9],
            [0.0, 0.045_113_4, 1.043_944_4],
        ];
        let to_srgb = [
            [3.240_454_2, -1.537_138_5, -0.498_531_4],
            [-0.969_266_0, 1.876_010_8, 0.041_556_0],
            [0.055_643_4, -0.204_025_9, 1.057_225_2],
        ];
        let xyz = to_xyz.map(|row| row.iter().zip(l).map(|(m, v)| m * v).sum::<f64>());
        to_srgb.map(|row| {
            encoded(
                row.iter()
                    .zip(xyz)
                    .map(|(m, v)| m * v)
                    .sum::<f64>()
                    .clamp(0.0, 1.0),
            )
        })
    }

    fn srgb_profile() -> ColorProfile {
        read(None).unwrap()
    }

    fn image(colours: &[[f32; 3]]) -> RgbPlanes {
        let plane = |c: usize| Plane::from_fn(colours.len(), 2, |x, _| colours[x][c]);
        RgbPlanes {
            r: plane(0),
            g: plane(1),
            b: plane(2),
            model: ColourModel::Rgb,
        }
    }

    #[test]
    fn display_p3_is_converted_as_the_published_matrices_say() {
        let p3 = ColorProfile::new_display_p3().encode().unwrap();
        // saturated red, a skin tone, a red skin tone, grey, a dark brown
        let colours = [
            [230.0, 30.0, 30.0],
            [224.0, 172.0, 150.0],
            [200.0, 80.0, 70.0],
            [128.0, 128.0, 128.0],
            [70.0, 45.0, 30.0],
        ];
        let mut img = image(&colours);
        let done = into_space_of(&mut img, Some(&p3), &srgb_profile());
        assert!(
            matches!(done, Conversion::Converted { largest } if largest > 20.0),
            "{done:?}"
        );
        for (x, c) in colours.iter().enumerate() {
            let want = p3_to_srgb(c.map(|v| f64::from(v) / 255.0));
            let got = [img.r.at(x, 1), img.g.at(x, 1), img.b.at(x, 1)];
            for ch in 0..3 {
                assert!(
                    (f64::from(got[ch]) - 255.0 * want[ch]).abs() < 0.6,
                    "colour {c:?}: {got:?} against {want:?}"
                );
            }
        }
        // and back: within a level where sRGB holds the colour
        let srgb_to_p3 = into_space_of(&mut img, None, &read(Some(&p3)).unwrap());
        assert!(matches!(srgb_to_p3, Conversion::Converted { .. }));
        for (x, c) in colours.iter().enumerate().skip(1) {
            assert!(
                (img.r.at(x, 0) - c[0]).abs() < 1.0,
                "{c:?}: {}",
                img.r.at(x, 0)
            );
            assert!(
                (img.g.at(x, 0) - c[1]).abs() < 1.0,
                "{c:?}: {}",
                img.g.at(x, 0)
            );
        }
    }

    #[test]
    fn one_space_written_twice_grey_images_and_bad_profiles_change_nothing() {
        let colours = [[230.0, 30.0, 30.0], [224.0, 172.0, 150.0]];
        let srgb = ColorProfile::new_srgb().encode().unwrap();
        let mut img = image(&colours);
        let before = img.r.data().to_vec();
        assert_eq!(
            into_space_of(&mut img, Some(&srgb), &srgb_profile()),
            Conversion::Same
        );
        assert_eq!(
            into_space_of(&mut img, None, &read(Some(&srgb)).unwrap()),
            Conversion::Same
        );
        assert_eq!(img.r.data(), &before[..]);
        // LittleCMS's sRGB (tests/data/icc) against an untagged photo
        let lcms = include_bytes!("../../tests/data/icc/lcms_srgb.icc");
        assert_eq!(
            into_space_of(&mut img, Some(lcms), &srgb_profile()),
            Conversion::Same
        );
        assert_eq!(
            into_space_of(&mut img, None, &read(Some(lcms)).unwrap()),
            Conversion::Same
        );
        let p3 = ColorProfile::new_display_p3().encode().unwrap();
        assert_eq!(
            into_space_of(&mut img, Some(&p3), &read(Some(&p3)).unwrap()),
            Conversion::Same
        );
        let mut grey = image(&colours);
        grey.model = ColourModel::Grey;
        assert_eq!(
            into_space_of(&mut grey, Some(&p3), &srgb_profile()),
            Conversion::Same
        );
        // said in words, not the library's names for them
        let broken = &p3[..p3.len() / 3];
        assert_eq!(
            into_space_of(&mut img, Some(broken), &srgb_profile()),
            Conversion::Unusable("cannot be read (damaged, or of a kind not read)".into())
        );
        let gray = ColorProfile::new_gray_with_gamma(2.2).encode().unwrap();
        assert_eq!(
            into_space_of(&mut img, Some(&gray), &srgb_profile()),
            Conversion::Unusable("is for grey, not RGB".into())
        );
        assert_eq!(img.r.data(), &before[..]);
    }
}
