//! The library's one error type.
//!
//! Every variant names the file (or folder) at fault and the problem in one
//! line; `main` prints the chain with `{:#}`. [`Error::exit_code`] maps a
//! variant to the exit-code contract of DESIGN.md: 2 when the input is at
//! fault, 1 when our own work failed.

use std::path::PathBuf;

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong, with the path it concerns.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or folder could not be read.
    #[error("{}: cannot read", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// An image could not be decoded (corrupt, truncated, not an image).
    #[error("{}: cannot decode image: {reason}", .path.display())]
    Decode { path: PathBuf, reason: String },
    /// A file, or an image's pixels, larger than the limits allow.
    #[error("{}: too large: {reason}", .path.display())]
    TooLarge { path: PathBuf, reason: String },
    /// A format or pixel layout that skintrack does not read.
    #[error("{}: unsupported image: {reason}", .path.display())]
    Unsupported { path: PathBuf, reason: String },
    /// An image too small for the requested work.
    #[error("{}: image too small ({width}x{height} px, need at least {min}x{min})", .path.display())]
    TooSmall {
        path: PathBuf,
        width: usize,
        height: usize,
        min: usize,
    },
    /// A case folder, manifest or sidecar that breaks the case contract.
    #[error("{}: {problem}", .path.display())]
    Case { path: PathBuf, problem: String },
    /// A command-line value that is not valid.
    #[error("{problem}")]
    Usage { problem: String },
    /// An output file could not be written.
    #[error("{}: cannot write output", crate::output::as_asked(.path).display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Our own work failed (a numerical step that could not complete).
    #[error("{}: {problem}", .path.display())]
    Failed { path: PathBuf, problem: String },
}

impl Error {
    /// The process exit code for this error: 2 for bad input, 1 for failed work.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Write { .. } | Error::Failed { .. } => 1,
            Error::Read { .. }
            | Error::Decode { .. }
            | Error::TooLarge { .. }
            | Error::Unsupported { .. }
            | Error::TooSmall { .. }
            | Error::Case { .. }
            | Error::Usage { .. } => 2,
        }
    }

    /// Shorthand for a [`Error::Case`] about `path`.
    pub fn case(path: impl Into<PathBuf>, problem: impl Into<String>) -> Error {
        Error::Case {
            path: path.into(),
            problem: problem.into(),
        }
    }

    /// Shorthand for a [`Error::Usage`].
    pub fn usage(problem: impl Into<String>) -> Error {
        Error::Usage {
            problem: problem.into(),
        }
    }
}

/// Writes `message` to stderr as one printable line after `skintrack: `
/// ([`printable`]): every error and warning the command prints.
pub fn report(message: &str) {
    eprintln!("skintrack: {}", printable(message));
}

/// `e` and its causes, joined by ": " (as the command line prints an
/// error): "x.jpg: cannot read: Permission denied (os error 13)".
#[must_use]
pub fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

/// `message` as one printable line: control characters (a newline or an
/// escape sequence in a file name) are written as escapes, so an error or
/// a warning is always one line on a terminal and cannot drive it.
#[must_use]
pub fn printable(message: &str) -> String {
    message
        .chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod printable_tests {
    use super::printable;

    #[test]
    fn control_characters_are_escaped_and_the_rest_kept() {
        assert_eq!(
            printable("/tmp/a\nb.jpg: cannot read\r\u{1b}[2J"),
            "/tmp/a\\nb.jpg: cannot read\\r\\u{1b}[2J"
        );
        assert_eq!(printable("wörd σ 1.5 — ok"), "wörd σ 1.5 — ok");
    }
}
