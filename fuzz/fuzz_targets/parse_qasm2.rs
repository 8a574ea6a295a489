//! Fuzzes the OpenQASM 2 parser: it must never panic, hang or overflow the
//! stack on any UTF-8 input, and every program it accepts must export to text
//! that parses back to the same shape and exports to the same text again.

#![no_main]

use libfuzzer_sys::fuzz_target;
use qv_circuit::qasm2::{export, parse_with, ParseOptions};

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    // Smaller limits than the defaults keep each run fast; the limit code
    // paths are the same.
    let options =
        ParseOptions { max_bits: 1 << 12, max_operations: 1 << 16, ..ParseOptions::default() };
    let Ok(circuit) = parse_with(source, "fuzz.qasm", &options) else {
        return;
    };
    let text = export(&circuit);
    let generous = ParseOptions { max_operations: 1 << 20, ..options };
    let back = match parse_with(&text, "export.qasm", &generous) {
        Ok(c) => c,
        Err(e) => panic!(
            "exported text does not parse: {e}\n--- input ---\n{source}\n--- export ---\n{text}"
        ),
    };
    assert_eq!(back.num_qubits(), circuit.num_qubits());
    assert_eq!(back.num_clbits(), circuit.num_clbits());
    assert_eq!(back.instructions().len(), circuit.instructions().len());
    let again = export(&back);
    assert_eq!(again, text, "export is not a fixed point\n--- input ---\n{source}");
});
