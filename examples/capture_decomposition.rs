//! One unchanged-skin phantom case whose follow-ups each change one part of
//! the capture (or one pair), to see what each part alone does to the
//! measures: `cargo run --release --example capture_decomposition -- OUT SEED`,
//! then `skintrack analyze OUT`; `tools/capture_decomposition.py` runs both
//! over several seeds and prints each measure's change per part (`--names`
//! prints the parts' names, one per line, in the follow-ups' order).

use skintrack::phantom::{
    CaptureChange, CaptureClass, CapturePlan, SessionCapture, UnchangedOptions, generate_unchanged,
};

/// A part of the capture: what it sets on the reference capture.
type Part = fn(&mut CaptureChange);

/// The follow-ups, in order (the baseline is the reference capture):
/// names and changes. `tools/capture_decomposition.py` prints the same
/// names.
const PARTS: [(&str, Part); 11] = [
    ("pose", |_| {}),
    ("pose", |_| {}),
    ("q62+noise", |c| {
        c.jpeg_quality = 62;
        c.noise_sigma = 2.86;
    }),
    ("q62+noise", |c| {
        c.jpeg_quality = 62;
        c.noise_sigma = 2.86;
    }),
    ("q62", |c| c.jpeg_quality = 62),
    ("noise", |c| c.noise_sigma = 2.86),
    ("vignet", |c| c.vignetting = 0.25),
    ("side0.75", |c| c.side_light_ratio = 0.75),
    ("side1.35", |c| c.side_light_ratio = 1.35),
    ("gamma", |c| {
        c.gamma = 1.08;
        c.gain = 1.3;
    }),
    ("blur0.4", |c| c.blur_sigma_px = 0.4),
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let first = args.next();
    if first.as_deref() == Some("--names") {
        for (name, _) in PARTS {
            println!("{name}");
        }
        return Ok(());
    }
    let (Some(out), Some(seed)) = (first, args.next()) else {
        return Err("usage: capture_decomposition OUT_DIR SEED".into());
    };
    let mut plan = vec![SessionCapture::NONE];
    for (_, part) in PARTS {
        let mut change = CaptureChange::NONE;
        part(&mut change);
        plan.push(SessionCapture {
            class: CaptureClass::Accepted,
            change,
        });
    }
    let opts = UnchangedOptions {
        seed: seed.parse()?,
        sessions: plan.len(),
        plan: CapturePlan::Sessions(plan),
        ..UnchangedOptions::default()
    };
    generate_unchanged(std::path::Path::new(&out), &opts)?;
    println!("{out}: {}", PARTS.map(|(name, _)| name).join(", "));
    Ok(())
}
