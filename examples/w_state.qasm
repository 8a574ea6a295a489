// Three-qubit W state (|001> + |010> + |100>)/sqrt(3).
//
// ry(2 acos(1/sqrt(3))) = ry(1.9106332362490186) gives q[0] amplitude
// sqrt(2/3) on |1>; a controlled Hadamard splits that branch over q[1];
// a CNOT moves the q0 = q1 = 1 branch to q0 = 0; finally q[2] is flipped
// when q[0] = q[1] = 0 (a Toffoli between X gates).
//
// Expected counts: "001", "010", "100" with probability 1/3 each.
//
// expect: "001"=1/3 "010"=1/3 "100"=1/3
OPENQASM 2.0;
include "qelib1.inc";

qreg q[3];
creg c[3];

ry(1.9106332362490186) q[0];
ch q[0], q[1];
cx q[1], q[0];
x q[0];
x q[1];
ccx q[0], q[1], q[2];
x q[0];
x q[1];
measure q -> c;
