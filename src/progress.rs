//! Progress for long jobs on a terminal (`indicatif`), and silence when
//! stderr is piped, so logs and scripts see no spinner noise.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// Runs `job` with a spinner saying `what` when stderr is a terminal.
pub fn while_running<T>(what: &str, job: impl FnOnce() -> T) -> T {
    if !std::io::stderr().is_terminal() {
        return job();
    }
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
        bar.set_style(style);
    }
    bar.set_message(what.to_owned());
    bar.enable_steady_tick(Duration::from_millis(120));
    let out = job();
    bar.finish_and_clear();
    out
}
