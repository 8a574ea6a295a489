//! Live job updates for every surface (the REST WebSocket, the GraphQL
//! subscription, gRPC `WatchJob`), under one set of limits.
//!
//! A [`JobWatch`] holds one of the user's stream permits (at most
//! `events_max_sockets_per_user` open per user in a process), checks the
//! credential again every `events_recheck_s` seconds and ends, saying why,
//! when the key is revoked or expired or the account disabled, when an
//! access token expires, when the server shuts down, or (watching one job)
//! after the job's final state.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use tokio::sync::{broadcast, watch};

use super::{AuthService, ErrorKind, Principal, ServiceError};
use crate::config::Config;
use crate::model::{now_ms, rfc3339, JobEvent, JobStatus};

/// Open streams per user id in this process. Process-wide rather than per
/// server: user ids are unique, so servers sharing a process (tests) do not
/// count each other's users.
static OPEN_STREAMS: LazyLock<Mutex<HashMap<String, usize>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// One open stream of a user, counted while it lives.
#[derive(Debug)]
struct StreamPermit {
    user_id: String,
}

impl StreamPermit {
    /// A permit unless the user already has `max` streams open.
    fn take(user_id: &str, max: usize) -> Option<StreamPermit> {
        let mut open = OPEN_STREAMS.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(user_id.to_string()).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(StreamPermit { user_id: user_id.to_string() })
    }
}

impl Drop for StreamPermit {
    fn drop(&mut self) {
        let mut open = OPEN_STREAMS.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.user_id) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.user_id);
            }
        }
    }
}

/// What a watch follows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WatchTarget {
    /// Every job of the caller.
    Owner,
    /// One job, whose status when the watch opened is delivered first.
    Job { id: String, status: JobStatus },
}

/// One thing a watch delivers.
#[derive(Clone, Debug, PartialEq)]
pub enum WatchItem {
    /// A status change.
    Event(JobEvent),
    /// The watcher fell behind and this many events were dropped (re-read the jobs).
    Lagged(u64),
}

/// Why a watch ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WatchEnd {
    /// The credential no longer holds (revoked, expired, account disabled).
    Refused(String),
    /// The access token expired.
    Expired,
    /// The server is shutting down.
    Shutdown,
    /// The watched job reached its final state (delivered just before).
    Finished,
}

impl WatchEnd {
    /// A message for the client.
    pub fn reason(&self) -> &str {
        match self {
            WatchEnd::Refused(reason) => reason,
            WatchEnd::Expired => "access token expired",
            WatchEnd::Shutdown => "server shutting down",
            WatchEnd::Finished => "the job ended",
        }
    }
}

/// A live stream of job status changes; see the module documentation.
pub struct JobWatch {
    user_id: String,
    target: WatchTarget,
    /// The current status of a watched job, not yet delivered.
    pending: Option<JobEvent>,
    last: Option<JobStatus>,
    token: String,
    auth: Arc<AuthService>,
    rx: broadcast::Receiver<JobEvent>,
    shutdown: watch::Receiver<bool>,
    recheck: tokio::time::Interval,
    expiry: Pin<Box<tokio::time::Sleep>>,
    ended: bool,
    _permit: StreamPermit,
}

impl std::fmt::Debug for JobWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobWatch")
            .field("user_id", &self.user_id)
            .field("target", &self.target)
            .finish()
    }
}

impl JobWatch {
    /// Opens a watch with an already-subscribed receiver (subscribe before
    /// reading the job's status, so no change in between is missed);
    /// `too_many_streams` (exhausted) when the user has the most open.
    pub(crate) fn open(
        principal: &Principal,
        bearer: &str,
        target: WatchTarget,
        rx: broadcast::Receiver<JobEvent>,
        auth: Arc<AuthService>,
        config: &Config,
        shutdown: watch::Receiver<bool>,
    ) -> Result<JobWatch, ServiceError> {
        let max = config.events_max_sockets_per_user;
        let permit = StreamPermit::take(&principal.user.id, max).ok_or_else(|| {
            ServiceError::new(
                ErrorKind::Exhausted,
                "too_many_streams",
                format!("at most {max} event streams per user may be open; close one first"),
            )
        })?;
        let every = Duration::from_secs(config.events_recheck_s.max(1));
        let start = tokio::time::Instant::now();
        let mut recheck = tokio::time::interval_at(start + every, every);
        recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Far in the future for keys: only the re-check ends those.
        let left_ms = auth
            .access_token_expiry(bearer)
            .map_or(i64::MAX / 4, |exp| exp.saturating_mul(1000) - now_ms())
            .max(0);
        let expiry = Box::pin(tokio::time::sleep(Duration::from_millis(left_ms.unsigned_abs())));
        let pending = match &target {
            WatchTarget::Job { id, status } => Some(JobEvent {
                job_id: id.clone(),
                user_id: principal.user.id.clone(),
                status: *status,
                at: rfc3339(now_ms()),
                message: None,
            }),
            WatchTarget::Owner => None,
        };
        Ok(JobWatch {
            user_id: principal.user.id.clone(),
            target,
            pending,
            last: None,
            token: bearer.to_string(),
            auth,
            rx,
            shutdown,
            recheck,
            expiry,
            ended: false,
            _permit: permit,
        })
    }

    /// Why the stream must close now (`None`: the credential still holds,
    /// or the check could not be made, which is no reason to drop a client).
    async fn refused(&self) -> Option<String> {
        match self.auth.authenticate(&self.token).await {
            Ok(p) if p.user.id == self.user_id => None,
            Ok(_) => Some("the credential changed owner".into()),
            Err(e) if matches!(e.kind, ErrorKind::Unauthenticated | ErrorKind::Forbidden) => {
                Some(e.message)
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not re-check an event stream's credential");
                None
            }
        }
    }

    /// Whether an event is for this watch, and not a repeat of the last status.
    fn wants(&mut self, ev: &JobEvent) -> bool {
        if ev.user_id != self.user_id {
            return false;
        }
        match &self.target {
            WatchTarget::Owner => true,
            WatchTarget::Job { id, .. } => {
                if *id != ev.job_id || self.last == Some(ev.status) {
                    return false;
                }
                self.last = Some(ev.status);
                true
            }
        }
    }

    fn deliver(&mut self, ev: JobEvent) -> Result<WatchItem, WatchEnd> {
        if matches!(self.target, WatchTarget::Job { .. }) && ev.status.is_terminal() {
            // The final state is delivered; the next call ends the watch.
            self.ended = true;
        }
        Ok(WatchItem::Event(ev))
    }

    /// The next update, or why the watch ended (every later call answers
    /// the same end). Cancel-safe: it may be raced against other futures.
    pub async fn next(&mut self) -> Result<WatchItem, WatchEnd> {
        if self.ended {
            return Err(WatchEnd::Finished);
        }
        if let Some(ev) = self.pending.take() {
            self.last = Some(ev.status);
            return self.deliver(ev);
        }
        loop {
            if *self.shutdown.borrow() {
                return Err(WatchEnd::Shutdown);
            }
            tokio::select! {
                ev = self.rx.recv() => match ev {
                    Ok(ev) => {
                        if self.wants(&ev) {
                            return self.deliver(ev);
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(n)) => return Ok(WatchItem::Lagged(n)),
                    Err(broadcast::error::RecvError::Closed) => return Err(WatchEnd::Shutdown),
                },
                _ = self.recheck.tick() => {
                    if let Some(reason) = self.refused().await {
                        tracing::info!(user_id = %self.user_id, %reason, "closing an event stream");
                        return Err(WatchEnd::Refused(reason));
                    }
                }
                () = &mut self.expiry => return Err(WatchEnd::Expired),
                changed = self.shutdown.changed() => {
                    if changed.is_err() {
                        return Err(WatchEnd::Shutdown);
                    }
                }
            }
        }
    }

    /// The watch as a stream that ends after its first `Err`.
    pub fn into_stream(
        self,
    ) -> impl futures_util::Stream<Item = Result<WatchItem, WatchEnd>> + Send + 'static {
        futures_util::stream::unfold(Some(self), |state| async move {
            let mut watch = state?;
            match watch.next().await {
                Ok(item) => Some((Ok(item), Some(watch))),
                Err(end) => Some((Err(end), None)),
            }
        })
    }
}
