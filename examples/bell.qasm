// Bell state: the simplest entangled pair.
//
// H puts q[0] into (|0> + |1>)/sqrt(2); CX copies it onto q[1], giving
// (|00> + |11>)/sqrt(2). Measuring both qubits always yields equal bits.
//
// Expected counts: "00" and "11" with probability 1/2 each; never "01" or "10".
//
// expect: "00"=1/2 "11"=1/2
OPENQASM 2.0;
include "qelib1.inc";

qreg q[2];
creg c[2];

h q[0];
cx q[0], q[1];
measure q[0] -> c[0];
measure q[1] -> c[1];
