//! The `relaygate` command. Parsing and error reporting live in `cli`;
//! this file only maps the outcome to an exit status.

mod cli;
mod progress;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
