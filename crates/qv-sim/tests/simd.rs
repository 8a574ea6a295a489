//! `QV_SIMD` end to end: this binary re-runs itself with the variable set and
//! checks the ISA the process picked and what it printed.

use std::process::Command;

use qv_sim::simd::{self, Isa};

/// Runs `reports_the_default_isa` in a child process with `QV_SIMD=value`;
/// returns the ISA it reported and its stderr.
fn child(value: &str) -> (Isa, String) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "reports_the_default_isa", "--nocapture", "--test-threads=1"])
        .env("QV_SIMD", value)
        .env("QV_SIMD_CHILD", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "child failed: {stdout}\n{stderr}");
    // libtest prints the test's name on the same line.
    let line = stdout.lines().find_map(|l| l.split("default isa: ").nth(1)).expect(&stdout);
    (line.trim().parse().unwrap(), stderr)
}

/// The child side: prints the process default (and, run directly, checks
/// that the default is usable).
#[test]
fn reports_the_default_isa() {
    let isa = simd::default_isa();
    assert!(isa.is_supported());
    if std::env::var_os("QV_SIMD_CHILD").is_some() {
        // Asking twice prints no second warning: the choice is cached.
        assert_eq!(simd::default_isa(), isa);
        println!("default isa: {isa}");
    }
}

#[test]
fn qv_simd_picks_each_supported_isa() {
    for isa in Isa::ALL {
        let (got, stderr) = child(isa.name());
        if isa.is_supported() {
            assert_eq!((got, stderr.contains("qv-sim:")), (isa, false), "{stderr}");
        } else {
            let best = Isa::best();
            assert_eq!(got, best);
            let warning =
                format!("qv-sim: QV_SIMD={isa}: this CPU lacks {isa}; using {best} instead");
            assert_eq!(stderr.matches(&warning).count(), 1, "{stderr}");
        }
    }
}

#[test]
fn an_unknown_qv_simd_value_falls_back_with_one_warning() {
    let (got, stderr) = child("sse9");
    let best = Isa::best();
    assert_eq!(got, best);
    let warning = format!(
        "qv-sim: QV_SIMD: unknown SIMD instruction set `sse9` (known: portable, avx2, avx512); \
         using {best}"
    );
    assert_eq!(stderr.matches(&warning).count(), 1, "{stderr}");
}
