//! The server key and the keys derived from it.
//!
//! One 32-byte secret (from `Config.server_key`, or `<data_dir>/server.key`,
//! created at first start with mode 0600) feeds HKDF-SHA256; each use gets
//! its own `info` string, so the JWT signing key, the TOTP-secret
//! encryption key and the recovery-code MAC key are independent. Servers
//! sharing a database must share the server key.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use ed25519_dalek::SigningKey;
use hkdf::Hkdf;
use sha2::Sha256;

use crate::config::Config;

const SALT: &[u8] = b"quantumvibe server key v1";
const INFO_JWT: &[u8] = b"qv/jwt/ed25519-signing-key/v1";
const INFO_TOTP: &[u8] = b"qv/mfa/totp-secret-encryption/v1";
const INFO_RECOVERY: &[u8] = b"qv/mfa/recovery-code-mac/v1";

/// Keys derived from the server key. `Debug` prints no secret.
#[derive(Clone)]
pub struct ServerKeys {
    /// Signs and verifies access tokens.
    pub jwt: SigningKey,
    /// ChaCha20-Poly1305 key of stored TOTP secrets.
    pub totp: [u8; 32],
    /// HMAC-SHA256 key of stored recovery codes.
    pub recovery: [u8; 32],
}

impl std::fmt::Debug for ServerKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerKeys")
            .field("jwt_public", &hex(self.jwt.verifying_key().as_bytes()))
            .finish_non_exhaustive()
    }
}

impl ServerKeys {
    /// Derives every key from the 32-byte server key.
    pub fn derive(server_key: &[u8; 32]) -> ServerKeys {
        let hk = Hkdf::<Sha256>::new(Some(SALT), server_key);
        let expand = |info: &[u8]| {
            let mut out = [0u8; 32];
            // 32 bytes is far below HKDF-SHA256's 8160-byte limit.
            hk.expand(info, &mut out).expect("HKDF output length is valid");
            out
        };
        ServerKeys {
            jwt: SigningKey::from_bytes(&expand(INFO_JWT)),
            totp: expand(INFO_TOTP),
            recovery: expand(INFO_RECOVERY),
        }
    }

    /// Loads the server key as configured (creating `<data_dir>/server.key`
    /// when neither it nor `server_key` exists) and derives the keys.
    pub fn load(config: &Config) -> Result<ServerKeys, String> {
        let key = match &config.server_key {
            Some(b64) => parse_key(b64).map_err(|e| format!("server_key: {e}"))?,
            None => load_or_create_file(&config.data_dir.join("server.key"))?,
        };
        Ok(ServerKeys::derive(&key))
    }
}

/// Decodes a base64 (standard or URL-safe, padded or not) 32-byte key.
pub fn parse_key(text: &str) -> Result<[u8; 32], String> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let text = text.trim();
    let bytes = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|e| e.decode(text).ok())
        .ok_or_else(|| "is not valid base64".to_string())?;
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| format!("must decode to 32 bytes, got {}", bytes.len()))
}

/// Reads `path`, or creates it with 32 fresh random bytes (base64, mode
/// 0600). Creation is atomic (a temporary file hard-linked into place), so
/// two servers starting together on one data dir agree on the key.
fn load_or_create_file(path: &Path) -> Result<[u8; 32], String> {
    let shown = path.display();
    match std::fs::read_to_string(path) {
        Ok(text) => {
            warn_if_readable_by_others(path);
            return parse_key(&text).map_err(|e| format!("{shown}: {e}"));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot read {shown}: {e}")),
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create data directory {}: {e}", dir.display()))?;
    let key: [u8; 32] = rand::random();
    let text = format!("{}\n", base64::engine::general_purpose::STANDARD.encode(key));
    let tmp = dir.join(format!(".server.key.{}", crate::model::new_id()));
    let write = || -> std::io::Result<()> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut f = options.open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()
    };
    let result = write().and_then(|()| std::fs::hard_link(&tmp, path));
    let _ = std::fs::remove_file(&tmp);
    match result {
        Ok(()) => {
            tracing::info!(path = %shown, "created a new server key");
            Ok(key)
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
            parse_key(&text).map_err(|e| format!("{shown}: {e}"))
        }
        Err(e) => Err(format!("cannot create {shown}: {e}")),
    }
}

fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.permissions().mode() & 0o077 != 0 {
                tracing::warn!(path = %path.display(), "the server key is readable by other users; chmod 600 it");
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_keys_are_distinct_and_stable() {
        let a = ServerKeys::derive(&[7u8; 32]);
        let b = ServerKeys::derive(&[7u8; 32]);
        assert_eq!(a.jwt.to_bytes(), b.jwt.to_bytes());
        assert_eq!(a.totp, b.totp);
        assert_ne!(a.jwt.to_bytes(), a.totp);
        assert_ne!(a.totp, a.recovery);
        let c = ServerKeys::derive(&[8u8; 32]);
        assert_ne!(a.totp, c.totp);
        assert!(!format!("{a:?}").contains(&hex(&a.totp)));
    }

    #[test]
    fn key_file_is_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("nested/data");
        let config = Config { data_dir: data.clone(), ..Config::default() };
        let first = ServerKeys::load(&config).unwrap();
        let path = data.join("server.key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let again = ServerKeys::load(&config).unwrap();
        assert_eq!(first.totp, again.totp);
        // The file's key, given as `server_key`, derives the same keys.
        let text = std::fs::read_to_string(&path).unwrap();
        let config = Config { server_key: Some(text.trim().to_string()), ..Config::default() };
        assert_eq!(ServerKeys::load(&config).unwrap().totp, first.totp);
    }

    #[test]
    fn bad_configured_key_is_named() {
        let config = Config { server_key: Some("c2hvcnQ=".into()), ..Config::default() };
        let e = ServerKeys::load(&config).unwrap_err();
        assert!(e.contains("server_key") && e.contains("32 bytes"), "{e}");
    }
}
