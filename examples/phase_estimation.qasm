// Quantum phase estimation with 3 counting qubits.
//
// U = p(5 pi / 4) has eigenvector |1> with eigenvalue exp(2 pi i * 5/8).
// The counting qubit j controls U^(2^j) = p(2^j * 5 pi / 4); the inverse QFT
// then turns the phase kickback into the binary fraction 0.101 = 5/8.
//
// Expected counts: "101" (5, i.e. phase 5/8) with probability 1.
//
// expect: "101"=1
OPENQASM 2.0;
include "qelib1.inc";

qreg count[3];
qreg psi[1];
creg c[3];

// Eigenstate |1> and uniform superposition of the counting register.
x psi[0];
h count;

// Controlled powers of U.
cp(5*pi/4) count[0], psi[0];
cp(5*pi/2) count[1], psi[0];
cp(5*pi) count[2], psi[0];
barrier count, psi;

// Inverse QFT on the counting register.
swap count[0], count[2];
h count[0];
cp(-pi/2) count[1], count[0];
h count[1];
cp(-pi/4) count[2], count[0];
cp(-pi/2) count[2], count[1];
h count[2];

measure count -> c;
