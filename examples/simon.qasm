// Simon's algorithm for n = 3 with hidden period s = 110.
//
// The oracle maps |x>|0> to |x>|f(x)> with f(x) = f(x XOR s): it copies x
// into the output register and, when x1 = 1 (the lowest set bit of s), XORs s
// into it. Measuring the input register after the final Hadamards yields a
// uniformly random y with y.s = 0 (mod 2), i.e. y1 = y2; n - 1 independent
// such y determine s.
//
// Expected counts: "000", "001", "110", "111" with probability 1/4 each.
//
// expect: "000"=1/4 "001"=1/4 "110"=1/4 "111"=1/4
OPENQASM 2.0;
include "qelib1.inc";

qreg inp[3];
qreg fx[3];
creg res[3];

h inp;

// Copy x into the output register fx.
cx inp[0], fx[0];
cx inp[1], fx[1];
cx inp[2], fx[2];
// XOR s = 110 into fx when x1 = 1.
cx inp[1], fx[1];
cx inp[1], fx[2];
barrier inp, fx;

h inp;
measure inp -> res;
