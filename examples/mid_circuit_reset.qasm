// Mid-circuit measurement, reset and qubit reuse.
//
// A Bell pair is measured on q[0] mid-circuit (into m), which collapses both
// qubits to |mm>. q[0] is reset to |0> and q[1] is flipped back when m = 1,
// so both qubits are |0> again and are reused for a fresh Bell pair.
//
// Expected counts (keys "out m"): "00 0", "00 1", "11 0", "11 1" with
// probability 1/4 each: m is a fair coin and `out` is always 00 or 11.
//
// expect: "00 0"=1/4 "00 1"=1/4 "11 0"=1/4 "11 1"=1/4
OPENQASM 2.0;
include "qelib1.inc";

qreg q[2];
creg m[1];
creg out[2];

h q[0];
cx q[0], q[1];
measure q[0] -> m[0];

// Back to |00>.
reset q[0];
if(m==1) x q[1];

// Reuse the qubits.
h q[0];
cx q[0], q[1];
measure q[0] -> out[0];
measure q[1] -> out[1];
