//! The skintrack command: parse, run, print one line on failure.

use clap::Parser as _;
use std::process::ExitCode;

fn main() -> ExitCode {
    skintrack::allocator::keep_freed_memory();
    let args = skintrack::cli::Args::parse();
    match skintrack::commands::run(args) {
        Ok(code) => code,
        Err(err) => {
            let code = err.exit_code();
            eprintln!("skintrack: {:#}", anyhow::Error::from(err));
            ExitCode::from(code)
        }
    }
}
