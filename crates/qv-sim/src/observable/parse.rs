//! The text form of observables: a recursive-descent parser over characters.
//!
//! Positions are counted in characters (1-based line and column) so that
//! errors point at the offending character; see `docs/expectation.md` for
//! the grammar.

use super::{ObservableError, Pauli, PauliTerm};

/// Largest qubit index accepted by the parser (far beyond any simulator).
const MAX_QUBIT_INDEX: usize = 1 << 30;

/// A Pauli factor while a term is read: qubit, Pauli (`None` = identity),
/// and character position for messages. Identities take part in the
/// duplicate check (`I0 Z0` is an error) and are dropped afterwards.
type Factor = (usize, Option<Pauli>, usize);

/// A recursive-descent parser over characters, tracking line and column.
pub(super) struct Parser {
    chars: Vec<char>,
    pos: usize,
    origin: String,
}

impl Parser {
    pub(super) fn new(text: &str, origin: &str) -> Self {
        Parser { chars: text.chars().collect(), pos: 0, origin: origin.to_string() }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn error_at(&self, pos: usize, message: String) -> ObservableError {
        let before = &self.chars[..pos.min(self.chars.len())];
        let line = 1 + before.iter().filter(|&&c| c == '\n').count();
        let col = 1 + before.iter().rev().take_while(|&&c| c != '\n').count();
        ObservableError::Syntax { origin: self.origin.clone(), line, col, message }
    }

    /// `` `c` `` for the character at `pos`, or `end of input`.
    fn found(&self, pos: usize) -> String {
        match self.chars.get(pos) {
            None => "end of input".to_string(),
            Some(c) => format!("`{c}`"),
        }
    }

    /// sum := [sign] term (sign [sign] term)* EOF, whitespace anywhere between tokens.
    pub(super) fn sum(&mut self) -> Result<Vec<PauliTerm>, ObservableError> {
        let mut terms = Vec::new();
        self.skip_ws();
        let mut sign = self.sign().unwrap_or(1.0);
        loop {
            self.skip_ws();
            // One unary sign may follow a binary one: `a + -b`.
            if let Some(s) = self.sign() {
                sign *= s;
                self.skip_ws();
            }
            let start = self.pos;
            let mut coeff = sign;
            let mut factors = Vec::new();
            self.factor(&mut coeff, &mut factors, true)?;
            while self.more_factors()? {
                self.factor(&mut coeff, &mut factors, true)?;
            }
            if !coeff.is_finite() {
                let msg = "the coefficient of this term is not a finite number".to_string();
                return Err(self.error_at(start, msg));
            }
            terms.push(self.finish_term(coeff, factors)?);
            self.skip_ws();
            match self.sign() {
                Some(s) => sign = s,
                None if self.peek().is_none() => return Ok(terms),
                None => {
                    let msg = format!(
                        "expected `+`, `-`, `*`, a Pauli or a number, found {}",
                        self.found(self.pos)
                    );
                    return Err(self.error_at(self.pos, msg));
                }
            }
        }
    }

    /// Consumes a factor separator (`*` or whitespace before a factor) and
    /// says whether another factor follows.
    fn more_factors(&mut self) -> Result<bool, ObservableError> {
        let save = self.pos;
        self.skip_ws();
        if self.peek() == Some('*') {
            self.pos += 1;
            self.skip_ws();
            return Ok(true);
        }
        if self.peek().is_some_and(|c| c.is_ascii_alphanumeric() || c == '.') {
            return Ok(true);
        }
        self.pos = save;
        Ok(false)
    }

    fn sign(&mut self) -> Option<f64> {
        let s = match self.peek()? {
            '+' => 1.0,
            '-' => -1.0,
            _ => return None,
        };
        self.pos += 1;
        Some(s)
    }

    /// pauli_string := factor (['*'] factor)* EOF with Pauli factors only (JSON `pauli`).
    pub(super) fn pauli_string(&mut self) -> Result<Vec<(usize, Pauli)>, ObservableError> {
        let mut coeff = 1.0;
        let mut factors = Vec::new();
        self.skip_ws();
        self.factor(&mut coeff, &mut factors, false)?;
        loop {
            self.skip_ws();
            if self.peek().is_none() {
                break;
            }
            if self.peek() == Some('*') {
                self.pos += 1;
                self.skip_ws();
            }
            self.factor(&mut coeff, &mut factors, false)?;
        }
        Ok(self.finish_term(coeff, factors)?.paulis)
    }

    /// Checks that no qubit appears twice (error at its second appearance),
    /// drops identities and sorts by qubit.
    fn finish_term(
        &self,
        coeff: f64,
        mut factors: Vec<Factor>,
    ) -> Result<PauliTerm, ObservableError> {
        factors.sort_by_key(|&(q, _, pos)| (q, pos));
        for w in factors.windows(2) {
            if w[0].0 == w[1].0 {
                let msg = format!(
                    "qubit {} appears more than once in this term; write one Pauli per qubit",
                    w[0].0
                );
                return Err(self.error_at(w[1].2, msg));
            }
        }
        let paulis = factors.into_iter().filter_map(|(q, p, _)| p.map(|p| (q, p))).collect();
        Ok(PauliTerm { coeff, paulis })
    }

    /// factor := number | Pauli word. `numbers` is false inside JSON `pauli` strings.
    fn factor(
        &mut self,
        coeff: &mut f64,
        factors: &mut Vec<Factor>,
        numbers: bool,
    ) -> Result<(), ObservableError> {
        let start = self.pos;
        match self.peek() {
            Some(c) if numbers && (c.is_ascii_digit() || c == '.') => {
                *coeff *= self.number()?;
                Ok(())
            }
            Some(c) if c.is_ascii_alphabetic() => self.pauli_word(factors, numbers),
            _ => {
                let what =
                    if numbers { "a Pauli (X, Y, Z) or a number" } else { "a Pauli (X, Y, Z)" };
                Err(self.error_at(start, format!("expected {what}, found {}", self.found(start))))
            }
        }
    }

    /// number := digits ['.' digits] [('e'|'E') [sign] digits] | '.' digits [...]
    fn number(&mut self) -> Result<f64, ObservableError> {
        let start = self.pos;
        let digits = |p: &mut Parser| {
            let s = p.pos;
            while p.peek().is_some_and(|c| c.is_ascii_digit()) {
                p.pos += 1;
            }
            p.pos - s
        };
        let mut mantissa = digits(self);
        if self.peek() == Some('.') {
            self.pos += 1;
            mantissa += digits(self);
        }
        if mantissa == 0 {
            let msg = format!("expected digits in a number, found {}", self.found(self.pos));
            return Err(self.error_at(self.pos, msg));
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some('+' | '-')) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                let msg =
                    format!("expected the digits of an exponent, found {}", self.found(self.pos));
                return Err(self.error_at(self.pos, msg));
            }
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(self.error_at(start, format!("number `{text}` is not a finite number"))),
        }
    }

    /// A maximal run of letters and digits: a Qiskit label (`ZZI`, `X`:
    /// Pauli letters only, qubit 0 rightmost) or letter + index pairs (`Z0`,
    /// `X1Y2`, `I3`).
    fn pauli_word(
        &mut self,
        factors: &mut Vec<Factor>,
        numbers: bool,
    ) -> Result<(), ObservableError> {
        let start = self.pos;
        let mut end = start;
        while self.chars.get(end).is_some_and(|c| c.is_ascii_alphanumeric()) {
            end += 1;
        }
        let word = &self.chars[start..end];
        let is_label = word.iter().all(|&c| Pauli::from_letter(c).is_some());
        if is_label {
            let n = word.len();
            for (k, &c) in word.iter().enumerate() {
                factors.push((n - 1 - k, Pauli::from_letter(c).flatten(), start + k));
            }
            self.pos = end;
            return Ok(());
        }
        let mut i = start;
        while i < end {
            let c = self.chars[i];
            let Some(p) = Pauli::from_letter(c) else {
                let what = if numbers && i == start { " or a number" } else { "" };
                let msg = format!("expected a Pauli (X, Y, Z){what}, found `{c}`");
                return Err(self.error_at(i, msg));
            };
            let mut j = i + 1;
            while j < end && self.chars[j].is_ascii_digit() {
                j += 1;
            }
            if j == i + 1 {
                let msg = format!(
                    "expected a qubit index after `{c}` (as in `{c}0`), found {}",
                    self.found(j)
                );
                return Err(self.error_at(j, msg));
            }
            let digits: String = self.chars[i + 1..j].iter().collect();
            let qubit = digits.parse::<usize>().ok().filter(|&q| q <= MAX_QUBIT_INDEX);
            let Some(qubit) = qubit else {
                return Err(self.error_at(i + 1, format!("qubit index {digits} is too large")));
            };
            factors.push((qubit, p, i));
            i = j;
        }
        self.pos = end;
        Ok(())
    }
}
