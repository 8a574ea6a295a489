// The inverse QFT turns a Fourier-basis state back into a number.
//
// QFT|x> is a product state: qubit j holds (|0> + exp(2 pi i x 2^j / 16)|1>)/sqrt(2)
// for n = 4 qubits. We prepare it directly for x = 13 with H and a phase
// p(13 pi 2^j / 8) on each qubit, then apply the inverse QFT (swaps first,
// then the controlled phases with negated angles, in reverse order).
//
// Expected counts: "1101" (13) with probability 1.
//
// expect: "1101"=1
OPENQASM 2.0;
include "qelib1.inc";

qreg q[4];
creg c[4];

// Fourier state of x = 13.
h q;
p(13*pi/8) q[0];
p(13*pi/4) q[1];
p(13*pi/2) q[2];
p(13*pi) q[3];
barrier q;

// Inverse QFT on 4 qubits.
swap q[0], q[3];
swap q[1], q[2];
h q[0];
cp(-pi/2) q[1], q[0];
h q[1];
cp(-pi/4) q[2], q[0];
cp(-pi/2) q[2], q[1];
h q[2];
cp(-pi/8) q[3], q[0];
cp(-pi/4) q[3], q[1];
cp(-pi/2) q[3], q[2];
h q[3];

measure q -> c;
