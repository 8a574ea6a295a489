// Five-qubit quantum Fourier transform of a periodic state.
//
// Hadamards on q[2], q[3], q[4] prepare the uniform superposition of the
// multiples of 4 (x = 0, 4, ..., 28; qubit 0 is the least significant bit).
// The QFT maps |x> to sum_k exp(2 pi i x k / 32)|k>/sqrt(32), so a state
// with period 4 turns into peaks at multiples of 32 / 4 = 8. The QFT is
// written out in full: Hadamards, controlled phases pi/2^d and the final
// qubit-order reversal by swaps.
//
// Expected counts: "00000", "01000", "10000", "11000" with probability 1/4
// each (k = 0, 8, 16, 24).
//
// expect: "00000"=1/4 "01000"=1/4 "10000"=1/4 "11000"=1/4
OPENQASM 2.0;
include "qelib1.inc";

qreg q[5];
creg c[5];

// Periodic input: every x with x mod 4 = 0.
h q[2];
h q[3];
h q[4];
barrier q;

// QFT.
h q[4];
cp(pi/2) q[4], q[3];
cp(pi/4) q[4], q[2];
cp(pi/8) q[4], q[1];
cp(pi/16) q[4], q[0];
h q[3];
cp(pi/2) q[3], q[2];
cp(pi/4) q[3], q[1];
cp(pi/8) q[3], q[0];
h q[2];
cp(pi/2) q[2], q[1];
cp(pi/4) q[2], q[0];
h q[1];
cp(pi/2) q[1], q[0];
h q[0];
swap q[0], q[4];
swap q[1], q[3];

measure q -> c;
