//! Text drawing of circuits.
