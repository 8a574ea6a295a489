//! Quantum channels: completely positive, trace-preserving maps on 1–3 qubits.
//!
//! A [`Channel`] is stored as Kraus operators `K_i` (`ρ ↦ Σ K_i ρ K_i†`),
//! plus, for channels that are a probabilistic mixture of unitaries (Pauli
//! and depolarizing channels, coherent unitary errors), that mixture: the
//! trajectories simulator then draws a unitary with fixed probabilities
//! instead of computing state-dependent Kraus weights. The density-matrix
//! simulator uses the superoperator `Σ K_i ⊗ conj(K_i)`.
//!
//! The constructors follow Qiskit Aer's `qiskit_aer.noise` functions of the
//! same names and parameter conventions, so a model written for one means the
//! same channel in the other. Matrices use the gate table's convention: basis
//! index bit `j` is the channel's `j`-th qubit (qubit 0 least significant), and
//! Pauli labels are read like Qiskit's, qubit 0 rightmost.

use qv_circuit::{Matrix, C64};

use super::NoiseError;

/// Widest channel supported: its superoperator acts on twice as many
/// vectorised qubits, and the dense kernels stop at 6.
pub const MAX_CHANNEL_QUBITS: usize = 3;

/// Tolerance of the completeness check `Σ K†K = I` and of probability sums.
pub const COMPLETENESS_TOL: f64 = 1e-9;

/// A quantum channel on `num_qubits` qubits.
#[derive(Clone, Debug, PartialEq)]
pub struct Channel {
    num_qubits: usize,
    kraus: Vec<Matrix>,
    mixture: Option<Vec<(f64, Matrix)>>,
}

fn c(re: f64) -> C64 {
    C64::new(re, 0.0)
}

fn err(message: String) -> NoiseError {
    NoiseError { path: String::new(), message }
}

fn check_finite(name: &str, value: f64) -> Result<(), NoiseError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(err(format!("`{name}` must be a finite number, found {value}")))
    }
}

fn check_unit_interval(name: &str, value: f64) -> Result<(), NoiseError> {
    check_finite(name, value)?;
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(err(format!("`{name}` must be between 0 and 1, found {value}")))
    }
}

/// The single-qubit Pauli matrix for `I`, `X`, `Y` or `Z`.
fn pauli_1q(letter: char) -> Option<Matrix> {
    let (o, z, i) = (c(1.0), c(0.0), C64::new(0.0, 1.0));
    Some(match letter {
        'I' => Matrix::identity(2),
        'X' => Matrix::from_rows([[z, o], [o, z]]),
        'Y' => Matrix::from_rows([[z, -i], [i, z]]),
        'Z' => Matrix::from_rows([[o, z], [z, -o]]),
        _ => return None,
    })
}

/// `A ⊗ B`, with `B` on the low index bits.
pub(crate) fn kron(a: &Matrix, b: &Matrix) -> Matrix {
    let (da, db) = (a.dim(), b.dim());
    let mut out = Matrix::zeros(da * db);
    for r1 in 0..da {
        for c1 in 0..da {
            let x = a.get(r1, c1);
            if x == c(0.0) {
                continue;
            }
            for r2 in 0..db {
                for c2 in 0..db {
                    out.set(r1 * db + r2, c1 * db + c2, x * b.get(r2, c2));
                }
            }
        }
    }
    out
}

/// The matrix of a Pauli label such as `XZ` (qubit 0 rightmost: `Z` on qubit
/// 0), for 1 to [`MAX_CHANNEL_QUBITS`] qubits.
pub fn pauli_matrix(label: &str) -> Result<Matrix, NoiseError> {
    if label.is_empty() {
        return Err(err("a Pauli label must not be empty".into()));
    }
    check_width(label.chars().count())?;
    let mut m = Matrix::identity(1);
    for ch in label.chars() {
        let p = pauli_1q(ch).ok_or_else(|| {
            err(format!("Pauli label `{label}` has `{ch}`; only I, X, Y and Z are allowed"))
        })?;
        m = kron(&m, &p);
    }
    Ok(m)
}

impl Channel {
    /// Aer's `depolarizing_error(p, num_qubits)`: `ρ ↦ (1-p)ρ + p·Tr(ρ)·I/2^n`,
    /// with `0 ≤ p ≤ 4^n/(4^n-1)` (the upper end is the uniform non-identity
    /// Pauli channel).
    pub fn depolarizing(p: f64, num_qubits: usize) -> Result<Channel, NoiseError> {
        check_width(num_qubits)?;
        check_finite("p", p)?;
        let terms = 4f64.powi(num_qubits as i32);
        let max = terms / (terms - 1.0);
        if !(0.0..=max).contains(&p) {
            return Err(err(format!(
                "depolarizing parameter `p` must be between 0 and {max} (4^n/(4^n-1) for \
                 {num_qubits} qubit{}), found {p}",
                if num_qubits == 1 { "" } else { "s" }
            )));
        }
        let mut labels = vec![String::new()];
        for _ in 0..num_qubits {
            labels = labels
                .iter()
                .flat_map(|l| ['I', 'X', 'Y', 'Z'].map(|ch| format!("{l}{ch}")))
                .collect();
        }
        let identity = 1.0 - p / max;
        let mixture = labels
            .iter()
            .enumerate()
            .map(|(i, l)| Ok((if i == 0 { identity } else { p / terms }, pauli_matrix(l)?)))
            .collect::<Result<Vec<_>, NoiseError>>()?;
        Ok(Channel::from_mixture(num_qubits, mixture))
    }

    /// Aer's `pauli_error`: Pauli string `label` applied with probability `p`.
    /// Labels all have the same length (the width); probabilities lie in
    /// `[0, 1]` and sum to 1 within [`COMPLETENESS_TOL`]. When the identity
    /// label is absent it takes the probability left over.
    pub fn pauli(terms: &[(String, f64)]) -> Result<Channel, NoiseError> {
        let Some((first, _)) = terms.first() else {
            return Err(err("a Pauli channel needs at least one term".into()));
        };
        let width = first.chars().count();
        // Before any matrix is built: a long label would ask for a huge one.
        check_width(width)?;
        let mut mixture = Vec::with_capacity(terms.len() + 1);
        let mut total = 0.0;
        let mut seen: Vec<&str> = Vec::new();
        for (label, p) in terms {
            if label.chars().count() != width {
                return Err(err(format!(
                    "Pauli labels must all have the same length: `{first}` has {width} \
                     characters but `{label}` has {}",
                    label.chars().count()
                )));
            }
            if seen.contains(&label.as_str()) {
                return Err(err(format!("Pauli label `{label}` is given twice")));
            }
            seen.push(label);
            check_unit_interval(&format!("probability of {label}"), *p)?;
            total += p;
            mixture.push((*p, pauli_matrix(label)?));
        }
        let identity = "I".repeat(width);
        if !seen.contains(&identity.as_str()) {
            if total > 1.0 + COMPLETENESS_TOL {
                return Err(err(format!("Pauli probabilities sum to {total}, more than 1")));
            }
            mixture.push(((1.0 - total).max(0.0), Matrix::identity(1 << width)));
        } else if (total - 1.0).abs() > COMPLETENESS_TOL {
            return Err(err(format!(
                "Pauli probabilities sum to {total}, not 1 (tolerance {COMPLETENESS_TOL:e})"
            )));
        }
        Ok(Channel::from_mixture(width, mixture))
    }

    /// Aer's `phase_amplitude_damping_error(a, b, p1)`: amplitude damping
    /// `a` towards the equilibrium `diag(1-p1, p1)` and phase damping `b`.
    pub fn phase_amplitude_damping(
        amplitude: f64,
        phase: f64,
        excited_population: f64,
    ) -> Result<Channel, NoiseError> {
        check_unit_interval("gamma", amplitude)?;
        check_unit_interval("lambda", phase)?;
        check_unit_interval("excited_population", excited_population)?;
        if amplitude + phase > 1.0 {
            return Err(err(format!(
                "amplitude and phase damping parameters sum to {}, more than 1",
                amplitude + phase
            )));
        }
        let (c0, c1) = ((1.0 - excited_population).sqrt(), excited_population.sqrt());
        let rest = (1.0 - amplitude - phase).sqrt();
        let (sa, sb, z) = (amplitude.sqrt(), phase.sqrt(), 0.0);
        let ops = [
            [[c0, z], [z, c0 * rest]],
            [[z, c0 * sa], [z, z]],
            [[z, z], [z, c0 * sb]],
            [[c1 * rest, z], [z, c1]],
            [[z, z], [c1 * sa, z]],
            [[c1 * sb, z], [z, z]],
        ];
        let kraus = ops
            .iter()
            .filter(|m| m.iter().flatten().any(|&x| x.abs() > 1e-300))
            .map(|m| Matrix::from_rows([[c(m[0][0]), c(m[0][1])], [c(m[1][0]), c(m[1][1])]]))
            .collect();
        Ok(Channel { num_qubits: 1, kraus, mixture: None })
    }

    /// Aer's `amplitude_damping_error(gamma, excited_population)`.
    pub fn amplitude_damping(gamma: f64, excited_population: f64) -> Result<Channel, NoiseError> {
        Channel::phase_amplitude_damping(gamma, 0.0, excited_population)
    }

    /// Aer's `phase_damping_error(lambda)`: Kraus `diag(1, √(1-λ))`, `diag(0, √λ)`.
    pub fn phase_damping(lambda: f64) -> Result<Channel, NoiseError> {
        Channel::phase_amplitude_damping(0.0, lambda, 0.0)
    }

    /// Aer's `thermal_relaxation_error(t1, t2, time, excited_population)`:
    /// populations relax towards `diag(1-p1, p1)` with `1 - e^{-time/T1}`,
    /// coherences decay by `e^{-time/T2}`. Requires `T1, T2 > 0`, `T2 ≤ 2·T1`,
    /// `time ≥ 0`. Built as phase-amplitude damping with `a = 1 - e^{-t/T1}`
    /// and `b = e^{-t/T1} - e^{-2t/T2}` (the same channel as Aer's).
    pub fn thermal_relaxation(
        t1: f64,
        t2: f64,
        time: f64,
        excited_population: f64,
    ) -> Result<Channel, NoiseError> {
        for (name, v) in [("t1", t1), ("t2", t2), ("time", time)] {
            check_finite(name, v)?;
        }
        check_unit_interval("excited_population", excited_population)?;
        if t1 <= 0.0 {
            return Err(err(format!("`t1` must be positive, found {t1}")));
        }
        if t2 <= 0.0 {
            return Err(err(format!("`t2` must be positive, found {t2}")));
        }
        if t2 > 2.0 * t1 {
            return Err(err(format!(
                "`t2` ({t2}) must be at most 2·t1 ({}): a qubit cannot dephase slower than \
                 its relaxation allows",
                2.0 * t1
            )));
        }
        if time < 0.0 {
            return Err(err(format!("`time` must not be negative, found {time}")));
        }
        let decay = (-time / t1).exp();
        let amplitude = 1.0 - decay;
        let phase = (decay - (-2.0 * time / t2).exp()).max(0.0);
        Channel::phase_amplitude_damping(amplitude, phase, excited_population)
    }

    /// Aer's `reset_error(p0, p1)`: reset to |0⟩ with probability `p0`, to |1⟩
    /// with `p1`, nothing otherwise.
    pub fn reset(p0: f64, p1: f64) -> Result<Channel, NoiseError> {
        check_unit_interval("p0", p0)?;
        check_unit_interval("p1", p1)?;
        if p0 + p1 > 1.0 {
            return Err(err(format!("reset probabilities sum to {}, more than 1", p0 + p1)));
        }
        let (s0, s1, z) = (c(p0.sqrt()), c(p1.sqrt()), c(0.0));
        let kraus = vec![
            Matrix::identity(2).scale(c((1.0 - p0 - p1).sqrt())),
            Matrix::from_rows([[s0, z], [z, z]]),
            Matrix::from_rows([[z, s0], [z, z]]),
            Matrix::from_rows([[z, z], [s1, z]]),
            Matrix::from_rows([[z, z], [z, s1]]),
        ];
        Channel::from_kraus_unchecked(1, kraus)
    }

    /// A coherent error: the unitary `u` (checked unitary within [`COMPLETENESS_TOL`]).
    pub fn unitary(u: Matrix) -> Result<Channel, NoiseError> {
        let k = width_of_dim(u.dim())?;
        if !u.is_unitary(COMPLETENESS_TOL) {
            return Err(err(
                "the matrix is not unitary (U†U differs from I by more than 1e-9)".into()
            ));
        }
        Ok(Channel::from_mixture(k, vec![(1.0, u)]))
    }

    /// A general channel from Kraus operators, all `2^k × 2^k` (`1 ≤ k ≤ 3`),
    /// checked for completeness: `Σ K†K = I` within [`COMPLETENESS_TOL`].
    pub fn kraus(ops: Vec<Matrix>) -> Result<Channel, NoiseError> {
        let Some(first) = ops.first() else {
            return Err(err("a Kraus channel needs at least one operator".into()));
        };
        let dim = first.dim();
        let k = width_of_dim(dim)?;
        if let Some((i, m)) = ops.iter().enumerate().find(|(_, m)| m.dim() != dim) {
            return Err(err(format!(
                "Kraus operator {i} is {0}×{0} but operator 0 is {dim}×{dim}",
                m.dim()
            )));
        }
        if ops.iter().any(|m| m.data().iter().any(|x| !x.re.is_finite() || !x.im.is_finite())) {
            return Err(err("Kraus operators must have finite entries".into()));
        }
        let mut sum = Matrix::zeros(dim);
        for m in &ops {
            sum = add(&sum, &m.dagger().mul(m));
        }
        let diff = sum.max_diff(&Matrix::identity(dim));
        if diff.is_nan() || diff > COMPLETENESS_TOL {
            return Err(err(format!(
                "Kraus operators are not trace preserving: Σ K†K differs from the identity by \
                 {diff:.3e} (tolerance {COMPLETENESS_TOL:e})"
            )));
        }
        Channel::from_kraus_unchecked(k, ops)
    }

    fn from_kraus_unchecked(num_qubits: usize, kraus: Vec<Matrix>) -> Result<Channel, NoiseError> {
        check_width(num_qubits)?;
        Ok(Channel { num_qubits, kraus, mixture: None })
    }

    fn from_mixture(num_qubits: usize, mixture: Vec<(f64, Matrix)>) -> Channel {
        let mixture: Vec<(f64, Matrix)> = mixture.into_iter().filter(|(p, _)| *p > 0.0).collect();
        let kraus = mixture.iter().map(|(p, u)| u.scale(c(p.sqrt()))).collect();
        Channel { num_qubits, kraus, mixture: Some(mixture) }
    }

    /// Number of qubits the channel acts on.
    pub fn num_qubits(&self) -> usize {
        self.num_qubits
    }

    /// The Kraus operators (`2^k × 2^k`).
    pub fn kraus_operators(&self) -> &[Matrix] {
        &self.kraus
    }

    /// `(probability, unitary)` pairs when the channel is a mixture of
    /// unitaries; zero-probability terms are left out.
    pub fn unitary_mixture(&self) -> Option<&[(f64, Matrix)]> {
        self.mixture.as_deref()
    }

    /// Whether the channel is exactly the identity (it may then be skipped).
    pub fn is_identity(&self) -> bool {
        let id = Matrix::identity(1 << self.num_qubits);
        match &self.mixture {
            Some(m) => m.iter().all(|(_, u)| u.max_diff(&id) == 0.0),
            None => self.kraus.len() == 1 && self.kraus[0].max_diff(&id) == 0.0,
        }
    }

    /// The superoperator `Σ K ⊗ conj(K)` (`4^k × 4^k`) acting on the
    /// row-major vectorisation of ρ: index `r·2^k + c` holds `ρ[r][c]`.
    pub fn superoperator(&self) -> Matrix {
        let dim = 1 << (2 * self.num_qubits);
        let mut s = Matrix::zeros(dim);
        for k in &self.kraus {
            let conj = Matrix::from_vec(k.dim(), k.data().iter().map(|x| x.conj()).collect());
            s = add(&s, &kron(k, &conj));
        }
        s
    }
}

fn add(a: &Matrix, b: &Matrix) -> Matrix {
    Matrix::from_vec(a.dim(), a.data().iter().zip(b.data()).map(|(x, y)| x + y).collect())
}

fn check_width(k: usize) -> Result<(), NoiseError> {
    if (1..=MAX_CHANNEL_QUBITS).contains(&k) {
        Ok(())
    } else {
        Err(err(format!(
            "channels act on 1 to {MAX_CHANNEL_QUBITS} qubits, not {k} (a 1-qubit channel \
             attached to a wider gate acts on each of its qubits)"
        )))
    }
}

fn width_of_dim(dim: usize) -> Result<usize, NoiseError> {
    if dim < 2 || !dim.is_power_of_two() {
        return Err(err(format!("a channel matrix must be 2^k × 2^k, found {dim}×{dim}")));
    }
    let k = dim.trailing_zeros() as usize;
    check_width(k)?;
    Ok(k)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Applies a channel to a 1-qubit density matrix given as a 2×2 Matrix.
    fn apply(ch: &Channel, rho: &Matrix) -> Matrix {
        let mut out = Matrix::zeros(rho.dim());
        for k in ch.kraus_operators() {
            out = add(&out, &k.mul(rho).mul(&k.dagger()));
        }
        out
    }

    fn rho(a: [[f64; 2]; 2], off: C64) -> Matrix {
        Matrix::from_rows([[c(a[0][0]), off], [off.conj(), c(a[1][1])]])
    }

    #[test]
    fn depolarizing_mixes_towards_identity() {
        // E(ρ) = (1-p)ρ + p·I/2 on |0⟩⟨0| gives diag(1 - p/2, p/2).
        let ch = Channel::depolarizing(0.2, 1).unwrap();
        let out = apply(&ch, &rho([[1.0, 0.0], [0.0, 0.0]], c(0.0)));
        assert!((out.get(0, 0).re - 0.9).abs() < 1e-15 && (out.get(1, 1).re - 0.1).abs() < 1e-15);
        assert_eq!(ch.unitary_mixture().unwrap().len(), 4);
        let two = Channel::depolarizing(0.1, 2).unwrap();
        assert_eq!(two.kraus_operators().len(), 16);
        let e = Channel::depolarizing(1.5, 2).unwrap_err();
        assert_eq!(
            e.message,
            "depolarizing parameter `p` must be between 0 and 1.0666666666666667 (4^n/(4^n-1) \
             for 2 qubits), found 1.5"
        );
    }

    #[test]
    fn thermal_relaxation_matches_closed_form() {
        // Populations relax with 1 - e^{-t/T1}, coherences decay with e^{-t/T2}.
        let (t1, t2, t) = (50.0, 70.0, 10.0);
        let ch = Channel::thermal_relaxation(t1, t2, t, 0.1).unwrap();
        let out = apply(&ch, &rho([[0.3, 0.0], [0.0, 0.7]], C64::new(0.2, -0.1)));
        let pr = 1.0 - (-t / t1).exp();
        let p00 = 0.3 * (1.0 - 0.1 * pr) + 0.7 * 0.9 * pr;
        assert!((out.get(0, 0).re - p00).abs() < 1e-14);
        let coh = C64::new(0.2, -0.1) * (-t / t2).exp();
        assert!((out.get(0, 1) - coh).norm() < 1e-14);
        assert_eq!(
            Channel::thermal_relaxation(10.0, 25.0, 1.0, 0.0).unwrap_err().message,
            "`t2` (25) must be at most 2·t1 (20): a qubit cannot dephase slower than its \
             relaxation allows"
        );
    }

    #[test]
    fn kraus_completeness_is_checked() {
        let half = Matrix::identity(2).scale(c(0.5f64.sqrt()));
        assert!(Channel::kraus(vec![half.clone(), half.clone()]).is_ok());
        let e = Channel::kraus(vec![half.clone()]).unwrap_err();
        assert_eq!(
            e.message,
            "Kraus operators are not trace preserving: Σ K†K differs from the identity by \
             5.000e-1 (tolerance 1e-9)"
        );
        let e = Channel::kraus(vec![Matrix::identity(2), Matrix::identity(4)]).unwrap_err();
        assert_eq!(e.message, "Kraus operator 1 is 4×4 but operator 0 is 2×2");
    }

    #[test]
    fn pauli_labels_put_qubit_zero_right() {
        // "XZ": Z on qubit 0, X on qubit 1; X⊗Z maps |00⟩ to |10⟩ (index 2).
        let m = pauli_matrix("XZ").unwrap();
        assert_eq!(m.get(2, 0), c(1.0));
        assert_eq!(m.get(3, 1), c(-1.0));
        let ch = Channel::pauli(&[("XZ".into(), 0.25)]).unwrap();
        let mix = ch.unitary_mixture().unwrap();
        assert_eq!(mix.len(), 2);
        assert!((mix[1].0 - 0.75).abs() < 1e-15, "identity takes the rest");
        assert!(Channel::pauli(&[("I".into(), 0.5), ("X".into(), 0.4)]).is_err());
        assert!(Channel::pauli(&[("XQ".into(), 0.5)]).is_err());
        let wide = Channel::pauli(&[("X".repeat(40), 0.5)]).unwrap_err();
        assert!(wide.message.starts_with("channels act on 1 to 3 qubits, not 40"), "{wide}");
    }

    #[test]
    fn superoperator_of_unitary_is_kron_with_conjugate() {
        let s =
            Channel::unitary(Matrix::from_rows([[c(1.0), c(0.0)], [c(0.0), C64::new(0.0, 1.0)]]))
                .unwrap()
                .superoperator();
        // diag(1, i) ⊗ diag(1, -i) = diag(1, -i, i, 1).
        let want = [c(1.0), C64::new(0.0, -1.0), C64::new(0.0, 1.0), c(1.0)];
        for (j, w) in want.iter().enumerate() {
            assert!((s.get(j, j) - w).norm() < 1e-15);
        }
    }
}
