//! OpenQASM 2 parser errors: each bad input asserts the exact message and the
//! 1-based `line:col` (in characters) where it points. The positions follow
//! from the inputs; the rules they check (what is invalid) are those of the
//! OpenQASM 2 paper and Qiskit's `qasm2` loader. Checked against Qiskit 2.6.2
//! (`qasm2.loads` with `LEGACY_CUSTOM_INSTRUCTIONS`), which rejects the same
//! inputs at the same places (its columns are 0-based) for redefined gates and
//! registers, repeated parameter names, leading zeros, division by zero,
//! duplicate qubits, indexed qubits in gate bodies, gates used before their
//! definition and conditioned barriers. Deliberate differences: the header is
//! required, and condition values must fit in 64 bits.

use std::path::{Path, PathBuf};

use qv_circuit::qasm2::{parse, parse_file, parse_with, ParseOptions, Qasm2Error};

const HEADER: &str = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\n";

fn assert_error(e: &Qasm2Error, line: usize, col: usize, message: &str) {
    assert_eq!((e.line, e.col, e.message.as_str()), (line, col, message), "{e}");
    assert_eq!(e.to_string(), format!("{}:{line}:{col}: {message}", e.file));
}

/// `$body` follows the two header lines, so its first line is line 3.
macro_rules! bad {
    ($name:ident, $body:expr, $line:expr, $col:expr, $message:expr) => {
        #[test]
        fn $name() {
            let src = format!("{HEADER}{}", $body);
            let e = parse(&src, "bad.qasm").expect_err("the input must be rejected");
            assert_eq!(e.file, "bad.qasm");
            assert_error(&e, $line, $col, $message);
        }
    };
}

/// `$src` is the whole program.
macro_rules! bad_raw {
    ($name:ident, $src:expr, $line:expr, $col:expr, $message:expr) => {
        #[test]
        fn $name() {
            let e = parse($src, "bad.qasm").expect_err("the input must be rejected");
            assert_error(&e, $line, $col, $message);
        }
    };
}

// --- header and lexing ---
bad_raw!(
    missing_header,
    "qreg q[1];\n",
    1,
    1,
    "expected the header 'OPENQASM 2.0;', found keyword `qreg`"
);
bad_raw!(empty_input, "", 1, 1, "expected the header 'OPENQASM 2.0;', found end of file");
bad_raw!(
    wrong_version,
    "OPENQASM 3.0;\n",
    1,
    10,
    "unsupported OpenQASM version `3.0` (only 2.0 is supported)"
);
bad!(
    second_header,
    "OPENQASM 2.0;\n",
    3,
    1,
    "`OPENQASM` may only appear once, as the first statement"
);
bad!(
    block_comment,
    "/* not OpenQASM 2 */\n",
    3,
    1,
    "block comments `/* */` are not part of OpenQASM 2; use `//` comments"
);
bad!(unexpected_character, "qreg q[1];\nh q[0]; #\n", 4, 9, "unexpected character `#`");
bad!(leading_zeros, "qreg q[2];\nh q[01];\n", 4, 5, "integers cannot have leading zeros: `01`");
bad!(
    capitalised_identifier,
    "qreg Q[1];\n",
    3,
    6,
    "identifiers must start with a lowercase letter (only `U`, `CX` and `OPENQASM` are capitalised), found `Q`"
);
bad_raw!(
    unterminated_string,
    "OPENQASM 2.0;\ninclude \"qelib1.inc;\n",
    2,
    9,
    "unterminated string (strings end on the same line)"
);
bad!(
    single_equals,
    "creg c[1];\nqreg q[1];\nif (c = 1) x q[0];\n",
    5,
    7,
    "expected '==', found '=' (OpenQASM 2 has no assignment)"
);
bad!(
    exponent_without_digits,
    "qreg q[1];\nrz(1e) q[0];\n",
    4,
    4,
    "expected digits in the exponent of `1e`"
);
bad!(
    letter_after_number,
    "qreg q[1];\nrz(2x) q[0];\n",
    4,
    5,
    "unexpected `x` right after the number `2`"
);
// Columns count characters: `é` is two bytes but one column.
bad!(
    columns_count_characters,
    "include \"é.inc\" x;\n",
    3,
    17,
    "expected ';', found identifier `x`"
);

// --- statements ---
bad!(missing_semicolon, "qreg q[2]\nh q[0];\n", 4, 1, "expected ';', found identifier `h`");
bad!(undefined_gate, "qreg q[1];\nfoo q[0];\n", 4, 1, "undefined gate `foo`");
bad_raw!(
    qelib1_gate_without_include,
    "OPENQASM 2.0;\nqreg q[1];\nh q[0];\n",
    3,
    1,
    "undefined gate `h` (did you forget `include \"qelib1.inc\";`?)"
);
bad!(
    index_out_of_range,
    "qreg q[2];\nh q[2];\n",
    4,
    5,
    "index 2 is out of range for register `q` of size 2"
);
bad!(
    huge_index,
    "qreg q[2];\nh q[99999999999999999999999];\n",
    4,
    5,
    "index 99999999999999999999999 is out of range for register `q` of size 2"
);
bad!(undefined_register, "h r[0];\n", 3, 3, "undefined quantum register `r`");
bad!(
    classical_register_as_qubit,
    "qreg q[1];\ncreg c[1];\nh c;\n",
    5,
    3,
    "`c` is a classical register, not a quantum register"
);
bad!(
    duplicate_register,
    "qreg q[2];\ncreg q[2];\n",
    4,
    6,
    "`q` is already defined (a quantum register)"
);
bad!(
    register_named_like_a_gate,
    "qreg h[1];\n",
    3,
    6,
    "`h` is already defined (a gate from qelib1.inc)"
);
bad!(empty_register, "qreg q[0];\n", 3, 8, "register `q` must have at least one bit");
bad!(
    too_many_bits,
    "qreg q[1048576];\ncreg c[1];\n",
    4,
    8,
    "register `c` of size 1 is too large: the circuit may have at most 1048576 qubits and classical bits in total"
);
bad!(wrong_parameter_count, "qreg q[1];\nrz q[0];\n", 4, 1, "`rz` takes 1 parameter, found 0");
bad!(wrong_qubit_count, "qreg q[2];\ncx q[0];\n", 4, 1, "`cx` takes 2 qubit arguments, found 1");
bad!(
    duplicate_qubit,
    "qreg q[2];\ncx q[0], q[0];\n",
    4,
    10,
    "duplicate qubit argument `q[0]` in call to `cx`"
);
bad!(
    bit_inside_broadcast_register,
    "qreg q[2];\ncx q, q[1];\n",
    4,
    7,
    "duplicate qubit argument `q[1]` in call to `cx`"
);
bad!(
    broadcast_size_mismatch,
    "qreg a[2];\nqreg b[3];\ncx a, b;\n",
    5,
    7,
    "cannot broadcast `cx`: register `a` has 2 qubits but register `b` has 3 qubits"
);
bad!(
    measure_size_mismatch,
    "qreg q[2];\ncreg c[3];\nmeasure q -> c;\n",
    5,
    1,
    "cannot broadcast `measure`: `q` has 2 qubits but `c` has 3 bits"
);
bad!(
    measure_register_into_bit,
    "qreg q[2];\ncreg c[2];\nmeasure q -> c[0];\n",
    5,
    1,
    "cannot broadcast `measure`: `q` has 2 qubits but `c[0]` is a single bit"
);
bad!(
    measure_without_arrow,
    "qreg q[1];\ncreg c[1];\nmeasure q[0] c[0];\n",
    5,
    14,
    "expected '->', found identifier `c`"
);
bad!(
    include_file_from_text,
    "include \"defs.inc\";\n",
    3,
    9,
    "cannot include `defs.inc`: only `qelib1.inc` is built in, and other files are only read when the program itself is read from a file"
);
bad!(qelib1_twice, "include \"qelib1.inc\";\n", 3, 9, "`qelib1.inc` is already included");

// --- conditions ---
bad!(
    condition_value_too_large,
    "creg c[2];\nqreg q[1];\nif (c == 18446744073709551616) x q[0];\n",
    5,
    10,
    "the condition value `18446744073709551616` does not fit in 64 bits"
);
bad!(
    condition_on_quantum_register,
    "qreg q[1];\nif (q == 1) x q[0];\n",
    4,
    5,
    "`q` is a quantum register, not a classical register"
);
bad!(
    conditioned_barrier,
    "creg c[1];\nqreg q[1];\nif (c == 1) barrier q;\n",
    5,
    13,
    "expected a gate call, `measure` or `reset` after `if (...)`, found keyword `barrier`"
);

// --- expressions ---
bad!(
    identifier_outside_gate_body,
    "qreg q[1];\nrz(theta) q[0];\n",
    4,
    4,
    "unknown identifier `theta` in an expression (outside gate bodies, expressions may only use numbers, `pi` and functions)"
);
bad!(division_by_zero, "qreg q[1];\nrz(1/(2-2)) q[0];\n", 4, 5, "division by zero");
bad!(
    sqrt_of_negative,
    "qreg q[1];\nrz(sqrt(-1)) q[0];\n",
    4,
    4,
    "cannot take sqrt of the negative value -1"
);
bad!(number_too_large, "qreg q[1];\nrz(1e999) q[0];\n", 4, 4, "the number `1e999` is too large");
bad!(
    not_finite,
    "qreg q[1];\nrz(exp(1000)) q[0];\n",
    4,
    4,
    "the expression does not evaluate to a finite number"
);
bad!(missing_operand, "qreg q[1];\nrz(1+) q[0];\n", 4, 6, "expected an expression, found ')'");
#[test]
fn deeply_nested_parentheses() {
    // The expression starts at column 4; the 257th '(' exceeds the limit of 256.
    let body = format!("qreg q[1];\nrz({}1{}) q[0];\n", "(".repeat(300), ")".repeat(300));
    let e = parse(&format!("{HEADER}{body}"), "bad.qasm").unwrap_err();
    assert_error(&e, 4, 260, "expression is nested too deeply (the limit is 256 levels)");
}
#[test]
fn deeply_nested_parentheses_on_a_small_stack() {
    // A million parentheses must neither overflow a 256 KiB thread stack nor be accepted.
    let body = format!("qreg q[1];\nrz({}1) q[0];\n", "(".repeat(1_000_000));
    let src = format!("{HEADER}{body}");
    let e = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || parse(&src, "bad.qasm").unwrap_err())
        .unwrap()
        .join()
        .unwrap();
    assert_error(&e, 4, 260, "expression is nested too deeply (the limit is 256 levels)");
}
#[test]
fn long_operator_chains_are_capped() {
    // `1+1+…` builds a left-deep tree; its depth is capped like nesting.
    let body = format!("qreg q[1];\nrz({}) q[0];\n", vec!["1"; 300].join("+"));
    let e = parse(&format!("{HEADER}{body}"), "bad.qasm").unwrap_err();
    // The 256th '+' (column 4 + 2*256 - 1) would make the tree 257 levels deep.
    assert_error(&e, 4, 515, "expression is nested too deeply (the limit is 256 levels)");
}

// --- gate definitions ---
bad!(
    redefine_qelib1_gate,
    "gate h a { }\n",
    3,
    6,
    "`h` is already defined (a gate from qelib1.inc)"
);
bad!(redefine_builtin, "gate U a { }\n", 3, 6, "`U` is already defined (a built-in gate)");
bad!(redefine_user_gate, "gate g a { }\ngate g b { }\n", 4, 6, "`g` is already defined (a gate)");
bad!(
    gate_calls_itself,
    "gate g a { g a; }\n",
    3,
    12,
    "gate `g` cannot call itself (a gate body may only use gates defined before it)"
);
bad!(gate_calls_later_gate, "gate f a { g a; }\ngate g a { }\n", 3, 12, "undefined gate `g`");
bad!(
    indexing_in_gate_body,
    "gate g a { h a[0]; }\n",
    3,
    15,
    "qubit arguments in a gate body cannot be indexed"
);
bad!(
    measure_in_gate_body,
    "gate g a { measure a; }\n",
    3,
    12,
    "expected a gate call, `barrier` or '}' in the body of gate `g`, found keyword `measure`"
);
bad!(
    register_in_gate_body,
    "qreg q[1];\ngate g a { h q; }\n",
    4,
    14,
    "`q` is a quantum register; a gate body can only use the gate's own qubit arguments"
);
bad!(
    unknown_parameter_in_body,
    "gate g(a) x { rz(b) x; }\n",
    3,
    18,
    "unknown parameter `b` in an expression"
);
bad!(
    qubit_used_as_parameter,
    "gate g(a) x { rz(x) x; }\n",
    3,
    18,
    "`x` is a qubit argument, not a parameter"
);
bad!(
    parameter_used_as_qubit,
    "gate g(a) x { h a; }\n",
    3,
    17,
    "`a` is a parameter, not a qubit argument"
);
bad!(
    duplicate_parameter_name,
    "gate g(a, a) x { }\n",
    3,
    11,
    "`a` is already used as a parameter of this gate"
);
bad!(gate_without_qubits, "gate g(a) { }\n", 3, 11, "expected a qubit argument name, found '{'");
bad!(
    unterminated_gate_body,
    "gate g a { h a;\n",
    4,
    1,
    "expected a gate call, `barrier` or '}' in the body of gate `g`, found end of file"
);
bad!(
    duplicate_qubit_in_body,
    "gate g a, b { cx a, a; }\n",
    3,
    21,
    "duplicate qubit argument `a` in call to `cx`"
);

// --- limits and files ---
#[test]
fn operation_limit_stops_runaway_broadcasting() {
    let opts = ParseOptions { max_operations: 10, ..ParseOptions::default() };
    let src = format!("{HEADER}qreg q[8];\nh q;\n");
    let e = parse_with(&src, "bad.qasm", &opts).unwrap_err();
    assert_error(
        &e,
        4,
        1,
        "the circuit is too large: it expands to more than 10 operations after broadcasting and gate expansion",
    );
}

#[test]
fn operation_limit_counts_nested_gate_expansion() {
    // g{k} expands to 2^(k+1) gates, so g30 would flatten to 2^31 > 2^23 gates.
    let mut src = format!("{HEADER}gate g0 a {{ x a; x a; }}\n");
    for k in 1..=30 {
        src.push_str(&format!("gate g{k} a {{ g{} a; g{} a; }}\n", k - 1, k - 1));
    }
    src.push_str("qreg q[1];\ng21 q[0];\ng30 q[0];\n"); // g21 (2^22 gates) fits
    let e = parse(&src, "bad.qasm").unwrap_err();
    assert_error(
        &e,
        36,
        1,
        "the circuit is too large: it expands to more than 8388608 operations after broadcasting and gate expansion",
    );
}

fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("qv-qasm2-err-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn missing_include_file() {
    let dir = temp_dir("missing");
    let main = write(&dir, "main.qasm", "OPENQASM 2.0;\ninclude \"nope.inc\";\n");
    let e = parse_file(&main).unwrap_err();
    let resolved = dir.join("nope.inc");
    let message = format!(
        "cannot include `nope.inc` ({}): No such file or directory (os error 2)",
        resolved.display()
    );
    assert_error(&e, 2, 9, &message);
    assert_eq!(e.file, main.display().to_string());
    // Only regular files can be included (a device could stream forever).
    std::fs::create_dir_all(dir.join("lib")).unwrap();
    let main = write(&dir, "main.qasm", "OPENQASM 2.0;\ninclude \"lib\";\n");
    let message =
        format!("cannot include `lib` ({}): not a regular file", dir.join("lib").display());
    assert_error(&parse_file(&main).unwrap_err(), 2, 9, &message);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn include_cycle() {
    let dir = temp_dir("cycle");
    write(&dir, "a.inc", "include \"b.inc\";\n");
    write(&dir, "b.inc", "// b\ninclude \"a.inc\";\n");
    let main = write(&dir, "main.qasm", "OPENQASM 2.0;\ninclude \"a.inc\";\n");
    let e = parse_file(&main).unwrap_err();
    assert_error(&e, 2, 9, "include cycle: `a.inc` is already being included");
    assert!(e.file.ends_with("b.inc"), "{}", e.file);
    // A file including itself is a cycle too.
    let own = write(&dir, "self.qasm", "OPENQASM 2.0;\ninclude \"self.qasm\";\n");
    assert_error(
        &parse_file(&own).unwrap_err(),
        2,
        9,
        "include cycle: `self.qasm` is already being included",
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn include_depth_limit() {
    let dir = temp_dir("depth");
    for i in 0..20 {
        write(&dir, &format!("f{i}.inc"), &format!("include \"f{}.inc\";\n", i + 1));
    }
    write(&dir, "f20.inc", "");
    let main = write(&dir, "main.qasm", "OPENQASM 2.0;\ninclude \"f0.inc\";\n");
    let e = parse_file(&main).unwrap_err();
    // main.qasm and f0..f14 make 16 open files, so f14.inc may not include f15.inc.
    assert_error(
        &e,
        1,
        9,
        "cannot include `f15.inc`: includes are nested too deeply (the limit is 16)",
    );
    assert!(e.file.ends_with("f14.inc"), "{}", e.file);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unreadable_and_non_utf8_files() {
    let dir = temp_dir("files");
    let missing = dir.join("absent.qasm");
    let e = parse_file(&missing).unwrap_err();
    assert_eq!((e.line, e.col), (0, 0));
    assert_eq!(
        e.to_string(),
        format!(
            "{}: cannot read the file: No such file or directory (os error 2)",
            missing.display()
        )
    );
    let latin1 = dir.join("latin1.qasm");
    std::fs::write(&latin1, b"// \xe9\n").unwrap();
    let e = parse_file(&latin1).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("{}: the file is not valid UTF-8 (invalid byte at offset 3)", latin1.display())
    );
    let _ = std::fs::remove_dir_all(&dir);
}
