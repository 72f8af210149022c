//! Where the time of a run goes: named stages add up the time spent in
//! them (summed over threads, so a stage two threads run at once for one
//! second counts two) and their number of calls. Off unless [`enable`]d
//! (`-v`), when a span costs one clock read at each end.
//!
//! ```
//! skintrack::timing::enable();
//! {
//!     let _t = skintrack::timing::span("decode");
//!     // ... work ...
//! }
//! assert_eq!(skintrack::timing::totals()[0].0, "decode");
//! ```

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

static ENABLED: AtomicBool = AtomicBool::new(false);
static TOTALS: Mutex<BTreeMap<&'static str, (Duration, u64)>> = Mutex::new(BTreeMap::new());

/// Starts recording.
pub fn enable() {
    ENABLED.store(true, Ordering::Relaxed);
}

/// A stage being timed; its time is added when it is dropped.
#[must_use = "the stage is timed until this is dropped"]
pub struct Span {
    name: &'static str,
    start: Option<Instant>,
}

/// Times the stage `name` until the returned span is dropped.
pub fn span(name: &'static str) -> Span {
    Span {
        name,
        start: ENABLED.load(Ordering::Relaxed).then(Instant::now),
    }
}

impl Drop for Span {
    fn drop(&mut self) {
        if let Some(start) = self.start {
            let spent = start.elapsed();
            if let Ok(mut t) = TOTALS.lock() {
                let e = t.entry(self.name).or_default();
                e.0 += spent;
                e.1 += 1;
            }
        }
    }
}

/// (stage, total seconds over threads, calls), by name.
#[must_use]
pub fn totals() -> Vec<(&'static str, f64, u64)> {
    TOTALS.lock().map_or_else(
        |_| Vec::new(),
        |t| {
            t.iter()
                .map(|(n, (d, c))| (*n, d.as_secs_f64(), *c))
                .collect()
        },
    )
}

/// The totals as a table for stderr, largest first, with `wall` seconds of
/// the whole run for scale.
#[must_use]
pub fn table(wall: f64) -> String {
    let mut rows = totals();
    rows.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    let mut out = format!(
        "{:<32} {:>6} {:>10} {:>10}\n",
        "stage", "calls", "seconds", "per call"
    );
    for (name, secs, calls) in rows {
        out.push_str(&format!(
            "{name:<32} {calls:>6} {secs:>10.3} {:>10.3}\n",
            secs / calls.max(1) as f64
        ));
    }
    out.push_str(&format!(
        "wall time {wall:.3} s (stage seconds are summed over threads, and stages nest)\n"
    ));
    out
}
