//! Stage benchmarks (divan). Run with `cargo bench`; results and the
//! machine they were taken on are in BENCHMARKS.md.
//!
//! Inputs are synthetic and deterministic: a 4032×3024 close-up of
//! procedural skin and a second view of it through a known homography with
//! exposure, colour and lighting changes, written once as JPEG (quality 92)
//! under target/bench-data/.

use skintrack::align::{AlignOptions, register_rgb};
use skintrack::ingest::{IngestOptions, read_photo};
use skintrack::raster::RgbPlanes;
use skintrack::synth::{PairSpec, make_pair};
use std::path::PathBuf;
use std::sync::OnceLock;

fn main() {
    // the allocator setting of the skintrack binary, so the figures are its own
    keep_freed_memory();
    divan::main();
}

/// A copy of `keep_freed_memory` in src/main.rs (see there for why and the
/// measured gain): glibc keeps freed memory in one heap instead of giving
/// large planes back to the kernel.
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)]
    // SAFETY: mallopt only changes allocator parameters and is called here
    // before any thread exists (first thing in `main`); a failure (0) leaves
    // the defaults in place.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 30);
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

/// The 12 MP pair as files (made on first use).
fn pair_files() -> &'static (PathBuf, PathBuf) {
    static FILES: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    FILES.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
        std::fs::create_dir_all(&dir).expect("bench data folder");
        let (b, m) = (
            dir.join("base_4032x3024.jpg"),
            dir.join("moving_4032x3024.jpg"),
        );
        if !b.exists() || !m.exists() {
            let scene = skintrack::phantom::skin_image(2024, 4400, 3400, 0.02, 0.0);
            let (base, moving, _) = make_pair(&scene, 4032, 3024, &bench_spec());
            for (p, img) in [(&b, &base), (&m, &moving)] {
                let bytes = skintrack::output::jpeg_rgb8(p, 4032, 3024, &img.to_rgb8(), 92)
                    .expect("encode");
                std::fs::write(p, bytes).expect("write bench image");
            }
        }
        (b, m)
    })
}

/// A realistic follow-up: 3° rotation, 3 % zoom, a little perspective,
/// brighter, warmer, a lighting gradient and sensor noise.
fn bench_spec() -> PairSpec {
    PairSpec {
        rotation_deg: 3.0,
        scale: 1.03,
        shift: (0.02, -0.015),
        perspective: 0.01,
        gain: 1.08,
        gamma: 0.95,
        cast: [1.03, 1.0, 0.97],
        gradient: (0.15, 1.0),
        noise: 2.0,
        jpeg_quality: None,
        ..PairSpec::default()
    }
}

fn decoded() -> &'static (RgbPlanes, RgbPlanes) {
    static IMGS: OnceLock<(RgbPlanes, RgbPlanes)> = OnceLock::new();
    IMGS.get_or_init(|| {
        let (b, m) = pair_files();
        let o = IngestOptions::default();
        (
            read_photo(b, &o).expect("decode").image,
            read_photo(m, &o).expect("decode").image,
        )
    })
}

/// Decoding the 12 MP JPEG (quality 92) of the pair's base photo.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn decode_4032x3024_jpeg(bencher: divan::Bencher) {
    let (b, _) = pair_files();
    let o = IngestOptions::default();
    bencher.bench(|| read_photo(b, &o).expect("decode"));
}

/// The same pixels as an iPhone-style HEIC: 512×512 grid tiles, 8 bits,
/// coded by heifer's encoder at quality 90 (made on first use).
#[cfg(feature = "heic")]
fn heic_file() -> &'static PathBuf {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| {
        let (b, _) = pair_files();
        let p = b.with_extension("heic");
        if !p.exists() {
            let rgb = decoded().0.to_rgb8();
            let opts = heifer::EncodeOptions {
                quality: 90,
                ..heifer::EncodeOptions::default()
            };
            let bytes = heifer::encode_rgb8(4032, 3024, &rgb, &opts).expect("encode HEIC");
            std::fs::write(&p, bytes).expect("write bench image");
        }
        p
    })
}

/// Decoding that HEIC (48 tiles, decoded on all cores).
#[cfg(feature = "heic")]
#[divan::bench(sample_count = 10, sample_size = 1)]
fn decode_4032x3024_heic(bencher: divan::Bencher) {
    let p = heic_file();
    let o = IngestOptions::default();
    bencher.bench(|| read_photo(p, &o).expect("decode"));
}

/// Registration of the 12 MP pair, decoded beforehand.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn align_4032x3024_decoded(bencher: divan::Bencher) {
    let (b, m) = decoded();
    let opts = AlignOptions::default();
    bencher.bench(|| register_rgb(b, m, &opts));
}

/// Bicubic warp of the 12 MP follow-up into the baseline frame: a 2419 ×
/// 1814 region at full resolution (the 12 MP phantom case's), one thread.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn warp_region_2419x1814(bencher: divan::Bencher) {
    use skintrack::align::warp::{Grid, warp_rgb_grid};
    use skintrack::geometry::Homography;
    let (_, m) = decoded();
    let (c, s) = (
        3f64.to_radians().cos() * 1.02,
        3f64.to_radians().sin() * 1.02,
    );
    let h = Homography([[c, -s, 40.0], [s, c, -25.0], [0.0, 0.0, 1.0]]);
    let grid = Grid::region(skintrack::raster::Rect::new(887, 756, 2419, 1814));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool");
    bencher.bench(|| pool.install(|| warp_rgb_grid(m, &h, grid)));
}

/// Registration of the 12 MP pair including decoding both JPEGs.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn align_4032x3024_with_decode(bencher: divan::Bencher) {
    let (bp, mp) = pair_files();
    let opts = AlignOptions::default();
    let io = IngestOptions::default();
    bencher.bench(|| {
        let (b, m) = rayon::join(|| read_photo(bp, &io), || read_photo(mp, &io));
        let (b, m) = (b.expect("decode"), m.expect("decode"));
        register_rgb(&b.image, &m.image, &opts)
    });
}

mod metrics {
    use super::decoded;
    use skintrack::measure::{
        MeasureOptions, Tiles, detect_lines_and_pores, measure, relative_luminance, scars, texture,
    };
    use skintrack::raster::Rect;
    use skintrack::simd::Copies;
    use std::path::Path;

    const W: usize = 4032;
    const H: usize = 3024;

    /// Every metric on the whole 4032×3024 photo as the ROI.
    #[divan::bench(sample_count = 5, sample_size = 1)]
    fn all_metrics_4032x3024(bencher: divan::Bencher) {
        let (img, _) = decoded();
        let opts = MeasureOptions::default();
        bencher.bench(|| {
            measure(Path::new("bench"), img, Rect::new(0, 0, W, H), &opts).expect("measure")
        });
    }

    /// The same with the AVX2 copies of the row loops switched off: the
    /// gain of `skintrack::simd` (results are bit-identical).
    #[divan::bench(sample_count = 5, sample_size = 1)]
    fn all_metrics_baseline_vectors_4032x3024(bencher: divan::Bencher) {
        let (img, _) = decoded();
        let opts = MeasureOptions::default();
        skintrack::simd::use_copies(Copies::Baseline);
        bencher.bench(|| {
            measure(Path::new("bench"), img, Rect::new(0, 0, W, H), &opts).expect("measure")
        });
        skintrack::simd::use_copies(Copies::Best);
    }

    /// GLCM: quantisation and the 12 co-occurrence matrices with per-tile counts.
    #[divan::bench(sample_count = 10, sample_size = 1)]
    fn glcm_4032x3024(bencher: divan::Bencher) {
        let (img, _) = decoded();
        let tiles = Tiles::new(W, H, 4);
        bencher.bench(|| {
            let q = texture::quantised_levels(img);
            texture::haralick_mean(&texture::glcm_counts(&q, W, H, &tiles).whole)
        });
    }

    /// Uniform LBP histogram per tile.
    #[divan::bench(sample_count = 10, sample_size = 1)]
    fn lbp_4032x3024(bencher: divan::Bencher) {
        let (img, _) = decoded();
        let tiles = Tiles::new(W, H, 4);
        bencher.bench(|| texture::lbp_tile_counts(&texture::rounded_levels(img), W, H, &tiles));
    }

    /// Wrinkle and pore detection as `measure` runs it, without a scale
    /// (nominal 0.05 mm/px): one shared scale space of 8 levels (3 per
    /// octave), Frangi vesselness at σ 1–4 px and the pores' Laplacian at
    /// σ 0.79–2.67 px from each Hessian row, then the full-resolution ridge
    /// map and the pore maxima (line tracing and the metrics not included).
    #[divan::bench(sample_count = 5, sample_size = 1)]
    fn lines_and_pores_detection_4032x3024(bencher: divan::Bencher) {
        let (img, _) = decoded();
        let rel = relative_luminance(&img.luminance());
        bencher.bench(|| detect_lines_and_pores(&rel, None));
    }

    /// Scar shading index (scale known: 0.02 mm/px).
    #[divan::bench(sample_count = 10, sample_size = 1)]
    fn shading_4032x3024(bencher: divan::Bencher) {
        let (img, _) = decoded();
        let rel = relative_luminance(&img.luminance());
        let tiles = Tiles::new(W, H, 4);
        bencher.bench(|| scars::shading_index(&rel, &tiles, skintrack::units::MmPerPx::new(0.02)));
    }
}

/// Issue 6: 1024×1024, 8 lights — normals, integration, ISO 25178.
mod depth {
    use skintrack::depth::{self, surface::iso25178};
    use skintrack::raster::Plane;
    use std::sync::OnceLock;

    /// A rendered Lambertian set of a bumpy surface with three scars.
    fn set() -> &'static (Vec<Plane>, Vec<[f64; 3]>) {
        static SET: OnceLock<(Vec<Plane>, Vec<[f64; 3]>)> = OnceLock::new();
        SET.get_or_init(|| {
            let n = 1024usize;
            let height = |x: f64, y: f64| {
                let mut z = 3.0 * (x / 37.0).sin() * (y / 53.0).cos()
                    - 4e-5 * ((x - 512.0).powi(2) + (y - 512.0).powi(2));
                for (cx, cy, r, d) in [
                    (300.0, 340.0, 120.0, 8.0),
                    (700.0, 280.0, 90.0, 12.0),
                    (640.0, 760.0, 40.0, 15.0),
                ] {
                    let rr = ((x - cx) * (x - cx) + (y - cy) * (y - cy)).sqrt();
                    if rr < r {
                        z -= d * (1.0 + (std::f64::consts::PI * rr / r).cos()) / 2.0;
                    }
                }
                z
            };
            let lights: Vec<[f64; 3]> = (0..8)
                .map(|k| {
                    let (az, sl) = (
                        f64::from(k) * 0.785,
                        (30.0 + 4.0 * f64::from(k)).to_radians(),
                    );
                    [sl.sin() * az.cos(), sl.sin() * az.sin(), sl.cos()]
                })
                .collect();
            let images = lights
                .iter()
                .map(|l| {
                    Plane::from_fn(n, n, |x, y| {
                        let (x, y) = (x as f64, y as f64);
                        let gx = (height(x + 0.5, y) - height(x - 0.5, y)) * 0.3;
                        let gy = -(height(x, y + 0.5) - height(x, y - 0.5)) * 0.3;
                        let len = (gx * gx + gy * gy + 1.0).sqrt();
                        let nl = (-gx * l[0] - gy * l[1] + l[2]) / len;
                        (0.7 * nl.max(0.0)) as f32
                    })
                })
                .collect();
            (images, lights)
        })
    }

    #[divan::bench(sample_count = 10, sample_size = 1)]
    fn normals_integration_iso_1024x1024_8_lights(bencher: divan::Bencher) {
        let (images, lights) = set();
        bencher.bench(|| {
            let (_, surface) =
                depth::from_set(images, lights, None, skintrack::units::MmPerPx::new(0.02));
            iso25178(
                &surface.level_plane(),
                surface.w,
                surface.pixel_in_z_units(),
            )
        });
    }
}

/// A whole `analyze` of a 6-visit case of 4032×3024 photos (the unchanged
/// phantom with accepted capture changes, seed 9, region and control
/// configured), on the default pool (both cores) and on one thread, and
/// the decoding of its six JPEGs alone: the floor a whole analysis is
/// compared with (BENCHMARKS.md also gives libjpeg-turbo's djpeg).
mod whole {
    use skintrack::ingest::{IngestOptions, read_photo};
    use skintrack::pipeline::{AnalyzeOptions, analyze};
    use std::path::PathBuf;
    use std::sync::OnceLock;

    fn case() -> &'static PathBuf {
        static CASE: OnceLock<PathBuf> = OnceLock::new();
        CASE.get_or_init(|| {
            let dir =
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data/case_6x12mp");
            if !dir.join("truth.json").exists() {
                let _ = std::fs::remove_dir_all(&dir);
                let opts = skintrack::phantom::UnchangedOptions {
                    seed: 9,
                    sessions: 6,
                    width: 4032,
                    height: 3024,
                    plan: skintrack::phantom::CapturePlan::Accepted,
                    ..Default::default()
                };
                skintrack::phantom::generate_unchanged(&dir, &opts).expect("bench case");
            }
            dir
        })
    }

    fn photos() -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(case())
            .expect("bench case")
            .filter_map(Result::ok)
            .map(|e| e.path().join("cheek.jpg"))
            .filter(|p| p.is_file())
            .collect();
        v.sort();
        v
    }

    fn run() {
        let out =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data/case_6x12mp_out");
        analyze(case(), &out, &AnalyzeOptions::default()).expect("analyze");
    }

    #[divan::bench(sample_count = 3, sample_size = 1)]
    fn analyze_6_visits_4032x3024(bencher: divan::Bencher) {
        case();
        bencher.bench(run);
    }

    #[divan::bench(sample_count = 3, sample_size = 1)]
    fn analyze_6_visits_4032x3024_one_thread(bencher: divan::Bencher) {
        case();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("pool");
        bencher.bench(|| pool.install(run));
    }

    #[divan::bench(sample_count = 5, sample_size = 1)]
    fn decode_its_6_jpegs(bencher: divan::Bencher) {
        let photos = photos();
        let io = IngestOptions::default();
        bencher.bench(|| {
            for p in &photos {
                divan::black_box(read_photo(p, &io).expect("decode"));
            }
        });
    }
}
