//! Devices the compiler maps circuits onto.
//!
//! A [`Target`] is a number of physical qubits, a native gate set (rows of the
//! gate table; any parameters are allowed), a [`CouplingMap`] (directed or
//! not) and optional calibration data: per-qubit readout error and coherence
//! times, per-gate error rates and durations. Measurement, reset and barriers
//! are always available.
//!
//! Targets come from three places: built-in devices and generic shapes by
//! name ([`Target::from_name`], see [`builtin`]), the JSON format of [`json`]
//! ([`Target::from_json_file`]), or code ([`Target::new`]). [`Target::load`]
//! takes the command line's `NAME|FILE.json`.

pub mod builtin;
mod coupling;
pub mod json;
pub mod topologies;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use qv_circuit::StandardGate;

use crate::error::CompileError;

pub use coupling::{CouplingMap, MAX_QUBITS, UNREACHABLE};

/// Calibration data of one physical qubit.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QubitProperties {
    /// Probability of reading the wrong value.
    pub readout_error: Option<f64>,
    /// Energy relaxation time T1 in seconds.
    pub t1: Option<f64>,
    /// Dephasing time T2 in seconds.
    pub t2: Option<f64>,
}

/// Calibration data of one native gate on specific physical qubits.
#[derive(Clone, Debug, PartialEq)]
pub struct GateProperties {
    /// The gate (must be in the target's native set).
    pub gate: StandardGate,
    /// The physical qubits, in the gate's argument order.
    pub qubits: Vec<usize>,
    /// Error probability.
    pub error: Option<f64>,
    /// Duration in seconds.
    pub duration: Option<f64>,
}

/// A device: qubits, native gates, coupling map and optional calibration.
#[derive(Clone, Debug)]
pub struct Target {
    name: String,
    description: String,
    basis: Vec<StandardGate>,
    coupling: Arc<CouplingMap>,
    qubit_props: Vec<QubitProperties>,
    gate_props: Vec<GateProperties>,
    /// (gate, first qubit, second qubit or `usize::MAX`) → index into `gate_props`.
    gate_index: HashMap<(StandardGate, usize, usize), usize>,
}

impl Target {
    /// A target without calibration data. The native set is sorted and
    /// deduplicated; it must not be empty, and a coupled device needs a
    /// native gate on two qubits.
    pub fn new(
        name: &str,
        basis: &[StandardGate],
        coupling: CouplingMap,
    ) -> Result<Target, CompileError> {
        let mut basis = basis.to_vec();
        basis.sort_unstable();
        basis.dedup();
        if basis.is_empty() {
            return Err(CompileError::InvalidTarget(format!(
                "target `{name}` has no native gates"
            )));
        }
        if coupling.num_couplings() > 0 && !basis.iter().any(|g| g.num_qubits() == 2) {
            return Err(CompileError::InvalidTarget(format!(
                "target `{name}` couples qubits but has no native two-qubit gate"
            )));
        }
        Ok(Target {
            name: name.to_string(),
            description: String::new(),
            basis,
            coupling: Arc::new(coupling),
            qubit_props: vec![],
            gate_props: vec![],
            gate_index: HashMap::new(),
        })
    }

    /// Resolves gate names through the gate table (canonical names and aliases).
    pub fn gates_by_name<S: AsRef<str>>(names: &[S]) -> Result<Vec<StandardGate>, String> {
        names
            .iter()
            .map(|n| {
                let n = n.as_ref();
                StandardGate::from_name(n)
                    .ok_or_else(|| format!("gate `{n}` is not in the gate table (see `qv gates`)"))
            })
            .collect()
    }

    /// Sets the one-line description shown by `qv targets`.
    pub fn with_description(mut self, description: &str) -> Target {
        self.description = description.to_string();
        self
    }

    /// Attaches per-qubit calibration data (one entry per physical qubit).
    pub fn with_qubit_properties(
        mut self,
        props: Vec<QubitProperties>,
    ) -> Result<Target, CompileError> {
        if !props.is_empty() && props.len() != self.num_qubits() {
            return Err(CompileError::InvalidTarget(format!(
                "target `{}` has {} qubits but {} qubit property entries",
                self.name,
                self.num_qubits(),
                props.len()
            )));
        }
        for (q, p) in props.iter().enumerate() {
            check_probability(p.readout_error, || format!("readout error of qubit {q}"))?;
            check_positive(p.t1, || format!("t1 of qubit {q}"))?;
            check_positive(p.t2, || format!("t2 of qubit {q}"))?;
        }
        self.qubit_props = props;
        Ok(self)
    }

    /// Attaches per-gate calibration data. Each entry must name a native gate
    /// on the right number of distinct qubits, coupled ones for two-qubit gates.
    pub fn with_gate_properties(
        mut self,
        props: Vec<GateProperties>,
    ) -> Result<Target, CompileError> {
        let mut index = HashMap::with_capacity(props.len());
        for (i, p) in props.iter().enumerate() {
            let bad = |why: String| {
                CompileError::InvalidTarget(format!(
                    "gate property #{i} ({} on {:?}): {why}",
                    p.gate.name(),
                    p.qubits
                ))
            };
            if !self.supports(p.gate) {
                return Err(bad("the gate is not native to the target".into()));
            }
            if p.qubits.len() != p.gate.num_qubits() {
                return Err(bad(format!("the gate acts on {} qubits", p.gate.num_qubits())));
            }
            if let Some(&q) = p.qubits.iter().find(|&&q| q >= self.num_qubits()) {
                return Err(bad(format!("qubit {q} is out of range")));
            }
            if p.qubits.len() == 2 && !self.coupling.allows(p.qubits[0], p.qubits[1]) {
                return Err(bad("the qubits are not coupled in that direction".into()));
            }
            check_probability(p.error, || format!("error of gate property #{i}"))?;
            check_positive(p.duration, || format!("duration of gate property #{i}"))?;
            index.insert(key(p.gate, &p.qubits), i);
        }
        self.gate_props = props;
        self.gate_index = index;
        Ok(self)
    }

    /// Looks a built-in target up by name (`ibm_eagle`, `line:5`, …); an
    /// unknown name gets an error listing the known ones.
    pub fn from_name(name: &str) -> Result<Target, CompileError> {
        builtin::from_name(name)
    }

    /// Reads a target from a JSON file (format in [`json`]).
    pub fn from_json_file(path: &Path) -> Result<Target, CompileError> {
        json::from_file(path)
    }

    /// Parses a target from JSON text; `origin` names the source in errors.
    pub fn from_json_str(text: &str, origin: &str) -> Result<Target, CompileError> {
        json::from_str(text, origin)
    }

    /// The command line's `NAME|FILE.json`: a path (ending in `.json` or
    /// containing a path separator) is read as a file; anything else is a
    /// built-in name, or a file of that name when no built-in matches.
    pub fn load(spec: &str) -> Result<Target, CompileError> {
        let looks_like_path = spec.ends_with(".json")
            || spec.contains('/')
            || spec.contains(std::path::MAIN_SEPARATOR);
        if looks_like_path {
            return Self::from_json_file(Path::new(spec));
        }
        match Self::from_name(spec) {
            Err(CompileError::UnknownTarget { .. }) if Path::new(spec).is_file() => {
                Self::from_json_file(Path::new(spec))
            }
            other => other,
        }
    }

    /// Target name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// One-line description.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Number of physical qubits.
    pub fn num_qubits(&self) -> usize {
        self.coupling.num_qubits()
    }

    /// Native gates, sorted in table order.
    pub fn basis_gates(&self) -> &[StandardGate] {
        &self.basis
    }

    /// Whether `gate` is native.
    pub fn supports(&self, gate: StandardGate) -> bool {
        self.basis.binary_search(&gate).is_ok()
    }

    /// Native gates acting on one qubit.
    pub fn one_qubit_gates(&self) -> Vec<StandardGate> {
        self.basis.iter().copied().filter(|g| g.num_qubits() == 1).collect()
    }

    /// Native gates acting on two qubits.
    pub fn two_qubit_gates(&self) -> Vec<StandardGate> {
        self.basis.iter().copied().filter(|g| g.num_qubits() == 2).collect()
    }

    /// The coupling map.
    pub fn coupling_map(&self) -> &CouplingMap {
        &self.coupling
    }

    /// Whether a two-qubit gate may act on `(a, b)` in this order (see
    /// [`CouplingMap::allows`]).
    pub fn allows(&self, a: usize, b: usize) -> bool {
        self.coupling.allows(a, b)
    }

    /// Errors unless a circuit of `circuit_qubits` qubits fits.
    pub fn check_width(&self, circuit_qubits: usize) -> Result<(), CompileError> {
        if circuit_qubits > self.num_qubits() {
            return Err(CompileError::CircuitTooWide {
                circuit_qubits,
                target: self.name.clone(),
                target_qubits: self.num_qubits(),
            });
        }
        Ok(())
    }

    /// Per-qubit calibration data (empty when the target has none).
    pub fn qubit_properties(&self) -> &[QubitProperties] {
        &self.qubit_props
    }

    /// Per-gate calibration data.
    pub fn gate_properties(&self) -> &[GateProperties] {
        &self.gate_props
    }

    /// Whether any error rate is known (layout then prefers better qubits).
    pub fn has_error_rates(&self) -> bool {
        self.gate_props.iter().any(|p| p.error.is_some())
            || self.qubit_props.iter().any(|p| p.readout_error.is_some())
    }

    /// Calibration of `gate` on `qubits`, if recorded.
    pub fn gate_property(&self, gate: StandardGate, qubits: &[usize]) -> Option<&GateProperties> {
        self.gate_index.get(&key(gate, qubits)).map(|&i| &self.gate_props[i])
    }

    /// Error rate of `gate` on `qubits`, if recorded.
    pub fn gate_error(&self, gate: StandardGate, qubits: &[usize]) -> Option<f64> {
        self.gate_property(gate, qubits).and_then(|p| p.error)
    }

    /// Duration of `gate` on `qubits` in seconds, if recorded.
    pub fn gate_duration(&self, gate: StandardGate, qubits: &[usize]) -> Option<f64> {
        self.gate_property(gate, qubits).and_then(|p| p.duration)
    }

    /// Best recorded error of any native two-qubit gate between `a` and `b`
    /// (either order), if any.
    pub fn coupling_error(&self, a: usize, b: usize) -> Option<f64> {
        self.basis
            .iter()
            .filter(|g| g.num_qubits() == 2)
            .flat_map(|&g| [self.gate_error(g, &[a, b]), self.gate_error(g, &[b, a])])
            .flatten()
            .min_by(f64::total_cmp)
    }

    /// Readout error of qubit `q`, if recorded.
    pub fn readout_error(&self, q: usize) -> Option<f64> {
        self.qubit_props.get(q).and_then(|p| p.readout_error)
    }
}

fn key(gate: StandardGate, qubits: &[usize]) -> (StandardGate, usize, usize) {
    (
        gate,
        qubits.first().copied().unwrap_or(usize::MAX),
        qubits.get(1).copied().unwrap_or(usize::MAX),
    )
}

fn check_probability(v: Option<f64>, what: impl Fn() -> String) -> Result<(), CompileError> {
    match v {
        Some(x) if !(0.0..=1.0).contains(&x) => Err(CompileError::InvalidTarget(format!(
            "{} must be a probability in [0, 1], got {x}",
            what()
        ))),
        _ => Ok(()),
    }
}

fn check_positive(v: Option<f64>, what: impl Fn() -> String) -> Result<(), CompileError> {
    match v {
        Some(x) if !(x.is_finite() && x >= 0.0) => Err(CompileError::InvalidTarget(format!(
            "{} must be a non-negative number of seconds, got {x}",
            what()
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line3() -> Target {
        Target::new(
            "t",
            &[StandardGate::Cx, StandardGate::Rz, StandardGate::Sx, StandardGate::Cx],
            CouplingMap::line(3).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn basis_is_sorted_and_queried() {
        let t = line3();
        assert_eq!(t.basis_gates(), &[StandardGate::Rz, StandardGate::Sx, StandardGate::Cx]);
        assert!(t.supports(StandardGate::Sx) && !t.supports(StandardGate::H));
        assert_eq!(t.two_qubit_gates(), vec![StandardGate::Cx]);
        assert_eq!(t.one_qubit_gates(), vec![StandardGate::Rz, StandardGate::Sx]);
        assert_eq!(
            t.check_width(4).unwrap_err().to_string(),
            "the circuit has 4 qubits but target `t` has only 3"
        );
    }

    #[test]
    fn coupled_target_needs_two_qubit_gate() {
        let e = Target::new("x", &[StandardGate::Rz], CouplingMap::line(2).unwrap()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid target: target `x` couples qubits but has no native two-qubit gate"
        );
    }

    #[test]
    fn gate_properties_are_validated_and_indexed() {
        let props = vec![
            GateProperties {
                gate: StandardGate::Cx,
                qubits: vec![1, 2],
                error: Some(0.01),
                duration: Some(3e-7),
            },
            GateProperties {
                gate: StandardGate::Cx,
                qubits: vec![2, 1],
                error: Some(0.02),
                duration: None,
            },
        ];
        let t = line3().with_gate_properties(props).unwrap();
        assert_eq!(t.gate_error(StandardGate::Cx, &[1, 2]), Some(0.01));
        assert_eq!(t.gate_duration(StandardGate::Cx, &[1, 2]), Some(3e-7));
        assert_eq!(t.coupling_error(2, 1), Some(0.01));
        assert_eq!(t.coupling_error(0, 1), None);
        assert!(t.has_error_rates());
        let bad = vec![GateProperties {
            gate: StandardGate::Cx,
            qubits: vec![0, 2],
            error: None,
            duration: None,
        }];
        assert_eq!(
            line3().with_gate_properties(bad).unwrap_err().to_string(),
            "invalid target: gate property #0 (cx on [0, 2]): the qubits are not coupled in that direction"
        );
        let bad = vec![QubitProperties { readout_error: Some(1.5), t1: None, t2: None }; 3];
        assert_eq!(
            line3().with_qubit_properties(bad).unwrap_err().to_string(),
            "invalid target: readout error of qubit 0 must be a probability in [0, 1], got 1.5"
        );
    }
}
