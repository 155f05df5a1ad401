//! Exit codes of `dtx`: 0 clean (or as expected), 1 a violation (or not as expected), 2 bad
//! input (one line on stderr, never a panic), 130 interrupted. `Usage` carries the bad-input
//! line up to `main`.

use std::process::ExitCode;

/// Bad input: one line, exit code 2.
pub struct Usage(pub String);

impl<E: std::fmt::Display> From<E> for Usage {
    fn from(e: E) -> Self {
        Usage(e.to_string())
    }
}

/// A command's result: its exit code, or bad input.
pub type Outcome = Result<ExitCode, Usage>;

/// 0 when clean, 1 otherwise.
pub fn verdict(clean: bool) -> ExitCode {
    if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
