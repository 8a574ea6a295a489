//! One layer of a diagram as a character grid, and the elements painted on it.
//!
//! Wire `w` owns three text rows: `2w` (top), `2w + 1` (the wire itself) and
//! `2w + 2` (bottom); neighbouring wires share the row between them, so a
//! layer with `W` wires has `2W + 1` rows. Elements of one layer never share
//! wires, only those in-between rows, where box edges are joined
//! (`└───┘` over `┌───┐` reads `├───┤`).

/// Whether a wire is a qubit or a classical register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum WireKind {
    /// A qubit: drawn `─`.
    Quantum,
    /// A classical register: drawn `═`.
    Classical,
}

/// Row of wire `w`'s line.
pub(super) fn mid(w: usize) -> usize {
    2 * w + 1
}

/// One piece of an element, on the quantum wires.
#[derive(Clone, Debug)]
pub(super) enum Part {
    /// A box on one wire, `text` between the side edges (`┤ H ├`, `┤M├`).
    Box {
        /// Wire index.
        wire: usize,
        /// Text inside the box, padding included.
        text: String,
    },
    /// A box over wires `lo..=hi`: each wire shows its argument position (if
    /// any) on the left, and the name sits on the middle row.
    Multi {
        /// First wire.
        lo: usize,
        /// Argument position of each wire `lo..=hi` (`None` for wires the gate skips).
        args: Vec<Option<usize>>,
        /// Gate label.
        name: String,
    },
    /// A short symbol on the wire line (`●`, `⊕`, `×`, `|0>`).
    Symbol {
        /// Wire index.
        wire: usize,
        /// The symbol.
        text: &'static str,
    },
    /// A barrier mark `░` on one wire.
    Barrier {
        /// Wire index.
        wire: usize,
    },
}

impl Part {
    /// First and last wire covered.
    pub(super) fn wires(&self) -> (usize, usize) {
        match self {
            Part::Box { wire, .. } | Part::Symbol { wire, .. } | Part::Barrier { wire } => {
                (*wire, *wire)
            }
            Part::Multi { lo, args, .. } => (*lo, lo + args.len() - 1),
        }
    }

    fn is_box(&self) -> bool {
        matches!(self, Part::Box { .. } | Part::Multi { .. })
    }

    /// First and last text row drawn.
    fn rows(&self) -> (usize, usize) {
        let (lo, hi) = self.wires();
        match self {
            Part::Symbol { .. } => (mid(lo), mid(lo)),
            _ => (mid(lo) - 1, mid(hi) + 1),
        }
    }

    fn width(&self) -> usize {
        match self {
            Part::Box { text, .. } => text.chars().count() + 2,
            Part::Multi { .. } => self.multi_inner().0 + 2,
            Part::Symbol { text, .. } => text.chars().count() + 2,
            Part::Barrier { .. } => 3,
        }
    }

    /// Inner width and index-column width of a multi-wire box.
    fn multi_inner(&self) -> (usize, usize) {
        match self {
            Part::Multi { args, name, .. } => {
                let max_arg = args.iter().flatten().copied().max().unwrap_or(0);
                let idx_w = max_arg.to_string().len();
                (idx_w + name.chars().count() + 2, idx_w)
            }
            _ => (0, 0),
        }
    }
}

/// A mark on a classical register wire, reached by a double line from the qubits.
#[derive(Clone, Debug)]
pub(super) struct ClassicalMark {
    /// Wire index of the register.
    pub wire: usize,
    /// `╩` for a measurement, `■` for a condition.
    pub symbol: char,
    /// Text under the wire (bit index or `c=1`).
    pub label: String,
}

/// Everything one instruction draws in its layer.
#[derive(Clone, Debug, Default)]
pub(super) struct Element {
    /// Pieces on quantum wires.
    pub parts: Vec<Part>,
    /// Join the parts with a single vertical line (controlled gates, swaps).
    pub linked: bool,
    /// Classical marks, joined to the lowest part by a double line.
    pub classical: Vec<ClassicalMark>,
}

impl Element {
    /// First and last wire the element occupies (including wires it crosses).
    pub(super) fn span(&self) -> Option<(usize, usize)> {
        let quantum = self.parts.iter().map(Part::wires);
        let classical = self.classical.iter().map(|m| (m.wire, m.wire));
        quantum.chain(classical).reduce(|(a, b), (c, d)| (a.min(c), b.max(d)))
    }

    /// Columns needed.
    pub(super) fn width(&self) -> usize {
        let parts = self.parts.iter().map(Part::width);
        let labels = self.classical.iter().map(|m| m.label.chars().count());
        parts.chain(labels).max().unwrap_or(1).max(1)
    }
}

/// The text of one layer.
#[derive(Clone, Debug)]
pub(super) struct Grid {
    rows: Vec<Vec<char>>,
    kinds: Vec<WireKind>,
    width: usize,
}

impl Grid {
    /// An empty layer of `width` columns: bare wires.
    pub(super) fn new(kinds: &[WireKind], width: usize) -> Grid {
        let mut rows = vec![vec![' '; width]; 2 * kinds.len() + 1];
        for (w, kind) in kinds.iter().enumerate() {
            let c = if *kind == WireKind::Quantum { '─' } else { '═' };
            rows[mid(w)].fill(c);
        }
        Grid { rows, kinds: kinds.to_vec(), width }
    }

    /// The rows, top to bottom.
    pub(super) fn into_rows(self) -> Vec<Vec<char>> {
        self.rows
    }

    fn center(&self) -> usize {
        (self.width - 1) / 2
    }

    /// Column where an item `len` wide starts when centred on the layer.
    fn start(&self, len: usize) -> usize {
        self.center().saturating_sub(len.saturating_sub(1) / 2)
    }

    fn set(&mut self, row: usize, col: usize, c: char) {
        if let Some(cell) = self.rows.get_mut(row).and_then(|r| r.get_mut(col)) {
            *cell = c;
        }
    }

    fn join(&mut self, row: usize, col: usize, c: char) {
        if let Some(cell) = self.rows.get_mut(row).and_then(|r| r.get_mut(col)) {
            *cell = join(*cell, c);
        }
    }

    fn text(&mut self, row: usize, col: usize, s: &str, joined: bool) {
        for (i, c) in s.chars().enumerate() {
            if joined {
                self.join(row, col + i, c);
            } else {
                self.set(row, col + i, c);
            }
        }
    }

    fn edge(&mut self, row: usize, start: usize, inner: usize, left: char, right: char) {
        let line = format!("{left}{}{right}", "─".repeat(inner));
        self.text(row, start, &line, true);
    }

    /// Draws an element centred in the layer.
    pub(super) fn paint(&mut self, el: &Element) {
        for part in &el.parts {
            self.paint_part(part);
        }
        if el.linked {
            self.paint_links(&el.parts);
        }
        self.paint_classical(el);
    }

    fn paint_part(&mut self, part: &Part) {
        let (lo, hi) = part.wires();
        let start = self.start(part.width());
        match part {
            Part::Box { text, .. } => {
                let inner = text.chars().count();
                self.edge(mid(lo) - 1, start, inner, '┌', '┐');
                self.text(mid(lo), start, &format!("┤{text}├"), false);
                self.edge(mid(lo) + 1, start, inner, '└', '┘');
            }
            Part::Multi { args, name, .. } => {
                let (inner, idx_w) = part.multi_inner();
                self.edge(mid(lo) - 1, start, inner, '┌', '┐');
                let name_row = lo + hi + 1;
                for row in mid(lo)..=mid(hi) {
                    let on_wire = row % 2 == 1;
                    let idx = match args.get(row / 2 - lo) {
                        Some(Some(a)) if on_wire => a.to_string(),
                        _ => String::new(),
                    };
                    let label = if row == name_row { name.as_str() } else { "" };
                    let (l, r) = if on_wire { ('┤', '├') } else { ('│', '│') };
                    let body = format!("{idx:<idx_w$} {label:<w$} ", w = inner - idx_w - 2);
                    self.text(row, start, &format!("{l}{body}{r}"), false);
                }
                self.edge(mid(hi) + 1, start, inner, '└', '┘');
            }
            Part::Symbol { text, .. } => {
                let start = self.start(text.chars().count());
                self.text(mid(lo), start, text, false);
            }
            Part::Barrier { .. } => {
                let c = self.center();
                self.join(mid(lo) - 1, c, '░');
                self.set(mid(lo), c, '░');
                self.join(mid(lo) + 1, c, '░');
            }
        }
    }

    /// The single vertical line between consecutive parts, top to bottom.
    fn paint_links(&mut self, parts: &[Part]) {
        let c = self.center();
        let mut sorted: Vec<&Part> = parts.iter().collect();
        sorted.sort_by_key(|p| p.wires().0);
        for pair in sorted.windows(2) {
            let (above, below) = (pair[0], pair[1]);
            let from = above.rows().1;
            let to = below.rows().0;
            if above.is_box() {
                self.set(from, c, '┬');
            }
            if below.is_box() {
                self.set(to, c, if from == to { '┼' } else { '┴' });
            }
            for row in from + 1..to {
                self.set(row, c, if row % 2 == 1 { '┼' } else { '│' });
            }
        }
    }

    /// The double line from the lowest part down to the classical marks, and their labels.
    fn paint_classical(&mut self, el: &Element) {
        let Some(last) = el.classical.iter().map(|m| m.wire).max() else { return };
        let Some(lowest) = el.parts.iter().max_by_key(|p| p.wires().1) else { return };
        let c = self.center();
        for mark in &el.classical {
            let start = self.start(mark.label.chars().count());
            self.text(mid(mark.wire) + 1, start, &mark.label, true);
        }
        let mut row = lowest.rows().1;
        if lowest.is_box() {
            self.set(row, c, '╥');
        }
        row += 1;
        while row <= mid(last) {
            let wire = row / 2;
            let ch = if row % 2 == 0 {
                '║'
            } else if let Some(mark) = el.classical.iter().find(|m| m.wire == wire) {
                mark.symbol
            } else if self.kinds.get(wire) == Some(&WireKind::Classical) {
                '╬'
            } else {
                '╫'
            };
            self.set(row, c, ch);
            row += 1;
        }
    }
}

/// Joins two characters drawn on the row shared by neighbouring wires: a
/// bottom edge of the element above with a top edge of the one below.
fn join(old: char, new: char) -> char {
    if old == ' ' || old == new {
        return new;
    }
    if new == ' ' {
        return old;
    }
    let is_top = |c| matches!(c, '┌' | '┐');
    let is_bottom = |c| matches!(c, '└' | '┘');
    // Box edges win over barrier marks, whatever the painting order.
    if old == '░' {
        return new;
    }
    if new == '░' {
        return old;
    }
    let (up, down) = if is_top(old) || is_bottom(new) { (new, old) } else { (old, new) };
    match (up, down) {
        ('└', '┌') => '├',
        ('┘', '┐') => '┤',
        ('└', '┐') | ('┘', '┌') => '┼',
        ('└' | '┘', '─') => '┴',
        ('─', '┌' | '┐') => '┬',
        _ => new,
    }
}

#[cfg(test)]
mod tests {
    use super::join;

    #[test]
    fn edges_join_like_box_drawing() {
        assert_eq!(join('└', '┌'), '├');
        assert_eq!(join('┌', '└'), '├');
        assert_eq!(join('┘', '┐'), '┤');
        assert_eq!(join('─', '┌'), '┬');
        assert_eq!(join('┐', '─'), '┬');
        assert_eq!(join('└', '─'), '┴');
        assert_eq!(join('░', '─'), '─');
        assert_eq!(join('─', '░'), '─');
        assert_eq!(join(' ', '0'), '0');
    }
}
