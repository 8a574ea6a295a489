//! synthesis (being written).
