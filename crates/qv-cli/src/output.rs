//! Writing results: aligned text tables with small bars, and JSON.
//!
//! Everything goes through [`Out`], a buffered stdout whose errors become
//! [`CliError`]s (a closed pipe ends the command quietly).

use std::io::{self, BufWriter, StdoutLock, Write};

use serde::Serialize;

use crate::error::CliError;

/// Buffered standard output.
pub struct Out {
    inner: BufWriter<StdoutLock<'static>>,
}

impl Out {
    /// Locks stdout for the rest of the command.
    pub fn stdout() -> Out {
        Out { inner: BufWriter::new(io::stdout().lock()) }
    }

    /// Writes text as is.
    pub fn text(&mut self, s: &str) -> Result<(), CliError> {
        self.inner.write_all(s.as_bytes())?;
        Ok(())
    }

    /// Writes one line.
    pub fn line(&mut self, s: &str) -> Result<(), CliError> {
        self.text(s)?;
        self.text("\n")
    }

    /// Writes `value` as one line of JSON.
    pub fn json<T: Serialize>(&mut self, value: &T) -> Result<(), CliError> {
        serde_json::to_writer(&mut self.inner, value)?;
        self.text("\n")
    }

    /// Flushes; must be called before exiting.
    pub fn finish(mut self) -> Result<(), CliError> {
        self.inner.flush()?;
        Ok(())
    }
}

/// Column alignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    /// Pad on the right.
    Left,
    /// Pad on the left.
    Right,
}

/// Formats rows under headers, columns separated by two spaces, trailing
/// spaces trimmed.
pub fn table(headers: &[&str], aligns: &[Align], rows: &[Vec<String>]) -> String {
    let width = |i: usize| {
        rows.iter()
            .filter_map(|r| r.get(i))
            .map(|c| c.chars().count())
            .chain([headers[i].chars().count()])
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..headers.len()).map(width).collect();
    let format_row = |cells: &mut dyn Iterator<Item = &str>| {
        let mut line = String::new();
        for (i, cell) in cells.enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let w = widths.get(i).copied().unwrap_or(0);
            match aligns.get(i).copied().unwrap_or(Align::Left) {
                Align::Left => line.push_str(&format!("{cell:<w$}")),
                Align::Right => line.push_str(&format!("{cell:>w$}")),
            }
        }
        line.truncate(line.trim_end().len());
        line.push('\n');
        line
    };
    let mut out = format_row(&mut headers.iter().copied());
    for row in rows {
        out.push_str(&format_row(&mut row.iter().map(String::as_str)));
    }
    out
}

/// Width of a bar for probability 1, in characters.
const BAR_WIDTH: usize = 40;

/// A horizontal bar for a probability in `[0, 1]`, in eighths of a character;
/// nonzero values always show at least a sliver.
pub fn bar(p: f64) -> String {
    const PARTIAL: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
    // The nudge makes probabilities equal up to rounding noise draw equal bars.
    let eighths = (p.clamp(0.0, 1.0) * (BAR_WIDTH * 8) as f64 + 1e-6).round() as usize;
    let eighths = if p > 0.0 { eighths.max(1) } else { 0 };
    let mut s = "█".repeat(eighths / 8);
    if eighths % 8 != 0 {
        s.push(PARTIAL[eighths % 8]);
    }
    s
}

/// A duration in the most readable unit.
pub fn duration(seconds: f64) -> String {
    if seconds < 1e-3 {
        format!("{:.1} µs", seconds * 1e6)
    } else if seconds < 1.0 {
        format!("{:.1} ms", seconds * 1e3)
    } else {
        format!("{seconds:.2} s")
    }
}

/// `n thing` or `n things`.
pub fn plural(n: impl Into<u64>, thing: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_columns() {
        let rows = vec![vec!["00".to_string(), "3".into()], vec!["11".into(), "1021".into()]];
        let t = table(&["outcome", "count"], &[Align::Left, Align::Right], &rows);
        assert_eq!(t, "outcome  count\n00           3\n11        1021\n");
    }

    #[test]
    fn bars_scale_with_probability() {
        assert_eq!(bar(1.0), "█".repeat(40));
        assert_eq!(bar(0.5), "█".repeat(20));
        assert_eq!(bar(0.0), "");
        assert_eq!(bar(1e-9), "▏");
        assert_eq!(bar(0.0125), "▌");
        assert_eq!(bar(1.0 / 128.0), bar(1.0 / 128.0 - 1e-17));
    }

    #[test]
    fn durations_and_plurals() {
        assert_eq!(duration(0.000_25), "250.0 µs");
        assert_eq!(duration(0.0123), "12.3 ms");
        assert_eq!(duration(2.5), "2.50 s");
        assert_eq!(plural(1u64, "shot"), "1 shot");
        assert_eq!(plural(3u64, "shot"), "3 shots");
    }
}
