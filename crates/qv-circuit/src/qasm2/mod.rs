//! OpenQASM 2.0 front end and exporter.
