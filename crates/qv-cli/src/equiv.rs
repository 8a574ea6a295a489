//! `qv equiv A.qasm B.qasm`: does compiled circuit B implement circuit A?
//!
//! A acts on virtual qubits `0..n`; B on physical qubits. `--initial-layout`
//! and `--final-layout` give the physical qubit of each virtual qubit before
//! and after B (default: qubit `v` on `v`); B's other qubits are ancillas
//! that start in |0⟩ and must end in |0⟩. B is equivalent to A when, for
//! every input, running B from the initial placement gives A's output state
//! at the final placement, up to one global phase.
//!
//! With at most [`EXACT_MAX_VIRTUAL`] virtual and [`EXACT_MAX_USED`] used
//! physical qubits every basis input is checked (the full unitary); larger
//! circuits are checked on [`RANDOM_ROUNDS`] random product states (up to
//! [`RANDOM_MAX_USED`] used qubits). Idle qubits of B are left out. Barriers
//! are ignored and terminal measurements must read the same qubit (through
//! the final layout) into the same bit; mid-circuit measurement, reset and
//! conditions are rejected.

use qv_circuit::{Circuit, GateRef, Operation, C64};
use serde::Serialize;

use crate::cli::EquivArgs;
use crate::error::CliError;
use crate::input;
use crate::output::Out;

/// Largest circuit A compared on every basis input.
pub const EXACT_MAX_VIRTUAL: usize = 10;
/// Largest number of used qubits of B for the exact comparison.
pub const EXACT_MAX_USED: usize = 14;
/// Largest number of used qubits of B for the random-state comparison.
pub const RANDOM_MAX_USED: usize = 24;
/// Random product states tried by the larger comparison.
pub const RANDOM_ROUNDS: usize = 4;

const TOLERANCE: f64 = 1e-8;

#[derive(Serialize)]
struct EquivJson {
    equivalent: bool,
    method: &'static str,
    virtual_qubits: usize,
    used_qubits: usize,
    max_deviation: f64,
}

/// Runs `qv equiv`.
pub fn equiv(args: &EquivArgs) -> Result<(), CliError> {
    let a = input::load(&args.first)?.flatten().map_err(|e| CliError::Input(e.to_string()))?;
    let b = input::load(&args.second)?.flatten().map_err(|e| CliError::Input(e.to_string()))?;
    let n = a.num_qubits();
    let parse = |spec: &Option<String>, what: &str| -> Result<Vec<usize>, CliError> {
        match spec {
            None => Ok((0..n).collect()),
            Some(s) => parse_layout(s, n, b.num_qubits())
                .map_err(|e| CliError::Input(format!("{what}: {e}"))),
        }
    };
    let initial = parse(&args.initial_layout, "--initial-layout")?;
    let fin = parse(&args.final_layout, "--final-layout")?;
    let report = compare(&a, &b, &initial, &fin).map_err(CliError::Input)?;
    let mut out = Out::stdout();
    if args.json {
        out.json(&report)?;
    } else if report.equivalent {
        out.line(&format!(
            "equivalent ({}, {} virtual qubits, {} used physical qubits)",
            report.method, report.virtual_qubits, report.used_qubits
        ))?;
    } else {
        out.line(&format!(
            "not equivalent ({}): the outputs differ by up to {:.3e}",
            report.method, report.max_deviation
        ))?;
    }
    out.finish()?;
    if report.equivalent {
        Ok(())
    } else {
        Err(CliError::Internal("the circuits are not equivalent".into()))
    }
}

/// Parses `3,0,1` (or `[3, 0, 1]`): one distinct physical qubit per virtual qubit.
fn parse_layout(spec: &str, n: usize, width: usize) -> Result<Vec<usize>, String> {
    let trimmed = spec.trim().trim_start_matches('[').trim_end_matches(']');
    let layout: Vec<usize> = trimmed
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            s.trim().parse::<usize>().map_err(|_| format!("`{}` is not a qubit index", s.trim()))
        })
        .collect::<Result<_, _>>()?;
    if layout.len() != n {
        return Err(format!(
            "expected {n} physical qubits (one per qubit of the first circuit), got {}",
            layout.len()
        ));
    }
    let mut seen = vec![false; width];
    for &p in &layout {
        if p >= width {
            return Err(format!(
                "physical qubit {p} is out of range (the second circuit has {width} qubits)"
            ));
        }
        if std::mem::replace(&mut seen[p], true) {
            return Err(format!("physical qubit {p} appears twice"));
        }
    }
    Ok(layout)
}

/// Instruction indices of a circuit's gates and its terminal measurements
/// `(qubit, clbit)`, sorted by bit.
type Split = (Vec<usize>, Vec<(usize, usize)>);

/// The unitary part of a circuit and its terminal measurements `(qubit, clbit)`.
fn split_measurements(c: &Circuit, name: &str) -> Result<Split, String> {
    let mut gates = Vec::new();
    let mut measures = Vec::new();
    let mut measured = vec![false; c.num_qubits()];
    for (i, inst) in c.instructions().iter().enumerate() {
        if inst.condition.is_some() {
            return Err(format!("{name}: conditioned operations cannot be compared as unitaries"));
        }
        match &inst.op {
            Operation::Gate { gate, .. } => {
                if let GateRef::Custom(_) = gate {
                    return Err(format!("{name}: gate `{}` has no definition", c.gate_name(*gate)));
                }
                if inst.qubits.iter().any(|&q| measured[q]) {
                    return Err(format!(
                        "{name}: a gate follows a measurement (mid-circuit measurement)"
                    ));
                }
                gates.push(i);
            }
            Operation::Measure => {
                if std::mem::replace(&mut measured[inst.qubits[0]], true) {
                    return Err(format!("{name}: qubit {} is measured twice", inst.qubits[0]));
                }
                measures.push((inst.qubits[0], inst.clbits[0]));
            }
            Operation::Reset => {
                return Err(format!("{name}: reset cannot be compared as a unitary"))
            }
            Operation::Barrier => {}
        }
    }
    measures.sort_by_key(|&(_, c)| c);
    Ok((gates, measures))
}

fn compare(
    a: &Circuit,
    b: &Circuit,
    initial: &[usize],
    fin: &[usize],
) -> Result<EquivJson, String> {
    let (a_gates, a_meas) = split_measurements(a, "first circuit")?;
    let (b_gates, b_meas) = split_measurements(b, "second circuit")?;
    let n = a.num_qubits();
    // Used physical qubits of B: touched by a gate or named by a layout.
    let mut used = vec![false; b.num_qubits()];
    for &i in &b_gates {
        for &q in &b.instructions()[i].qubits {
            used[q] = true;
        }
    }
    for &p in initial.iter().chain(fin) {
        used[p] = true;
    }
    let used: Vec<usize> = (0..b.num_qubits()).filter(|&q| used[q]).collect();
    let m = used.len();
    let pos = |p: usize| used.binary_search(&p).unwrap_or(0);
    let init_pos: Vec<usize> = initial.iter().map(|&p| pos(p)).collect();
    let fin_pos: Vec<usize> = fin.iter().map(|&p| pos(p)).collect();
    let b_ops = compile_ops(b, &b_gates, pos)?;
    let a_ops = compile_ops(a, &a_gates, |q| q)?;
    let expected_meas: Vec<(usize, usize)> = a_meas.iter().map(|&(q, c)| (fin[q], c)).collect();
    let mut report = EquivJson {
        equivalent: true,
        method: "",
        virtual_qubits: n,
        used_qubits: m,
        max_deviation: 0.0,
    };
    if expected_meas != b_meas {
        report.equivalent = false;
        report.method = "measurements";
        report.max_deviation = 1.0;
        return Ok(report);
    }
    // Pairs of (state after B from the initial placement, A's state placed finally).
    let mut deviation = Deviation::default();
    if n <= EXACT_MAX_VIRTUAL && m <= EXACT_MAX_USED {
        report.method = "unitary up to global phase";
        for x in 0..1usize << n {
            let mut a_state = basis(n, x);
            run(&a_ops, &mut a_state);
            let mut b_state = basis(m, place(x, &init_pos));
            run(&b_ops, &mut b_state);
            deviation.add(&b_state, &spread(&a_state, &fin_pos, m));
        }
    } else if m <= RANDOM_MAX_USED && n <= RANDOM_MAX_USED {
        report.method = "random product states";
        let mut seed = 0x0E9_u64;
        for _ in 0..RANDOM_ROUNDS {
            let angles: Vec<[f64; 3]> = (0..n)
                .map(|_| [3.2 * unit(&mut seed), 6.3 * unit(&mut seed), 6.3 * unit(&mut seed)])
                .collect();
            let mut a_state = product(&angles, &(0..n).collect::<Vec<_>>(), n);
            run(&a_ops, &mut a_state);
            let mut b_state = product(&angles, &init_pos, m);
            run(&b_ops, &mut b_state);
            deviation.add(&b_state, &spread(&a_state, &fin_pos, m));
        }
    } else {
        return Err(format!(
            "the circuits are too large to compare: {n} virtual and {m} used physical qubits \
             (at most {RANDOM_MAX_USED})"
        ));
    }
    report.max_deviation = deviation.max;
    report.equivalent = deviation.max <= TOLERANCE;
    Ok(report)
}

/// Largest deviation after fixing one global phase from the first large amplitude.
#[derive(Default)]
struct Deviation {
    phase: Option<C64>,
    max: f64,
}

impl Deviation {
    fn add(&mut self, actual: &[C64], expected: &[C64]) {
        if self.phase.is_none() {
            if let Some(i) = (0..expected.len())
                .max_by(|&i, &j| expected[i].norm().total_cmp(&expected[j].norm()))
            {
                if actual[i].norm() > 1e-6 {
                    let r = actual[i] / expected[i];
                    self.phase = Some(r / r.norm());
                }
            }
        }
        let phase = self.phase.unwrap_or(C64::new(1.0, 0.0));
        for (x, y) in actual.iter().zip(expected) {
            self.max = self.max.max((x - y * phase).norm());
        }
    }
}

/// A gate matrix and the register positions it acts on.
struct Op {
    matrix: Vec<C64>,
    qubits: Vec<usize>,
}

fn compile_ops(
    c: &Circuit,
    gates: &[usize],
    map: impl Fn(usize) -> usize,
) -> Result<Vec<Op>, String> {
    gates
        .iter()
        .map(|&i| {
            let inst = &c.instructions()[i];
            let Operation::Gate { gate: GateRef::Standard(g), params } = &inst.op else {
                return Err("internal: not a table gate".to_string());
            };
            let values: Vec<f64> = params
                .iter()
                .map(|p| p.eval_const().map_err(|e| format!("parameter of `{}`: {e}", g.name())))
                .collect::<Result<_, _>>()?;
            Ok(Op {
                matrix: g.matrix(&values).data().to_vec(),
                qubits: inst.qubits.iter().map(|&q| map(q)).collect(),
            })
        })
        .collect()
}

fn run(ops: &[Op], state: &mut [C64]) {
    let mut amp = Vec::new();
    let mut idx = Vec::new();
    for op in ops {
        let k = op.qubits.len();
        let dim = 1usize << k;
        amp.resize(dim, C64::new(0.0, 0.0));
        idx.resize(dim, 0);
        let mask: usize = op.qubits.iter().map(|&q| 1usize << q).sum();
        for base in (0..state.len()).filter(|b| b & mask == 0) {
            for s in 0..dim {
                let i = op
                    .qubits
                    .iter()
                    .enumerate()
                    .fold(base, |acc, (j, &q)| acc | ((s >> j & 1) << q));
                idx[s] = i;
                amp[s] = state[i];
            }
            for r in 0..dim {
                let row = &op.matrix[r * dim..(r + 1) * dim];
                state[idx[r]] = row.iter().zip(&amp).map(|(m, a)| m * a).sum();
            }
        }
    }
}

/// A number in [0, 1) from a SplitMix64 stream (fixed seed: reproducible checks).
fn unit(state: &mut u64) -> f64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) as f64 / (u64::MAX as f64 + 1.0)
}

fn basis(width: usize, x: usize) -> Vec<C64> {
    let mut s = vec![C64::new(0.0, 0.0); 1 << width];
    s[x] = C64::new(1.0, 0.0);
    s
}

/// Moves bit `v` of `x` to bit `to[v]`.
fn place(x: usize, to: &[usize]) -> usize {
    to.iter().enumerate().fold(0, |acc, (v, &t)| acc | ((x >> v & 1) << t))
}

/// Embeds an `n`-qubit state into `width` qubits with qubit `v` at `to[v]`, others |0⟩.
fn spread(state: &[C64], to: &[usize], width: usize) -> Vec<C64> {
    let mut out = vec![C64::new(0.0, 0.0); 1 << width];
    for (x, &a) in state.iter().enumerate() {
        out[place(x, to)] = a;
    }
    out
}

/// The product state with qubit `v` at `at[v]` in U(θ, φ, λ)|0⟩, others |0⟩.
fn product(angles: &[[f64; 3]], at: &[usize], width: usize) -> Vec<C64> {
    let mut s = basis(width, 0);
    let ops: Vec<Op> = angles
        .iter()
        .zip(at)
        .map(|(a, &q)| Op {
            matrix: qv_circuit::StandardGate::U.matrix(a).data().to_vec(),
            qubits: vec![q],
        })
        .collect();
    run(&ops, &mut s);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_parse_and_validate() {
        assert_eq!(parse_layout("[2, 0,1]", 3, 4).unwrap(), vec![2, 0, 1]);
        assert_eq!(parse_layout("0,0", 2, 4).unwrap_err(), "physical qubit 0 appears twice");
        assert_eq!(
            parse_layout("0,9", 2, 4).unwrap_err(),
            "physical qubit 9 is out of range (the second circuit has 4 qubits)"
        );
        assert_eq!(
            parse_layout("0", 2, 4).unwrap_err(),
            "expected 2 physical qubits (one per qubit of the first circuit), got 1"
        );
    }

    #[test]
    fn routed_swap_with_layouts_is_equivalent() {
        // A: cx(0,2) on three qubits. B (line 0-1-2): swap(1,2) then cx(0,1);
        // virtual 2 ends on physical 1 and virtual 1 on physical 2.
        let a = Circuit::new(3).h(0).cx(0, 2);
        let b = Circuit::new(3).h(0).swap(1, 2).cx(0, 1);
        let r = compare(&a, &b, &[0, 1, 2], &[0, 2, 1]).unwrap();
        assert!(r.equivalent, "deviation {}", r.max_deviation);
        let wrong = compare(&a, &b, &[0, 1, 2], &[0, 1, 2]).unwrap();
        assert!(!wrong.equivalent);
        assert!(wrong.max_deviation > 0.5);
    }

    #[test]
    fn global_phase_is_ignored_but_relative_phase_is_not() {
        let a = Circuit::new(1).rz(0.4, 0);
        let b = Circuit::new(1).p(0.4, 0);
        assert!(compare(&a, &b, &[0], &[0]).unwrap().equivalent);
        let c = Circuit::new(1).p(0.5, 0);
        assert!(!compare(&a, &c, &[0], &[0]).unwrap().equivalent);
    }
}
