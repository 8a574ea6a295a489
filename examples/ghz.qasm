// Three-qubit GHZ state (|000> + |111>)/sqrt(2).
//
// A Hadamard on q[0] followed by a chain of CNOTs spreads the superposition
// over all three qubits: they are either all 0 or all 1.
//
// Expected counts: "000" and "111" with probability 1/2 each.
//
// expect: "000"=1/2 "111"=1/2
OPENQASM 2.0;
include "qelib1.inc";

qreg q[3];
creg c[3];

h q[0];
cx q[0], q[1];
cx q[1], q[2];
measure q -> c;
