//! target (being written).
