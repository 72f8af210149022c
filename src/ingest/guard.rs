//! A decoder that panics on a file (a layout its code did not foresee)
//! must not stop skintrack: the panic is caught, kept off stderr, and
//! becomes a decode error naming the file, like any other unreadable photo.

use std::cell::Cell;
use std::sync::Once;

thread_local! {
    /// Set while this thread runs a guarded decoder.
    static GUARDED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `decode`, turning a panic inside it into `None` without printing
/// it (any other panic is printed as before).
pub(super) fn catching_panics<T>(decode: impl FnOnce() -> T) -> Option<T> {
    static QUIET_HOOK: Once = Once::new();
    QUIET_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !GUARDED.with(Cell::get) {
                previous(info);
            }
        }));
    });
    let was = GUARDED.with(|g| g.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(decode));
    GUARDED.with(|g| g.set(was));
    result.ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_none_and_the_guard_is_lifted() {
        assert_eq!(catching_panics(|| 7), Some(7));
        let panicked: Option<()> = catching_panics(|| panic!("a decoder's assertion"));
        assert_eq!(panicked, None);
        assert!(!GUARDED.with(Cell::get));
        // nested: the inner guard leaves the outer one set
        let outer = catching_panics(|| {
            let inner: Option<()> = catching_panics(|| panic!("inner"));
            (inner, GUARDED.with(Cell::get))
        });
        assert_eq!(outer, Some((None, true)));
    }
}
