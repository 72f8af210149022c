//! skintrack: objective before/after measurement of skin treatments.
//!
//! It takes the photos a practitioner makes at every visit (and, where the
//! clinic has them, photometric sets or 3D height maps), aligns every visit
//! to the first, measures texture, wrinkles, pores, colour and scars in the
//! same place each time, and reports the change across months with honest
//! noise bands.
//!
//! ```text
//! case → ingest → align → measure ──────┐
//!                    └──→ depth (3D) ───┴→ trend → model → plot, report → output
//! ```
//! `pipeline` runs the stages in that order; `model` holds the values that
//! pass between the later stages; `cli` and `commands` are the command
//! line. Each module imports only modules listed before it below (`case`
//! reads capture dates through `ingest`, so `ingest` comes first).
//!
//! Conventions: x to the right, y down, the centre of the top-left pixel at
//! (0, 0); pixel values on the 0–255 scale of sRGB-encoded 8-bit values
//! (DESIGN.md pins the metrics to encoded values; stages needing linear light
//! convert themselves); heights in µm, positive toward the camera.
#![deny(unsafe_code)] // allowed only in simd::wide_fn (main.rs sets the allocator)
#![deny(clippy::unwrap_used)]

// foundations: types, metric ids and numerics every stage may use
pub mod catalog;
pub mod date;
pub mod error;
pub mod files;
pub mod filters;
pub mod fourier;
pub mod geometry;
pub mod lights;
pub mod raster;
pub mod resample;
pub mod simd;
pub mod stats;
pub mod timing;
pub mod units;

// the stages, in pipeline order
pub mod ingest;
pub mod case;
pub mod align;
pub mod measure;
pub mod depth;
pub mod quality;
pub mod trend;
pub mod model;
pub mod claims;
pub mod plot;
pub mod overlay;
pub mod regions;
pub mod report;
pub mod output;
pub mod pipeline;
pub mod batch;
pub mod index;

// the command line, and the synthetic data behind the demo and the tests
pub mod cli;
pub mod commands;
pub mod phantom;
pub mod synth;

pub use error::{Error, Result};
