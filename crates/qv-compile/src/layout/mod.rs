//! Initial placement of a circuit's (virtual) qubits on a target's physical qubits.
//!
//! A [`Layout`] is a full permutation of the target's physical qubits: the
//! circuit's qubits are virtual qubits `0..num_virtual`, and the remaining
//! physical qubits hold ancillas (virtual indices `num_virtual..`), so that
//! routing can swap any two physical qubits.
//!
//! Strategies, cheapest first:
//! - [`trivial_layout`]: virtual `v` on physical `v`;
//! - [`dense_layout`]: the most densely coupled region, placed greedily;
//! - [`vf2_layout`]: a placement where every interacting pair is coupled
//!   (no swaps needed), found by VF2-style subgraph search;
//! - [`sabre_layout`]: SABRE's forward-backward routing passes from many
//!   starting placements ([`starts`]), keeping the one that needs the fewest swaps.

mod dense;
mod interactions;
mod sabre;
mod starts;
mod vf2;

pub use dense::dense_layout;
pub(crate) use interactions::check_routable as interactions_check;
pub use interactions::Interactions;
pub use sabre::{sabre_layout, sabre_layout_and_route, SabreLayoutOptions};
pub use vf2::{vf2_layout, Vf2Options};

use qv_circuit::Circuit;

use crate::error::CompileError;
use crate::target::Target;

/// Marker for "no qubit".
pub(crate) const NONE: u32 = u32::MAX;

/// A placement of virtual qubits on physical qubits (a permutation of the
/// target's qubits; virtual indices at or above [`Layout::num_virtual`] are ancillas).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    num_virtual: usize,
    v2p: Vec<u32>,
    p2v: Vec<u32>,
}

impl Layout {
    /// Virtual `v` on physical `v` for every qubit.
    pub fn trivial(num_virtual: usize, num_physical: usize) -> Result<Layout, CompileError> {
        Self::from_physical(&(0..num_virtual).collect::<Vec<_>>(), num_physical)
    }

    /// Places virtual qubit `v` on `physical[v]`; ancillas fill the unused
    /// physical qubits in increasing order. Errors on repeated or
    /// out-of-range physical qubits.
    pub fn from_physical(physical: &[usize], num_physical: usize) -> Result<Layout, CompileError> {
        if physical.len() > num_physical {
            return Err(CompileError::InvalidLayout(format!(
                "{} virtual qubits do not fit on {num_physical} physical qubits",
                physical.len()
            )));
        }
        let mut p2v = vec![NONE; num_physical];
        for (v, &p) in physical.iter().enumerate() {
            if p >= num_physical {
                return Err(CompileError::InvalidLayout(format!(
                    "virtual qubit {v} is placed on physical qubit {p}, but the target has \
                     {num_physical} qubits"
                )));
            }
            if p2v[p] != NONE {
                return Err(CompileError::InvalidLayout(format!(
                    "virtual qubits {} and {v} are both placed on physical qubit {p}",
                    p2v[p]
                )));
            }
            p2v[p] = v as u32;
        }
        let free = p2v.iter_mut().filter(|s| **s == NONE);
        for (next, slot) in (physical.len() as u32..).zip(free) {
            *slot = next;
        }
        Ok(Self::from_p2v(physical.len(), p2v))
    }

    /// From a full physical → virtual permutation (trusted: built internally).
    pub(crate) fn from_p2v(num_virtual: usize, p2v: Vec<u32>) -> Layout {
        let mut v2p = vec![0u32; p2v.len()];
        for (p, &v) in p2v.iter().enumerate() {
            v2p[v as usize] = p as u32;
        }
        Layout { num_virtual, v2p, p2v }
    }

    /// From a full virtual → physical permutation (trusted: built internally).
    pub(crate) fn from_v2p(num_virtual: usize, v2p: Vec<u32>) -> Layout {
        let mut p2v = vec![0u32; v2p.len()];
        for (v, &p) in v2p.iter().enumerate() {
            p2v[p as usize] = v as u32;
        }
        Layout { num_virtual, v2p, p2v }
    }

    /// Number of the circuit's qubits (the others are ancillas).
    pub fn num_virtual(&self) -> usize {
        self.num_virtual
    }

    /// Number of physical qubits.
    pub fn num_physical(&self) -> usize {
        self.p2v.len()
    }

    /// Physical qubit of virtual qubit (or ancilla) `v`.
    pub fn physical(&self, v: usize) -> usize {
        self.v2p[v] as usize
    }

    /// The circuit qubit on physical qubit `p`; `None` for an ancilla.
    pub fn virtual_at(&self, p: usize) -> Option<usize> {
        let v = self.p2v[p] as usize;
        (v < self.num_virtual).then_some(v)
    }

    /// `result[v]` = physical qubit of circuit qubit `v`.
    pub fn to_physical(&self) -> Vec<usize> {
        self.v2p[..self.num_virtual].iter().map(|&p| p as usize).collect()
    }

    /// Exchanges what physical qubits `a` and `b` hold.
    pub fn swap_physical(&mut self, a: usize, b: usize) {
        let (va, vb) = (self.p2v[a], self.p2v[b]);
        self.p2v.swap(a, b);
        self.v2p[va as usize] = b as u32;
        self.v2p[vb as usize] = a as u32;
    }

    /// Full virtual → physical permutation.
    pub(crate) fn v2p(&self) -> &[u32] {
        &self.v2p
    }

    /// Full physical → virtual permutation.
    pub(crate) fn p2v(&self) -> &[u32] {
        &self.p2v
    }
}

/// Virtual qubit `v` on physical qubit `v`.
pub fn trivial_layout(circuit: &Circuit, target: &Target) -> Result<Layout, CompileError> {
    target.check_width(circuit.num_qubits())?;
    Layout::trivial(circuit.num_qubits(), target.num_qubits())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_physical_fills_ancillas_in_order() {
        let l = Layout::from_physical(&[3, 0], 5).unwrap();
        assert_eq!(l.to_physical(), vec![3, 0]);
        assert_eq!(l.p2v(), &[1, 2, 3, 0, 4]);
        assert_eq!(l.virtual_at(3), Some(0));
        assert_eq!(l.virtual_at(1), None);
        assert_eq!(l.physical(2), 1);
    }

    #[test]
    fn swaps_update_both_directions() {
        let mut l = Layout::trivial(2, 3).unwrap();
        l.swap_physical(0, 2);
        assert_eq!(l.to_physical(), vec![2, 1]);
        assert_eq!(l.virtual_at(0), None);
        assert_eq!(l.physical(2), 0);
    }

    #[test]
    fn bad_layouts_are_rejected() {
        assert_eq!(
            Layout::from_physical(&[1, 1], 3).unwrap_err().to_string(),
            "invalid layout: virtual qubits 0 and 1 are both placed on physical qubit 1"
        );
        assert_eq!(
            Layout::from_physical(&[0, 7], 3).unwrap_err().to_string(),
            "invalid layout: virtual qubit 1 is placed on physical qubit 7, but the target has 3 qubits"
        );
        assert_eq!(
            Layout::from_physical(&[0, 1, 2], 2).unwrap_err().to_string(),
            "invalid layout: 3 virtual qubits do not fit on 2 physical qubits"
        );
    }
}
