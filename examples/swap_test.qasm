// Swap test: estimate the overlap of two states with one ancilla.
//
// |psi> = ry(pi/3)|0> and |phi> = ry(-pi/3)|0> have overlap
// <psi|phi> = cos(pi/3) = 1/2. After H, controlled-SWAP and H on the ancilla,
// P(ancilla = 0) = (1 + |<psi|phi>|^2) / 2 = 0.625.
//
// Expected counts: "0" with probability 0.625 and "1" with probability 0.375.
//
// expect: "0"=5/8 "1"=3/8
OPENQASM 2.0;
include "qelib1.inc";

qreg anc[1];
qreg psi[1];
qreg phi[1];
creg c[1];

ry(pi/3) psi[0];
ry(-pi/3) phi[0];

h anc[0];
cswap anc[0], psi[0], phi[0];
h anc[0];
measure anc[0] -> c[0];
