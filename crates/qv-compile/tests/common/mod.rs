//! Shared checks for layout and routing tests: random circuits, "every
//! two-qubit gate on an edge", and equivalence of a routed circuit with its
//! input up to the initial and final layouts.
//!
//! Equivalence is checked on the physical qubits the routed circuit uses
//! (plus the initial places of the circuit's qubits): with at most
//! [`UNITARY_MAX_QUBITS`] of them the full unitaries are compared up to one
//! global phase, otherwise the states reached from random product inputs.
//! The simulator here is a plain dense one applying gate-table matrices, so it
//! shares nothing with the code under test.

#![allow(dead_code)]

use qv_circuit::{Circuit, Expr, GateRef, Instruction, Operation, StandardGate, C64};
use qv_compile::layout::Layout;
use qv_compile::routing::RoutedCircuit;
use qv_compile::target::Target;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Largest compacted width compared by full unitary.
pub const UNITARY_MAX_QUBITS: usize = 8;

/// A random unitary circuit of one- and two-qubit table gates and barriers.
pub fn random_circuit(n: usize, num_gates: usize, seed: u64) -> Circuit {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut c = Circuit::new(n);
    let one = [StandardGate::H, StandardGate::T, StandardGate::Sx, StandardGate::S];
    let two = [StandardGate::Cx, StandardGate::Cz, StandardGate::Swap, StandardGate::Cy];
    for _ in 0..num_gates {
        let r: f64 = rng.gen();
        if n >= 2 && r < 0.5 {
            let a = rng.gen_range(0..n);
            let mut b = rng.gen_range(0..n - 1);
            if b >= a {
                b += 1;
            }
            if rng.gen_bool(0.2) {
                let g = [StandardGate::Cp, StandardGate::Rzz][rng.gen_range(0..2)];
                c = c.gate(g, &[rng.gen_range(-3.0..3.0)], &[a, b]);
            } else {
                c = c.gate(two[rng.gen_range(0..two.len())], &[], &[a, b]);
            }
        } else if r < 0.97 {
            let q = rng.gen_range(0..n);
            if rng.gen_bool(0.3) {
                let p: Vec<f64> = (0..3).map(|_| rng.gen_range(-3.0..3.0)).collect();
                c = c.gate(StandardGate::U, &p, &[q]);
            } else {
                c = c.gate(one[rng.gen_range(0..one.len())], &[], &[q]);
            }
        } else {
            let k = rng.gen_range(1..=n);
            let qs: Vec<usize> = (0..k)
                .map(|_| rng.gen_range(0..n))
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            c = c.barrier(&qs);
        }
    }
    c
}

/// Panics unless every two-qubit gate of `circuit` acts on coupled qubits.
pub fn assert_on_edges(circuit: &Circuit, target: &Target) {
    for (i, inst) in circuit.instructions().iter().enumerate() {
        if let Operation::Gate { .. } = inst.op {
            assert!(inst.qubits.len() <= 2, "instruction {i} acts on {} qubits", inst.qubits.len());
            if let [a, b] = inst.qubits[..] {
                assert!(
                    target.coupling_map().are_coupled(a, b),
                    "instruction {i} ({}) acts on uncoupled qubits {a}, {b}",
                    circuit.gate_name(match inst.op {
                        Operation::Gate { gate, .. } => gate,
                        _ => unreachable!(),
                    })
                );
            }
        }
    }
}

/// The physical qubits a routed circuit touches, plus the initial places of
/// the circuit's qubits, sorted.
pub fn used_qubits(routed: &RoutedCircuit) -> Vec<usize> {
    let mut used = vec![false; routed.circuit.num_qubits()];
    for v in 0..routed.initial_layout.num_virtual() {
        used[routed.initial_layout.physical(v)] = true;
        used[routed.final_layout.physical(v)] = true;
    }
    for inst in routed.circuit.instructions() {
        for &q in &inst.qubits {
            used[q] = true;
        }
    }
    (0..used.len()).filter(|&q| used[q]).collect()
}

/// The routed circuit restricted to `qubits` (renumbered 0..), same classical bits.
pub fn compact(circuit: &Circuit, qubits: &[usize]) -> Circuit {
    let mut index = vec![usize::MAX; circuit.num_qubits()];
    for (i, &q) in qubits.iter().enumerate() {
        index[q] = i;
    }
    let mut out = Circuit::empty();
    out.add_qreg("q", qubits.len()).unwrap();
    for reg in circuit.cregs() {
        out.add_creg(&reg.name, reg.size).unwrap();
    }
    out.global_phase = circuit.global_phase;
    for inst in circuit.instructions() {
        let mut inst = inst.clone();
        inst.qubits = inst.qubits.iter().map(|&q| index[q]).collect();
        assert!(
            inst.qubits.iter().all(|&q| q != usize::MAX),
            "instruction outside the used qubits"
        );
        out.push(inst).unwrap();
    }
    out
}

/// Applies a unitary circuit's gates (barriers skipped) to `state` over `n` qubits.
pub fn apply(circuit: &Circuit, state: &mut [C64]) {
    for inst in circuit.instructions() {
        match &inst.op {
            Operation::Gate { gate: GateRef::Standard(g), params } => {
                let values: Vec<f64> = params.iter().map(|p| p.eval_const().unwrap()).collect();
                let m = g.matrix(&values);
                apply_matrix(state, m.data(), &inst.qubits);
            }
            Operation::Barrier => {}
            other => panic!("not a unitary operation: {other:?}"),
        }
    }
}

fn apply_matrix(state: &mut [C64], m: &[C64], qubits: &[usize]) {
    let k = qubits.len();
    let dim = 1usize << k;
    let mask: usize = qubits.iter().map(|&q| 1usize << q).sum();
    let mut amp = vec![C64::new(0.0, 0.0); dim];
    let mut idx = vec![0usize; dim];
    for base in 0..state.len() {
        if base & mask != 0 {
            continue;
        }
        for (s, slot) in idx.iter_mut().enumerate() {
            let mut i = base;
            for (j, &q) in qubits.iter().enumerate() {
                if s >> j & 1 == 1 {
                    i |= 1 << q;
                }
            }
            *slot = i;
            amp[s] = state[i];
        }
        for r in 0..dim {
            let mut acc = C64::new(0.0, 0.0);
            for c in 0..dim {
                acc += m[r * dim + c] * amp[c];
            }
            state[idx[r]] = acc;
        }
    }
}

/// Moves bit `j` of every basis index to bit `to[j]`.
fn permute(state: &[C64], to: &[usize]) -> Vec<C64> {
    let mut out = vec![C64::new(0.0, 0.0); state.len()];
    for (x, &a) in state.iter().enumerate() {
        let mut y = 0;
        for (j, &t) in to.iter().enumerate() {
            y |= (x >> j & 1) << t;
        }
        out[y] = a;
    }
    out
}

/// Layout of each slot (virtual qubits, then ancillas starting on used
/// qubits) as compact positions before and after.
fn slot_positions(routed: &RoutedCircuit, used: &[usize]) -> (Vec<usize>, Vec<usize>) {
    let pos = |p: usize| used.binary_search(&p).expect("qubit outside the used set");
    let (init, fin) = (&routed.initial_layout, &routed.final_layout);
    let n_phys = init.num_physical();
    let mut slots: Vec<usize> = (0..init.num_virtual()).collect();
    // Ancillas that start on used qubits, by virtual index.
    let mut ancillas: Vec<usize> = (init.num_virtual()..n_phys)
        .filter(|&v| used.binary_search(&init.physical(v)).is_ok())
        .collect();
    ancillas.sort_unstable();
    slots.extend(ancillas);
    let before = slots.iter().map(|&v| pos(init.physical(v))).collect();
    let after = slots.iter().map(|&v| pos(fin.physical(v))).collect();
    (before, after)
}

/// Compares `a` and `b` up to one global phase.
fn assert_same_up_to_phase(a: &[C64], b: &[C64], what: &str) {
    let (i, _) =
        b.iter()
            .enumerate()
            .fold((0, 0.0), |acc, (i, v)| if v.norm() > acc.1 { (i, v.norm()) } else { acc });
    assert!(a[i].norm() > 1e-9, "{what}: states differ (zero where nonzero expected)");
    let phase = a[i] / b[i];
    let err = a.iter().zip(b).map(|(x, y)| (x - y * phase).norm()).fold(0.0, f64::max);
    assert!(err < 1e-8, "{what}: max deviation {err}");
}

/// Asserts that `routed` implements `input` up to its layouts: unitary
/// comparison on small used sets, random product states on larger ones.
pub fn assert_equivalent(input: &Circuit, routed: &RoutedCircuit, seed: u64) {
    let used = used_qubits(routed);
    let m = used.len();
    assert!(m <= 22, "routed circuit uses {m} qubits, too many to simulate");
    let w = compact(&routed.circuit, &used);
    let (before, after) = slot_positions(routed, &used);
    assert_eq!(before.len(), m, "slots must fill the used qubits");
    let n = input.num_qubits();
    let run_input = |state: &mut Vec<C64>| {
        // The input acts on slots 0..n of an m-slot register.
        let mut wide = Circuit::new(m);
        for inst in input.instructions() {
            wide.push(inst.clone()).unwrap();
        }
        apply(&wide, state);
    };
    let dim = 1usize << m;
    if m <= UNITARY_MAX_QUBITS {
        let mut lhs = Vec::with_capacity(dim * dim);
        let mut rhs = Vec::with_capacity(dim * dim);
        for x in 0..dim {
            let mut e = vec![C64::new(0.0, 0.0); dim];
            e[x] = C64::new(1.0, 0.0);
            let mut s = permute(&e, &before);
            apply(&w, &mut s);
            lhs.extend(s);
            let mut u = e;
            run_input(&mut u);
            rhs.extend(permute(&u, &after));
        }
        assert_same_up_to_phase(&lhs, &rhs, "unitaries");
    } else {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        for round in 0..2 {
            let mut prep = Circuit::new(m);
            for v in 0..n {
                let p: Vec<f64> = (0..3).map(|_| rng.gen_range(-3.0..3.0)).collect();
                prep = prep.gate(StandardGate::U, &p, &[v]);
            }
            let mut psi = vec![C64::new(0.0, 0.0); dim];
            psi[0] = C64::new(1.0, 0.0);
            apply(&prep, &mut psi);
            let mut actual = permute(&psi, &before);
            apply(&w, &mut actual);
            let mut expected = psi;
            run_input(&mut expected);
            let expected = permute(&expected, &after);
            assert_same_up_to_phase(&actual, &expected, &format!("product state #{round}"));
        }
    }
}

/// Counts the routed circuit's swap gates.
pub fn count_gate(circuit: &Circuit, gate: StandardGate) -> usize {
    circuit
        .instructions()
        .iter()
        .filter(|i| matches!(i.op, Operation::Gate { gate: GateRef::Standard(g), .. } if g == gate))
        .count()
}

/// Number of two-qubit gates.
pub fn count_two_qubit(circuit: &Circuit) -> usize {
    circuit
        .instructions()
        .iter()
        .filter(|i| matches!(i.op, Operation::Gate { .. }) && i.qubits.len() == 2)
        .count()
}

/// A gate instruction (for hand-built circuits).
pub fn gate(g: StandardGate, params: &[f64], qubits: &[usize]) -> Instruction {
    Instruction {
        op: Operation::Gate {
            gate: GateRef::Standard(g),
            params: params.iter().map(|&p| Expr::Const(p)).collect(),
        },
        qubits: qubits.to_vec(),
        clbits: vec![],
        condition: None,
    }
}

/// The layout as a list `[physical of virtual 0, ...]`.
pub fn phys(layout: &Layout) -> Vec<usize> {
    layout.to_physical()
}
