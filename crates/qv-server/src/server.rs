//! Assembly: store, services, workers, HTTP listener, graceful shutdown.

use std::net::SocketAddr;

use crate::config::Config;

/// A failure to start or run the server.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("{0}")]
    Start(String),
}

/// A running server (tests start one on port 0).
#[derive(Debug)]
pub struct Server {
    /// The address it listens on.
    pub addr: SocketAddr,
}

/// Runs the server until SIGINT/SIGTERM, then shuts down gracefully.
pub async fn serve(config: Config) -> Result<(), ServerError> {
    let _ = config;
    Err(ServerError::Start("not assembled".into()))
}
