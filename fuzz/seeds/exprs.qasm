OPENQASM 2.0;
include "qelib1.inc";
qreg q[1];
U(((1+2)*3)/4, -pi/2^2, ln(exp(2))) q[0];
rz(cos(tan(sqrt(2)))) q[0];
gate g(a, b, c) x { U(a*b-c, (a+b)/(c+1), -(-a)) x; }
g(1, 2, 3) q[0];
barrier;
;
