// Deutsch-Jozsa algorithm on 3 input bits with a balanced oracle.
//
// The oracle computes f(x) = x0 XOR x2 into the ancilla q[3], prepared in
// |->, so it acts as a phase (-1)^f(x). One query decides whether f is
// constant (the input register reads 000) or balanced (anything else).
// For this f the interference is complete: the register reads the mask of
// the bits f depends on.
//
// Expected counts: "101" with probability 1 (balanced).
//
// expect: "101"=1
OPENQASM 2.0;
include "qelib1.inc";

qreg q[4];
creg c[3];

// Ancilla in |->, inputs in uniform superposition.
x q[3];
h q[3];
h q[0];
h q[1];
h q[2];

// Balanced oracle: f(x) = x0 XOR x2.
cx q[0], q[3];
cx q[2], q[3];

h q[0];
h q[1];
h q[2];
measure q[0] -> c[0];
measure q[1] -> c[1];
measure q[2] -> c[2];
