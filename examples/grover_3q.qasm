// Grover search over 3 qubits for the marked item |101>.
//
// Oracle: a phase flip of |101> (q0 = 1, q1 = 0, q2 = 1), built from X on
// q[1] around a CCZ (H-CCX-H on q[2]). Diffuser: reflection about the
// uniform superposition. With N = 8 the optimal number of iterations is 2,
// giving success probability sin^2(5 asin(1/sqrt(8))) = 0.9453.
//
// Expected counts: "101" with probability 0.9453; each of the other seven
// outcomes with probability 0.0078.
//
// expect: "101"=121/128 "000"=1/128 "001"=1/128 "010"=1/128 "011"=1/128 "100"=1/128 "110"=1/128 "111"=1/128
OPENQASM 2.0;
include "qelib1.inc";

// Phase flip of |101>.
gate oracle a, b, c {
  x b;
  h c;
  ccx a, b, c;
  h c;
  x b;
}

// Inversion about the mean: H X (CCZ) X H.
gate diffuser a, b, c {
  h a; h b; h c;
  x a; x b; x c;
  h c;
  ccx a, b, c;
  h c;
  x a; x b; x c;
  h a; h b; h c;
}

qreg q[3];
creg c[3];

h q;
oracle q[0], q[1], q[2];
diffuser q[0], q[1], q[2];
oracle q[0], q[1], q[2];
diffuser q[0], q[1], q[2];
measure q -> c;
