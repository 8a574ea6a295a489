//! TOTP (RFC 6238: HMAC-SHA-1, 30-second steps, 6 digits), the encryption
//! of stored secrets, and recovery codes.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::Sha256;

/// Seconds per step.
pub const STEP_S: i64 = 30;
/// Digits per code.
pub const DIGITS: u32 = 6;
/// Bytes of a new secret (160 bits, as RFC 4226 recommends).
pub const SECRET_LEN: usize = 20;
/// Recovery codes issued at enrolment.
pub const RECOVERY_CODES: usize = 10;

/// The step containing `unix_s`.
pub fn step_at(unix_s: i64) -> i64 {
    unix_s.div_euclid(STEP_S)
}

/// The code of `step` (RFC 4226 HOTP with the step as counter).
pub fn code_at(secret: &[u8], step: i64) -> u32 {
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(&step.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = usize::from(h[19] & 0x0f);
    let bin = u32::from_be_bytes([h[offset] & 0x7f, h[offset + 1], h[offset + 2], h[offset + 3]]);
    bin % 10u32.pow(DIGITS)
}

/// The step (within ±1 of `now_s`'s) whose code is `code`, if any. The
/// caller must still refuse steps at or before the last accepted one.
pub fn matching_step(secret: &[u8], code: &str, now_s: i64) -> Option<i64> {
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let wanted: u32 = code.parse().ok()?;
    let now = step_at(now_s);
    // Check every candidate (no early exit) so timing says nothing about which matched.
    let mut found = None;
    for step in [now - 1, now, now + 1] {
        if constant_eq_u32(code_at(secret, step), wanted) && found.is_none() {
            found = Some(step);
        }
    }
    found
}

fn constant_eq_u32(a: u32, b: u32) -> bool {
    (a ^ b) == 0
}

/// Base32 (RFC 4648, no padding), as authenticator apps expect.
pub fn encode_secret(secret: &[u8]) -> String {
    data_encoding::BASE32_NOPAD.encode(secret)
}

/// The `otpauth://` URL of an enrolment (for a QR code).
pub fn otpauth_url(username: &str, secret_b32: &str) -> String {
    format!(
        "otpauth://totp/QuantumVibe:{}?secret={secret_b32}&issuer=QuantumVibe&algorithm=SHA1&digits={DIGITS}&period={STEP_S}",
        percent_encode(username)
    )
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Encrypts a secret for storage: `nonce || ciphertext`, bound to the user
/// id (associated data), so a row copied to another account does not decrypt.
pub fn seal(key: &[u8; 32], user_id: &str, secret: &[u8]) -> Vec<u8> {
    let cipher = ChaCha20Poly1305::new(key.into());
    let nonce: [u8; 12] = rand::random();
    let ct = cipher
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: secret, aad: user_id.as_bytes() })
        .expect("ChaCha20-Poly1305 encryption of a short message cannot fail");
    let mut out = nonce.to_vec();
    out.extend_from_slice(&ct);
    out
}

/// Decrypts what [`seal`] stored (`None`: wrong key, user or tampered).
pub fn open(key: &[u8; 32], user_id: &str, sealed: &[u8]) -> Option<Vec<u8>> {
    if sealed.len() < 12 {
        return None;
    }
    let (nonce, ct) = sealed.split_at(12);
    ChaCha20Poly1305::new(key.into())
        .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad: user_id.as_bytes() })
        .ok()
}

/// A new recovery code: 10 base32 characters (50 bits) as `xxxxx-xxxxx`.
pub fn new_recovery_code() -> String {
    let bytes: [u8; 7] = rand::random();
    let s = data_encoding::BASE32_NOPAD.encode(&bytes).to_ascii_lowercase();
    format!("{}-{}", &s[..5], &s[5..10])
}

/// The stored form of a recovery code: HMAC-SHA256 under a server-derived
/// key (a leaked table alone does not allow offline guessing), hex. Input is
/// normalised: case, dashes and spaces do not matter.
pub fn recovery_hash(key: &[u8; 32], code: &str) -> String {
    let norm: String =
        code.chars().filter(|c| !matches!(c, '-' | ' ')).map(|c| c.to_ascii_lowercase()).collect();
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(norm.as_bytes());
    super::keys::hex(&mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_vectors_sha1() {
        // RFC 6238 Appendix B (8 digits there; the last 6 here).
        let secret = b"12345678901234567890";
        for (t, code8) in [
            (59, 94287082u32),
            (1111111109, 7081804),
            (1111111111, 14050471),
            (1234567890, 89005924),
            (2000000000, 69279037),
            (20000000000, 65353130),
        ] {
            assert_eq!(code_at(secret, step_at(t)), code8 % 1_000_000, "t={t}");
        }
    }

    #[test]
    fn window_is_plus_minus_one_step() {
        let secret = [9u8; 20];
        let now = 1_700_000_000;
        let s = step_at(now);
        let code = |st| format!("{:06}", code_at(&secret, st));
        assert_eq!(matching_step(&secret, &code(s), now), Some(s));
        assert_eq!(matching_step(&secret, &code(s - 1), now), Some(s - 1));
        assert_eq!(matching_step(&secret, &code(s + 1), now), Some(s + 1));
        // Codes two steps away (with a vanishing chance of collision) fail.
        if code(s + 2) != code(s) && code(s + 2) != code(s - 1) && code(s + 2) != code(s + 1) {
            assert_eq!(matching_step(&secret, &code(s + 2), now), None);
        }
        assert_eq!(matching_step(&secret, "12345", now), None);
        assert_eq!(matching_step(&secret, "12a456", now), None);
    }

    #[test]
    fn sealed_secret_is_bound_to_key_and_user() {
        let key = [1u8; 32];
        let sealed = seal(&key, "u1", b"secret");
        assert_eq!(open(&key, "u1", &sealed).as_deref(), Some(&b"secret"[..]));
        assert_eq!(open(&key, "u2", &sealed), None);
        assert_eq!(open(&[2u8; 32], "u1", &sealed), None);
        let mut bad = sealed.clone();
        bad[15] ^= 1;
        assert_eq!(open(&key, "u1", &bad), None);
    }

    #[test]
    fn recovery_codes_normalise() {
        let key = [5u8; 32];
        let code = new_recovery_code();
        assert_eq!(code.len(), 11);
        assert_eq!(
            recovery_hash(&key, &code),
            recovery_hash(&key, &code.replace('-', "").to_uppercase())
        );
        assert_ne!(recovery_hash(&key, &code), recovery_hash(&[6u8; 32], &code));
    }

    #[test]
    fn url_has_issuer_and_secret() {
        let u = otpauth_url("a b", "ABC");
        assert!(
            u.starts_with("otpauth://totp/QuantumVibe:a%20b?secret=ABC&issuer=QuantumVibe"),
            "{u}"
        );
    }
}
