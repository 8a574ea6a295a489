//! Noise models: quantum channels attached to operations, and readout errors.
//!
//! A [`NoiseModel`] maps an operation (a gate of the table by name, `measure`
//! or `reset`) to the [`Channel`]s it suffers, either on every qubit
//! ("all-qubit" rules) or on specific qubit tuples ("local" rules), and maps
//! qubits to [`ReadoutError`]s. It is built in Rust or read from JSON with
//! [`NoiseModel::from_json`] (schema in `docs/noise.md`).
//!
//! Semantics follow Qiskit Aer's `NoiseModel`, so the same model gives the
//! same results in both:
//! - gate and reset errors act right *after* the operation, measure errors
//!   right *before* the measurement; a conditioned operation's errors happen
//!   only when its condition holds;
//! - a local rule for the exact qubit tuple of an operation replaces the
//!   all-qubit rule for it; several rules for the same operation and qubits
//!   compose in the order they were added;
//! - a readout error flips the *recorded* bit with the probabilities of its
//!   assignment matrix (later conditions see the recorded bit); a per-qubit
//!   readout error replaces the all-qubit one for that qubit.
//!
//! A 1-qubit channel attached to a wider gate acts on each of the gate's
//! qubits independently (Aer: `error.expand(error)`).

mod attach;
mod channel;
mod compact;
mod json;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use qv_circuit::StandardGate;

pub(crate) use attach::{attach, Applied, OpNoise};
pub use channel::{pauli_matrix, Channel, COMPLETENESS_TOL, MAX_CHANNEL_QUBITS};
pub(crate) use compact::Compaction;

/// Why a noise model (or one of its channels) was rejected.
#[derive(Clone, Debug, PartialEq)]
pub struct NoiseError {
    /// Where in the JSON document the problem is (e.g. `errors[2].channel.p`),
    /// empty for models built in Rust.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for NoiseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "noise model: {}", self.message)
        } else {
            write!(f, "noise model: {}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for NoiseError {}

impl NoiseError {
    /// An error at `path`.
    pub(crate) fn at(path: impl Into<String>, message: impl Into<String>) -> Self {
        NoiseError { path: path.into(), message: message.into() }
    }

    /// Sets the path of an error raised without one.
    pub(crate) fn with_path(mut self, path: &str) -> Self {
        if self.path.is_empty() {
            self.path = path.to_string();
        }
        self
    }
}

/// An operation noise can be attached to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NoisyOperation {
    /// A gate of the table.
    Gate(StandardGate),
    /// A measurement (errors act before it).
    Measure,
    /// A reset (errors act after it).
    Reset,
}

impl NoisyOperation {
    /// Resolves a name: a table gate (canonical name or alias), `measure` or `reset`.
    pub fn from_name(name: &str) -> Option<NoisyOperation> {
        match name {
            "measure" => Some(NoisyOperation::Measure),
            "reset" => Some(NoisyOperation::Reset),
            _ => StandardGate::from_name(name).map(NoisyOperation::Gate),
        }
    }

    /// Number of qubits the operation acts on.
    pub fn num_qubits(self) -> usize {
        match self {
            NoisyOperation::Gate(g) => g.num_qubits(),
            NoisyOperation::Measure | NoisyOperation::Reset => 1,
        }
    }

    /// The canonical name.
    pub fn name(self) -> &'static str {
        match self {
            NoisyOperation::Gate(g) => g.name(),
            NoisyOperation::Measure => "measure",
            NoisyOperation::Reset => "reset",
        }
    }
}

/// A readout (assignment) error of one qubit: `matrix[actual][recorded]` is
/// the probability of recording `recorded` when the outcome is `actual`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReadoutError {
    matrix: [[f64; 2]; 2],
}

impl ReadoutError {
    /// Checks that each row holds probabilities summing to 1 (within
    /// [`COMPLETENESS_TOL`]), as Aer's `ReadoutError`.
    pub fn new(matrix: [[f64; 2]; 2]) -> Result<ReadoutError, NoiseError> {
        for (i, row) in matrix.iter().enumerate() {
            if row.iter().any(|p| !p.is_finite() || !(0.0..=1.0).contains(p)) {
                return Err(NoiseError::at(
                    format!("[{i}]"),
                    format!("probabilities must be between 0 and 1, found {row:?}"),
                ));
            }
            let sum = row[0] + row[1];
            if (sum - 1.0).abs() > COMPLETENESS_TOL {
                return Err(NoiseError::at(
                    format!("[{i}]"),
                    format!(
                        "row {i} (outcome {i}) sums to {sum}, not 1: row i holds the \
                         probabilities of recording 0 and 1 when the outcome is i"
                    ),
                ));
            }
        }
        Ok(ReadoutError { matrix })
    }

    /// The assignment matrix, `[actual][recorded]`.
    pub fn matrix(&self) -> [[f64; 2]; 2] {
        self.matrix
    }

    /// Probability of recording `recorded` when the outcome was `actual`.
    pub fn probability(&self, actual: bool, recorded: bool) -> f64 {
        self.matrix[actual as usize][recorded as usize]
    }
}

/// A channel attached to an operation, acting on some of its operands.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Attached {
    /// The channel.
    pub channel: Arc<Channel>,
    /// Which of the operation's qubits it acts on (channel qubit `j` = operand `positions[j]`).
    pub positions: Vec<usize>,
}

/// The rules of one operation.
#[derive(Clone, Debug, Default, PartialEq)]
struct Rules {
    all: Vec<Attached>,
    local: BTreeMap<Vec<usize>, Vec<Attached>>,
}

/// Channels per operation and qubits, and readout errors per qubit.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NoiseModel {
    rules: BTreeMap<NoisyOperation, Rules>,
    readout_all: Option<ReadoutError>,
    readout_local: BTreeMap<usize, ReadoutError>,
}

// Every number in a model is checked finite on construction, so `==` is reflexive.
impl Eq for NoiseModel {}

impl NoiseModel {
    /// A model without any noise.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads a model from its JSON form (see `docs/noise.md`). Errors name the
    /// JSON path of the offending value.
    pub fn from_json(text: &str) -> Result<NoiseModel, crate::SimError> {
        Ok(json::parse(text)?)
    }

    /// Whether the model has no channel and no readout error at all.
    pub fn is_ideal(&self) -> bool {
        self.rules.is_empty() && self.readout_all.is_none() && self.readout_local.is_empty()
    }

    /// Attaches `channel` to every named operation on all qubits, after any
    /// channel already attached there. The channel acts on all of the
    /// operation's qubits, or (1-qubit channel) on each of them.
    pub fn add_all_qubit_error(
        &mut self,
        channel: Channel,
        operations: &[&str],
    ) -> Result<(), NoiseError> {
        let channel = Arc::new(channel);
        for name in operations {
            let op = resolve(name)?;
            let attached = attachments(&channel, op)?;
            self.rules.entry(op).or_default().all.extend(attached);
        }
        Ok(())
    }

    /// Attaches `channel` to the named operations when they act on exactly
    /// `qubits` (in operand order); this replaces the all-qubit rules there.
    pub fn add_error(
        &mut self,
        channel: Channel,
        operations: &[&str],
        qubits: &[usize],
    ) -> Result<(), NoiseError> {
        let channel = Arc::new(channel);
        if let Some((i, q)) = qubits.iter().enumerate().find(|(i, q)| qubits[..*i].contains(q)) {
            return Err(NoiseError::at(
                format!("qubits[{i}]"),
                format!("qubit {q} appears twice in {qubits:?}"),
            ));
        }
        for name in operations {
            let op = resolve(name)?;
            if qubits.len() != op.num_qubits() {
                return Err(NoiseError::at(
                    "",
                    format!(
                        "`{}` acts on {} qubit{} but the rule names {} ({qubits:?})",
                        op.name(),
                        op.num_qubits(),
                        if op.num_qubits() == 1 { "" } else { "s" },
                        qubits.len()
                    ),
                ));
            }
            let attached = attachments(&channel, op)?;
            let rules = self.rules.entry(op).or_default();
            rules.local.entry(qubits.to_vec()).or_default().extend(attached);
        }
        Ok(())
    }

    /// Sets the readout error of every qubit without a per-qubit one.
    pub fn set_all_qubit_readout_error(&mut self, error: ReadoutError) {
        self.readout_all = Some(error);
    }

    /// Sets the readout error of `qubit`.
    pub fn set_readout_error(&mut self, error: ReadoutError, qubit: usize) {
        self.readout_local.insert(qubit, error);
    }

    /// The channels `op` on `qubits` suffers, in order.
    pub(crate) fn errors_for(&self, op: NoisyOperation, qubits: &[usize]) -> &[Attached] {
        match self.rules.get(&op) {
            Some(rules) => rules.local.get(qubits).unwrap_or(&rules.all),
            None => &[],
        }
    }

    /// The readout error of `qubit`, if any.
    pub fn readout_error(&self, qubit: usize) -> Option<&ReadoutError> {
        self.readout_local.get(&qubit).or(self.readout_all.as_ref())
    }
}

fn resolve(name: &str) -> Result<NoisyOperation, NoiseError> {
    NoisyOperation::from_name(name).ok_or_else(|| {
        let hint = if name == "barrier" { " (barriers carry no noise)" } else { "" };
        NoiseError::at(
            "",
            format!(
                "unknown operation `{name}`{hint}: use a gate of the table (`qv gates`), \
                 `measure` or `reset`"
            ),
        )
    })
}

/// How `channel` attaches to `op`: once on all operands, or per operand.
fn attachments(channel: &Arc<Channel>, op: NoisyOperation) -> Result<Vec<Attached>, NoiseError> {
    let (k, width) = (channel.num_qubits(), op.num_qubits());
    if channel.is_identity() {
        return Ok(vec![]);
    }
    if k == width {
        Ok(vec![Attached { channel: channel.clone(), positions: (0..k).collect() }])
    } else if k == 1 {
        Ok((0..width).map(|p| Attached { channel: channel.clone(), positions: vec![p] }).collect())
    } else {
        Err(NoiseError::at(
            "",
            format!(
                "a {k}-qubit channel cannot be attached to `{}`, which acts on {width} qubit{}; \
                 use a {width}-qubit or a 1-qubit channel",
                op.name(),
                if width == 1 { "" } else { "s" }
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_rules_replace_all_qubit_rules_and_compose() {
        let mut m = NoiseModel::new();
        let flip = |p| Channel::pauli(&[("X".into(), p)]).unwrap();
        m.add_all_qubit_error(flip(0.3), &["x"]).unwrap();
        m.add_error(flip(0.1), &["x"], &[1]).unwrap();
        m.add_error(flip(0.2), &["x"], &[1]).unwrap();
        let x = NoisyOperation::Gate(StandardGate::X);
        assert_eq!(m.errors_for(x, &[0]).len(), 1);
        assert_eq!(m.errors_for(x, &[1]).len(), 2, "local rules compose in order");
        assert!(m.errors_for(NoisyOperation::Gate(StandardGate::H), &[0]).is_empty());
    }

    #[test]
    fn one_qubit_channel_on_two_qubit_gate_acts_on_each_qubit() {
        let mut m = NoiseModel::new();
        m.add_all_qubit_error(Channel::amplitude_damping(0.1, 0.0).unwrap(), &["cx"]).unwrap();
        let got = m.errors_for(NoisyOperation::Gate(StandardGate::Cx), &[4, 2]);
        let positions: Vec<&[usize]> = got.iter().map(|a| a.positions.as_slice()).collect();
        assert_eq!(positions, vec![&[0][..], &[1][..]]);
        let e =
            m.add_all_qubit_error(Channel::depolarizing(0.1, 2).unwrap(), &["ccx"]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "noise model: a 2-qubit channel cannot be attached to `ccx`, which acts on 3 \
             qubits; use a 3-qubit or a 1-qubit channel"
        );
    }

    #[test]
    fn readout_lookup_prefers_the_qubit() {
        let mut m = NoiseModel::new();
        let a = ReadoutError::new([[0.9, 0.1], [0.2, 0.8]]).unwrap();
        let b = ReadoutError::new([[1.0, 0.0], [0.5, 0.5]]).unwrap();
        m.set_all_qubit_readout_error(a);
        m.set_readout_error(b, 2);
        assert_eq!(m.readout_error(0), Some(&a));
        assert_eq!(m.readout_error(2), Some(&b));
        assert!(ReadoutError::new([[0.9, 0.2], [0.0, 1.0]]).is_err());
    }

    #[test]
    fn unknown_operation_is_named() {
        let e = NoiseModel::new()
            .add_all_qubit_error(Channel::phase_damping(0.1).unwrap(), &["cnot", "barrier"])
            .unwrap_err();
        assert_eq!(e.message, "unknown operation `barrier` (barriers carry no noise): use a gate of the table (`qv gates`), `measure` or `reset`");
    }
}
