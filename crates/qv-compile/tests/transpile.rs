//! End-to-end compilation: every level on every built-in target.
//!
//! Each compiled circuit must use only the target's native gates, put every
//! two-qubit gate on a coupling, and implement the input: for small circuits
//! the full unitary up to global phase with the reported initial and final
//! layouts (computed on the physical qubits the output touches), for larger
//! ones the final state from random product inputs, and for circuits with
//! measurements, resets and conditions the exact outcome distribution.
//! References come from `pass_support::unitary` and qv-sim, never from the
//! compiler.

mod pass_support;

use pass_support::{assert_equiv_with_layouts, random_circuit, rng, table_gates};
use qv_circuit::{Circuit, GateRef, Instruction, Operation, StandardGate};
use qv_compile::manager::{transpile, TranspileOptions, TranspileResult};
use qv_compile::target::{builtin, CouplingMap, Target};
use rand::Rng;

fn builtin_targets() -> Vec<Target> {
    let mut targets: Vec<Target> = builtin::devices().into_iter().map(|t| t.unwrap()).collect();
    for name in ["line:5", "ring:6", "grid:2x3", "all:4"] {
        targets.push(Target::from_name(name).unwrap());
    }
    targets
}

/// Native gates only, two-qubit gates on couplings.
fn assert_native(result: &TranspileResult, target: &Target, what: &str) {
    for inst in result.circuit.instructions() {
        match &inst.op {
            Operation::Gate { gate: GateRef::Standard(g), .. } => {
                assert!(target.supports(*g), "{what}: `{}` is not native", g.name());
                if inst.qubits.len() == 2 {
                    let (a, b) = (inst.qubits[0], inst.qubits[1]);
                    assert!(target.allows(a, b), "{what}: `{}` on uncoupled ({a}, {b})", g.name());
                }
                assert!(inst.qubits.len() <= 2, "{what}: a gate on {} qubits", inst.qubits.len());
            }
            Operation::Gate { .. } => panic!("{what}: custom gate in the output"),
            _ => {}
        }
    }
}

/// The output restricted to the physical qubits it touches (plus those the
/// layouts name), renumbered densely, with the layouts renumbered to match.
fn compress(result: &TranspileResult) -> (Circuit, Vec<usize>, Vec<usize>) {
    let out = &result.circuit;
    let mut used: Vec<usize> = out
        .instructions()
        .iter()
        .filter(|i| !matches!(i.op, Operation::Barrier))
        .flat_map(|i| i.qubits.iter().copied())
        .chain(result.initial_layout.iter().copied())
        .chain(result.final_layout.iter().copied())
        .collect();
    used.sort_unstable();
    used.dedup();
    let index = |p: usize| used.binary_search(&p).expect("used qubit");
    let mut small = Circuit::new(used.len());
    for reg in out.cregs() {
        small.add_creg(&reg.name, reg.size).unwrap();
    }
    small.global_phase = out.global_phase;
    for inst in out.instructions() {
        if matches!(inst.op, Operation::Barrier) {
            continue;
        }
        small
            .push(Instruction {
                op: inst.op.clone(),
                qubits: inst.qubits.iter().map(|&p| index(p)).collect(),
                clbits: inst.clbits.clone(),
                condition: inst.condition,
            })
            .unwrap();
    }
    let init = result.initial_layout.iter().map(|&p| index(p)).collect();
    let fin = result.final_layout.iter().map(|&p| index(p)).collect();
    (small, init, fin)
}

fn compile(c: &Circuit, target: &Target, level: u8, seed: u64) -> TranspileResult {
    transpile(c, target, &TranspileOptions { level, seed })
        .unwrap_or_else(|e| panic!("{} level {level}: {e}", target.name()))
}

#[test]
fn small_random_circuits_are_equivalent_at_every_level_on_every_target() {
    let gates = table_gates(3);
    for target in builtin_targets() {
        for level in 0..=3u8 {
            for case in 0..6u64 {
                let seed = 100 * u64::from(level) + case;
                let mut r = rng(seed ^ target.num_qubits() as u64);
                let n = r.gen_range(2..=5.min(target.num_qubits()));
                let c = random_circuit(&mut r, n, 16, &gates);
                let what = format!("{} level {level} case {case}", target.name());
                let result = compile(&c, &target, level, seed);
                assert_native(&result, &target, &what);
                let (small, init, fin) = compress(&result);
                assert!(small.num_qubits() <= 10, "{what}: touches {} qubits", small.num_qubits());
                assert_equiv_with_layouts(&c, &small, &init, &fin, &what);
            }
        }
    }
}

/// A directed device: every native two-qubit gate must run in its listed
/// direction, including gates the input used the other way round.
#[test]
fn directed_couplings_are_respected() {
    use StandardGate::*;
    let map = CouplingMap::new(4, &[(0, 1), (2, 1), (2, 3), (3, 0)], true).unwrap();
    for basis in [[Ecr, Rz, Sx, X], [Cx, Rz, Sx, X]] {
        let target = Target::new("directed", &basis, map.clone()).unwrap();
        let gates = table_gates(2);
        for level in 0..=3u8 {
            for case in 0..4u64 {
                let mut r = rng(500 + case);
                let c = random_circuit(&mut r, 4, 14, &gates);
                let what = format!("directed {} level {level} case {case}", basis[0].name());
                let result = compile(&c, &target, level, case);
                assert_native(&result, &target, &what);
                let (small, init, fin) = compress(&result);
                assert_equiv_with_layouts(&c, &small, &init, &fin, &what);
            }
        }
    }
}

/// Larger circuits: compare final states from random product inputs.
#[test]
fn wider_circuits_keep_their_states_on_routed_targets() {
    use StandardGate::*;
    let gates = [H, Cx, Rz, Sx, Cz, Swap, Cp, Rzz, U, Ccx, T];
    for name in ["ibm_eagle", "google_sycamore", "rigetti_ankaa", "line:12"] {
        let target = Target::from_name(name).unwrap();
        for level in [1u8, 2, 3] {
            let mut r = rng(7 + u64::from(level));
            let c = random_circuit(&mut r, 10, 60, &gates);
            let result = compile(&c, &target, level, 3);
            let what = format!("{name} level {level}");
            assert_native(&result, &target, &what);
            let (small, init, fin) = compress(&result);
            assert!(small.num_qubits() <= 20, "{what}: touches {} qubits", small.num_qubits());
            for trial in 0..2 {
                pass_support::assert_same_state_from_product_inputs(
                    &c,
                    &small,
                    &init,
                    &fin,
                    &mut rng(trial),
                    &what,
                );
            }
        }
    }
}

/// Terminal measurements stay terminal: routing finishes before them, so no
/// gate (or routing swap) touches a measured qubit afterwards, and the
/// outcome distribution is unchanged.
#[test]
fn terminal_measurements_stay_terminal() {
    use StandardGate::*;
    let gates = [H, Cx, Rz, Cp, Swap, Sx, Rzz];
    for name in ["ibm_eagle", "grid:3x3", "line:6", "rigetti_ankaa"] {
        let target = Target::from_name(name).unwrap();
        for level in 0..=3u8 {
            for case in 0..3u64 {
                let mut r = rng(900 + case);
                let n = 6;
                let unitary = random_circuit(&mut r, n, 30, &gates);
                let mut c = Circuit::with_clbits(n, n);
                for inst in unitary.instructions() {
                    c.push(inst.clone()).unwrap();
                }
                // Measure in a scrambled order, without a barrier.
                for q in [3, 0, 5, 1, 4, 2] {
                    c = c.measure(q, q);
                }
                let what = format!("{name} level {level} case {case}");
                let result = compile(&c, &target, level, case);
                assert!(
                    result.circuit.measurements_are_terminal(),
                    "{what}: measurement not terminal"
                );
                let (small, _, _) = compress(&result);
                let want = qv_sim::probabilities(&c).unwrap();
                let got = qv_sim::probabilities(&small).unwrap();
                assert_eq!(want.values.len(), got.values.len(), "{what}");
                for ((kw, pw), (kg, pg)) in want.values.iter().zip(&got.values) {
                    assert_eq!(kw, kg, "{what}");
                    assert!((pw - pg).abs() < 1e-9, "{what}: P({kw}) = {pg}, want {pw}");
                }
            }
        }
    }
}

/// Measurements, resets, barriers and conditions keep the exact outcome
/// distribution over the classical bits.
#[test]
fn measurements_resets_and_conditions_keep_their_distribution() {
    let src = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[4];\ncreg a[2];\ncreg b[2];\n\
               h q[0];\ncx q[0], q[2];\nrz(0.3) q[2];\nmeasure q[2] -> a[0];\n\
               if (a == 1) x q[3];\nreset q[2];\nh q[2];\ncx q[2], q[1];\nt q[1];\n\
               barrier q;\ncz q[1], q[3];\nry(0.7) q[0];\nmeasure q[0] -> a[1];\n\
               measure q[1] -> b[0];\nmeasure q[3] -> b[1];\n";
    let c = qv_circuit::qasm2::parse(src, "mid.qasm").unwrap();
    let want = qv_sim::probabilities(&c).unwrap();
    for target in builtin_targets() {
        for level in 0..=3u8 {
            let result = compile(&c, &target, level, 11);
            let what = format!("{} level {level}", target.name());
            assert_native(&result, &target, &what);
            let (small, _, _) = compress(&result);
            let got = qv_sim::probabilities(&small).unwrap();
            assert_eq!(want.values.len(), got.values.len(), "{what}");
            for ((kw, pw), (kg, pg)) in want.values.iter().zip(&got.values) {
                assert_eq!(kw, kg, "{what}");
                assert!((pw - pg).abs() < 1e-9, "{what}: P({kw}) = {pg}, want {pw}");
            }
        }
    }
}

#[test]
fn optimisation_reduces_two_qubit_gates() {
    // cx pairs around commuting gates and a swap that merges with its cx.
    let c = Circuit::new(3).cx(0, 1).rz(0.3, 0).cx(0, 1).h(2).cx(1, 2).swap(1, 2).cx(0, 2);
    let t = Target::from_name("line:3").unwrap();
    let l0 = compile(&c, &t, 0, 1).stats.two_qubit_gates;
    let l2 = compile(&c, &t, 2, 1).stats.two_qubit_gates;
    assert!(l2 < l0, "level 2 ({l2}) is not better than level 0 ({l0})");
    // Swaps in the source are elided at level 2: only cx(1,2) and cx(0,2)
    // remain, and on a line one of them needs a swap or they merge.
    assert!(l2 <= 3, "level 2 left {l2} two-qubit gates");
}

#[test]
fn perfect_layouts_need_no_swaps() {
    // A star of three interactions fits a degree-3 heavy-hex qubit, but
    // not the trivial placement (qubits 0 and 2 are not coupled).
    let c = Circuit::new(4).h(0).cx(0, 1).cx(0, 2).cx(0, 3);
    let t = Target::from_name("ibm_eagle").unwrap();
    let r = compile(&c, &t, 2, 0);
    assert_eq!(r.stats.swaps_inserted, 0);
    assert_eq!(r.stats.layout_method, "vf2");
    assert_eq!(r.stats.two_qubit_gates, 3);
    assert_eq!(r.initial_layout, r.final_layout);
}

#[test]
fn bad_input_gets_clear_errors() {
    let t = Target::from_name("line:3").unwrap();
    let wide = Circuit::new(4).h(3);
    let e = transpile(&wide, &t, &TranspileOptions::default()).unwrap_err();
    assert_eq!(e.to_string(), "the circuit has 4 qubits but target `line:3` has only 3");
    let e = transpile(&Circuit::new(1), &t, &TranspileOptions { level: 4, seed: 0 }).unwrap_err();
    assert_eq!(e.to_string(), "invalid option: optimisation level 4 is out of range (0 to 3)");
    // A target whose gates cannot express rz(0.3): only h and cx.
    let limited =
        Target::new("hcx", &[StandardGate::H, StandardGate::Cx], CouplingMap::line(2).unwrap())
            .unwrap();
    let c = Circuit::new(2).rz(0.3, 0).cx(0, 1);
    let e = transpile(&c, &limited, &TranspileOptions::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "target `hcx` cannot express gate `rz`: the native one-qubit gates (h) cannot build arbitrary rotations"
    );
    // ...but a circuit of its own gates compiles.
    let ok = Circuit::new(2).h(0).cx(0, 1).h(1);
    assert!(transpile(&ok, &limited, &TranspileOptions::default()).is_ok());
    // No two-qubit gate at all.
    let single = Target::new(
        "solo",
        &[StandardGate::Rz, StandardGate::Sx],
        CouplingMap::new(2, &[], false).unwrap(),
    )
    .unwrap();
    let e = transpile(&c, &single, &TranspileOptions::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "target `solo` cannot express gate `cx`: the target has no two-qubit gate"
    );
}
