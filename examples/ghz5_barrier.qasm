// Five-qubit GHZ state with a barrier before the measurements.
//
// The barrier separates state preparation from read-out (it has no effect
// on the state; compilers may not move gates across it). Register-wide
// `measure q -> c` measures q[i] into c[i] for every i.
//
// Expected counts: "00000" and "11111" with probability 1/2 each.
//
// expect: "00000"=1/2 "11111"=1/2
OPENQASM 2.0;
include "qelib1.inc";

qreg q[5];
creg c[5];

h q[0];
cx q[0], q[1];
cx q[1], q[2];
cx q[2], q[3];
cx q[3], q[4];
barrier q;
measure q -> c;
