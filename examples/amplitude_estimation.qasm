// Quantum amplitude estimation with 3 evaluation qubits.
//
// A = ry(pi/4) prepares sqrt(1-a)|0> + sqrt(a)|1> with a = sin^2(pi/8) = 0.1464
// ("good" state |1>). For one objective qubit the Grover operator
// Q = -A S0 A^dagger S_chi is the rotation ry(4 theta) = ry(pi/2), where
// a = sin^2(theta), theta = pi/8; its eigenvalues are exp(+-2 i theta).
// Phase estimation of Q (controlled powers cry(2^j pi/2), then the inverse
// QFT) returns y with theta = pi y / 8, i.e. y = 1 or y = 7, and both give
// the estimate a = sin^2(pi y / 8) = 0.1464 exactly.
//
// Expected counts: "001" and "111" with probability 1/2 each.
//
// expect: "001"=1/2 "111"=1/2
OPENQASM 2.0;
include "qelib1.inc";

qreg eval[3];
qreg obj[1];
creg c[3];

// State preparation A.
ry(pi/4) obj[0];
h eval;

// Controlled Q^(2^j) = cry(2^j * pi/2).
cry(pi/2) eval[0], obj[0];
cry(pi) eval[1], obj[0];
cry(2*pi) eval[2], obj[0];
barrier eval, obj;

// Inverse QFT on the evaluation register.
swap eval[0], eval[2];
h eval[0];
cp(-pi/2) eval[1], eval[0];
h eval[1];
cp(-pi/4) eval[2], eval[0];
cp(-pi/2) eval[2], eval[1];
h eval[2];

measure eval -> c;
