//! The floating-point widths the fast engine runs in.
//!
//! [`Real`] is sealed: unsafe code relies on its types being IEEE floats (a
//! zeroed allocation is a zero state), so no other crate may implement it.

use num_complex::Complex;
use qv_circuit::C64;

pub(crate) mod sealed {
    /// Implemented only for `f32` and `f64`; keeps [`super::Real`] closed.
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// `f64` (complex128 states) or `f32` (complex64 states). Sealed: no other
/// type can implement it.
pub trait Real:
    sealed::Sealed
    + num_traits::Float
    + Send
    + Sync
    + std::fmt::Debug
    + Default
    + std::iter::Sum
    + 'static
{
    /// Bytes per amplitude.
    const AMP_BYTES: u64;
    /// Name used in messages ("complex128" / "complex64").
    const NAME: &'static str;
    /// Narrows (or keeps) an `f64`.
    fn from_f64(x: f64) -> Self;
    /// Widens to `f64`.
    fn to_f64(self) -> f64;
    /// Narrows a complex128.
    fn complex(c: C64) -> Complex<Self> {
        Complex::new(Self::from_f64(c.re), Self::from_f64(c.im))
    }
}

impl Real for f64 {
    const AMP_BYTES: u64 = 16;
    const NAME: &'static str = "complex128";
    fn from_f64(x: f64) -> Self {
        x
    }
    fn to_f64(self) -> f64 {
        self
    }
}

impl Real for f32 {
    const AMP_BYTES: u64 = 8;
    const NAME: &'static str = "complex64";
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
}
