// Four-bit ripple-carry adder (Cuccaro, Draper, Kutin, Moulton,
// quant-ph/0410184) computing b <- a + b with a carry-out qubit.
//
// MAJ (majority) computes the carry into the a register in place; UMA
// (un-majority and add) undoes it while writing the sum bit into b. Only one
// ancilla (cin) is needed besides the carry-out.
//
// Inputs: a = 1011 (11), b = 0110 (6). Sum: 11 + 6 = 17 = 1 0001, so
// b = 0001 and cout = 1. `ans` holds b in bits 0..3 and cout in bit 4.
//
// Expected counts: "10001" with probability 1.
//
// expect: "10001"=1
OPENQASM 2.0;
include "qelib1.inc";

// Majority of (a, b, c) into c; a and b end up as a^c and b^c.
gate majority a, b, c {
  cx c, b;
  cx c, a;
  ccx a, b, c;
}

// Inverse of majority, then the sum bit into b.
gate unmaj a, b, c {
  ccx a, b, c;
  cx c, a;
  cx a, b;
}

qreg cin[1];
qreg a[4];
qreg b[4];
qreg cout[1];
creg ans[5];

// a = 1011
x a[0];
x a[1];
x a[3];
// b = 0110
x b[1];
x b[2];

majority cin[0], b[0], a[0];
majority a[0], b[1], a[1];
majority a[1], b[2], a[2];
majority a[2], b[3], a[3];
cx a[3], cout[0];
unmaj a[2], b[3], a[3];
unmaj a[1], b[2], a[2];
unmaj a[0], b[1], a[1];
unmaj cin[0], b[0], a[0];

measure b[0] -> ans[0];
measure b[1] -> ans[1];
measure b[2] -> ans[2];
measure b[3] -> ans[3];
measure cout[0] -> ans[4];
