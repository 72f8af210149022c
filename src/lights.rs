//! Parsers for the photometric-stereo text files (DiLiGenT formats):
//! light directions (`x y z` per line) and light intensities (`r g b` or one
//! value per line). Blank lines and `#` comments are ignored.

use crate::error::{Error, Result};
use std::path::Path;

fn numbers(path: &Path) -> Result<Vec<(usize, Vec<f64>)>> {
    // capped, regular files only; a UTF-8 byte-order mark (Windows
    // Notepad) is dropped there, as CRLF is by `lines`
    numbers_in(path, &crate::files::read_text(path)?)
}

fn numbers_in(path: &Path, text: &str) -> Result<Vec<(usize, Vec<f64>)>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let vals: std::result::Result<Vec<f64>, _> = line
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|s| !s.is_empty())
            .map(str::parse::<f64>)
            .collect();
        match vals {
            Ok(v) if v.iter().all(|x| x.is_finite()) => rows.push((i + 1, v)),
            _ => {
                return Err(Error::case(
                    path,
                    format!("line {}: expected numbers, got {line:?}", i + 1),
                ));
            }
        }
    }
    Ok(rows)
}

/// Unit light directions, one per image (x right, y up, z toward the camera).
///
/// # Errors
/// [`Error::Case`] naming the file and line when a line is not three numbers
/// or a direction is zero or points away from the camera.
pub fn read_directions(path: &Path) -> Result<Vec<[f64; 3]>> {
    directions_from_rows(path, numbers(path)?)
}

/// [`read_directions`] of the text of a lights file (`path` names it in
/// messages); the entry point of the fuzz target.
///
/// # Errors
/// As [`read_directions`].
pub fn parse_directions(path: &Path, text: &str) -> Result<Vec<[f64; 3]>> {
    directions_from_rows(path, numbers_in(path, text)?)
}

fn directions_from_rows(path: &Path, rows: Vec<(usize, Vec<f64>)>) -> Result<Vec<[f64; 3]>> {
    let mut out = Vec::new();
    for (line, v) in rows {
        let [x, y, z] = v[..] else {
            return Err(Error::case(
                path,
                format!("line {line}: expected three numbers \"x y z\""),
            ));
        };
        let unit = crate::units::unit_light([x, y, z])
            .map_err(|problem| Error::case(path, format!("line {line}: {problem}")))?;
        out.push(unit);
    }
    if out.len() < 3 {
        return Err(Error::case(
            path,
            format!(
                "holds {} light direction{}; photometric stereo needs at least three",
                out.len(),
                if out.len() == 1 { "" } else { "s" }
            ),
        ));
    }
    if !spans_space(&out) {
        return Err(Error::case(
            path,
            "the light directions do not span three dimensions (one direction repeated, or all lights in one plane through the skin), so the normals cannot be recovered; use lights from at least three directions not in one plane",
        ));
    }
    Ok(out)
}

/// Whether `dirs` (unit vectors) leave no direction of the normal unseen:
/// the smallest eigenvalue of Σ l lᵀ at least 1e-4 of the largest (three
/// lights 45° off the axis and 120° apart give 0.5; lights on an arc
/// whose ends leave its plane by 1.3° give 1e-4, in it exactly 0).
fn spans_space(dirs: &[[f64; 3]]) -> bool {
    let mut m = nalgebra::Matrix3::<f64>::zeros();
    for l in dirs {
        let v = nalgebra::Vector3::from(*l);
        m += v * v.transpose();
    }
    let e = m.symmetric_eigenvalues();
    e.min() >= 1e-4 * e.max() && e.max() > 0.0
}

/// One intensity per image: the mean of `r g b`, or the single value.
///
/// # Errors
/// [`Error::Case`] when a line is not one or three positive numbers.
pub fn read_intensities(path: &Path) -> Result<Vec<f64>> {
    intensities_from_rows(path, numbers(path)?)
}

/// [`read_intensities`] of the text of an intensities file.
///
/// # Errors
/// As [`read_intensities`].
pub fn parse_intensities(path: &Path, text: &str) -> Result<Vec<f64>> {
    intensities_from_rows(path, numbers_in(path, text)?)
}

/// The range of a light's intensity: a lamp's brightness relative to the
/// others (DiLiGenT's are 0.3–3). Each image is divided by it, so 1e-300
/// made every pixel infinite and was reported as the first image being
/// too dark.
const INTENSITIES: (f64, f64) = (1e-6, 1e6);

fn intensities_from_rows(path: &Path, rows: Vec<(usize, Vec<f64>)>) -> Result<Vec<f64>> {
    let mut out = Vec::new();
    for (line, v) in rows {
        let k = match v[..] {
            [a] => a,
            [r, g, b] => (r + g + b) / 3.0,
            _ => {
                return Err(Error::case(
                    path,
                    format!("line {line}: expected \"r g b\" or one value"),
                ));
            }
        };
        if !(INTENSITIES.0..=INTENSITIES.1).contains(&k) {
            return Err(Error::case(
                path,
                format!(
                    "line {line}: an intensity must be a positive number from {:e} to {:e} (a lamp's relative brightness)",
                    INTENSITIES.0, INTENSITIES.1
                ),
            ));
        }
        out.push(k);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_diligent_files_and_rejects_bad_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("l.txt");
        std::fs::write(&p, "0 0 2\n# c\n0.5 0.5 0.7071\n-0.5 0.5 0.7071\n").unwrap();
        let d = read_directions(&p).unwrap();
        assert_eq!(d.len(), 3);
        assert!((d[0][2] - 1.0).abs() < 1e-12);
        std::fs::write(&p, "0 0\n").unwrap();
        assert!(
            read_directions(&p)
                .unwrap_err()
                .to_string()
                .contains("line 1")
        );
        std::fs::write(&p, "0 0 -1\n").unwrap();
        assert!(read_directions(&p).is_err());
        std::fs::write(&p, "1.0 1.0 1.0\n2\n").unwrap();
        assert_eq!(read_intensities(&p).unwrap(), vec![1.0, 2.0]);
        std::fs::write(&p, "\u{feff}0 0 1\r\n0 1 1\r\n1 0 1\r\n").unwrap();
        assert_eq!(read_directions(&p).unwrap().len(), 3, "a BOM is accepted");
        std::fs::write(&p, "1 x 1\n").unwrap();
        assert_eq!(read_intensities(&p).unwrap_err().exit_code(), 2);
        // an empty file says it holds too few directions (not that they
        // do not span space); an intensity beyond any lamp's is named
        std::fs::write(&p, "# none\n").unwrap();
        let e = read_directions(&p).unwrap_err().to_string();
        assert!(e.contains("holds 0 light directions"), "{e}");
        for bad in ["1e-300\n", "1 1 1\n2e6\n"] {
            std::fs::write(&p, bad).unwrap();
            let e = read_intensities(&p).unwrap_err().to_string();
            assert!(e.contains("relative brightness"), "{e}");
        }
    }

    #[test]
    fn directions_must_span_space() {
        let unit = |v: [f64; 3]| {
            let n = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
            v.map(|c| c / n)
        };
        // three lights 45° off the axis, 120° apart: well spread
        let ring: Vec<[f64; 3]> = (0..3)
            .map(|k| {
                let a = f64::from(k) * 2.0 * std::f64::consts::PI / 3.0;
                unit([a.cos(), a.sin(), 1.0])
            })
            .collect();
        assert!(spans_space(&ring));
        // an arc in the x-z plane, its ends bent out of it by `deg`
        let arc = |deg: f64| -> Vec<[f64; 3]> {
            let t = deg.to_radians().tan();
            [-0.6, -0.2, 0.2, 0.6]
                .iter()
                .map(|&x: &f64| unit([x, t * x * x / 0.36, 1.0]))
                .collect()
        };
        assert!(!spans_space(&arc(0.0)));
        assert!(!spans_space(&arc(0.1)));
        assert!(spans_space(&arc(5.0)));
        assert!(!spans_space(&ring[..2]));
        assert!(!spans_space(&[]));
    }
}
