//! Layout: perfect (VF2) placements exist exactly when the interaction graph
//! embeds in the device, error rates steer the choice, dense and SABRE
//! layouts keep interacting qubits close.

mod common;

use common::*;
use qv_circuit::{Circuit, StandardGate};
use qv_compile::layout::{
    dense_layout, sabre_layout, sabre_layout_and_route, trivial_layout, vf2_layout,
    SabreLayoutOptions, Vf2Options,
};
use qv_compile::routing::{route_sabre, SabreOptions};
use qv_compile::target::{CouplingMap, GateProperties, Target};

fn all_pairs_coupled(c: &Circuit, t: &Target, layout: &qv_compile::layout::Layout) -> bool {
    c.instructions().iter().filter(|i| i.qubits.len() == 2).all(|i| {
        t.coupling_map().are_coupled(layout.physical(i.qubits[0]), layout.physical(i.qubits[1]))
    })
}

#[test]
fn vf2_finds_a_heavy_hex_ring_and_rejects_what_cannot_embed() {
    let heron = Target::from_name("ibm_heron").unwrap();
    // A 12-cycle: the hexagons of heavy-hex.
    let mut ring = Circuit::new(12);
    for q in 0..12 {
        ring = ring.cx(q, (q + 1) % 12);
    }
    let l = vf2_layout(&ring, &heron, &Vf2Options::default()).unwrap().expect("a 12-ring embeds");
    assert!(all_pairs_coupled(&ring, &heron, &l));
    // Heavy-hex is bipartite: no triangle. And no qubit has four neighbours.
    let triangle = Circuit::new(3).cx(0, 1).cx(1, 2).cx(2, 0);
    assert_eq!(vf2_layout(&triangle, &heron, &Vf2Options::default()).unwrap(), None);
    let star = Circuit::new(5).cx(0, 1).cx(0, 2).cx(0, 3).cx(0, 4);
    assert_eq!(vf2_layout(&star, &heron, &Vf2Options::default()).unwrap(), None);
    // A perfect layout routes without a single swap.
    let r = route_sabre(&ring, &heron, &l, &SabreOptions::default()).unwrap();
    assert_eq!(r.swaps_inserted, 0);
}

#[test]
fn vf2_places_idle_qubits_and_respects_the_call_limit() {
    let t = Target::from_name("grid:3x3").unwrap();
    let c = Circuit::new(5).cx(0, 1).cx(1, 2).h(3).x(4);
    let l = vf2_layout(&c, &t, &Vf2Options::default()).unwrap().unwrap();
    assert!(all_pairs_coupled(&c, &t, &l));
    let mut phys = l.to_physical();
    phys.sort_unstable();
    phys.dedup();
    assert_eq!(phys.len(), 5, "every qubit has its own place");
    let tiny = Vf2Options { call_limit: 1, ..Vf2Options::default() };
    let hard = random_circuit(9, 60, 3);
    assert_eq!(vf2_layout(&hard, &t, &tiny).unwrap(), None);
}

#[test]
fn vf2_prefers_the_lowest_error_couplings() {
    // Line 0-1-2-3 where only the 2-3 coupling is good.
    let props = [(0, 1, 0.09), (1, 2, 0.08), (2, 3, 0.001)]
        .iter()
        .map(|&(a, b, e)| GateProperties {
            gate: StandardGate::Cx,
            qubits: vec![a, b],
            error: Some(e),
            duration: None,
        })
        .collect();
    let t =
        Target::new("noisy", &[StandardGate::Cx, StandardGate::U], CouplingMap::line(4).unwrap())
            .unwrap()
            .with_gate_properties(props)
            .unwrap();
    let c = Circuit::new(2).cx(0, 1).cx(0, 1);
    let l = vf2_layout(&c, &t, &Vf2Options::default()).unwrap().unwrap();
    let mut pair = [l.physical(0), l.physical(1)];
    pair.sort_unstable();
    assert_eq!(pair, [2, 3]);
}

#[test]
fn dense_layout_keeps_a_chain_connected_on_heavy_hex() {
    let eagle = Target::from_name("ibm_eagle").unwrap();
    let ghz = (0..5).fold(Circuit::new(6).h(0), |c, q| c.cx(q, q + 1));
    let l = dense_layout(&ghz, &eagle).unwrap();
    let m = eagle.coupling_map();
    let total: usize = (0..5).map(|q| m.distance(l.physical(q), l.physical(q + 1)).unwrap()).sum();
    assert!(total <= 7, "chain spread over {total} hops: {:?}", l.to_physical());
}

#[test]
fn sabre_layout_finds_perfect_placements_that_trivial_misses() {
    // A chain in a scrambled order on a line: trivial needs swaps, SABRE none.
    let order = [3, 0, 5, 1, 4, 2];
    let mut c = Circuit::new(6);
    for w in order.windows(2) {
        c = c.cx(w[0], w[1]);
    }
    let t = Target::from_name("line:6").unwrap();
    let trivial =
        route_sabre(&c, &t, &trivial_layout(&c, &t).unwrap(), &SabreOptions::default()).unwrap();
    assert!(trivial.swaps_inserted > 0);
    let l = sabre_layout(&c, &t, &SabreLayoutOptions::default()).unwrap();
    assert!(all_pairs_coupled(&c, &t, &l));
    // A 100-qubit GHZ chain on heavy-hex needs no swap either.
    let heron = Target::from_name("ibm_heron").unwrap();
    let ghz = (0..99).fold(Circuit::new(100).h(0), |c, q| c.cx(q, q + 1));
    let opts = SabreLayoutOptions { layout_trials: 2, ..SabreLayoutOptions::default() };
    let r = sabre_layout_and_route(&ghz, &heron, &opts).unwrap();
    assert_eq!(r.swaps_inserted, 0);
    assert_on_edges(&r.circuit, &heron);
}
