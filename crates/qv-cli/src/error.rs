//! How `qv` fails: bad input (exit 2) or an internal failure (exit 1).
//!
//! Messages go to stderr as `error: ...`. A closed stdout (`qv run x | head`)
//! is not a failure: the command stops quietly with exit 0, as other Unix
//! tools do.

use std::io;
use std::process::ExitCode;

/// A failed command.
#[derive(Debug)]
pub enum CliError {
    /// The input was wrong: missing file, parse error, a circuit beyond the
    /// simulator's limits. Exit code 2.
    Input(String),
    /// Something failed that the input did not cause. Exit code 1.
    Internal(String),
    /// Standard output was closed by the reader; nothing to report.
    BrokenPipe,
}

impl CliError {
    /// Prints the message (if any) on stderr and returns the exit code.
    pub fn report(&self) -> ExitCode {
        match self {
            CliError::Input(msg) => {
                eprintln!("error: {msg}");
                ExitCode::from(2)
            }
            CliError::Internal(msg) => {
                eprintln!("error: {msg}");
                ExitCode::from(1)
            }
            CliError::BrokenPipe => ExitCode::SUCCESS,
        }
    }
}

impl From<io::Error> for CliError {
    /// Errors writing standard output.
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::BrokenPipe {
            CliError::BrokenPipe
        } else {
            CliError::Internal(format!("cannot write the output: {e}"))
        }
    }
}

impl From<serde_json::Error> for CliError {
    /// Errors writing JSON to standard output.
    fn from(e: serde_json::Error) -> Self {
        match e.io_error_kind() {
            Some(io::ErrorKind::BrokenPipe) => CliError::BrokenPipe,
            Some(_) => CliError::Internal(format!("cannot write the output: {e}")),
            None => CliError::Internal(format!("cannot encode the output as JSON: {e}")),
        }
    }
}

impl From<qv_circuit::qasm2::Qasm2Error> for CliError {
    fn from(e: qv_circuit::qasm2::Qasm2Error) -> Self {
        CliError::Input(e.to_string())
    }
}

impl From<qv_sim::SimError> for CliError {
    fn from(e: qv_sim::SimError) -> Self {
        use qv_sim::SimError;
        match e {
            // The library suggests its own functions; name the CLI's equivalents.
            SimError::NotDeterministic { reason } => CliError::Input(format!(
                "a single final state does not exist: {reason}; use `--output counts` to sample it \
                 or `--output probabilities` for exact outcome probabilities"
            )),
            SimError::TooManyBranches { limit } => CliError::Input(format!(
                "exact probabilities need more than {limit} measurement branches; use `--output counts` \
                 to sample the circuit instead"
            )),
            other => CliError::Input(other.to_string()),
        }
    }
}
