// Bernstein-Vazirani: recover a hidden bit string s with one oracle query.
//
// The oracle computes f(x) = s.x (mod 2) into an ancilla in |->; after the
// final Hadamards the input register holds s exactly. Here s = 1011
// (s0 = 1, s1 = 1, s2 = 0, s3 = 1): a CNOT from every input bit with s_i = 1.
//
// Expected counts: "1011" with probability 1.
//
// expect: "1011"=1
OPENQASM 2.0;
include "qelib1.inc";

qreg q[4];
qreg anc[1];
creg c[4];

x anc[0];
h anc[0];
h q;

// Oracle for s = 1011.
cx q[0], anc[0];
cx q[1], anc[0];
cx q[3], anc[0];

h q;
measure q -> c;
