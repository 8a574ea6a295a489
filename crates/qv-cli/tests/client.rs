//! The client commands (`qv login|logout|submit|jobs|result|cancel`) against
//! a real `qv serve` process on port 0 over a fresh SQLite data directory,
//! with the session file in a temporary `XDG_CONFIG_HOME`.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

mod support;

use support::{qv_command, slow_circuit, QvProc, BELL};

const PASSWORD: &str = "correct horse battery staple";

/// A `qv serve` process over a fresh data directory.
struct Server {
    _proc: QvProc,
    base: String,
    _data: tempfile::TempDir,
}

impl Server {
    fn start() -> Server {
        let data = tempfile::tempdir().unwrap();
        let mut cmd = qv_command();
        cmd.args(["serve", "--port", "0", "--workers", "1", "--data-dir"]).arg(data.path());
        let (proc, base) = QvProc::serve(cmd);
        Server { _proc: proc, base, _data: data }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// A user's workspace: a config home (for the session file) and files.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        Home { dir: tempfile::tempdir().unwrap() }
    }

    fn credentials(&self) -> PathBuf {
        self.dir.path().join("config/qv/credentials.json")
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// `qv ARGS` with this home, no inherited server or key, `stdin` piped in.
    fn qv_with(&self, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_qv"));
        cmd.args(args)
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("HOME", self.dir.path())
            .env_remove("QV_SERVER")
            .env_remove("QV_API_KEY")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }

    fn qv(&self, args: &[&str]) -> Output {
        self.qv_with(args, &[], "")
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[track_caller]
fn ok(o: &Output) -> String {
    assert!(o.status.success(), "failed ({:?}): {}{}", o.status, stdout(o), stderr(o));
    stdout(o)
}

#[track_caller]
fn fails(o: &Output, code: i32, needle: &str) {
    assert_eq!(o.status.code(), Some(code), "stdout: {}\nstderr: {}", stdout(o), stderr(o));
    assert!(stderr(o).contains(needle), "`{needle}` not in stderr: {}", stderr(o));
}

/// One HTTP call for setup (register, API keys, MFA): status and JSON body.
fn call(method: &str, url: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let mut req = reqwest::Client::new().request(method.parse().unwrap(), url);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    })
}

fn register(server: &Server, username: &str) {
    let (status, body) = call(
        "POST",
        &server.url("/api/v1/auth/register"),
        None,
        Some(
            json!({"email": format!("{username}@example.com"), "username": username, "password": PASSWORD}),
        ),
    );
    assert_eq!(status, 201, "{body}");
}

fn access_token(server: &Server, username: &str) -> String {
    let (status, body) = call(
        "POST",
        &server.url("/api/v1/auth/login"),
        None,
        Some(json!({"username": username, "password": PASSWORD})),
    );
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_string()
}

fn login(home: &Home, server: &Server, username: &str) {
    let o = home.qv_with(
        &["login", "--server", &server.base, "--username", username, "--password-stdin"],
        &[],
        &format!("{PASSWORD}\n"),
    );
    assert_eq!(ok(&o).trim(), format!("logged in to {} as {username}", server.base));
}

fn read_session(home: &Home) -> Value {
    serde_json::from_str(&std::fs::read_to_string(home.credentials()).unwrap()).unwrap()
}

/// Counts rows of a counts table (`outcome  count  probability  bar`).
fn table_counts(text: &str) -> Vec<(String, u64)> {
    let mut lines = text.lines().skip_while(|l| !l.starts_with("outcome"));
    lines.next();
    lines
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            Some((f.next()?.to_string(), f.next()?.parse().ok()?))
        })
        .collect()
}

#[test]
fn login_submit_wait_jobs_result_cancel_logout() {
    let server = Server::start();
    register(&server, "ada");
    let home = Home::new();
    login(&home, &server, "ada");

    // The session file: private, bound to the server.
    let session = read_session(&home);
    assert_eq!(session["server"], server.base.as_str());
    assert!(session["refresh_token"].as_str().is_some_and(|t| !t.is_empty()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(home.credentials()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // Submit and wait: live progress on stderr, the counts table on stdout.
    // No --server: the saved session names it.
    let bell = home.file("bell.qasm", BELL);
    let bell = bell.to_str().unwrap();
    let o = home.qv(&["submit", bell, "--shots", "100", "--name", "bell", "--tag", "t1", "--wait"]);
    let out = ok(&o);
    let err = stderr(&o);
    assert!(err.contains("submitted job "), "{err}");
    assert!(err.contains(": COMPLETED"), "{err}");
    assert!(!err.contains("live events unavailable"), "the WebSocket was not used: {err}");
    assert!(out.starts_with("100 shots, seed "), "{out}");
    let counts = table_counts(&out);
    assert!(!counts.is_empty(), "{out}");
    assert!(counts.iter().all(|(k, _)| k == "00" || k == "11"), "{out}");
    assert_eq!(counts.iter().map(|(_, n)| n).sum::<u64>(), 100, "{out}");

    // --json with --wait prints the result JSON, reproducible by seed.
    let o = home.qv(&["submit", bell, "--shots", "50", "--seed", "11", "--wait", "--json"]);
    let result: Value = serde_json::from_str(ok(&o).trim()).unwrap();
    let counts = result["counts"].as_object().unwrap();
    assert!(counts.keys().all(|k| k == "00" || k == "11"), "{result}");
    assert_eq!(counts.values().map(|v| v.as_u64().unwrap()).sum::<u64>(), 50);
    assert_eq!(result["metadata"]["seed"], 11);
    let waited_id = result["job_id"].as_str().unwrap().to_string();

    // Without --wait: the id alone on stdout, for scripts.
    let o = home.qv(&["submit", bell, "--shots", "10", "--idempotency-key", "k-1"]);
    let id = ok(&o).trim().to_string();
    assert!(!id.is_empty() && !id.contains(char::is_whitespace), "{id}");
    assert!(stderr(&o).contains(&format!("qv result {id}")), "{}", stderr(&o));
    // The same idempotency key gives the same job.
    let o = home.qv(&["submit", bell, "--shots", "10", "--idempotency-key", "k-1", "--json"]);
    let again: Value = serde_json::from_str(ok(&o).trim()).unwrap();
    assert_eq!(again["id"], id.as_str());

    // qv jobs: every job in the table, newest first; filters; JSON.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let o = home.qv(&["jobs", "--status", "completed", "--json"]);
        let v: Value = serde_json::from_str(ok(&o).trim()).unwrap();
        if v["jobs"].as_array().unwrap().len() == 3 {
            break;
        }
        assert!(Instant::now() < deadline, "jobs did not complete: {v}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let table = ok(&home.qv(&["jobs"]));
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("id") && lines[0].ends_with("time"), "{table}");
    assert_eq!(lines.len(), 4, "{table}");
    assert!(lines[1].starts_with(&id), "newest first: {table}");
    assert!(table.contains(&waited_id), "{table}");
    assert!(lines.iter().any(|l| l.contains(" bell ") && l.contains("COMPLETED")), "{table}");
    let tagged = ok(&home.qv(&["jobs", "--tag", "t1", "--json"]));
    let tagged: Value = serde_json::from_str(tagged.trim()).unwrap();
    assert_eq!(tagged["jobs"].as_array().unwrap().len(), 1, "{tagged}");
    // Pagination: one per page, all pages.
    let o = home.qv(&["jobs", "--limit", "1"]);
    assert_eq!(ok(&o).lines().count(), 2);
    assert!(stderr(&o).contains("--all-pages"), "{}", stderr(&o));
    let all: Value = serde_json::from_str(
        ok(&home.qv(&["jobs", "--limit", "1", "--all-pages", "--json"])).trim(),
    )
    .unwrap();
    assert_eq!(all["jobs"].as_array().unwrap().len(), 3, "{all}");
    assert!(all["next_cursor"].is_null());

    // qv result: table and JSON.
    let out = ok(&home.qv(&["result", &waited_id]));
    assert!(out.starts_with("50 shots, seed 11, 2 qubits, 2 classical bits"), "{out}");
    assert_eq!(table_counts(&out).iter().map(|(_, n)| n).sum::<u64>(), 50);
    let v: Value =
        serde_json::from_str(ok(&home.qv(&["result", &waited_id, "--json"])).trim()).unwrap();
    assert_eq!(v, result);

    // Cancelling a finished job is a conflict, reported with status and code.
    fails(&home.qv(&["cancel", &waited_id]), 2, "(HTTP 409 ");

    // Cancel a queued job (one worker, busy with a slow job).
    let slow = home.file("slow.qasm", &slow_circuit(20, 60));
    let slow = slow.to_str().unwrap();
    let first = ok(&home.qv(&["submit", slow, "--shots", "1", "--backend", "statevector"]));
    let second = ok(&home.qv(&["submit", slow, "--shots", "1", "--backend", "statevector"]));
    let out = ok(&home.qv(&["cancel", second.trim()]));
    assert!(out.starts_with(&format!("job {}: CANCEL", second.trim())), "{out}");
    let out = ok(&home.qv(&["cancel", first.trim()]));
    assert!(out.contains("CANCEL"), "{out}");
    fails(&home.qv(&["result", second.trim()]), 2, "(HTTP 409 ");

    // Logout revokes the session and deletes the file.
    let refresh = read_session(&home)["refresh_token"].as_str().unwrap().to_string();
    assert_eq!(ok(&home.qv(&["logout"])).trim(), format!("logged out of {}", server.base));
    assert!(!home.credentials().exists());
    let (status, _) = call(
        "POST",
        &server.url("/api/v1/auth/refresh"),
        None,
        Some(json!({"refresh_token": refresh})),
    );
    assert_eq!(status, 401, "the refresh token still works after logout");
    fails(&home.qv(&["jobs", "--server", &server.base]), 2, "not logged in to");
    assert_eq!(ok(&home.qv(&["logout"])).trim(), "not logged in");
}

#[test]
fn expired_access_token_is_refreshed_and_the_pair_saved() {
    let server = Server::start();
    register(&server, "bob");
    let home = Home::new();
    login(&home, &server, "bob");
    let before = read_session(&home);

    // A rejected access token (as an expired one is): refreshed after the 401.
    let mut s = before.clone();
    s["access_token"] = json!("not-a-valid-token");
    s["access_expires_at_ms"] = json!(0);
    std::fs::write(home.credentials(), s.to_string()).unwrap();
    let out = ok(&home.qv(&["jobs"]));
    assert_eq!(out.trim(), "no jobs");
    let after = read_session(&home);
    assert_ne!(after["refresh_token"], before["refresh_token"], "the pair was not rotated");
    assert_ne!(after["access_token"], json!("not-a-valid-token"));

    // An access token known to have expired is refreshed before the request.
    let mut s = after.clone();
    s["access_expires_at_ms"] = json!(1);
    std::fs::write(home.credentials(), s.to_string()).unwrap();
    ok(&home.qv(&["jobs"]));
    let third = read_session(&home);
    assert_ne!(third["refresh_token"], after["refresh_token"]);
    assert!(third["access_expires_at_ms"].as_i64().unwrap() > 1);

    // A revoked refresh token: the user is told to log in again.
    let mut s = third.clone();
    s["access_token"] = json!("x");
    s["refresh_token"] = before["refresh_token"].clone();
    std::fs::write(home.credentials(), s.to_string()).unwrap();
    fails(&home.qv(&["jobs"]), 2, "has expired: run `qv login");
}

#[test]
fn api_keys_work_without_a_login() {
    let server = Server::start();
    register(&server, "carol");
    let token = access_token(&server, "carol");
    let make_key = |scopes: Value| {
        let (status, body) = call(
            "POST",
            &server.url("/api/v1/api-keys"),
            Some(&token),
            Some(json!({"name": "ci", "scopes": scopes})),
        );
        assert_eq!(status, 201, "{body}");
        body["key"].as_str().unwrap().to_string()
    };
    let key = make_key(json!(["jobs:read", "jobs:write"]));
    let read_only = make_key(json!(["jobs:read"]));
    let home = Home::new();
    let bell = home.file("bell.qasm", BELL);
    let bell = bell.to_str().unwrap();

    // QV_SERVER + QV_API_KEY from the environment.
    let env = [("QV_SERVER", server.base.as_str()), ("QV_API_KEY", key.as_str())];
    let o = home.qv_with(&["submit", bell, "--shots", "20", "--wait"], &env, "");
    let out = ok(&o);
    let counts = table_counts(&out);
    assert!(counts.iter().all(|(k, _)| k == "00" || k == "11"), "{out}");
    assert!(!home.credentials().exists(), "an API key must not create a session file");

    // --api-key on the command line; scopes are enforced by the server.
    let o = home.qv(&["submit", bell, "--server", &server.base, "--api-key", &read_only]);
    fails(&o, 2, "(HTTP 403 ");
    let o = home.qv(&["jobs", "--server", &server.base, "--api-key", &read_only]);
    assert_eq!(ok(&o).lines().count(), 2);
    // A wrong key: 401 with a hint.
    let o = home.qv(&["jobs", "--server", &server.base, "--api-key", "qv_nonsense"]);
    fails(&o, 2, "(HTTP 401 ");
    assert!(stderr(&o).contains("check the API key"), "{}", stderr(&o));
}

#[test]
fn errors_are_clear_and_exit_codes_right() {
    let server = Server::start();
    register(&server, "dave");
    let home = Home::new();

    // Wrong password: the server's message with status and code.
    let o = home.qv_with(
        &["login", "--server", &server.base, "--username", "dave", "--password-stdin"],
        &[],
        "wrong password!\n",
    );
    fails(&o, 2, "(HTTP 401 invalid_credentials)");
    assert!(!home.credentials().exists());

    login(&home, &server, "dave");
    // A parse error names the file, line and column.
    let bad = home.file("bad.qasm", "OPENQASM 2.0;\nqreg q[2];\nfoo q[0];\n");
    let o = home.qv(&["submit", bad.to_str().unwrap()]);
    fails(&o, 2, "bad.qasm: line 3");
    assert!(stderr(&o).contains("(HTTP 400 parse_error)"), "{}", stderr(&o));
    // Unknown job: 404.
    let o = home.qv(&["result", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"]);
    fails(&o, 2, "(HTTP 404 not_found)");
    // Not an id at all: refused before any request.
    fails(&home.qv(&["cancel", "../auth/logout"]), 2, "is not a job id");
    // A missing file.
    fails(&home.qv(&["submit", "/nonexistent/x.qasm"]), 2, "cannot read /nonexistent/x.qasm");

    // No server: exit 1 and the hint.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let nowhere = format!("http://127.0.0.1:{port}");
    let o = home.qv(&["jobs", "--server", &nowhere, "--api-key", "qv_x"]);
    fails(&o, 1, &format!("cannot reach the server at {nowhere}: is `qv serve` running?"));
    // A saved session is never sent to another server.
    fails(&home.qv(&["jobs", "--server", &nowhere]), 2, "not logged in to");
    // A bad URL.
    fails(&home.qv(&["jobs", "--server", "ftp://x"]), 2, "invalid server URL");
}

#[test]
fn two_factor_login_needs_the_code() {
    let server = Server::start();
    register(&server, "erin");
    let token = access_token(&server, "erin");
    let (status, enroll) = call("POST", &server.url("/api/v1/mfa/totp/enroll"), Some(&token), None);
    assert_eq!(status, 200, "{enroll}");
    let secret = base32_decode(enroll["secret"].as_str().unwrap());
    let code = |offset: i64| {
        let now =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
                as i64;
        let step = qv_server::auth::totp::step_at(now) + offset;
        format!("{:06}", qv_server::auth::totp::code_at(&secret, step))
    };
    let (status, body) = call(
        "POST",
        &server.url("/api/v1/mfa/totp/verify"),
        Some(&token),
        Some(json!({"code": code(0)})),
    );
    assert_eq!(status, 200, "{body}");

    let home = Home::new();
    let args = ["login", "--server", &server.base, "--username", "erin", "--password-stdin"];
    fails(&home.qv_with(&args, &[], &format!("{PASSWORD}\n")), 2, "pass --totp CODE");
    assert!(!home.credentials().exists());
    // The verify step used the current code; a replay is blocked, so use the next one
    // if the server accepts a window, else wait for it.
    let mut with_code: Vec<&str> = args.to_vec();
    let next = code(1);
    with_code.extend(["--totp", &next]);
    let mut o = home.qv_with(&with_code, &[], &format!("{PASSWORD}\n"));
    if !o.status.success() {
        std::thread::sleep(Duration::from_secs(31));
        let now = code(0);
        let mut retry: Vec<&str> = args.to_vec();
        retry.extend(["--totp", &now]);
        o = home.qv_with(&retry, &[], &format!("{PASSWORD}\n"));
    }
    ok(&o);
    assert!(home.credentials().exists());
}

#[test]
fn ctrl_c_while_waiting_leaves_the_job_running() {
    let server = Server::start();
    register(&server, "fay");
    let home = Home::new();
    login(&home, &server, "fay");
    let slow = home.file("slow.qasm", &slow_circuit(20, 60));
    let mut child = Command::new(env!("CARGO_BIN_EXE_qv"))
        .args([
            "submit",
            slow.to_str().unwrap(),
            "--shots",
            "1",
            "--backend",
            "statevector",
            "--wait",
        ])
        .env("XDG_CONFIG_HOME", home.dir.path().join("config"))
        .env_remove("QV_SERVER")
        .env_remove("QV_API_KEY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let mut id = String::new();
    while err.read_line(&mut line).unwrap() > 0 {
        if let Some(rest) = line.trim().strip_prefix("submitted job ") {
            id = rest.split_whitespace().next().unwrap().to_string();
            break;
        }
        line.clear();
    }
    assert!(!id.is_empty(), "no `submitted job` line");
    let ok_kill = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(ok_kill.success());
    let mut rest = String::new();
    err.read_to_string(&mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{rest}");
    assert!(rest.contains(&format!("qv cancel {id}")), "{rest}");
    // The job was left alone.
    let o = home.qv(&["jobs", "--json"]);
    let v: Value = serde_json::from_str(ok(&o).trim()).unwrap();
    let st = v["jobs"][0]["status"].as_str().unwrap().to_string();
    assert!(st == "QUEUED" || st == "RUNNING" || st == "COMPLETED", "{st}");
    if st != "COMPLETED" {
        // Not to leave the worker busy; it may just have finished (409).
        let o = home.qv(&["cancel", &id]);
        assert!(o.status.success() || stderr(&o).contains("(HTTP 409 "), "{}", stderr(&o));
    }
}

/// RFC 4648 base32 (no padding), as TOTP secrets are written.
fn base32_decode(s: &str) -> Vec<u8> {
    let mut bits: u64 = 0;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.trim_end_matches('=').chars() {
        let v = match c {
            'A'..='Z' => c as u64 - 'A' as u64,
            'a'..='z' => c as u64 - 'a' as u64,
            '2'..='7' => c as u64 - '2' as u64 + 26,
            _ => panic!("not base32: {s}"),
        };
        bits = (bits << 5) | v;
        n += 5;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    out
}
