// User-defined gates: parameters, expressions and nesting.
//
// `rot` wraps ry; `chain` is a CNOT ladder; `ghz_theta(t)` calls both, so
// q[0..2] end in cos(t/2)|000> + sin(t/2)|111>. With t = 2 pi / 3 this is
// (|000> + sqrt(3)|111>)/2.
// `zyz(t, p, l)` = rz(p) ry(t) rz(l) is a general rotation; its inverse is
// zyz(-t, -l, -p), so `there_and_back` (which calls zyz and then its inverse,
// with arithmetic on the parameters) is the identity and q[3] stays |0>.
//
// Expected counts: "0000" with probability 1/4 and "0111" with probability 3/4.
//
// expect: "0000"=1/4 "0111"=3/4
OPENQASM 2.0;
include "qelib1.inc";

gate rot(theta) a {
  ry(theta) a;
}

gate chain a, b, c {
  cx a, b;
  cx b, c;
}

gate ghz_theta(theta) a, b, c {
  rot(theta) a;
  chain a, b, c;
}

gate zyz(theta, phi, lambda) a {
  rz(lambda) a;
  ry(theta) a;
  rz(phi) a;
}

gate there_and_back(theta, phi, lambda) a {
  zyz(theta, phi, lambda) a;
  zyz(-theta, -lambda, -phi) a;
}

qreg q[4];
creg c[4];

ghz_theta(2*pi/3) q[0], q[1], q[2];
there_and_back(0.3, 1.1 + pi/7, -0.7) q[3];
measure q -> c;
