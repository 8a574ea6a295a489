//! Access tokens: compact JWS with EdDSA (Ed25519).
//!
//! Verification pins `alg` to `EdDSA` before it looks at the signature (so
//! `none`, `HS256` with the public key and the like never reach a verifier),
//! uses strict Ed25519 verification, then checks `exp` (with a small leeway
//! for clock skew), `iss`, `aud` and `typ`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

/// `iss` of every token.
pub const ISSUER: &str = "qv";
/// `aud` of access tokens.
pub const AUDIENCE: &str = "qv-api";
/// `typ` claim of access tokens.
pub const ACCESS: &str = "access";
/// Clock skew tolerated on `exp` and `iat`, in seconds.
pub const LEEWAY_S: i64 = 30;

const HEADER: &str = r#"{"alg":"EdDSA","typ":"JWT"}"#;

/// The claims of an access token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub typ: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
}

impl Claims {
    /// Claims of an access token for `user_id`, valid `ttl_s` from `now_s`.
    pub fn access(user_id: &str, now_s: i64, ttl_s: u64) -> Claims {
        let jti: [u8; 16] = rand::random();
        Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: user_id.into(),
            typ: ACCESS.into(),
            iat: now_s,
            exp: now_s.saturating_add(i64::try_from(ttl_s).unwrap_or(i64::MAX)),
            jti: URL_SAFE_NO_PAD.encode(jti),
        }
    }
}

/// Signs `claims` into a compact JWS.
pub fn sign(key: &SigningKey, claims: &Claims) -> String {
    let payload = serde_json::to_vec(claims).expect("claims serialise");
    let mut token =
        format!("{}.{}", URL_SAFE_NO_PAD.encode(HEADER), URL_SAFE_NO_PAD.encode(payload));
    let signature = key.sign(token.as_bytes());
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(signature.to_bytes()));
    token
}

#[derive(Deserialize)]
struct Header {
    alg: String,
}

/// `aud` may be a string or an array of strings (RFC 7519 §4.1.3).
#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
struct RawClaims {
    iss: Option<String>,
    aud: Option<Audience>,
    sub: Option<String>,
    typ: Option<String>,
    iat: Option<i64>,
    exp: Option<i64>,
    jti: Option<String>,
}

/// Why a token was refused (logged at debug; clients get one message).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JwtError {
    Malformed,
    Algorithm,
    Signature,
    Expired,
    NotYetValid,
    Issuer,
    Audience,
    Type,
}

impl std::fmt::Display for JwtError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            JwtError::Malformed => "malformed token",
            JwtError::Algorithm => "unsupported token algorithm",
            JwtError::Signature => "bad token signature",
            JwtError::Expired => "token expired",
            JwtError::NotYetValid => "token issued in the future",
            JwtError::Issuer => "wrong token issuer",
            JwtError::Audience => "wrong token audience",
            JwtError::Type => "not an access token",
        })
    }
}

/// Verifies an access token and returns its claims.
pub fn verify(key: &VerifyingKey, token: &str, now_s: i64) -> Result<Claims, JwtError> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    let header: Header = decode_json(h)?;
    if header.alg != "EdDSA" {
        return Err(JwtError::Algorithm);
    }
    let sig = URL_SAFE_NO_PAD.decode(s).map_err(|_| JwtError::Malformed)?;
    let sig = Signature::from_slice(&sig).map_err(|_| JwtError::Signature)?;
    let signed = &token[..h.len() + 1 + p.len()];
    key.verify_strict(signed.as_bytes(), &sig).map_err(|_| JwtError::Signature)?;

    let raw: RawClaims = decode_json(p)?;
    let exp = raw.exp.ok_or(JwtError::Malformed)?;
    let iat = raw.iat.ok_or(JwtError::Malformed)?;
    if now_s > exp.saturating_add(LEEWAY_S) {
        return Err(JwtError::Expired);
    }
    if iat > now_s.saturating_add(LEEWAY_S) {
        return Err(JwtError::NotYetValid);
    }
    if raw.iss.as_deref() != Some(ISSUER) {
        return Err(JwtError::Issuer);
    }
    let aud_ok = match &raw.aud {
        Some(Audience::One(a)) => a == AUDIENCE,
        Some(Audience::Many(v)) => v.iter().any(|a| a == AUDIENCE),
        None => false,
    };
    if !aud_ok {
        return Err(JwtError::Audience);
    }
    if raw.typ.as_deref() != Some(ACCESS) {
        return Err(JwtError::Type);
    }
    let sub = raw.sub.filter(|s| !s.is_empty()).ok_or(JwtError::Malformed)?;
    Ok(Claims {
        iss: ISSUER.into(),
        aud: AUDIENCE.into(),
        sub,
        typ: ACCESS.into(),
        iat,
        exp,
        jti: raw.jti.unwrap_or_default(),
    })
}

fn decode_json<T: for<'de> Deserialize<'de>>(part: &str) -> Result<T, JwtError> {
    let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| JwtError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| JwtError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[3u8; 32])
    }

    fn forge(header: &str, claims: &serde_json::Value, key: &SigningKey) -> String {
        let t = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let s = key.sign(t.as_bytes());
        format!("{t}.{}", URL_SAFE_NO_PAD.encode(s.to_bytes()))
    }

    #[test]
    fn round_trip() {
        let c = Claims::access("u1", 1_000, 900);
        let t = sign(&key(), &c);
        assert_eq!(verify(&key().verifying_key(), &t, 1_500), Ok(c));
    }

    #[test]
    fn refusals() {
        let vk = key().verifying_key();
        let c = Claims::access("u1", 1_000, 900);
        let t = sign(&key(), &c);
        assert_eq!(verify(&vk, &t, 1_000 + 900 + LEEWAY_S + 1), Err(JwtError::Expired));
        assert_eq!(verify(&vk, &t, 1_000 + 900 + LEEWAY_S), Ok(c.clone()));
        assert_eq!(verify(&vk, &t, 1_000 - LEEWAY_S - 1), Err(JwtError::NotYetValid));
        let other = SigningKey::from_bytes(&[4u8; 32]);
        assert_eq!(verify(&vk, &sign(&other, &c), 1_000), Err(JwtError::Signature));
        let mut v = serde_json::to_value(&c).unwrap();
        v["aud"] = "elsewhere".into();
        assert_eq!(verify(&vk, &forge(HEADER, &v, &key()), 1_000), Err(JwtError::Audience));
        v["aud"] = serde_json::json!(["x", AUDIENCE]);
        assert!(verify(&vk, &forge(HEADER, &v, &key()), 1_000).is_ok());
        v["typ"] = "refresh".into();
        assert_eq!(verify(&vk, &forge(HEADER, &v, &key()), 1_000), Err(JwtError::Type));
        v["typ"] = ACCESS.into();
        v["iss"] = "other".into();
        assert_eq!(verify(&vk, &forge(HEADER, &v, &key()), 1_000), Err(JwtError::Issuer));
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&c).unwrap())
        );
        assert_eq!(verify(&vk, &none, 1_000), Err(JwtError::Algorithm));
        let hs =
            forge(r#"{"alg":"HS256","typ":"JWT"}"#, &serde_json::to_value(&c).unwrap(), &key());
        assert_eq!(verify(&vk, &hs, 1_000), Err(JwtError::Algorithm));
        for garbage in ["", "a.b", "a.b.c.d", "!!.!!.!!", "e30.e30.e30"] {
            assert!(verify(&vk, garbage, 1_000).is_err(), "{garbage}");
        }
        // A payload swapped after signing fails the signature.
        let (hp, sig) = t.rsplit_once('.').unwrap();
        let (h, _) = hp.split_once('.').unwrap();
        let mut evil = c.clone();
        evil.sub = "admin".into();
        let tampered =
            format!("{h}.{}.{sig}", URL_SAFE_NO_PAD.encode(serde_json::to_vec(&evil).unwrap()));
        assert_eq!(verify(&vk, &tampered, 1_000), Err(JwtError::Signature));
    }
}
