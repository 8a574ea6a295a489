//! Built-in targets: vendor devices by name and generic shapes by pattern.
//!
//! Devices carry their public native gate sets and topologies but no
//! calibration data (it changes daily; supply it in a JSON target). Couplings
//! are undirected: the compiler may use a native two-qubit gate either way
//! round on a coupled pair.

use qv_circuit::StandardGate;

use super::{topologies, CouplingMap, Target};
use crate::error::CompileError;

/// A built-in target as `qv targets` lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuiltinInfo {
    /// Name or pattern (`line:N`).
    pub name: &'static str,
    /// One line about it.
    pub description: &'static str,
}

/// Every built-in device, then the generic patterns.
pub const BUILTINS: &[BuiltinInfo] = &[
    BuiltinInfo {
        name: "ibm_eagle",
        description: "IBM Eagle r3: 127 qubits, heavy-hex (144 couplings); ecr, rz, sx, x",
    },
    BuiltinInfo {
        name: "ibm_heron",
        description:
            "IBM Heron r1 (ibm_torino): 133 qubits, heavy-hex (150 couplings); cz, rz, sx, x",
    },
    BuiltinInfo {
        name: "ionq_aria",
        description: "IonQ Aria: 25 qubits, all-to-all; gpi, gpi2, ms",
    },
    BuiltinInfo {
        name: "ionq_forte",
        description: "IonQ Forte: 36 qubits, all-to-all; gpi, gpi2, ms",
    },
    BuiltinInfo {
        name: "rigetti_ankaa",
        description: "Rigetti Ankaa: 84 qubits, 7x12 square lattice; rx, rz, iswap",
    },
    BuiltinInfo {
        name: "rigetti_ankaa_cz",
        description: "Rigetti Ankaa: 84 qubits, 7x12 square lattice; rx, rz, cz",
    },
    BuiltinInfo {
        name: "google_sycamore",
        description:
            "Google Sycamore: 54 qubits, diamond grid (88 couplings); sqrt_iswap, phased_x_z",
    },
    BuiltinInfo {
        name: "google_sycamore_fsim",
        description: "Google Sycamore: 54 qubits, diamond grid (88 couplings); fsim, phased_x_z",
    },
    BuiltinInfo { name: "line:N", description: "N qubits on a line; cx, rz, sx, x" },
    BuiltinInfo { name: "ring:N", description: "N qubits on a ring (N >= 3); cx, rz, sx, x" },
    BuiltinInfo { name: "grid:RxC", description: "R x C square lattice; cx, rz, sx, x" },
    BuiltinInfo { name: "all:N", description: "N qubits, every pair coupled; cx, rz, sx, x" },
];

/// Native gates of the generic shapes (those of IBM's generic backends).
const GENERIC_BASIS: [&str; 4] = ["cx", "rz", "sx", "x"];

/// The comma-separated list of names and patterns, for error messages.
pub fn known_names() -> String {
    BUILTINS.iter().map(|b| b.name).collect::<Vec<_>>().join(", ")
}

/// Builds a built-in target.
pub fn from_name(name: &str) -> Result<Target, CompileError> {
    let unknown = || CompileError::UnknownTarget { name: name.to_string(), known: known_names() };
    let (shape, basis): (Result<CouplingMap, String>, &[&str]) = match name {
        "ibm_eagle" => (topologies::eagle(), &["ecr", "rz", "sx", "x"]),
        "ibm_heron" => (topologies::heron(), &["cz", "rz", "sx", "x"]),
        "ionq_aria" => (CouplingMap::full(25), &["gpi", "gpi2", "ms"]),
        "ionq_forte" => (CouplingMap::full(36), &["gpi", "gpi2", "ms"]),
        "rigetti_ankaa" => (CouplingMap::grid(7, 12), &["rx", "rz", "iswap"]),
        "rigetti_ankaa_cz" => (CouplingMap::grid(7, 12), &["rx", "rz", "cz"]),
        "google_sycamore" => (topologies::sycamore(), &["sqrt_iswap", "phased_x_z"]),
        "google_sycamore_fsim" => (topologies::sycamore(), &["fsim", "phased_x_z"]),
        _ => {
            let (kind, size) = name.split_once(':').ok_or_else(unknown)?;
            let shape = generic_shape(kind, size).ok_or_else(unknown)?;
            (shape, &GENERIC_BASIS)
        }
    };
    let invalid = |e: String| CompileError::InvalidTarget(format!("`{name}`: {e}"));
    let coupling = shape.map_err(invalid)?;
    let gates = Target::gates_by_name(basis).map_err(invalid)?;
    let description = BUILTINS
        .iter()
        .find(|b| b.name == name)
        .map(|b| b.description.to_string())
        .unwrap_or_else(|| describe_generic(name, &coupling));
    Ok(Target::new(name, &gates, coupling)?.with_description(&description))
}

/// `line:N`, `ring:N`, `grid:RxC`, `all:N`; `None` for anything else.
fn generic_shape(kind: &str, size: &str) -> Option<Result<CouplingMap, String>> {
    let count = |s: &str| s.parse::<usize>().ok().filter(|&n| n > 0);
    Some(match kind {
        "line" => CouplingMap::line(count(size)?),
        "ring" => CouplingMap::ring(count(size)?),
        "all" => CouplingMap::full(count(size)?),
        "grid" => {
            let (r, c) = size.split_once(['x', 'X'])?;
            CouplingMap::grid(count(r)?, count(c)?)
        }
        _ => return None,
    })
}

fn describe_generic(name: &str, map: &CouplingMap) -> String {
    format!(
        "{name}: {} qubits, {} couplings; {}",
        map.num_qubits(),
        map.num_couplings(),
        GENERIC_BASIS.join(", ")
    )
}

/// Every built-in device target (not the generic patterns), for tests and listings.
pub fn devices() -> Vec<Result<Target, CompileError>> {
    BUILTINS.iter().filter(|b| !b.name.contains(':')).map(|b| from_name(b.name)).collect()
}

/// Native gates of the built-in generic shapes.
pub fn generic_basis() -> Vec<StandardGate> {
    Target::gates_by_name(&GENERIC_BASIS).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_shapes_parse() {
        let t = from_name("grid:3x4").unwrap();
        assert_eq!((t.num_qubits(), t.coupling_map().num_couplings()), (12, 17));
        assert_eq!(t.description(), "grid:3x4: 12 qubits, 17 couplings; cx, rz, sx, x");
        assert_eq!(from_name("ring:5").unwrap().coupling_map().num_couplings(), 5);
        assert!(from_name("all:6").unwrap().coupling_map().is_all_to_all());
        assert_eq!(from_name("line:7").unwrap().coupling_map().distance(0, 6), Some(6));
    }

    #[test]
    fn unknown_names_list_the_known_ones() {
        for bad in ["ibm_osprey", "line:", "line:0", "grid:3", "grid:3x", "cube:3", "line:x"] {
            let e = from_name(bad).unwrap_err().to_string();
            assert!(
                e.starts_with(&format!("unknown target `{bad}`; known targets: ibm_eagle, ")),
                "{e}"
            );
            assert!(e.ends_with("line:N, ring:N, grid:RxC, all:N"), "{e}");
        }
        assert_eq!(
            from_name("line:5000").unwrap_err().to_string(),
            "invalid target: `line:5000`: 5000 qubits is more than the supported maximum of 1024"
        );
    }

    #[test]
    fn ibm_devices_have_their_gates() {
        let e = from_name("ibm_eagle").unwrap();
        assert_eq!(e.num_qubits(), 127);
        let names: Vec<&str> = e.basis_gates().iter().map(|g| g.name()).collect();
        assert_eq!(names, ["x", "rz", "sx", "ecr"]);
        let h = from_name("ibm_heron").unwrap();
        assert_eq!(h.two_qubit_gates(), vec![StandardGate::Cz]);
    }
}
