//! passes (being written).
