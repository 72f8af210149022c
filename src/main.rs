//! The skintrack command: parse, run, print one line on failure.

use clap::Parser as _;
use std::process::ExitCode;

fn main() -> ExitCode {
    keep_freed_memory();
    let args = match skintrack::cli::Args::try_parse() {
        Ok(args) => args,
        Err(e) => return usage_error(&e),
    };
    match skintrack::commands::run(args) {
        Ok(code) => code,
        Err(err) => {
            let code = err.exit_code();
            skintrack::error::report(&format!("{:#}", anyhow::Error::from(err)));
            ExitCode::from(code)
        }
    }
}

/// A command line clap refuses: help and version as clap prints them;
/// anything else as one line (clap's message and tips, without its usage)
/// and exit code 2.
fn usage_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        e.exit();
    }
    let rendered = e.render().to_string();
    let message: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .filter(|l| !l.is_empty())
        .collect();
    let message = message.join(" ");
    let message = message.strip_prefix("error: ").unwrap_or(&message);
    skintrack::error::report(message);
    ExitCode::from(2)
}

/// Large image planes (48 MB at 12 MP) are allocated and freed many times
/// per photo. glibc returns every allocation above 32 MB to the kernel on
/// free, and worker threads' arenas give theirs back too, so each new plane
/// pays its page faults and TLB shootdowns again (~0.5 s of the 2.7 s the
/// metrics of a 12 MP photo took). Keeping freed memory in one heap lets
/// later planes reuse it (measured: 36 000 fewer page faults and ~40 ms
/// less per 12 MP photo than with per-thread arenas); peak memory is
/// unchanged. Called first thing in `main`, before any thread exists;
/// `benches/stages.rs` keeps a copy so that it measures what this binary does.
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
