//! Shared helpers of the pass and transpile tests: random circuits, full
//! unitaries of small circuits and equivalence checks with layouts.
//!
//! The unitary is computed here independently of the compiler: every column
//! is a basis state pushed through the gate table's matrices.
#![allow(dead_code)]

use qv_circuit::{Circuit, GateRef, Matrix, Operation, StandardGate, C64};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A deterministic generator for test `seed`.
pub fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// Table gates on at most `max_qubits` qubits.
pub fn table_gates(max_qubits: usize) -> Vec<StandardGate> {
    StandardGate::all().filter(|g| g.num_qubits() <= max_qubits).collect()
}

/// Parameter values: mostly random angles, sometimes multiples of π/4
/// (which make gates cancel or become Clifford).
fn random_params(rng: &mut ChaCha8Rng, n: usize) -> Vec<f64> {
    (0..n)
        .map(|_| {
            if rng.gen_bool(0.3) {
                f64::from(rng.gen_range(-8i32..=8)) * std::f64::consts::FRAC_PI_4
            } else {
                rng.gen_range(-std::f64::consts::PI..std::f64::consts::PI)
            }
        })
        .collect()
}

/// A random unitary circuit of `len` gates drawn from `gates` on `n` qubits.
/// One gate in four repeats a recent gate's qubits, so cancellations and
/// blocks actually occur.
pub fn random_circuit(
    rng: &mut ChaCha8Rng,
    n: usize,
    len: usize,
    gates: &[StandardGate],
) -> Circuit {
    let mut c = Circuit::new(n);
    let usable: Vec<StandardGate> = gates.iter().copied().filter(|g| g.num_qubits() <= n).collect();
    let mut last: Vec<usize> = vec![];
    for _ in 0..len {
        let g = usable[rng.gen_range(0..usable.len())];
        let k = g.num_qubits();
        let qubits = if last.len() >= k && rng.gen_bool(0.25) {
            let mut q = last[..k].to_vec();
            if rng.gen_bool(0.5) {
                q.reverse();
            }
            q
        } else {
            let mut q: Vec<usize> = (0..n).collect();
            for i in 0..k {
                let j = rng.gen_range(i..n);
                q.swap(i, j);
            }
            q.truncate(k);
            q
        };
        let params = random_params(rng, g.num_params());
        c = c.gate(g, &params, &qubits);
        last = qubits;
    }
    c
}

/// Applies a `k`-qubit matrix to qubits `targets` of every column of the
/// column-major state matrix `cols` (`dim` rows each).
fn apply(cols: &mut [C64], dim: usize, m: &Matrix, targets: &[usize]) {
    let k = targets.len();
    let sub = 1usize << k;
    let mask: usize = targets.iter().map(|t| 1usize << t).sum();
    let offsets: Vec<usize> = (0..sub)
        .map(|s| targets.iter().enumerate().map(|(j, &t)| ((s >> j) & 1) << t).sum())
        .collect();
    let mut buf = vec![C64::new(0.0, 0.0); sub];
    for col in cols.chunks_mut(dim) {
        for base in 0..dim {
            if base & mask != 0 {
                continue;
            }
            for s in 0..sub {
                buf[s] = col[base | offsets[s]];
            }
            for r in 0..sub {
                let mut acc = C64::new(0.0, 0.0);
                for s in 0..sub {
                    acc += m.get(r, s) * buf[s];
                }
                col[base | offsets[r]] = acc;
            }
        }
    }
}

/// The unitary of a circuit of table gates (barriers and terminal
/// measurements ignored), global phase included.
///
/// # Panics
/// On resets, conditions or custom gates.
pub fn unitary(circuit: &Circuit) -> Matrix {
    let flat = circuit.flatten().expect("flattens");
    let n = flat.num_qubits();
    let dim = 1usize << n;
    let mut cols = vec![C64::new(0.0, 0.0); dim * dim];
    for i in 0..dim {
        cols[i * dim + i] = C64::new(1.0, 0.0);
    }
    for inst in flat.instructions() {
        assert!(inst.condition.is_none(), "unitary: conditioned instruction");
        match &inst.op {
            Operation::Gate { gate: GateRef::Standard(g), params } => {
                let p: Vec<f64> =
                    params.iter().map(|e| e.eval_const().expect("constant")).collect();
                apply(&mut cols, dim, &g.matrix(&p), &inst.qubits);
            }
            Operation::Barrier | Operation::Measure => {}
            other => panic!("unitary: unsupported {other:?}"),
        }
    }
    let phase = C64::from_polar(1.0, flat.global_phase);
    // Transpose the column-major store into a row-major matrix.
    let mut data = vec![C64::new(0.0, 0.0); dim * dim];
    for c in 0..dim {
        for r in 0..dim {
            data[r * dim + c] = cols[c * dim + r] * phase;
        }
    }
    Matrix::from_vec(dim, data)
}

/// Asserts `a == b` exactly (global phase included), within `tol` per entry.
pub fn assert_same_unitary(a: &Circuit, b: &Circuit, what: &str) {
    let (ua, ub) = (unitary(a), unitary(b));
    let diff = ua.max_diff(&ub);
    assert!(diff < 1e-8, "{what}: unitaries differ by {diff:e}");
}

/// Asserts `a` and `b` are equal up to a global phase.
pub fn assert_equiv_up_to_phase(a: &Circuit, b: &Circuit, what: &str) {
    let (ua, ub) = (unitary(a), unitary(b));
    assert!(ua.equiv_up_to_phase(&ub, 1e-8), "{what}: unitaries are not equivalent");
}

/// The permutation matrix that moves the state of qubit `q` to qubit
/// `to[q]` on `n` qubits (`to` a permutation of `0..n`).
pub fn permutation(to: &[usize], n: usize) -> Matrix {
    let dim = 1usize << n;
    let mut m = Matrix::zeros(dim);
    for col in 0..dim {
        let row = (0..n).fold(0, |acc, q| acc | (((col >> q) & 1) << to[q]));
        m.set(row, col, C64::new(1.0, 0.0));
    }
    m
}

/// Extends a partial placement (`layout[v]` for the circuit's qubits) to a
/// permutation of `0..n`, filling ancillas in increasing order.
pub fn full_permutation(layout: &[usize], n: usize) -> Vec<usize> {
    let mut to = layout.to_vec();
    let mut free = (0..n).filter(|p| !layout.contains(p));
    while to.len() < n {
        to.push(free.next().expect("enough physical qubits"));
    }
    to
}

/// Asserts that the physical circuit `out` implements the virtual `input`
/// up to global phase, given where each virtual qubit starts (`initial[v]`)
/// and ends (`final_[v]`): for every virtual basis input `x` with the
/// ancillas in |0⟩, `W·|x placed by initial⟩ = e^{iφ}·(U|x⟩ placed by final)`
/// with the ancillas back in |0⟩ wherever they ended.
pub fn assert_equiv_with_layouts(
    input: &Circuit,
    out: &Circuit,
    initial: &[usize],
    final_: &[usize],
    what: &str,
) {
    let k = input.num_qubits();
    assert_eq!(initial.len(), k, "{what}: initial layout length");
    assert_eq!(final_.len(), k, "{what}: final layout length");
    let u = unitary(input);
    let w = unitary(out);
    let place = |x: usize, layout: &[usize]| -> usize {
        (0..k).fold(0, |acc, v| acc | (((x >> v) & 1) << layout[v]))
    };
    let mut phase: Option<C64> = None;
    let mut worst = 0.0f64;
    for x in 0..(1usize << k) {
        let col = place(x, initial);
        let mut expected = vec![C64::new(0.0, 0.0); w.dim()];
        for y in 0..(1usize << k) {
            expected[place(y, final_)] = u.get(y, x);
        }
        for (r, e) in expected.iter().enumerate() {
            let got = w.get(r, col);
            if phase.is_none() && e.norm() > 0.1 {
                phase = Some(got / e);
            }
            let ph = phase.unwrap_or(C64::new(1.0, 0.0));
            worst = worst.max((got - e * ph).norm());
        }
    }
    let ph = phase.expect("a unitary has a nonzero entry");
    assert!((ph.norm() - 1.0).abs() < 1e-7, "{what}: not equivalent (|phase| = {})", ph.norm());
    assert!(worst < 1e-7, "{what}: not equivalent with layouts (max difference {worst:e})");
}

/// Prepends the same random one-qubit state preparation to `input` (on
/// virtual qubit `v`) and `out` (on `initial[v]`), simulates both with qv-sim
/// and asserts the output state is the input's placed by `final_`, up to a
/// global phase, with every other qubit in |0⟩.
pub fn assert_same_state_from_product_inputs(
    input: &Circuit,
    out: &Circuit,
    initial: &[usize],
    final_: &[usize],
    rng: &mut ChaCha8Rng,
    what: &str,
) {
    let k = input.num_qubits();
    let angles: Vec<[f64; 3]> = (0..k)
        .map(|_| [rng.gen_range(0.0..3.1), rng.gen_range(-3.1..3.1), rng.gen_range(-3.1..3.1)])
        .collect();
    let prepare = |c: &Circuit, at: &dyn Fn(usize) -> usize| {
        let mut p = Circuit::new(c.num_qubits());
        p.global_phase = c.global_phase;
        for (v, a) in angles.iter().enumerate() {
            p = p.u(a[0], a[1], a[2], at(v));
        }
        for inst in c.flatten().expect("flattens").instructions() {
            p.push(inst.clone()).expect("fits");
        }
        p
    };
    let psi = qv_sim::statevector(&prepare(input, &|v| v)).expect("input simulates");
    let phi = qv_sim::statevector(&prepare(out, &|v| initial[v])).expect("output simulates");
    let place =
        |x: usize| -> usize { (0..k).fold(0, |acc, v| acc | (((x >> v) & 1) << final_[v])) };
    let mut expected = vec![C64::new(0.0, 0.0); phi.len()];
    for (x, a) in psi.iter().enumerate() {
        expected[place(x)] = *a;
    }
    let overlap: C64 = expected.iter().zip(&phi).map(|(e, p)| e.conj() * p).sum();
    assert!(
        (overlap.norm() - 1.0).abs() < 1e-8,
        "{what}: final states differ (|<expected|got>| = {})",
        overlap.norm()
    );
}
