//! QuantumVibe simulators.
