// Superdense coding: two classical bits through one qubit.
//
// Alice and Bob share a Bell pair. Alice encodes the message "11" by applying
// Z (sets bit c[0]) and X (sets bit c[1]) to her qubit q[0] and sends it to
// Bob, who decodes with CNOT and H and measures both qubits.
//
// Expected counts: "11" with probability 1.
//
// expect: "11"=1
OPENQASM 2.0;
include "qelib1.inc";

qreg q[2];
creg c[2];

// Shared Bell pair.
h q[0];
cx q[0], q[1];
barrier q;

// Alice encodes the message 11.
z q[0];
x q[0];
barrier q;

// Bob decodes.
cx q[0], q[1];
h q[0];
measure q[0] -> c[0];
measure q[1] -> c[1];
