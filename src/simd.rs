//! Wider vectors for the hot row loops, chosen at run time.
//!
//! The build targets the x86-64 baseline (SSE2: 4 floats a vector), so the
//! binary runs on any x86-64 machine. The per-pixel loops that dominate the
//! metrics are written to vectorise; `wide_fn!` compiles such a loop a
//! second time for AVX2 (8 floats a vector) and picks that copy when the
//! CPU has it. Both copies perform the same operations in the same order on
//! every element (no fused multiply-add, no reassociation: Rust never
//! contracts or reorders float arithmetic), so results are bit-identical
//! whichever runs — the tests here and `measure`'s compare them.
//!
//! Measured (`cargo bench -- all_metrics`, BENCHMARKS.md): every metric of
//! a 12 MP photo on a 2-core Xeon, 1.05 s with the baseline copies only,
//! 0.88 s with the AVX2 ones (−16 %). The one `unsafe` block of the library
//! is the call in `wide_fn!`, guarded by the CPU feature check (the
//! allocator setting in `main.rs` is the binary's own).

use std::sync::atomic::{AtomicU8, Ordering};

/// 0 = not yet known, 1 = baseline, 2 = AVX2.
static LEVEL: AtomicU8 = AtomicU8::new(0);

/// Whether the AVX2 copies run (the CPU has AVX2 and they are not switched
/// off by [`use_copies`]).
#[must_use]
#[inline]
pub fn wide() -> bool {
    match LEVEL.load(Ordering::Relaxed) {
        0 => {
            let level = if detect() { 2 } else { 1 };
            LEVEL.store(level, Ordering::Relaxed);
            level == 2
        }
        level => level == 2,
    }
}

#[cfg(target_arch = "x86_64")]
fn detect() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
}

#[cfg(not(target_arch = "x86_64"))]
fn detect() -> bool {
    false
}

/// Which copies of the `wide_fn!` loops run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Copies {
    /// The x86-64 baseline (SSE2) copies only, e.g. to compare the two.
    Baseline,
    /// The best the CPU has: the AVX2 copies where it has AVX2 (the default).
    Best,
}

/// Runs `copies` from now on, in the whole process.
pub fn use_copies(copies: Copies) {
    let wide = copies == Copies::Best && detect();
    LEVEL.store(if wide { 2 } else { 1 }, Ordering::Relaxed);
}

/// Defines a function whose body is compiled twice, for the baseline and
/// for AVX2, and runs the AVX2 copy when [`wide`] says so. For plain
/// functions of slices and numbers (no generics, no `self`); the body
/// should be a tight loop that vectorises.
macro_rules! wide_fn {
    (
        $(#[$meta:meta])*
        $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block
    ) => {
        $(#[$meta])*
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            fn body($($arg: $ty),*) $(-> $ret)? $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2")]
                fn avx2($($arg: $ty),*) $(-> $ret)? {
                    body($($arg),*)
                }
                if $crate::simd::wide() {
                    #[allow(unsafe_code)]
                    // SAFETY: `wide()` is true only when the CPU has AVX2.
                    return unsafe { avx2($($arg),*) };
                }
            }
            body($($arg),*)
        }
    };
}
pub(crate) use wide_fn;

/// Held by tests that switch the copies, so that two of them running at
/// once do not undo each other's switch.
#[cfg(test)]
static SWITCH: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Takes [`SWITCH`] for a test that switches the copies (a test that
/// panicked while holding it does not block the others). On a CPU without
/// AVX2 both runs of such a test take the baseline copies, so it passes
/// without comparing anything: the test's output says so.
#[cfg(test)]
pub(crate) fn hold_switch() -> std::sync::MutexGuard<'static, ()> {
    if !detect() {
        // once per test (a property test takes the switch for every case)
        static SAID: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
        let test = std::thread::current().name().unwrap_or("a test").to_owned();
        let mut said = SAID
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !said.contains(&test) {
            eprintln!("{test}: AVX2 not available: the wide copies were not exercised");
            said.push(test);
        }
    }
    SWITCH
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    wide_fn! {
        fn scaled_sum(a: &[f32], b: &[f32], out: &mut [f32]) {
            for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
                *o = 0.3 * x + y / 7.0;
            }
        }
    }

    #[test]
    fn both_copies_give_the_same_bits() {
        let a: Vec<f32> = (0..1000).map(|i| (i as f32 * 0.37).sin() * 1e3).collect();
        let b: Vec<f32> = (0..1000).map(|i| (i as f32 * 0.11).cos()).collect();
        let (mut wide_out, mut base_out) = (vec![0.0; 1000], vec![0.0; 1000]);
        let _switch = hold_switch();
        scaled_sum(&a, &b, &mut wide_out);
        use_copies(Copies::Baseline);
        scaled_sum(&a, &b, &mut base_out);
        use_copies(Copies::Best);
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&wide_out), bits(&base_out));
        // and both equal the straight formula
        for i in 0..1000 {
            assert_eq!(base_out[i].to_bits(), (0.3 * a[i] + b[i] / 7.0).to_bits());
        }
    }
}
