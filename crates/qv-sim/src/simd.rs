//! Which instruction set the SIMD kernels run with.
//!
//! The fast engine's kernels and the stabilizer's frame sampler are compiled
//! for AVX-512, AVX2+FMA and a portable baseline. By default the widest the
//! CPU supports runs. The environment variable `QV_SIMD` (`portable`, `avx2`
//! or `avx512`) caps the choice for the whole process; it is read once. A value
//! that is unknown, or names an ISA this CPU lacks, does not stop the process
//! (a tuning knob should not take a server down): the best supported ISA runs
//! instead and one line saying so goes to stderr, once.
//!
//! Tests pick an ISA for one closure with [`with_isa`], a per-thread override:
//! concurrent tests do not see each other's choice. Kernels resolve the ISA
//! ([`active`]) on the calling thread and hand it to their worker threads, so
//! an override covers the whole call it wraps.

use std::cell::Cell;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

/// An instruction set the kernels are compiled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Isa {
    /// The compiler's baseline for the target (SSE2 on x86-64).
    Portable,
    /// AVX2 with FMA.
    Avx2,
    /// AVX-512F (with AVX2 and FMA).
    Avx512,
}

impl Isa {
    /// Every ISA, narrowest first.
    pub const ALL: [Isa; 3] = [Isa::Portable, Isa::Avx2, Isa::Avx512];

    /// The name `QV_SIMD` takes.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Portable => "portable",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
        }
    }

    /// Whether this CPU can run the ISA's kernels.
    pub fn is_supported(self) -> bool {
        match self {
            Isa::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => {
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
            }
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => {
                std::arch::is_x86_feature_detected!("avx512f") && Isa::Avx2.is_supported()
            }
            #[cfg(not(target_arch = "x86_64"))]
            Isa::Avx2 | Isa::Avx512 => false,
        }
    }

    /// The widest ISA this CPU supports.
    pub fn best() -> Isa {
        Isa::ALL.into_iter().rev().find(|i| i.is_supported()).unwrap_or(Isa::Portable)
    }
}

impl fmt::Display for Isa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Isa {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Isa::ALL.into_iter().find(|i| i.name() == s.trim().to_ascii_lowercase()).ok_or_else(|| {
            format!("unknown SIMD instruction set `{s}` (known: portable, avx2, avx512)")
        })
    }
}

/// [`with_isa`] was asked for an ISA this CPU lacks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unsupported(pub Isa);

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "this CPU does not support the {} kernels", self.0)
    }
}

impl std::error::Error for Unsupported {}

thread_local! {
    static OVERRIDE: Cell<Option<Isa>> = const { Cell::new(None) };
}

/// The process default: `QV_SIMD` if set and usable, else [`Isa::best`].
pub fn default_isa() -> Isa {
    static DEFAULT: OnceLock<Isa> = OnceLock::new();
    *DEFAULT.get_or_init(|| {
        let value = std::env::var("QV_SIMD").ok();
        let (isa, warning) = resolve(value.as_deref());
        if let Some(w) = warning {
            eprintln!("qv-sim: {w}");
        }
        isa
    })
}

/// The ISA a `QV_SIMD` value selects, and a warning when it cannot be honoured.
fn resolve(value: Option<&str>) -> (Isa, Option<String>) {
    let best = Isa::best();
    match value.map(str::parse::<Isa>) {
        None => (best, None),
        Some(Ok(isa)) if isa.is_supported() => (isa, None),
        Some(Ok(isa)) => {
            (best, Some(format!("QV_SIMD={isa}: this CPU lacks {isa}; using {best} instead")))
        }
        Some(Err(e)) => (best, Some(format!("QV_SIMD: {e}; using {best}"))),
    }
}

/// The ISA kernels called from this thread run with now.
pub fn active() -> Isa {
    OVERRIDE.with(Cell::get).unwrap_or_else(default_isa)
}

/// Runs `f` with kernels called from this thread using `isa` (restored
/// afterwards, also on panic). Work that `f` hands to other threads follows
/// the choice only where the kernel resolved it on this thread, as the fast
/// engine's passes and the frame sampler do.
pub fn with_isa<T>(isa: Isa, f: impl FnOnce() -> T) -> Result<T, Unsupported> {
    if !isa.is_supported() {
        return Err(Unsupported(isa));
    }
    struct Restore(Option<Isa>);
    impl Drop for Restore {
        fn drop(&mut self) {
            OVERRIDE.with(|o| o.set(self.0));
        }
    }
    let _restore = Restore(OVERRIDE.with(|o| o.replace(Some(isa))));
    Ok(f())
}

/// The ISAs this CPU supports, narrowest first; for tests that run each one.
pub fn supported() -> Vec<Isa> {
    Isa::ALL.into_iter().filter(|i| i.is_supported()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_values_resolve_or_fall_back_with_a_warning() {
        let best = Isa::best();
        assert_eq!(resolve(None), (best, None));
        assert_eq!(resolve(Some("portable")), (Isa::Portable, None));
        let (isa, warning) = resolve(Some("sse9"));
        assert_eq!(isa, best);
        assert_eq!(
            warning.as_deref(),
            Some(
                format!(
                    "QV_SIMD: unknown SIMD instruction set `sse9` (known: portable, avx2, \
                     avx512); using {best}"
                )
                .as_str()
            )
        );
        for isa in [Isa::Avx2, Isa::Avx512] {
            let (got, warning) = resolve(Some(isa.name()));
            if isa.is_supported() {
                assert_eq!((got, warning), (isa, None));
            } else {
                assert_eq!(got, best);
                assert!(warning.is_some_and(|w| w.contains("this CPU lacks")));
            }
        }
    }

    #[test]
    fn override_is_scoped_and_restored_after_panic() {
        let outer = active();
        let inner = with_isa(Isa::Portable, active).unwrap();
        assert_eq!(inner, Isa::Portable);
        assert_eq!(active(), outer);
        let caught = std::panic::catch_unwind(|| {
            with_isa(Isa::Portable, || panic!("inside")).unwrap();
        });
        assert!(caught.is_err());
        assert_eq!(active(), outer);
        // Another thread keeps the process default.
        with_isa(Isa::Portable, || {
            assert_eq!(std::thread::spawn(active).join().unwrap(), default_isa());
        })
        .unwrap();
    }

    #[test]
    fn unsupported_isas_are_refused() {
        for isa in Isa::ALL {
            match with_isa(isa, active) {
                Ok(got) => assert!(isa.is_supported() && got == isa),
                Err(e) => {
                    assert!(!isa.is_supported());
                    assert_eq!(
                        e.to_string(),
                        format!("this CPU does not support the {isa} kernels")
                    );
                }
            }
        }
    }
}
