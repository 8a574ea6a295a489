//! Writing a state vector as a NumPy `.npy` file (`<c16`, one dimension).
//!
//! Format version 1.0: magic, header length, a Python-literal header padded
//! with spaces so the data starts on a 64-byte boundary, then the raw
//! little-endian complex128 values.

use std::io::{self, Write};
use std::path::Path;

use qv_circuit::C64;

/// Writes `state` to `path` as a complex128 `.npy` array.
pub fn write(path: &Path, state: &[C64]) -> io::Result<()> {
    let file = std::fs::File::create(path)?;
    let mut w = io::BufWriter::with_capacity(1 << 20, file);
    write_to(&mut w, state)?;
    w.flush()
}

fn write_to(w: &mut impl Write, state: &[C64]) -> io::Result<()> {
    let mut header =
        format!("{{'descr': '<c16', 'fortran_order': False, 'shape': ({},), }}", state.len());
    // magic (6) + version (2) + header length (2) + header + '\n' ≡ 0 (mod 64)
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    header.push('\n');
    w.write_all(b"\x93NUMPY\x01\x00")?;
    let len = u16::try_from(header.len()).map_err(|_| io::Error::other("npy header too long"))?;
    w.write_all(&len.to_le_bytes())?;
    w.write_all(header.as_bytes())?;
    for a in state {
        w.write_all(&a.re.to_le_bytes())?;
        w.write_all(&a.im.to_le_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_aligned_and_data_follows() {
        let mut buf = Vec::new();
        write_to(&mut buf, &[C64::new(1.0, 0.0), C64::new(0.0, -0.5)]).unwrap();
        assert_eq!(&buf[..8], b"\x93NUMPY\x01\x00");
        let header_len = u16::from_le_bytes([buf[8], buf[9]]) as usize;
        assert_eq!((10 + header_len) % 64, 0);
        let header = std::str::from_utf8(&buf[10..10 + header_len]).unwrap();
        assert!(header.starts_with("{'descr': '<c16', 'fortran_order': False, 'shape': (2,), }"));
        assert!(header.ends_with('\n'));
        let data = &buf[10 + header_len..];
        assert_eq!(data.len(), 32);
        assert_eq!(f64::from_le_bytes(data[0..8].try_into().unwrap()), 1.0);
        assert_eq!(f64::from_le_bytes(data[24..32].try_into().unwrap()), -0.5);
    }
}
