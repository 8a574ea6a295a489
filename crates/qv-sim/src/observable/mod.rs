//! Pauli-sum observables: `0.5*Z0 Z1 + 0.3*X0`.
//!
//! An [`Observable`] is a real linear combination of Pauli strings
//! ([`PauliTerm`]). It is read from text with [`Observable::parse`] or from a
//! JSON list of `{"coeff": c, "pauli": "..."}` objects with
//! [`Observable::from_json`]; both report errors with a position. Qubit
//! indices are checked against a circuit only at evaluation
//! ([`Observable::check_width`]). The grammar is in `docs/expectation.md`.
//!
//! Text grammar, informally: terms joined by `+`/`-`; a term is a product of
//! factors joined by `*` or juxtaposition; a factor is a real number, an
//! indexed Pauli (`X3`, `Y0`, `Z12`, `I4`), or a Qiskit label (`ZZI`, `X`;
//! qubit 0 rightmost). A term without Paulis is a multiple of the identity.

mod parse;

use std::fmt;

use parse::Parser;

/// A single-qubit Pauli operator (identities are left out of terms).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pauli {
    /// σx
    X,
    /// σy
    Y,
    /// σz
    Z,
}

impl Pauli {
    /// The letter used in text.
    pub fn letter(self) -> char {
        match self {
            Pauli::X => 'X',
            Pauli::Y => 'Y',
            Pauli::Z => 'Z',
        }
    }

    fn from_letter(c: char) -> Option<Option<Pauli>> {
        match c {
            'X' => Some(Some(Pauli::X)),
            'Y' => Some(Some(Pauli::Y)),
            'Z' => Some(Some(Pauli::Z)),
            'I' => Some(None),
            _ => None,
        }
    }
}

/// `coeff · P_{q1} ⊗ P_{q2} ⊗ …`: a real coefficient times a Pauli string.
#[derive(Clone, Debug, PartialEq)]
pub struct PauliTerm {
    /// Real coefficient.
    pub coeff: f64,
    /// `(qubit, Pauli)` pairs, sorted by qubit, each qubit at most once; empty
    /// for a multiple of the identity.
    pub paulis: Vec<(usize, Pauli)>,
}

impl PauliTerm {
    /// The Pauli string as text, e.g. `Z0 Z1`, or `I` for the identity.
    pub fn label(&self) -> String {
        if self.paulis.is_empty() {
            return "I".to_string();
        }
        let parts: Vec<String> =
            self.paulis.iter().map(|(q, p)| format!("{}{q}", p.letter())).collect();
        parts.join(" ")
    }

    /// Bit masks of the string: `x` has the qubits with X or Y (bit flips),
    /// `z` those with Z or Y (phases); the third value counts the Ys.
    pub fn masks(&self) -> Option<(u64, u64, u32)> {
        let (mut x, mut z, mut y) = (0u64, 0u64, 0u32);
        for &(q, p) in &self.paulis {
            let bit = 1u64.checked_shl(u32::try_from(q).ok()?)?;
            match p {
                Pauli::X => x |= bit,
                Pauli::Z => z |= bit,
                Pauli::Y => {
                    x |= bit;
                    z |= bit;
                    y += 1;
                }
            }
        }
        Some((x, z, y))
    }
}

impl fmt::Display for PauliTerm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.coeff == 1.0 {
            f.write_str(&self.label())
        } else {
            write!(f, "{}*{}", self.coeff, self.label())
        }
    }
}

/// A Hermitian observable: the sum of its terms.
#[derive(Clone, Debug, PartialEq)]
pub struct Observable {
    /// The terms, in the order they were written (not merged).
    pub terms: Vec<PauliTerm>,
}

/// Why an observable was rejected.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ObservableError {
    /// The text does not follow the grammar; `origin:line:col: message`.
    #[error("{origin}:{line}:{col}: {message}")]
    Syntax {
        /// Where the text came from (`observable`, a file name).
        origin: String,
        /// 1-based line.
        line: usize,
        /// 1-based column, in characters.
        col: usize,
        /// What was expected and what was found.
        message: String,
    },
    /// The JSON form has a wrong shape; `origin: path: message`.
    #[error("{origin}: {path}: {message}")]
    Json {
        /// Where the JSON came from.
        origin: String,
        /// Path to the offending value, e.g. `[2].coeff`.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A term acts on a qubit the circuit does not have.
    #[error(
        "observable term `{term}` acts on qubit {qubit}, but the circuit has {num_qubits} qubits"
    )]
    QubitOutOfRange {
        /// The term, as `coeff*label`.
        term: String,
        /// The offending qubit.
        qubit: usize,
        /// Qubits of the circuit.
        num_qubits: usize,
    },
}

impl Observable {
    /// Parses the text form, naming the source `observable` in errors.
    pub fn parse(text: &str) -> Result<Observable, ObservableError> {
        Observable::parse_named(text, "observable")
    }

    /// Parses the text form, naming the source `origin` in errors.
    pub fn parse_named(text: &str, origin: &str) -> Result<Observable, ObservableError> {
        let mut p = Parser::new(text, origin);
        let terms = p.sum()?;
        Ok(Observable { terms })
    }

    /// Parses the JSON form, naming the source `observable JSON` in errors.
    pub fn from_json(text: &str) -> Result<Observable, ObservableError> {
        Observable::from_json_named(text, "observable JSON")
    }

    /// Parses `[{"coeff": 0.5, "pauli": "Z0 Z1"}, {"coeff": -1, "pauli": "XXI"}]`:
    /// `pauli` is a product of Pauli factors (indexed or a Qiskit label), with
    /// no number in it; `coeff` is a finite real number.
    pub fn from_json_named(text: &str, origin: &str) -> Result<Observable, ObservableError> {
        let json_err = |path: String, message: String| ObservableError::Json {
            origin: origin.to_string(),
            path,
            message,
        };
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| ObservableError::Syntax {
                origin: origin.to_string(),
                line: e.line(),
                col: e.column(),
                message: format!("invalid JSON: {}", strip_position(&e.to_string())),
            })?;
        let items = value.as_array().ok_or_else(|| {
            json_err(
                "(top level)".into(),
                "expected a list of {\"coeff\", \"pauli\"} objects".into(),
            )
        })?;
        if items.is_empty() {
            return Err(json_err("(top level)".into(), "the list of terms is empty".into()));
        }
        let mut terms = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let obj = item.as_object().ok_or_else(|| {
                json_err(
                    format!("[{i}]"),
                    "expected an object {\"coeff\": ..., \"pauli\": ...}".into(),
                )
            })?;
            if let Some(key) = obj.keys().find(|k| *k != "coeff" && *k != "pauli") {
                return Err(json_err(
                    format!("[{i}]"),
                    format!("unknown field `{key}` (expected `coeff` and `pauli`)"),
                ));
            }
            let coeff = match obj.get("coeff") {
                None => return Err(json_err(format!("[{i}]"), "missing field `coeff`".into())),
                Some(v) => v.as_f64().ok_or_else(|| {
                    json_err(format!("[{i}].coeff"), format!("expected a number, found {v}"))
                })?,
            };
            let pauli = match obj.get("pauli") {
                None => return Err(json_err(format!("[{i}]"), "missing field `pauli`".into())),
                Some(v) => v.as_str().ok_or_else(|| {
                    json_err(format!("[{i}].pauli"), format!("expected a string, found {v}"))
                })?,
            };
            let mut p = Parser::new(pauli, &format!("{origin}: [{i}].pauli"));
            let paulis = p.pauli_string()?;
            terms.push(PauliTerm { coeff, paulis });
        }
        Ok(Observable { terms })
    }

    /// Highest qubit any term acts on, if any term acts on one.
    pub fn max_qubit(&self) -> Option<usize> {
        self.terms.iter().filter_map(|t| t.paulis.last().map(|&(q, _)| q)).max()
    }

    /// Checks every term against a circuit of `num_qubits` qubits.
    pub fn check_width(&self, num_qubits: usize) -> Result<(), ObservableError> {
        for t in &self.terms {
            if let Some(&(qubit, _)) = t.paulis.iter().find(|(q, _)| *q >= num_qubits) {
                return Err(ObservableError::QubitOutOfRange {
                    term: t.to_string(),
                    qubit,
                    num_qubits,
                });
            }
        }
        Ok(())
    }
}

impl fmt::Display for Observable {
    /// Text that [`Observable::parse`] reads back to the same observable.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, t) in self.terms.iter().enumerate() {
            if i > 0 {
                f.write_str(" + ")?;
            }
            // `{:?}` prints f64 exactly (shortest round-trip form, exponent included).
            write!(f, "{:?}*{}", t.coeff, t.label())?;
        }
        Ok(())
    }
}

/// serde_json appends " at line L column C"; the position is reported separately.
fn strip_position(msg: &str) -> &str {
    msg.rfind(" at line ").map_or(msg, |i| &msg[..i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use Pauli::{X, Y, Z};

    fn term(coeff: f64, paulis: &[(usize, Pauli)]) -> PauliTerm {
        PauliTerm { coeff, paulis: paulis.to_vec() }
    }

    fn parse(s: &str) -> Vec<PauliTerm> {
        Observable::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}")).terms
    }

    fn err(s: &str) -> String {
        Observable::parse(s).unwrap_err().to_string()
    }

    #[test]
    fn sums_products_and_signs() {
        assert_eq!(
            parse("0.5*Z0 Z1 + 0.3*X0"),
            vec![term(0.5, &[(0, Z), (1, Z)]), term(0.3, &[(0, X)])]
        );
        assert_eq!(parse("-Z0"), vec![term(-1.0, &[(0, Z)])]);
        assert_eq!(parse("Z0*Z1"), vec![term(1.0, &[(0, Z), (1, Z)])]);
        assert_eq!(parse("2.5"), vec![term(2.5, &[])]);
        assert_eq!(parse("0.5 * X1 Y3"), vec![term(0.5, &[(1, X), (3, Y)])]);
        assert_eq!(parse("Y3 X1 * 2 * 0.25"), vec![term(0.5, &[(1, X), (3, Y)])]);
        assert_eq!(
            parse("1e-3*X0 - 2.5E+2 * Z1 + -Y2"),
            vec![term(1e-3, &[(0, X)]), term(-250.0, &[(1, Z)]), term(-1.0, &[(2, Y)]),]
        );
        assert_eq!(parse(".5X0Z1"), vec![term(0.5, &[(0, X), (1, Z)])]);
        assert_eq!(parse("  Z0\n + 3 I  "), vec![term(1.0, &[(0, Z)]), term(3.0, &[])]);
    }

    #[test]
    fn labels_put_qubit_zero_rightmost_and_drop_identities() {
        assert_eq!(parse("0.5*XYZ"), vec![term(0.5, &[(0, Z), (1, Y), (2, X)])]);
        assert_eq!(parse("ZIZ + II"), vec![term(1.0, &[(0, Z), (2, Z)]), term(1.0, &[])]);
        assert_eq!(parse("I4 Z0"), vec![term(1.0, &[(0, Z)])]);
        assert_eq!(parse("-Y"), vec![term(-1.0, &[(0, Y)])]);
    }

    #[test]
    fn errors_name_line_column_and_what_was_found() {
        assert_eq!(
            err("0.5*Z0 Q1"),
            "observable:1:8: expected a Pauli (X, Y, Z) or a number, found `Q`"
        );
        assert_eq!(err("0.5*Z0Q1"), "observable:1:7: expected a Pauli (X, Y, Z), found `Q`");
        assert_eq!(
            err("0.5*Z0 + #"),
            "observable:1:10: expected a Pauli (X, Y, Z) or a number, found `#`"
        );
        assert_eq!(
            err(""),
            "observable:1:1: expected a Pauli (X, Y, Z) or a number, found end of input"
        );
        assert_eq!(
            err("Z0 +"),
            "observable:1:5: expected a Pauli (X, Y, Z) or a number, found end of input"
        );
        assert_eq!(
            err("Z0Z"),
            "observable:1:4: expected a qubit index after `Z` (as in `Z0`), found end of input"
        );
        assert_eq!(err("X1y"), "observable:1:3: expected a Pauli (X, Y, Z), found `y`");
        assert_eq!(
            err("Z0\n+ x1"),
            "observable:2:3: expected a Pauli (X, Y, Z) or a number, found `x`"
        );
        assert_eq!(err("Z0 Z0"), "observable:1:4: qubit 0 appears more than once in this term; write one Pauli per qubit");
        assert_eq!(err("X1 Y2 I1"), "observable:1:7: qubit 1 appears more than once in this term; write one Pauli per qubit");
        assert_eq!(err("ZZ X1"), "observable:1:4: qubit 1 appears more than once in this term; write one Pauli per qubit");
        assert_eq!(
            err("Z0 ) "),
            "observable:1:4: expected `+`, `-`, `*`, a Pauli or a number, found `)`"
        );
        assert_eq!(err("1e X0"), "observable:1:3: expected the digits of an exponent, found ` `");
        assert_eq!(err("1e400*Z0"), "observable:1:1: number `1e400` is not a finite number");
        assert_eq!(err("Z99999999999"), "observable:1:2: qubit index 99999999999 is too large");
        assert_eq!(
            err("1e300*1e300*Z0"),
            "observable:1:1: the coefficient of this term is not a finite number"
        );
    }

    #[test]
    fn display_round_trips() {
        for s in ["0.5*Z0 Z1 + 0.3*X0", "-1e-7*Y5 - 3", "2.5", "XYZ - 0.125*I9 X2"] {
            let o = Observable::parse(s).unwrap();
            assert_eq!(Observable::parse(&o.to_string()).unwrap(), o, "{s} -> {o}");
        }
        assert_eq!(Observable::parse("0.5*Z1 Z0 - I").unwrap().to_string(), "0.5*Z0 Z1 + -1.0*I");
    }

    #[test]
    fn json_list_of_terms() {
        let o = Observable::from_json(
            r#"[{"coeff": 0.5, "pauli": "Z0 Z1"}, {"coeff": -1, "pauli": "XXI"}]"#,
        )
        .unwrap();
        assert_eq!(o.terms, vec![term(0.5, &[(0, Z), (1, Z)]), term(-1.0, &[(1, X), (2, X)])]);
        let e = |s: &str| Observable::from_json_named(s, "obs.json").unwrap_err().to_string();
        assert_eq!(
            e("{}"),
            "obs.json: (top level): expected a list of {\"coeff\", \"pauli\"} objects"
        );
        assert_eq!(e("[]"), "obs.json: (top level): the list of terms is empty");
        assert_eq!(
            e(r#"[{"coeff": "x", "pauli": "Z0"}]"#),
            "obs.json: [0].coeff: expected a number, found \"x\""
        );
        assert_eq!(
            e(r#"[{"coeff": 1, "pauli": "Z0"}, {"pauli": "Z0"}]"#),
            "obs.json: [1]: missing field `coeff`"
        );
        assert_eq!(
            e(r#"[{"coeff": 1, "pauli": "Z0", "c": 2}]"#),
            "obs.json: [0]: unknown field `c` (expected `coeff` and `pauli`)"
        );
        assert_eq!(
            e(r#"[{"coeff": 1, "pauli": "Z0 2"}]"#),
            "obs.json: [0].pauli:1:4: expected a Pauli (X, Y, Z), found `2`"
        );
        assert_eq!(e("[\n  {\"coeff\": 1,}"), "obs.json:2:15: invalid JSON: trailing comma");
    }

    #[test]
    fn width_is_checked_at_evaluation() {
        let o = Observable::parse("Z0 + 0.3*X5").unwrap();
        assert_eq!(o.max_qubit(), Some(5));
        assert!(o.check_width(6).is_ok());
        assert_eq!(
            o.check_width(3).unwrap_err().to_string(),
            "observable term `0.3*X5` acts on qubit 5, but the circuit has 3 qubits"
        );
    }

    #[test]
    fn masks_encode_flips_and_phases() {
        let t = term(1.0, &[(0, X), (1, Y), (3, Z)]);
        assert_eq!(t.masks(), Some((0b0011, 0b1010, 1)));
        assert_eq!(term(1.0, &[(64, X)]).masks(), None);
    }
}
