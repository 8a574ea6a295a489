// Quantum teleportation with classically conditioned corrections.
//
// q[0] holds an arbitrary state |psi> = u3(1.1, 0.4, -0.9)|0>. Alice and Bob
// share a Bell pair (q[1], q[2]). Alice measures q[0] and q[1] in the Bell
// basis (into m0 and m1); Bob applies X if m1 = 1 and Z if m0 = 1, which
// leaves q[2] in |psi>. To check the transfer, Bob then applies the inverse
// rotation u3(-1.1, 0.9, -0.4) (the inverse of u3(t, p, l) is u3(-t, -l, -p)),
// which must bring q[2] back to |0>.
//
// Expected counts (keys "result m1 m0"): "0 0 0", "0 0 1", "0 1 0", "0 1 1",
// each with probability 1/4. `result` is always 0.
//
// expect: "0 0 0"=1/4 "0 0 1"=1/4 "0 1 0"=1/4 "0 1 1"=1/4
OPENQASM 2.0;
include "qelib1.inc";

qreg q[3];
creg m0[1];
creg m1[1];
creg result[1];

// The state to teleport.
u3(1.1, 0.4, -0.9) q[0];

// Bell pair between Alice (q[1]) and Bob (q[2]).
h q[1];
cx q[1], q[2];
barrier q;

// Alice's Bell-basis measurement.
cx q[0], q[1];
h q[0];
measure q[0] -> m0[0];
measure q[1] -> m1[0];

// Bob's corrections, conditioned on Alice's (classical) message.
if(m1==1) x q[2];
if(m0==1) z q[2];

// Undo the preparation: q[2] must now be |0>.
u3(-1.1, 0.9, -0.4) q[2];
measure q[2] -> result[0];
