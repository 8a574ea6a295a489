//! Placing a model's channels on the operations of a lowered program.
//!
//! [`attach`] returns, for each operation of a [`Program`], the channels to
//! apply before and after it on concrete circuit qubits, and the readout
//! error of a measurement. Gate names are read from the flattened circuit
//! (`Op::source`), so custom gates get the noise of the table gates they
//! expand to.

use std::sync::Arc;

use qv_circuit::{GateRef, Operation};

use super::{Channel, NoiseModel, NoisyOperation, ReadoutError};
use crate::program::{Kind, Program};

/// A channel on concrete circuit qubits (channel qubit `j` = `qubits[j]`).
#[derive(Clone, Debug)]
pub(crate) struct Applied {
    /// The channel.
    pub channel: Arc<Channel>,
    /// Circuit qubits.
    pub qubits: Vec<usize>,
}

/// The noise of one operation.
#[derive(Clone, Debug, Default)]
pub(crate) struct OpNoise {
    /// Channels before the operation (measurements).
    pub before: Vec<Applied>,
    /// Channels after the operation (gates and resets).
    pub after: Vec<Applied>,
    /// The readout error of a measurement.
    pub readout: Option<ReadoutError>,
}

/// The noise of every operation of `program` (all empty without a model).
pub(crate) fn attach(program: &Program, model: Option<&NoiseModel>) -> Vec<OpNoise> {
    let Some(model) = model.filter(|m| !m.is_ideal()) else {
        return vec![OpNoise::default(); program.ops.len()];
    };
    let place = |op: NoisyOperation, qubits: &[usize]| -> Vec<Applied> {
        model
            .errors_for(op, qubits)
            .iter()
            .map(|a| Applied {
                channel: a.channel.clone(),
                qubits: a.positions.iter().map(|&p| qubits[p]).collect(),
            })
            .collect()
    };
    program
        .ops
        .iter()
        .map(|op| match &op.kind {
            Kind::Gate { qubits, .. } => {
                let gate =
                    program.circuit.instructions().get(op.source).and_then(|inst| match inst.op {
                        Operation::Gate { gate: GateRef::Standard(g), .. } => Some(g),
                        _ => None,
                    });
                let after = gate.map_or_else(Vec::new, |g| place(NoisyOperation::Gate(g), qubits));
                OpNoise { after, ..OpNoise::default() }
            }
            Kind::Measure { qubit, .. } => OpNoise {
                before: place(NoisyOperation::Measure, &[*qubit]),
                readout: model.readout_error(*qubit).copied(),
                ..OpNoise::default()
            },
            Kind::Reset { qubit } => {
                OpNoise { after: place(NoisyOperation::Reset, &[*qubit]), ..OpNoise::default() }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use qv_circuit::Circuit;

    #[test]
    fn channels_land_on_the_operation_qubits() {
        let mut m = NoiseModel::new();
        m.add_all_qubit_error(Channel::amplitude_damping(0.1, 0.0).unwrap(), &["cx"]).unwrap();
        m.add_error(Channel::phase_damping(0.2).unwrap(), &["measure"], &[1]).unwrap();
        m.add_all_qubit_error(Channel::reset(0.1, 0.0).unwrap(), &["reset"]).unwrap();
        let c = Circuit::with_clbits(3, 2).cx(2, 0).reset(1).measure(1, 0).measure(0, 1);
        let p = Program::lower(&c).unwrap();
        let noise = attach(&p, Some(&m));
        let qubits = |v: &[Applied]| v.iter().map(|a| a.qubits.clone()).collect::<Vec<_>>();
        assert_eq!(qubits(&noise[0].after), vec![vec![2], vec![0]]);
        assert_eq!(qubits(&noise[1].after), vec![vec![1]]);
        assert_eq!(qubits(&noise[2].before), vec![vec![1]]);
        assert!(noise[3].before.is_empty() && noise[3].after.is_empty());
        assert!(attach(&p, None).iter().all(|o| o.after.is_empty() && o.readout.is_none()));
    }
}
