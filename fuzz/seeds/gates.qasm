OPENQASM 2.0;
include "qelib1.inc";
gate rot(a) x { rz(a / 2) x; }
gate pair(t, u) x, y { rot(t * 2) x; rot(-u) y; barrier x, y; cx x, y; }
opaque magic(theta) a, b;
qreg q[3];
qreg r[3];
creg c[3];
pair(pi, 0.5) q[0], r[1];
magic(1e-3) q[1], q[2];
cx q, r;
ccx q[0], q[1], r;
u3(.5, 5., -2^2) q;
rzx(sin(pi/3)) q[2], r[0];
ecr r[0], r[1];
if (c == 5) x q;
reset r;
measure q -> c;
