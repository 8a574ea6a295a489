//! The one error type of the OpenQASM 2 front end.
//!
//! Every failure — lexing, parsing, semantic checks, limits, unreadable files —
//! is a [`Qasm2Error`] that names the file and the 1-based line and column
//! (counted in characters) where the problem starts. Its `Display` is what the
//! CLI prints: `file:line:col: message`.

use std::fmt;

/// A parse error with its position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Qasm2Error {
    /// The file (or the name given to [`crate::qasm2::parse`]) the error is in.
    pub file: String,
    /// 1-based line; 0 when the error has no position (e.g. a file that cannot be read).
    pub line: usize,
    /// 1-based column in characters; 0 when the error has no position.
    pub col: usize,
    /// What went wrong, e.g. "expected ';', found identifier `h`".
    pub message: String,
}

impl Qasm2Error {
    /// An error at `line:col` of `file`.
    pub fn new(file: &str, line: usize, col: usize, message: impl Into<String>) -> Self {
        Qasm2Error { file: file.to_string(), line, col, message: message.into() }
    }

    /// An error about a whole file (no position), e.g. when it cannot be read.
    pub fn without_position(file: &str, message: impl Into<String>) -> Self {
        Qasm2Error::new(file, 0, 0, message)
    }
}

impl fmt::Display for Qasm2Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}:{}: {}", self.file, self.line, self.col, self.message)
        }
    }
}

impl std::error::Error for Qasm2Error {}

/// Shortens user text quoted in a message so that a megabyte-long identifier
/// cannot produce a megabyte-long error.
pub(crate) fn clip(text: &str) -> String {
    const MAX_CHARS: usize = 40;
    if text.chars().count() <= MAX_CHARS {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(MAX_CHARS).collect();
        s.push('…');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_has_position_when_known() {
        let e = Qasm2Error::new("a.qasm", 3, 7, "expected ';', found identifier `h`");
        assert_eq!(e.to_string(), "a.qasm:3:7: expected ';', found identifier `h`");
        let e = Qasm2Error::without_position("b.qasm", "cannot read the file");
        assert_eq!(e.to_string(), "b.qasm: cannot read the file");
    }

    #[test]
    fn clip_limits_long_text() {
        assert_eq!(clip("abc"), "abc");
        let long = "x".repeat(100);
        assert_eq!(clip(&long).chars().count(), 41);
    }
}
