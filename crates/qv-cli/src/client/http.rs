//! HTTP calls to the server: authentication, automatic token refresh, and
//! errors turned into `error: <message> (HTTP 409 conflict)`.

use std::path::PathBuf;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::config::{self, Credentials, Session};
use crate::error::CliError;

/// The API prefix.
pub const API: &str = "/api/v1";

/// A connection to one server with one set of credentials.
#[derive(Debug)]
pub struct Api {
    /// The server's base URL.
    pub server: String,
    http: reqwest::Client,
    creds: Credentials,
    /// Where the session lives (rotated tokens are saved there).
    creds_path: Option<PathBuf>,
}

/// A failed request, before it becomes a [`CliError`].
#[derive(Debug)]
pub enum ApiFailure {
    /// The server answered with an error status.
    Status { status: StatusCode, code: String, message: String },
    /// The server could not be reached or the exchange failed.
    Transport(CliError),
}

impl ApiFailure {
    /// The error code for a status answer (`not_found`, ...).
    pub fn code(&self) -> Option<&str> {
        match self {
            ApiFailure::Status { code, .. } => Some(code),
            ApiFailure::Transport(_) => None,
        }
    }
}

impl From<ApiFailure> for CliError {
    fn from(f: ApiFailure) -> CliError {
        match f {
            ApiFailure::Status { status, code, message } => status_error(status, &code, &message),
            ApiFailure::Transport(e) => e,
        }
    }
}

/// `<message> (HTTP 409 conflict)`: 4xx are the caller's input (exit 2),
/// everything else is the server's (exit 1).
pub fn status_error(status: StatusCode, code: &str, message: &str) -> CliError {
    let text = format!("{message} (HTTP {} {code})", status.as_u16());
    if status.is_client_error() {
        CliError::Input(text)
    } else {
        CliError::Internal(text)
    }
}

/// Reads `{"error": {"code", "message"}}`; other bodies (a proxy's HTML
/// page) fall back to the status text.
pub fn parse_error_body(status: StatusCode, body: &str) -> (String, String) {
    let v: Option<Value> = serde_json::from_str(body).ok();
    let field = |k: &str| {
        v.as_ref()
            .and_then(|v| v["error"][k].as_str())
            .map(str::to_string)
            .filter(|s| !s.is_empty())
    };
    let code = field("code").unwrap_or_else(|| {
        status.canonical_reason().unwrap_or("error").to_lowercase().replace(' ', "_")
    });
    let message = field("message").unwrap_or_else(|| {
        let body = body.trim();
        if body.is_empty() || body.len() > 200 {
            format!("the server answered {status}")
        } else {
            format!("the server answered {status}: {body}")
        }
    });
    (code, message)
}

/// A transport error, with the hint that matters most: is the server up?
pub fn transport_error(server: &str, e: &reqwest::Error) -> CliError {
    if e.is_connect() {
        CliError::Internal(format!("cannot reach the server at {server}: is `qv serve` running?"))
    } else if e.is_timeout() {
        CliError::Internal(format!("the server at {server} did not answer in time"))
    } else if e.is_decode() {
        CliError::Internal(format!("the server at {server} sent a response qv cannot read: {e}"))
    } else {
        CliError::Internal(format!("request to {server} failed: {e}"))
    }
}

/// Milliseconds since the Unix epoch.
fn now_ms() -> i64 {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Api {
    /// A client for `server` with `creds`; `creds_path` is where a refreshed
    /// session is saved.
    pub fn new(
        server: String,
        creds: Credentials,
        creds_path: Option<PathBuf>,
    ) -> Result<Api, CliError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .user_agent(concat!("qv/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| CliError::Internal(format!("cannot set up HTTP: {e}")))?;
        Ok(Api { server, http, creds, creds_path })
    }

    /// Refreshes the session's access token if it has expired, so that a
    /// connection authenticated once (the WebSocket) starts with a valid one.
    pub async fn ensure_fresh(&mut self) -> Result<(), CliError> {
        match &self.creds {
            Credentials::Session(s) if s.access_expired(now_ms()) => self.refresh().await,
            _ => Ok(()),
        }
    }

    /// The bearer token requests carry now, if any.
    pub fn bearer(&self) -> Option<&str> {
        match &self.creds {
            Credentials::ApiKey(k) => Some(k),
            Credentials::Session(s) => Some(&s.access_token),
            Credentials::None => None,
        }
    }

    /// The absolute URL of an API path (`/jobs` → `http://h/api/v1/jobs`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{API}{path}", self.server)
    }

    /// Sends without credentials (login, refresh, logout).
    pub async fn send_anonymous(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(StatusCode, String), ApiFailure> {
        self.send_raw(method, path, body, None).await
    }

    async fn send_raw(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        bearer: Option<&str>,
    ) -> Result<(StatusCode, String), ApiFailure> {
        let mut req = self.http.request(method, self.url(path));
        if let Some(t) = bearer {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| ApiFailure::Transport(transport_error(&self.server, &e)))?;
        let status = resp.status();
        let text = resp
            .text()
            .await
            .map_err(|e| ApiFailure::Transport(transport_error(&self.server, &e)))?;
        if status.is_success() {
            Ok((status, text))
        } else {
            let (code, message) = parse_error_body(status, &text);
            Err(ApiFailure::Status { status, code, message })
        }
    }

    /// Sends an authenticated request. With a session, an expired access
    /// token is refreshed first, and a 401 triggers one refresh and retry.
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(StatusCode, String), ApiFailure> {
        if matches!(&self.creds, Credentials::None) {
            return Err(ApiFailure::Transport(CliError::Input(format!(
                "not logged in to {}: run `qv login --server {0}` or set QV_API_KEY",
                self.server
            ))));
        }
        if let Credentials::Session(s) = &self.creds {
            if s.access_expired(now_ms()) {
                self.refresh().await.map_err(ApiFailure::Transport)?;
            }
        }
        let first = self.send_raw(method.clone(), path, body, self.bearer()).await;
        match first {
            Err(ApiFailure::Status { status: StatusCode::UNAUTHORIZED, .. })
                if matches!(self.creds, Credentials::Session(_)) =>
            {
                self.refresh().await.map_err(ApiFailure::Transport)?;
                self.send_raw(method, path, body, self.bearer()).await
            }
            Err(ApiFailure::Status { status: StatusCode::UNAUTHORIZED, code, message })
                if matches!(self.creds, Credentials::ApiKey(_)) =>
            {
                Err(ApiFailure::Status {
                    status: StatusCode::UNAUTHORIZED,
                    code,
                    message: format!("{message}; check the API key (QV_API_KEY or --api-key)"),
                })
            }
            other => other,
        }
    }

    /// Sends and decodes a JSON answer.
    pub async fn json<T: DeserializeOwned>(
        &mut self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<T, ApiFailure> {
        let (_, text) = self.send(method, path, body).await?;
        serde_json::from_str(&text).map_err(|e| {
            ApiFailure::Transport(CliError::Internal(format!(
                "the server at {} sent a response qv cannot read: {e}",
                self.server
            )))
        })
    }

    /// Exchanges the refresh token for a new pair and saves it. Another `qv`
    /// process may have rotated the pair already: the file is re-read first
    /// and its newer pair used, so that the old token is not replayed (which
    /// the server treats as theft and answers by revoking the session).
    async fn refresh(&mut self) -> Result<(), CliError> {
        let Credentials::Session(mut session) = self.creds.clone() else { return Ok(()) };
        if let Some(path) = &self.creds_path {
            if let Some(on_disk) = config::load_session(path)? {
                if on_disk.server == session.server
                    && on_disk.refresh_token != session.refresh_token
                {
                    if !on_disk.access_expired(now_ms()) {
                        self.creds = Credentials::Session(on_disk);
                        return Ok(());
                    }
                    session = on_disk;
                }
            }
        }
        let body = serde_json::json!({ "refresh_token": session.refresh_token });
        let expired = || {
            CliError::Input(format!(
                "your session on {} has expired: run `qv login --server {0}`",
                session.server
            ))
        };
        let (_, text) = match self.send_anonymous(Method::POST, "/auth/refresh", Some(&body)).await
        {
            Ok(r) => r,
            Err(ApiFailure::Status { status: StatusCode::UNAUTHORIZED, .. }) => {
                return Err(expired())
            }
            Err(e) => return Err(e.into()),
        };
        let tokens = parse_tokens(&text, &self.server)?;
        session.access_token = tokens.access_token;
        session.refresh_token = tokens.refresh_token;
        session.access_expires_at_ms = tokens.expires_at_ms;
        if let Some(path) = &self.creds_path {
            config::save_session(path, &session)?;
        }
        self.creds = Credentials::Session(session);
        Ok(())
    }
}

/// A token response of login and refresh.
#[derive(Debug)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_at_ms: i64,
}

/// Reads `{access_token, refresh_token, expires_in}`.
pub fn parse_tokens(text: &str, server: &str) -> Result<Tokens, CliError> {
    let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    let field = |k: &str| v[k].as_str().filter(|s| !s.is_empty()).map(str::to_string);
    match (field("access_token"), field("refresh_token")) {
        (Some(access_token), Some(refresh_token)) => {
            let expires_in = v["expires_in"].as_i64().unwrap_or(0);
            let expires_at_ms =
                if expires_in > 0 { now_ms().saturating_add(expires_in * 1000) } else { 0 };
            Ok(Tokens { access_token, refresh_token, expires_at_ms })
        }
        _ => Err(CliError::Internal(format!(
            "the server at {server} answered the login without tokens"
        ))),
    }
}

/// A saved session from a token answer.
pub fn session_from(server: &str, username: &str, tokens: Tokens) -> Session {
    Session {
        server: server.to_string(),
        username: username.to_string(),
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token,
        access_expires_at_ms: tokens.expires_at_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_become_messages_with_status_and_code() {
        let body = r#"{"error":{"code":"conflict","message":"job is already COMPLETED"}}"#;
        let (code, message) = parse_error_body(StatusCode::CONFLICT, body);
        let CliError::Input(text) = status_error(StatusCode::CONFLICT, &code, &message) else {
            panic!("4xx is the caller's error")
        };
        assert_eq!(text, "job is already COMPLETED (HTTP 409 conflict)");
        let (code, message) = parse_error_body(StatusCode::BAD_GATEWAY, "<html>oops</html>");
        assert_eq!(code, "bad_gateway");
        assert!(message.contains("502"), "{message}");
        assert!(matches!(
            status_error(StatusCode::BAD_GATEWAY, &code, &message),
            CliError::Internal(_)
        ));
    }

    #[test]
    fn token_answers_are_checked() {
        let t = parse_tokens(r#"{"access_token":"a","refresh_token":"r","expires_in":900}"#, "s")
            .unwrap();
        assert_eq!((t.access_token.as_str(), t.refresh_token.as_str()), ("a", "r"));
        assert!(t.expires_at_ms > now_ms() + 800_000);
        assert!(parse_tokens(r#"{"access_token":"a"}"#, "s").is_err());
    }

    #[tokio::test]
    async fn connection_refused_names_the_server() {
        // A port that was just free: nothing listens there.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let server = format!("http://127.0.0.1:{port}");
        let mut api = Api::new(server.clone(), Credentials::ApiKey("qv_x".into()), None).unwrap();
        let err: CliError = api.send(Method::GET, "/jobs", None).await.unwrap_err().into();
        let CliError::Internal(msg) = err else { panic!("expected an internal error") };
        assert_eq!(msg, format!("cannot reach the server at {server}: is `qv serve` running?"));
    }

    #[tokio::test]
    async fn missing_credentials_say_how_to_log_in() {
        let mut api = Api::new("http://h:1".into(), Credentials::None, None).unwrap();
        let err: CliError = api.send(Method::GET, "/jobs", None).await.unwrap_err().into();
        let CliError::Input(msg) = err else { panic!("expected an input error") };
        assert!(msg.contains("qv login --server http://h:1"), "{msg}");
    }
}
