//! Text drawing of circuits, in the style of Qiskit's text drawer.
//!
//! [`draw_text`] draws one line per qubit (`q_0: `, `anc_1: `) and one double
//! line per classical register (`c: 2/`). Instructions are packed greedily
//! into layers: each goes into the first layer after everything already drawn
//! on the wires it touches or crosses. Gates are boxes with their parameters
//! (`Rx(π/2)`), controls are `●` joined by `│` to their target (`⊕` for the X
//! family, `×` for swaps, a box otherwise), measurements are `M` boxes with a
//! double line down to the register and the bit index under it, barriers `░`,
//! resets `|0>`, and a condition is a `■` on its register labelled `c=1`.
//! Diagrams wider than the fold width continue below, with `»`/`«` marks.

mod grid;
mod label;

pub use label::format_angle;

use crate::circuit::{Circuit, GateRef, Instruction, Operation};
use grid::{ClassicalMark, Element, Grid, Part, WireKind};
use label::{shape, with_params, Shape, Target};

/// Default maximum line width (in characters) before a diagram is folded.
pub const DEFAULT_FOLD: usize = 100;

/// Draws a circuit as text, folded at [`DEFAULT_FOLD`] columns.
pub fn draw_text(circuit: &Circuit) -> String {
    draw_text_folded(circuit, Some(DEFAULT_FOLD))
}

/// Draws a circuit as text, folding lines longer than `fold` characters
/// (`None`: never fold). A single layer wider than `fold` still gets a fold
/// of its own.
pub fn draw_text_folded(circuit: &Circuit, fold: Option<usize>) -> String {
    let wires = Wires::new(circuit);
    if wires.kinds.is_empty() {
        return String::new();
    }
    let layers = layout(circuit, &wires);
    let mut grids: Vec<Grid> = layers
        .iter()
        .map(|layer| {
            let width = layer.iter().map(Element::width).max().unwrap_or(1);
            let mut grid = Grid::new(&wires.kinds, width);
            for el in layer {
                grid.paint(el);
            }
            grid
        })
        .collect();
    if grids.is_empty() {
        grids.push(Grid::new(&wires.kinds, 3));
    }
    render(&wires, grids.into_iter().map(Grid::into_rows).collect(), fold)
}

/// Wire kinds and labels, and where each classical bit is drawn.
struct Wires {
    kinds: Vec<WireKind>,
    labels: Vec<String>,
    /// For each classical bit: its register's wire and its index in the register.
    clbits: Vec<(usize, usize)>,
    num_qubits: usize,
}

impl Wires {
    fn new(circuit: &Circuit) -> Wires {
        let mut kinds = Vec::new();
        let mut labels = Vec::new();
        for reg in circuit.qregs() {
            for i in 0..reg.size {
                kinds.push(WireKind::Quantum);
                labels.push(format!("{}_{i}: ", reg.name));
            }
        }
        let num_qubits = kinds.len();
        let mut clbits = vec![(0, 0); circuit.num_clbits()];
        for reg in circuit.cregs() {
            let wire = kinds.len();
            kinds.push(WireKind::Classical);
            labels.push(format!("{}: {}/", reg.name, reg.size));
            for (i, bit) in reg.bits().enumerate() {
                if let Some(slot) = clbits.get_mut(bit) {
                    *slot = (wire, i);
                }
            }
        }
        Wires { kinds, labels, clbits, num_qubits }
    }
}

/// Assigns every instruction's element to the first layer free on its span.
fn layout(circuit: &Circuit, wires: &Wires) -> Vec<Vec<Element>> {
    let mut level = vec![0usize; wires.kinds.len()];
    let mut layers: Vec<Vec<Element>> = Vec::new();
    for inst in circuit.instructions() {
        let el = element(circuit, inst, wires);
        let Some((lo, hi)) = el.span() else { continue };
        let layer = level[lo..=hi].iter().copied().max().unwrap_or(0);
        level[lo..=hi].fill(layer + 1);
        if layers.len() <= layer {
            layers.resize_with(layer + 1, Vec::new);
        }
        layers[layer].push(el);
    }
    layers
}

/// What one instruction draws.
fn element(circuit: &Circuit, inst: &Instruction, wires: &Wires) -> Element {
    let mut el = Element::default();
    match &inst.op {
        Operation::Gate { gate, params } => match gate {
            GateRef::Standard(g) => match shape(*g) {
                Shape::Controlled { controls, target } => {
                    el.linked = true;
                    for (i, &q) in inst.qubits.iter().enumerate() {
                        let part = match target {
                            _ if i < controls => Part::Symbol { wire: q, text: "●" },
                            Target::Plus => Part::Symbol { wire: q, text: "⊕" },
                            Target::Dot => Part::Symbol { wire: q, text: "●" },
                            Target::Swap => Part::Symbol { wire: q, text: "×" },
                            Target::Box(name) => boxed(q, &with_params(name, params)),
                        };
                        el.parts.push(part);
                    }
                }
                Shape::Boxed(name) => {
                    el.parts.push(gate_box(&inst.qubits, &with_params(name, params)))
                }
            },
            GateRef::Custom(_) => {
                let name = with_params(circuit.gate_name(*gate), params);
                el.parts.push(gate_box(&inst.qubits, &name));
            }
        },
        Operation::Measure => {
            if let (Some(&q), Some(&c)) = (inst.qubits.first(), inst.clbits.first()) {
                el.parts.push(Part::Box { wire: q, text: "M".to_string() });
                if let Some(&(wire, index)) = wires.clbits.get(c) {
                    el.classical.push(ClassicalMark {
                        wire,
                        symbol: '╩',
                        label: index.to_string(),
                    });
                }
            }
        }
        Operation::Reset => {
            el.parts.extend(inst.qubits.iter().map(|&q| Part::Symbol { wire: q, text: "|0>" }));
        }
        Operation::Barrier => {
            el.parts.extend(inst.qubits.iter().map(|&q| Part::Barrier { wire: q }));
        }
    }
    if let Some(cond) = inst.condition {
        if let Some(reg) = circuit.cregs().get(cond.creg) {
            let wire = wires.num_qubits + cond.creg;
            let label = format!("{}={}", reg.name, cond.value);
            match el.classical.iter_mut().find(|m| m.wire == wire) {
                // A conditioned measurement into the same register: one mark, both labels.
                Some(mark) => mark.label = format!("{} {label}", mark.label),
                None => el.classical.push(ClassicalMark { wire, symbol: '■', label }),
            }
        }
    }
    el
}

fn boxed(wire: usize, label: &str) -> Part {
    Part::Box { wire, text: format!(" {label} ") }
}

/// A box for a gate on `qubits`: a plain box for one qubit, otherwise one box
/// over the whole range with each qubit's argument position.
fn gate_box(qubits: &[usize], label: &str) -> Part {
    match qubits {
        [q] => boxed(*q, label),
        _ => {
            let lo = qubits.iter().copied().min().unwrap_or(0);
            let hi = qubits.iter().copied().max().unwrap_or(0);
            let mut args = vec![None; hi - lo + 1];
            for (i, &q) in qubits.iter().enumerate() {
                args[q - lo] = Some(i);
            }
            Part::Multi { lo, args, name: label.to_string() }
        }
    }
}

/// Joins the layers behind the wire labels, folding at `fold` columns.
fn render(wires: &Wires, layers: Vec<Vec<Vec<char>>>, fold: Option<usize>) -> String {
    let label_w = wires.labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let num_rows = 2 * wires.kinds.len() + 1;
    // Split the layers into folds; every fold after the first starts with `«`
    // and every fold before the last ends with `»`.
    let mut folds: Vec<Vec<Vec<Vec<char>>>> = vec![Vec::new()];
    let mut used = label_w;
    for layer in layers {
        let w = layer.first().map_or(0, Vec::len);
        let current = folds.len() - 1;
        if let Some(limit) = fold {
            if !folds[current].is_empty() && used + w + 1 > limit {
                folds.push(Vec::new());
                used = label_w + 1;
            }
        }
        used += w;
        let current = folds.len() - 1;
        folds[current].push(layer);
    }
    let last = folds.len() - 1;
    let mut out = String::new();
    for (f, layers) in folds.iter().enumerate() {
        for row in 0..num_rows {
            let mut line = String::new();
            if f > 0 {
                line.push('«');
            }
            let label = if row % 2 == 1 { wires.labels[row / 2].as_str() } else { "" };
            line.push_str(&format!("{label:>label_w$}"));
            for layer in layers {
                line.extend(&layer[row]);
            }
            if f == last {
                line.truncate(line.trim_end().len());
            } else {
                line.push('»');
            }
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}
