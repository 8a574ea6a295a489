//! Where the client connects and with what: the server URL and the saved
//! session (`$XDG_CONFIG_HOME/qv/credentials.json`, mode 0600).
//!
//! Server: `--server` > `QV_SERVER` > the saved session's server >
//! `http://127.0.0.1:8080`. Credentials: `--api-key` > `QV_API_KEY` > the
//! saved session, used only against the server it was made for, so that a
//! token is never sent to another server.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::CliError;

/// The server used when nothing else names one.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:8080";

/// A session saved by `qv login`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The server's base URL (normalised, no trailing slash).
    pub server: String,
    /// Who logged in (for messages).
    pub username: String,
    /// The short-lived access JWT.
    pub access_token: String,
    /// The rotating refresh token.
    pub refresh_token: String,
    /// When the access token expires, in ms since the Unix epoch (0: unknown).
    #[serde(default)]
    pub access_expires_at_ms: i64,
}

impl Session {
    /// Whether the access token is expired or about to (within 30 s).
    pub fn access_expired(&self, now_ms: i64) -> bool {
        self.access_expires_at_ms > 0 && now_ms + 30_000 >= self.access_expires_at_ms
    }
}

/// The credentials file: `$XDG_CONFIG_HOME/qv/credentials.json`, else
/// `$HOME/.config/qv/credentials.json`.
pub fn credentials_path() -> Result<PathBuf, CliError> {
    credentials_path_from(
        std::env::var_os("XDG_CONFIG_HOME").map(PathBuf::from),
        std::env::var_os("HOME").map(PathBuf::from),
    )
}

fn credentials_path_from(xdg: Option<PathBuf>, home: Option<PathBuf>) -> Result<PathBuf, CliError> {
    // The XDG spec says a relative value is invalid and must be ignored.
    let base = match (xdg.filter(|p| p.is_absolute()), home) {
        (Some(x), _) => x,
        (None, Some(h)) if !h.as_os_str().is_empty() => h.join(".config"),
        _ => {
            return Err(CliError::Input(
                "cannot find a place for the credentials file: set XDG_CONFIG_HOME or HOME".into(),
            ))
        }
    };
    Ok(base.join("qv").join("credentials.json"))
}

/// Reads the saved session; `None` when there is none.
pub fn load_session(path: &Path) -> Result<Option<Session>, CliError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(CliError::Input(format!("cannot read {}: {e}", path.display())));
        }
    };
    serde_json::from_str(&text).map(Some).map_err(|e| {
        CliError::Input(format!(
            "{} is not a valid credentials file ({e}); run `qv logout` and `qv login` again",
            path.display()
        ))
    })
}

/// Saves the session with mode 0600 (the directory 0700), replacing the file
/// atomically so that a concurrent reader never sees half a file.
pub fn save_session(path: &Path, session: &Session) -> Result<(), CliError> {
    let fail = |what: &str, e: std::io::Error| {
        CliError::Internal(format!("cannot {what} {}: {e}", path.display()))
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    create_private_dir(dir).map_err(|e| fail("create the directory of", e))?;
    let tmp = dir.join(format!(".credentials.{}.tmp", std::process::id()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let json = serde_json::to_string_pretty(session)
        .map_err(|e| CliError::Internal(format!("cannot encode the session: {e}")))?;
    let write = || -> std::io::Result<()> {
        let mut f = opts.open(&tmp)?;
        f.write_all(json.as_bytes())?;
        f.write_all(b"\n")?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail("write", e)
    })
}

/// Deletes the saved session; `false` when there was none.
pub fn delete_session(path: &Path) -> Result<bool, CliError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(CliError::Internal(format!("cannot delete {}: {e}", path.display()))),
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

/// Normalises a server URL: `host:port` gets `http://`, trailing slashes go,
/// only http and https are accepted, and nothing after the authority but a
/// path prefix (no query or fragment).
pub fn normalize_server(raw: &str) -> Result<String, CliError> {
    let raw = raw.trim();
    let bad = |why: &str| CliError::Input(format!("invalid server URL `{raw}`: {why}"));
    if raw.is_empty() {
        return Err(bad("it is empty"));
    }
    let with_scheme = if raw.contains("://") { raw.to_string() } else { format!("http://{raw}") };
    let url = reqwest::Url::parse(&with_scheme).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("use http:// or https://"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("it names no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("it must not have a query or fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("put credentials in QV_API_KEY or `qv login`, not in the URL"));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// The WebSocket URL of `path` on `server` (`http` → `ws`, `https` → `wss`).
pub fn websocket_url(server: &str, path: &str) -> String {
    let rest = server.strip_prefix("https://").map(|r| format!("wss://{r}"));
    let ws = rest.unwrap_or_else(|| match server.strip_prefix("http://") {
        Some(r) => format!("ws://{r}"),
        None => server.to_string(),
    });
    format!("{ws}{path}")
}

/// Picks the server: flag, then environment, then the saved session, then the default.
pub fn resolve_server(
    flag: Option<&str>,
    env: Option<&str>,
    session: Option<&Session>,
) -> Result<String, CliError> {
    match flag.or(env.filter(|s| !s.trim().is_empty())) {
        Some(s) => normalize_server(s),
        None => match session {
            Some(s) => Ok(s.server.clone()),
            None => Ok(DEFAULT_SERVER.to_string()),
        },
    }
}

/// How requests authenticate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credentials {
    /// An API key (`qv_...`): sent as is, never refreshed.
    ApiKey(String),
    /// The saved session (access token refreshed when it expires).
    Session(Session),
    /// Nothing: requests that need authentication fail with a hint.
    None,
}

/// Picks the credentials for `server`: flag, then `QV_API_KEY`, then the
/// saved session when it was made for this server.
pub fn resolve_credentials(
    flag: Option<&str>,
    env: Option<&str>,
    session: Option<Session>,
    server: &str,
) -> Credentials {
    if let Some(k) = flag.or(env).map(str::trim).filter(|k| !k.is_empty()) {
        return Credentials::ApiKey(k.to_string());
    }
    match session {
        Some(s) if s.server == server => Credentials::Session(s),
        _ => Credentials::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(server: &str) -> Session {
        Session {
            server: server.into(),
            username: "ada".into(),
            access_token: "a.b.c".into(),
            refresh_token: "r1".into(),
            access_expires_at_ms: 1_000_000,
        }
    }

    #[test]
    fn credentials_path_prefers_absolute_xdg() {
        let p = credentials_path_from(Some("/x/cfg".into()), Some("/home/u".into())).unwrap();
        assert_eq!(p, PathBuf::from("/x/cfg/qv/credentials.json"));
        let p = credentials_path_from(Some("relative".into()), Some("/home/u".into())).unwrap();
        assert_eq!(p, PathBuf::from("/home/u/.config/qv/credentials.json"));
        assert!(credentials_path_from(None, None).is_err());
    }

    #[test]
    fn session_round_trips_with_private_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/qv/credentials.json");
        assert_eq!(load_session(&path).unwrap(), None);
        let s = session("http://127.0.0.1:8080");
        save_session(&path, &s).unwrap();
        assert_eq!(load_session(&path).unwrap(), Some(s.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            let dmode =
                std::fs::metadata(path.parent().unwrap()).unwrap().permissions().mode() & 0o777;
            assert_eq!(dmode, 0o700);
        }
        // Saving again replaces the file (rotated tokens) and leaves no temp file behind.
        let rotated = Session { refresh_token: "r2".into(), ..s };
        save_session(&path, &rotated).unwrap();
        assert_eq!(load_session(&path).unwrap().unwrap().refresh_token, "r2");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(names.len(), 1);
        assert!(delete_session(&path).unwrap());
        assert!(!delete_session(&path).unwrap());
    }

    #[test]
    fn corrupt_credentials_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials.json");
        std::fs::write(&path, "{not json").unwrap();
        let Err(CliError::Input(msg)) = load_session(&path) else { panic!("expected an error") };
        assert!(msg.contains("not a valid credentials file"), "{msg}");
    }

    #[test]
    fn expiry_has_a_margin() {
        let s = session("http://h");
        assert!(!s.access_expired(900_000));
        assert!(s.access_expired(980_000));
        assert!(!Session { access_expires_at_ms: 0, ..s }.access_expired(i64::MAX - 40_000));
    }

    #[test]
    fn server_urls_are_normalised() {
        assert_eq!(normalize_server("localhost:9000").unwrap(), "http://localhost:9000");
        assert_eq!(normalize_server("http://127.0.0.1:8080/").unwrap(), "http://127.0.0.1:8080");
        assert_eq!(normalize_server("https://qv.example.com/").unwrap(), "https://qv.example.com");
        assert_eq!(normalize_server("https://h/prefix/").unwrap(), "https://h/prefix");
        for bad in ["", "ftp://h", "http://", "http://h/?x=1", "http://u:p@h"] {
            assert!(normalize_server(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn websocket_urls_follow_the_scheme() {
        assert_eq!(websocket_url("http://h:1", "/api/v1/events"), "ws://h:1/api/v1/events");
        assert_eq!(websocket_url("https://h", "/e"), "wss://h/e");
    }

    #[test]
    fn server_precedence() {
        let s = session("http://saved:1");
        assert_eq!(resolve_server(Some("f:1"), Some("e:1"), Some(&s)).unwrap(), "http://f:1");
        assert_eq!(resolve_server(None, Some("e:1"), Some(&s)).unwrap(), "http://e:1");
        assert_eq!(resolve_server(None, Some(""), Some(&s)).unwrap(), "http://saved:1");
        assert_eq!(resolve_server(None, None, None).unwrap(), DEFAULT_SERVER);
    }

    #[test]
    fn credentials_precedence_and_server_binding() {
        let s = session("http://saved:1");
        assert_eq!(
            resolve_credentials(Some("qv_flag"), Some("qv_env"), Some(s.clone()), "http://x"),
            Credentials::ApiKey("qv_flag".into())
        );
        assert_eq!(
            resolve_credentials(None, Some("qv_env"), Some(s.clone()), "http://saved:1"),
            Credentials::ApiKey("qv_env".into())
        );
        assert_eq!(
            resolve_credentials(None, None, Some(s.clone()), "http://saved:1"),
            Credentials::Session(s.clone())
        );
        // A session is never sent to another server.
        assert_eq!(resolve_credentials(None, None, Some(s), "http://other:1"), Credentials::None);
    }
}
