//! SABRE routing: every two-qubit gate ends on a coupling edge, the routed
//! circuit equals the input up to its layouts, non-unitary operations keep
//! their meaning, and bad input gets clear errors.

mod common;

use common::*;
use qv_circuit::{Circuit, Condition, StandardGate};
use qv_compile::layout::{sabre_layout_and_route, trivial_layout, Layout, SabreLayoutOptions};
use qv_compile::routing::{remove_trailing_swaps, route_sabre, SabreOptions};
use qv_compile::target::{CouplingMap, Target};

fn target(spec: &str) -> Target {
    Target::load(spec).unwrap()
}

fn star(n: usize) -> Target {
    let edges: Vec<_> = (1..n).map(|i| (0, i)).collect();
    Target::new(
        "star",
        &[StandardGate::Cx, StandardGate::U],
        CouplingMap::new(n, &edges, false).unwrap(),
    )
    .unwrap()
}

fn quick() -> SabreOptions {
    SabreOptions { trials: 4, ..SabreOptions::default() }
}

#[test]
fn small_random_circuits_route_exactly_from_the_trivial_layout() {
    let targets = [target("line:6"), target("ring:7"), target("grid:2x4"), star(6)];
    for t in &targets {
        for seed in 0..12u64 {
            let n = 4 + (seed as usize % 3);
            let c = random_circuit(n, 40, seed);
            let layout = trivial_layout(&c, t).unwrap();
            let r = route_sabre(&c, t, &layout, &quick()).unwrap();
            assert_on_edges(&r.circuit, t);
            assert_eq!(r.circuit.num_qubits(), t.num_qubits());
            assert_eq!(
                count_gate(&r.circuit, StandardGate::Swap),
                count_gate(&c, StandardGate::Swap) + r.swaps_inserted
            );
            assert_equivalent(&c, &r, seed);
        }
    }
}

#[test]
fn sabre_layout_and_route_is_exact_on_device_targets() {
    for (name, seeds) in [("ibm_eagle", 4u64), ("ibm_heron", 4), ("grid:3x3", 6), ("line:8", 6)] {
        let t = target(name);
        for seed in 0..seeds {
            let c = random_circuit(6, 50, 100 + seed);
            let opts = SabreLayoutOptions {
                layout_trials: 4,
                routing: SabreOptions { seed, ..quick() },
                ..SabreLayoutOptions::default()
            };
            let r = sabre_layout_and_route(&c, &t, &opts).unwrap();
            assert_on_edges(&r.circuit, &t);
            assert_equivalent(&c, &r, seed);
        }
    }
}

#[test]
fn larger_circuits_match_on_product_states() {
    for (name, n, seed) in [("ibm_heron", 14, 7u64), ("grid:4x4", 14, 8), ("line:16", 12, 9)] {
        let t = target(name);
        let c = random_circuit(n, 160, seed);
        let opts = SabreLayoutOptions { layout_trials: 4, ..SabreLayoutOptions::default() };
        let r = sabre_layout_and_route(&c, &t, &opts).unwrap();
        assert_on_edges(&r.circuit, &t);
        assert_equivalent(&c, &r, seed);
    }
}

#[test]
fn adjacent_gates_need_no_swaps_and_far_gates_need_distance_minus_one() {
    let t = target("line:6");
    let ghz = Circuit::new(6).h(0).cx(0, 1).cx(1, 2).cx(2, 3).cx(3, 4).cx(4, 5);
    let r = route_sabre(&ghz, &t, &trivial_layout(&ghz, &t).unwrap(), &quick()).unwrap();
    assert_eq!(r.swaps_inserted, 0);
    assert_eq!(r.final_layout, r.initial_layout);
    // One gate between the ends of a line: the qubits must meet, 4 swaps.
    let far = Circuit::new(6).cx(0, 5);
    let r = route_sabre(&far, &t, &trivial_layout(&far, &t).unwrap(), &quick()).unwrap();
    assert_eq!(r.swaps_inserted, 4);
    assert_equivalent(&far, &r, 1);
}

#[test]
fn all_to_all_targets_never_swap() {
    let t = target("all:7");
    let c = random_circuit(7, 80, 3);
    let r = route_sabre(&c, &t, &trivial_layout(&c, &t).unwrap(), &quick()).unwrap();
    assert_eq!(r.swaps_inserted, 0);
    assert_eq!(r.circuit.instructions().len(), c.instructions().len());
}

#[test]
fn results_are_deterministic_and_independent_of_threads() {
    let t = target("ibm_eagle");
    let c = random_circuit(10, 120, 42);
    let parallel = SabreLayoutOptions { layout_trials: 6, ..SabreLayoutOptions::default() };
    let serial = SabreLayoutOptions {
        routing: SabreOptions { parallel: false, ..parallel.routing.clone() },
        ..parallel.clone()
    };
    let a = sabre_layout_and_route(&c, &t, &parallel).unwrap();
    let b = sabre_layout_and_route(&c, &t, &parallel).unwrap();
    let s = sabre_layout_and_route(&c, &t, &serial).unwrap();
    assert_eq!(a.circuit, b.circuit);
    assert_eq!(a.circuit, s.circuit);
    assert_eq!(a.final_layout, s.final_layout);
}

#[test]
fn elided_swaps_become_part_of_the_final_layout() {
    // After eliding swap(0,1), cx(0,2) acts on qubits 1 and 2 (adjacent on
    // the line 0-1-2); after swap(1,2), x(1) acts on qubit 2. Qubit v's state
    // ends where the swaps carried it: 0 -> 1, 1 -> 2, 2 -> 0.
    let t = target("line:3");
    let c = Circuit::new(3).h(0).cx(0, 1).swap(0, 1).cx(0, 2).swap(1, 2).x(1);
    let opts = SabreOptions { elide_swaps: true, ..quick() };
    let layout = Layout::from_physical(&[0, 1, 2], 3).unwrap();
    let r = route_sabre(&c, &t, &layout, &opts).unwrap();
    assert_on_edges(&r.circuit, &t);
    assert_equivalent(&c, &r, 5);
    // Both input swaps are gone and nothing needed routing.
    assert_eq!(count_gate(&r.circuit, StandardGate::Swap), 0);
    assert_eq!(r.final_layout.to_physical(), vec![1, 2, 0]);
}

#[test]
fn trailing_swaps_fold_into_the_final_layout() {
    let t = target("line:3");
    let c = Circuit::with_clbits(3, 3)
        .h(0)
        .cx(0, 1)
        .swap(1, 2)
        .barrier(&[0, 1, 2])
        .measure(2, 0)
        .measure(1, 1)
        .swap(0, 1)
        .measure(0, 2);
    let r = route_sabre(&c, &t, &trivial_layout(&c, &t).unwrap(), &quick()).unwrap();
    let (out, fin) = remove_trailing_swaps(&r.circuit, &r.final_layout).unwrap();
    assert_eq!(count_gate(&out, StandardGate::Swap), 0);
    // Without the swaps, what the input leaves on wire 0 (moved there from
    // wire 2 by the two swaps) stays on 2; wire 1's stays on 0; wire 2's on 1.
    assert_eq!(fin.to_physical(), vec![2, 0, 1]);
    let p_in = qv_sim::probabilities(&c).unwrap();
    let p_out = qv_sim::probabilities(&out).unwrap();
    assert_eq!(p_in.values.len(), p_out.values.len());
    for ((ka, va), (kb, vb)) in p_in.values.iter().zip(&p_out.values) {
        assert_eq!(ka, kb);
        assert!((va - vb).abs() < 1e-12);
    }
    // A swap followed by a gate stays.
    let keep = Circuit::new(2).swap(0, 1).h(0);
    let fin = Layout::trivial(2, 2).unwrap();
    let (out, same) = remove_trailing_swaps(&keep, &fin).unwrap();
    assert_eq!(out, keep);
    assert_eq!(same, fin);
}

#[test]
fn measurements_resets_and_conditions_keep_their_meaning() {
    // Teleportation-like circuit with mid-circuit measurement, conditions,
    // a reset and barriers, on a line where qubits 0 and 2 are not adjacent.
    let mut c = Circuit::with_clbits(4, 0);
    let m = c.add_creg("m", 2).unwrap();
    let out = c.add_creg("out", 2).unwrap();
    let c = c
        .u(0.7, 0.3, -0.4, 0)
        .h(1)
        .cx(1, 2)
        .cx(0, 1)
        .h(0)
        .measure(0, 0)
        .measure(1, 1)
        .x(2)
        .c_if(m, 2)
        .z(2)
        .c_if(m, 1)
        .reset(0)
        .barrier(&[0, 1, 2, 3])
        .cx(2, 0)
        .cx(3, 0)
        .cx(0, 3)
        .measure(2, 2)
        .measure(0, 3);
    let _ = out;
    for spec in ["line:4", "grid:2x3"] {
        let t = target(spec);
        let r = sabre_layout_and_route(&c, &t, &SabreLayoutOptions::default()).unwrap();
        assert_on_edges(&r.circuit, &t);
        let used = used_qubits(&r);
        let small = compact(&r.circuit, &used);
        let p_in = qv_sim::probabilities(&c).unwrap();
        let p_out = qv_sim::probabilities(&small).unwrap();
        assert_eq!(p_in.values.len(), p_out.values.len(), "{spec}");
        for ((ka, va), (kb, vb)) in p_in.values.iter().zip(&p_out.values) {
            assert_eq!(ka, kb, "{spec}");
            assert!((va - vb).abs() < 1e-10, "{spec}: P({ka}) {va} vs {vb}");
        }
        // Conditions still name the same register and value.
        let conds: Vec<Condition> =
            r.circuit.instructions().iter().filter_map(|i| i.condition).collect();
        assert_eq!(conds, vec![Condition { creg: m, value: 2 }, Condition { creg: m, value: 1 }]);
    }
}

#[test]
fn bad_input_gets_clear_errors() {
    let t = target("line:3");
    let wide = Circuit::new(4).cx(0, 3);
    assert_eq!(
        route_sabre(&wide, &t, &Layout::trivial(3, 3).unwrap(), &quick()).unwrap_err().to_string(),
        "the circuit has 4 qubits but target `line:3` has only 3"
    );
    let toffoli = Circuit::new(3).ccx(0, 1, 2);
    assert_eq!(
        route_sabre(&toffoli, &t, &Layout::trivial(3, 3).unwrap(), &quick())
            .unwrap_err()
            .to_string(),
        "cannot route the circuit: gate `ccx` acts on 3 qubits; unroll it into one- and two-qubit \
         gates before layout and routing"
    );
    let c = Circuit::new(2).cx(0, 1);
    assert_eq!(
        route_sabre(&c, &t, &Layout::trivial(2, 5).unwrap(), &quick()).unwrap_err().to_string(),
        "invalid layout: the layout covers 5 physical qubits but target `line:3` has 3"
    );
    assert_eq!(
        route_sabre(&c, &t, &Layout::trivial(3, 3).unwrap(), &quick()).unwrap_err().to_string(),
        "invalid layout: the layout places 3 virtual qubits but the circuit has 2"
    );
    let split = Target::new(
        "split",
        &[StandardGate::Cx],
        CouplingMap::new(4, &[(0, 1), (2, 3)], false).unwrap(),
    )
    .unwrap();
    let c = Circuit::new(3).cx(0, 2);
    assert_eq!(
        route_sabre(&c, &split, &Layout::trivial(3, 4).unwrap(), &quick()).unwrap_err().to_string(),
        "cannot route the circuit: qubits 0 and 2 interact but are placed on physical qubits 0 \
         and 2, which no path of couplings connects"
    );
    // SABRE layout puts the interacting qubits in one part instead.
    let r = sabre_layout_and_route(&c, &split, &SabreLayoutOptions::default()).unwrap();
    assert_on_edges(&r.circuit, &split);
    let too_many = Circuit::new(3).cx(0, 1).cx(1, 2);
    assert_eq!(
        sabre_layout_and_route(&too_many, &split, &SabreLayoutOptions::default())
            .unwrap_err()
            .to_string(),
        "cannot route the circuit: 3 qubits take part in two-qubit gates but the largest \
         connected part of target `split` has only 2 qubits"
    );
}
