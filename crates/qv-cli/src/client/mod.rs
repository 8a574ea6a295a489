//! Client commands against a `qv serve` server: login, logout, submit, jobs,
//! result, cancel.
//!
//! [`config`] resolves the server and credentials and keeps the session
//! file, [`http`] sends requests (refreshing the session's access token) and
//! turns API errors into `error: <message> (HTTP 409 conflict)`, [`wait`]
//! follows a job over the events WebSocket (polling as a fallback), and
//! [`format`] prints tables. With `--json` the server's JSON is printed as
//! received, one line.

mod config;
mod format;
mod http;
mod wait;

use std::future::Future;
use std::io::{BufRead, IsTerminal};

use clap::Args;
use qv_server::model::{JobResult, JobStatus};
use qv_server::service::jobs::{
    JobList, JobView, ProgramInput, SubmitJobRequest, SubmitJobResponse,
};
use reqwest::{Method, StatusCode};
use serde_json::json;

use self::config::Credentials;
use self::http::{Api, ApiFailure};
use crate::error::CliError;
use crate::output::Out;

/// Where to connect and as whom (shared by the commands that need a login).
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// Server URL [default: QV_SERVER, else the server of `qv login`, else http://127.0.0.1:8080].
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// API key (`qv_...`) to use instead of the saved login [default: QV_API_KEY].
    #[arg(long, value_name = "KEY")]
    pub api_key: Option<String>,
}

/// Options of `qv login`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Server URL [default: QV_SERVER, else the server of the last login, else http://127.0.0.1:8080].
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// Your username.
    #[arg(short, long)]
    pub username: String,
    /// Read the password from the first line of standard input (for scripts).
    #[arg(long)]
    pub password_stdin: bool,
    /// The current code of your authenticator app, or a recovery code (accounts with two-factor authentication).
    #[arg(long, value_name = "CODE")]
    pub totp: Option<String>,
}

/// Options of `qv logout`.
#[derive(Debug, Args)]
pub struct LogoutArgs {}

/// Options of `qv submit`.
#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// OpenQASM 2.0 file to submit; `-` reads standard input.
    #[arg(value_name = "FILE")]
    pub file: String,
    /// Number of shots [server default: 1024].
    #[arg(short, long, value_parser = clap::value_parser!(u64).range(1..))]
    pub shots: Option<u64>,
    /// Simulator (`auto`, `statevector`, `stabilizer`, `density_matrix`, `trajectories`, `reference`) [default: auto].
    #[arg(long)]
    pub backend: Option<String>,
    /// Priority from 0 to 9; higher runs first [server default: 5].
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=9))]
    pub priority: Option<u8>,
    /// A name for the job.
    #[arg(long)]
    pub name: Option<String>,
    /// A tag (repeat for several).
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Submitting again with the same key returns the first job instead of a new one.
    #[arg(long, value_name = "KEY")]
    pub idempotency_key: Option<String>,
    /// Seed of the shots; the same seed reproduces the counts.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Follow the job live and print its result when it completes.
    #[arg(long)]
    pub wait: bool,
    /// Print JSON: the submission answer, or with --wait the result.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub conn: ServerArgs,
}

/// Options of `qv jobs`.
#[derive(Debug, Args)]
pub struct JobsArgs {
    /// Only jobs in this state (queued, running, cancelling, completed, failed, cancelled).
    #[arg(long, value_name = "STATUS")]
    pub status: Option<String>,
    /// Only jobs with this tag.
    #[arg(long, value_name = "TAG")]
    pub tag: Option<String>,
    /// Jobs per page, newest first (1-200).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=200))]
    pub limit: u32,
    /// Fetch every page, not just the first.
    #[arg(long)]
    pub all_pages: bool,
    /// Print JSON: `{"jobs": [...], "next_cursor"}`.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub conn: ServerArgs,
}

/// Options of `qv result`.
#[derive(Debug, Args)]
pub struct ResultArgs {
    /// The job id (as `qv submit` printed it).
    #[arg(value_name = "ID")]
    pub id: String,
    /// Print the result JSON as the server sends it.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub conn: ServerArgs,
}

/// Options of `qv cancel`.
#[derive(Debug, Args)]
pub struct CancelArgs {
    /// The job id.
    #[arg(value_name = "ID")]
    pub id: String,
    /// Print the job JSON as the server sends it.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub conn: ServerArgs,
}

/// Runs an async command on a small runtime.
fn block_on<F: Future<Output = Result<(), CliError>>>(f: F) -> Result<(), CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Internal(format!("cannot start the async runtime: {e}")))?
        .block_on(f)
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The message of an error, for notes that are not the command's failure.
fn message(e: &CliError) -> String {
    match e {
        CliError::Input(m) | CliError::Internal(m) => m.clone(),
        CliError::BrokenPipe => "broken pipe".into(),
    }
}

/// A client from the flags, the environment and the saved session.
fn connect(args: &ServerArgs) -> Result<Api, CliError> {
    let key = args.api_key.clone().or_else(|| env("QV_API_KEY"));
    let path = config::credentials_path();
    let session = match &path {
        Ok(p) => match config::load_session(p) {
            Ok(s) => s,
            // A broken session file does not matter when an API key is given.
            Err(_) if key.is_some() => None,
            Err(e) => return Err(e),
        },
        Err(_) if key.is_some() => None,
        Err(e) => return Err(CliError::Input(message(e))),
    };
    let server = config::resolve_server(
        args.server.as_deref(),
        env("QV_SERVER").as_deref(),
        session.as_ref(),
    )?;
    let creds = config::resolve_credentials(key.as_deref(), None, session, &server);
    Api::new(server, creds, path.ok())
}

/// A job id goes into a URL path: refuse anything that could change the path.
fn check_id(id: &str) -> Result<&str, CliError> {
    let ok = !id.is_empty()
        && id.len() <= 128
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(id)
    } else {
        Err(CliError::Input(format!("`{id}` is not a job id (see `qv jobs`)")))
    }
}

/// Reads one line (the password) from standard input, without its newline.
fn read_stdin_line(what: &str) -> Result<String, CliError> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::Input(format!("cannot read the {what} from standard input: {e}")))?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

/// Runs `qv login`.
pub fn login(args: &LoginArgs) -> Result<(), CliError> {
    let path = config::credentials_path()?;
    let previous = config::load_session(&path).unwrap_or(None);
    let server = config::resolve_server(
        args.server.as_deref(),
        env("QV_SERVER").as_deref(),
        previous.as_ref(),
    )?;
    let interactive = !args.password_stdin && std::io::stdin().is_terminal();
    let password = if interactive {
        rpassword::prompt_password(format!("Password for {} on {server}: ", args.username))
            .map_err(|e| CliError::Input(format!("cannot read the password: {e}")))?
    } else {
        read_stdin_line("password")?
    };
    if password.is_empty() {
        return Err(CliError::Input("the password is empty".into()));
    }
    block_on(async {
        let api = Api::new(server.clone(), Credentials::None, None)?;
        let mut body = json!({ "username": args.username, "password": password });
        if let Some(code) = &args.totp {
            body["totp"] = json!(code.trim());
        }
        let mut answer = api.send_anonymous(Method::POST, "/auth/login", Some(&body)).await;
        if answer.as_ref().err().and_then(ApiFailure::code) == Some("mfa_required") {
            if args.totp.is_some() || !interactive {
                return Err(CliError::Input(
                    "this account uses two-factor authentication: pass --totp CODE (the code of \
                     your authenticator app, or a recovery code)"
                        .into(),
                ));
            }
            eprint!("Authentication code: ");
            let code = read_stdin_line("authentication code")?;
            body["totp"] = json!(code.trim());
            answer = api.send_anonymous(Method::POST, "/auth/login", Some(&body)).await;
        }
        let (_, text) = answer?;
        let tokens = http::parse_tokens(&text, &server)?;
        let session = http::session_from(&server, &args.username, tokens);
        config::save_session(&path, &session)?;
        if let Some(p) = previous.filter(|p| p.server != server) {
            eprintln!("(this replaces the saved login on {})", p.server);
        }
        let mut out = Out::stdout();
        out.line(&format!("logged in to {server} as {}", args.username))?;
        out.finish()
    })
}

/// Runs `qv logout`: revokes the session on the server and deletes the file.
pub fn logout(args: &LogoutArgs) -> Result<(), CliError> {
    let LogoutArgs {} = args;
    let path = config::credentials_path()?;
    // A corrupt file is still deleted: that is what the user asked for.
    let session = config::load_session(&path).unwrap_or(None);
    let mut out = Out::stdout();
    let Some(session) = session else {
        config::delete_session(&path)?;
        out.line("not logged in")?;
        return out.finish();
    };
    block_on(async {
        let api = Api::new(session.server.clone(), Credentials::None, None)?;
        let body = json!({ "refresh_token": session.refresh_token });
        match api.send_anonymous(Method::POST, "/auth/logout", Some(&body)).await {
            Ok(_) | Err(ApiFailure::Status { status: StatusCode::UNAUTHORIZED, .. }) => {}
            Err(e) => eprintln!(
                "warning: the session could not be revoked on the server ({}); the saved login is \
                 deleted anyway",
                message(&e.into())
            ),
        }
        Ok(())
    })?;
    config::delete_session(&path)?;
    out.line(&format!("logged out of {}", session.server))?;
    out.finish()
}

/// The `POST /jobs` body.
fn submit_body(args: &SubmitArgs, source: String) -> SubmitJobRequest {
    SubmitJobRequest {
        program: ProgramInput { format: "qasm2".into(), source },
        shots: args.shots,
        backend: args.backend.clone(),
        priority: args.priority.map(i64::from),
        admin_priority: None,
        name: args.name.clone(),
        tags: (!args.tags.is_empty()).then(|| args.tags.clone()),
        idempotency_key: args.idempotency_key.clone(),
        seed: args.seed,
        memory: None,
        outputs: None,
        observables: None,
    }
}

/// Runs `qv submit`.
pub fn submit(args: &SubmitArgs) -> Result<(), CliError> {
    let source = if args.file == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .map_err(|e| CliError::Input(format!("cannot read standard input: {e}")))?;
        s
    } else {
        std::fs::read_to_string(&args.file)
            .map_err(|e| CliError::Input(format!("cannot read {}: {e}", args.file)))?
    };
    let body = serde_json::to_value(submit_body(args, source))
        .map_err(|e| CliError::Internal(format!("cannot encode the submission: {e}")))?;
    let mut api = connect(&args.conn)?;
    block_on(async move {
        // Subscribe before submitting so that no status change is missed.
        let events = if args.wait && api.bearer().is_some() {
            match wait::connect_events(&mut api).await {
                Ok(ws) => Some(ws),
                Err(e) => {
                    eprintln!("(live events unavailable: {e}; checking the job every few seconds)");
                    None
                }
            }
        } else {
            None
        };
        let (status, text) = match api.send(Method::POST, "/jobs", Some(&body)).await {
            Err(ApiFailure::Status { status, code, message }) if code == "parse_error" => {
                return Err(http::status_error(status, &code, &format!("{}: {message}", args.file)))
            }
            other => other?,
        };
        let answer: SubmitJobResponse = serde_json::from_str(&text).map_err(|e| {
            CliError::Internal(format!("the server sent a submission answer qv cannot read: {e}"))
        })?;
        let id = answer.id.clone();
        check_id(&id).map_err(|_| {
            CliError::Internal("the server's submission answer has no valid job id".into())
        })?;
        let existing =
            if status == StatusCode::OK { " (the job of this idempotency key)" } else { "" };
        let position =
            answer.queue_position.map(|p| format!(", queue position {p}")).unwrap_or_default();
        let status_text = answer.status.as_str();
        let mut out = Out::stdout();
        if !args.wait {
            if args.json {
                out.json(&answer)?;
            } else {
                out.line(&id)?;
                eprintln!("job {id}: {status_text}{position}{existing}; `qv result {id}` shows its result");
            }
            return out.finish();
        }
        // The handler is in place before the id is printed, so an interrupt
        // right after it still leaves the job running and says so.
        let interrupt = interrupted()
            .map_err(|e| CliError::Internal(format!("cannot watch for Ctrl-C: {e}")))?;
        eprintln!("submitted job {id}{existing}");
        let job = tokio::select! {
            job = wait::wait_for(&mut api, &id, events) => job?,
            () = interrupt => {
                eprintln!(
                    "\nstopped waiting; job {id} goes on running on the server. `qv result {id}` \
                     shows its result later, `qv cancel {id}` cancels it"
                );
                std::process::exit(130);
            }
        };
        finish_job(&mut api, &job, args.json, &mut out).await?;
        out.finish()
    })
}

/// Registers a Ctrl-C handler now and returns a future that completes on
/// Ctrl-C. (`tokio::signal::ctrl_c` registers only when first polled, which
/// leaves a window in which Ctrl-C still kills the process.)
fn interrupted() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        let mut signal = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
        Ok(async move {
            signal.recv().await;
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}

/// Prints a final job's result, or fails with why it has none.
async fn finish_job(
    api: &mut Api,
    job: &JobView,
    json: bool,
    out: &mut Out,
) -> Result<(), CliError> {
    match job.status {
        JobStatus::Completed => {
            let result: JobResult =
                api.json(Method::GET, &format!("/jobs/{}/result", job.id), None).await?;
            if json {
                out.json(&result)
            } else {
                out.text(&format::result_text(&result))
            }
        }
        JobStatus::Failed => Err(CliError::Internal(format!(
            "job {} failed: {}",
            job.id,
            job.error.as_deref().unwrap_or("no reason given")
        ))),
        _ => Err(CliError::Internal(format!("job {} was cancelled", job.id))),
    }
}

/// `/jobs?...` with the filters, URL-encoded.
fn jobs_path(args: &JobsArgs, cursor: Option<&str>) -> String {
    let mut url = reqwest::Url::parse("http://x/jobs").expect("static URL");
    {
        let mut q = url.query_pairs_mut();
        if let Some(s) = &args.status {
            q.append_pair("status", &s.to_ascii_uppercase());
        }
        if let Some(t) = &args.tag {
            q.append_pair("tag", t);
        }
        q.append_pair("limit", &args.limit.to_string());
        if let Some(c) = cursor {
            q.append_pair("cursor", c);
        }
    }
    format!("{}?{}", url.path(), url.query().unwrap_or_default())
}

/// Runs `qv jobs`.
pub fn jobs(args: &JobsArgs) -> Result<(), CliError> {
    let mut api = connect(&args.conn)?;
    block_on(async move {
        let mut all: Vec<JobView> = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page: JobList =
                api.json(Method::GET, &jobs_path(args, cursor.as_deref()), None).await?;
            all.extend(page.jobs);
            cursor = page.next_cursor.filter(|c| !c.is_empty());
            if !args.all_pages || cursor.is_none() {
                break;
            }
        }
        let mut out = Out::stdout();
        if args.json {
            out.json(&JobList { jobs: all, next_cursor: cursor })?;
            return out.finish();
        }
        if all.is_empty() {
            out.line("no jobs")?;
            return out.finish();
        }
        out.text(&format::jobs_table(&all))?;
        if cursor.is_some() {
            eprintln!("(more jobs: --all-pages lists them all)");
        }
        out.finish()
    })
}

/// Runs `qv result`.
pub fn result(args: &ResultArgs) -> Result<(), CliError> {
    let id = check_id(&args.id)?.to_string();
    let mut api = connect(&args.conn)?;
    block_on(async move {
        let result: JobResult = api.json(Method::GET, &format!("/jobs/{id}/result"), None).await?;
        let mut out = Out::stdout();
        if args.json {
            out.json(&result)?;
        } else {
            out.text(&format::result_text(&result))?;
        }
        out.finish()
    })
}

/// Runs `qv cancel`.
pub fn cancel(args: &CancelArgs) -> Result<(), CliError> {
    let id = check_id(&args.id)?.to_string();
    let mut api = connect(&args.conn)?;
    block_on(async move {
        let job: JobView = api.json(Method::POST, &format!("/jobs/{id}/cancel"), None).await?;
        let mut out = Out::stdout();
        if args.json {
            out.json(&job)?;
            return out.finish();
        }
        let mut line = format::job_line(&job);
        if job.status == JobStatus::Cancelling {
            line.push_str(" (the running simulation stops at its next checkpoint)");
        }
        out.line(&line)?;
        out.finish()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct T {
        #[command(subcommand)]
        c: C,
    }
    #[derive(Debug, clap::Subcommand)]
    enum C {
        Submit(SubmitArgs),
        Jobs(JobsArgs),
    }

    #[test]
    fn submit_body_has_only_what_was_given() {
        let t = T::parse_from(["qv", "submit", "bell.qasm"]);
        let C::Submit(a) = t.c else { panic!() };
        assert_eq!(
            serde_json::to_value(submit_body(&a, "src".into())).unwrap(),
            json!({"program": {"format": "qasm2", "source": "src"}})
        );
        let t = T::parse_from([
            "qv",
            "submit",
            "b.qasm",
            "--shots",
            "100",
            "--backend",
            "stabilizer",
            "--priority",
            "9",
            "--name",
            "n",
            "--tag",
            "a",
            "--tag",
            "b",
            "--idempotency-key",
            "k",
            "--seed",
            "7",
        ]);
        let C::Submit(a) = t.c else { panic!() };
        assert_eq!(
            serde_json::to_value(submit_body(&a, "s".into())).unwrap(),
            json!({"program": {"format": "qasm2", "source": "s"}, "shots": 100,
                   "backend": "stabilizer", "priority": 9, "name": "n", "tags": ["a", "b"],
                   "idempotency_key": "k", "seed": 7})
        );
        assert!(T::try_parse_from(["qv", "submit", "b", "--priority", "10"]).is_err());
    }

    #[test]
    fn jobs_query_is_encoded() {
        let t = T::parse_from(["qv", "jobs", "--status", "completed", "--tag", "a b&c"]);
        let C::Jobs(a) = t.c else { panic!() };
        assert_eq!(jobs_path(&a, None), "/jobs?status=COMPLETED&tag=a+b%26c&limit=50");
        assert_eq!(
            jobs_path(&a, Some("x/y")),
            "/jobs?status=COMPLETED&tag=a+b%26c&limit=50&cursor=x%2Fy"
        );
    }

    #[test]
    fn job_ids_cannot_change_the_path() {
        assert!(check_id("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b").is_ok());
        for bad in ["", "../admin", "a/b", "a?b", "a b"] {
            assert!(check_id(bad).is_err(), "{bad}");
        }
    }
}
