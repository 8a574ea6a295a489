//! Load generator for `qv serve` (run by `bench/server/run.sh`).
//!
//! Phase 1, throughput: subscribes to `GET /api/v1/events`, submits `--jobs`
//! Bell circuits (`--shots` each) from `--concurrency` HTTP connections, and
//! waits until every submitted job is COMPLETED (counted from the event
//! stream; jobs whose event did not arrive are checked with `GET /jobs/{id}`).
//! Reports jobs/s from the first submission to the last completion, the
//! submission rate, and submit latency percentiles.
//!
//! Phase 2, GET latency: `GET /jobs/{id}` at a fixed open-loop rate
//! (`--get-rate` per second for `--get-seconds`). Request i is due at
//! `t0 + i/rate` and is sent then whatever earlier requests are doing; its
//! latency is measured from that due time, so queueing anywhere (server,
//! connection pool, this process) counts (no coordinated omission).
//!
//! With `--server-pid` it also reports the CPU seconds the server and this
//! process used in each phase (both share the machine's cores), and the
//! load average.
//!
//! Usage: `loadgen --url http://127.0.0.1:PORT --api-key qv_... [--jobs 20000]
//! [--concurrency 32] [--shots 100] [--backend auto] [--get-rate 1000] [--get-seconds 15]
//! [--server-pid PID] [--skip-throughput] [--skip-get]`

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

const BELL: &str = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n";

#[derive(Debug, Clone)]
struct Opts {
    url: String,
    api_key: String,
    jobs: usize,
    concurrency: usize,
    shots: u64,
    backend: Option<String>,
    get_rate: f64,
    get_seconds: f64,
    server_pid: Option<u32>,
    throughput: bool,
    get: bool,
    timeout_s: u64,
}

fn usage(msg: &str) -> ! {
    eprintln!("loadgen: {msg}");
    eprintln!(
        "usage: loadgen --url URL --api-key KEY [--jobs N] [--concurrency C] [--shots S] \
         [--backend B] [--get-rate R] [--get-seconds T] [--server-pid PID] [--timeout-s T] [--skip-throughput] \
         [--skip-get]"
    );
    std::process::exit(2)
}

fn parse_opts() -> Opts {
    let mut o = Opts {
        url: String::new(),
        api_key: std::env::var("QV_API_KEY").unwrap_or_default(),
        jobs: 20_000,
        concurrency: 32,
        shots: 100,
        backend: None,
        get_rate: 1000.0,
        get_seconds: 15.0,
        server_pid: None,
        throughput: true,
        get: true,
        timeout_s: 600,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_else(|| usage(&format!("{a} needs a value")));
        fn num<T: std::str::FromStr>(a: &str, v: String) -> T {
            v.parse().unwrap_or_else(|_| usage(&format!("{a}: `{v}` is not a number")))
        }
        match a.as_str() {
            "--url" => o.url = val().trim_end_matches('/').to_string(),
            "--api-key" => o.api_key = val(),
            "--jobs" => o.jobs = num(&a, val()),
            "--concurrency" => o.concurrency = num::<usize>(&a, val()).max(1),
            "--shots" => o.shots = num(&a, val()),
            "--backend" => o.backend = Some(val()),
            "--get-rate" => o.get_rate = num(&a, val()),
            "--get-seconds" => o.get_seconds = num(&a, val()),
            "--server-pid" => o.server_pid = Some(num(&a, val())),
            "--timeout-s" => o.timeout_s = num(&a, val()),
            "--skip-throughput" => o.throughput = false,
            "--skip-get" => o.get = false,
            "-h" | "--help" => usage("load generator for qv serve"),
            other => usage(&format!("unknown option {other}")),
        }
    }
    if o.url.is_empty() || o.api_key.is_empty() {
        usage("--url and --api-key (or QV_API_KEY) are required");
    }
    if o.get_rate <= 0.0 || o.get_seconds <= 0.0 {
        usage("--get-rate and --get-seconds must be positive");
    }
    o
}

/// The value at quantile `q` of sorted microseconds, in milliseconds.
fn pct(sorted: &[u64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i] as f64 / 1000.0
}

/// CPU seconds (user + system) of a process, from /proc/PID/stat.
fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may contain spaces) in parentheses.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0) // USER_HZ is 100 on Linux.
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// CPU use of the server and of this process over a phase.
struct CpuMeter {
    server: Option<String>,
    start: (Option<f64>, Option<f64>),
    t: Instant,
}

impl CpuMeter {
    fn start(server_pid: Option<u32>) -> CpuMeter {
        let server = server_pid.map(|p| p.to_string());
        let start = (server.as_deref().and_then(cpu_seconds), cpu_seconds("self"));
        CpuMeter { server, start, t: Instant::now() }
    }

    fn report(&self, phase: &str) {
        let wall = self.t.elapsed().as_secs_f64();
        let srv =
            self.server.as_deref().and_then(cpu_seconds).zip(self.start.0).map(|(b, a)| b - a);
        let me = cpu_seconds("self").zip(self.start.1).map(|(b, a)| b - a);
        let cores = |c: Option<f64>| c.map_or("?".to_string(), |c| format!("{:.2}", c / wall));
        println!(
            "cpu[{phase}]: wall {wall:.2} s, server {} cores, loadgen {} cores, load average {}",
            cores(srv),
            cores(me),
            loadavg()
        );
    }
}

async fn throughput(o: &Opts, http: &reqwest::Client) -> Result<Option<String>, String> {
    // Subscribe first: every COMPLETED event from now on is recorded.
    let ws_url = format!("{}/api/v1/events", o.url.replacen("http://", "ws://", 1));
    let mut req = ws_url.into_client_request().map_err(|e| e.to_string())?;
    req.headers_mut().insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {}", o.api_key)).map_err(|e| e.to_string())?,
    );
    let (ws, _) = tokio_tungstenite::connect_async(req)
        .await
        .map_err(|e| format!("cannot open the events WebSocket: {e}"))?;
    let completed: Arc<Mutex<HashSet<String>>> = Arc::default();
    let failed = Arc::new(AtomicUsize::new(0));
    let last_event = Arc::new(Mutex::new(Instant::now()));
    let reader = {
        let (completed, failed, last_event) =
            (completed.clone(), failed.clone(), last_event.clone());
        tokio::spawn(async move {
            let mut ws = ws;
            while let Some(Ok(msg)) = ws.next().await {
                let Message::Text(text) = msg else { continue };
                let Ok(v) = serde_json::from_str::<Value>(&text) else { continue };
                match v["status"].as_str() {
                    Some("COMPLETED") => {
                        if let Some(id) = v["job_id"].as_str() {
                            completed.lock().unwrap().insert(id.to_string());
                            *last_event.lock().unwrap() = Instant::now();
                        }
                    }
                    Some("FAILED" | "CANCELLED") => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {}
                }
            }
        })
    };

    let mut body = json!({"program": {"format": "qasm2", "source": BELL}, "shots": o.shots});
    if let Some(b) = &o.backend {
        body["backend"] = json!(b);
    }
    let body = Arc::new(body);
    let next = Arc::new(AtomicUsize::new(0));
    let submitted: Arc<Mutex<Vec<String>>> = Arc::default();
    let errors = Arc::new(Mutex::new(Vec::<String>::new()));
    let t0 = Instant::now();
    let cpu = CpuMeter::start(o.server_pid);
    let mut tasks = Vec::new();
    for _ in 0..o.concurrency {
        let (http, body, next, submitted, errors) =
            (http.clone(), body.clone(), next.clone(), submitted.clone(), errors.clone());
        let (url, key, n) = (format!("{}/api/v1/jobs", o.url), o.api_key.clone(), o.jobs);
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < n {
                let t = Instant::now();
                let r = http.post(&url).bearer_auth(&key).json(&*body).send().await;
                let r = match r {
                    Ok(r) => r,
                    Err(e) => {
                        errors.lock().unwrap().push(e.to_string());
                        continue;
                    }
                };
                let status = r.status();
                let text = r.text().await.unwrap_or_default();
                lat.push(t.elapsed().as_micros() as u64);
                if status.as_u16() != 201 {
                    errors.lock().unwrap().push(format!("{status}: {text}"));
                    continue;
                }
                let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                if let Some(id) = v["id"].as_str() {
                    submitted.lock().unwrap().push(id.to_string());
                }
            }
            lat
        }));
    }
    let mut lat: Vec<u64> = Vec::with_capacity(o.jobs);
    for t in tasks {
        lat.extend(t.await.map_err(|e| e.to_string())?);
    }
    let submit_s = t0.elapsed().as_secs_f64();
    lat.sort_unstable();
    let ids = submitted.lock().unwrap().clone();
    let errs = errors.lock().unwrap().clone();
    if !errs.is_empty() {
        eprintln!("{} submissions failed; first: {}", errs.len(), errs[0]);
    }

    // Wait for every submitted id to complete; on a quiet stream check the
    // missing ones over HTTP (an event can be lost if the bus overflowed).
    let deadline = Instant::now() + Duration::from_secs(o.timeout_s);
    let mut by_poll: HashSet<String> = HashSet::new();
    let mut t_done;
    loop {
        let missing: Vec<String> = {
            let done = completed.lock().unwrap();
            ids.iter().filter(|id| !done.contains(*id) && !by_poll.contains(*id)).cloned().collect()
        };
        t_done = t0.elapsed().as_secs_f64();
        if missing.is_empty() {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!("{} jobs not completed after {} s", missing.len(), o.timeout_s));
        }
        let quiet = last_event.lock().unwrap().elapsed() > Duration::from_secs(3);
        if quiet {
            for id in missing.iter().take(200) {
                let r = http
                    .get(format!("{}/api/v1/jobs/{id}", o.url))
                    .bearer_auth(&o.api_key)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let v: Value = r.json().await.map_err(|e| e.to_string())?;
                match v["status"].as_str() {
                    Some("COMPLETED") => {
                        by_poll.insert(id.clone());
                    }
                    Some("FAILED" | "CANCELLED") => {
                        return Err(format!("job {id} ended {}: {}", v["status"], v["error"]))
                    }
                    _ => {}
                }
            }
            *last_event.lock().unwrap() = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    reader.abort();
    let n = ids.len();
    println!("## throughput");
    println!("jobs submitted: {n} ({} errors), concurrency {}", errs.len(), o.concurrency);
    println!("submit phase: {submit_s:.2} s = {:.0} submissions/s", n as f64 / submit_s);
    println!(
        "submit latency: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        pct(&lat, 1.0)
    );
    println!(
        "end to end: all {n} COMPLETED after {t_done:.2} s = {:.0} jobs/s ({} seen via events, {} via GET fallback, {} failed events)",
        n as f64 / t_done,
        n - by_poll.len(),
        by_poll.len(),
        failed.load(Ordering::Relaxed)
    );
    cpu.report("throughput");
    Ok(ids.last().cloned())
}

async fn get_latency(o: &Opts, http: &reqwest::Client, id: &str) -> Result<(), String> {
    let url = Arc::new(format!("{}/api/v1/jobs/{id}", o.url));
    let total = (o.get_rate * o.get_seconds).round() as usize;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Result<u64, String>>();
    let cpu = CpuMeter::start(o.server_pid);
    let t0 = tokio::time::Instant::now() + Duration::from_millis(50);
    for i in 0..total {
        let due = t0 + Duration::from_secs_f64(i as f64 / o.get_rate);
        tokio::time::sleep_until(due).await;
        let (http, url, key, tx) = (http.clone(), url.clone(), o.api_key.clone(), tx.clone());
        tokio::spawn(async move {
            let r = http.get(&*url).bearer_auth(&key).send().await;
            let res = match r {
                Ok(r) if r.status().is_success() => match r.bytes().await {
                    Ok(_) => Ok(due.elapsed().as_micros() as u64),
                    Err(e) => Err(e.to_string()),
                },
                Ok(r) => Err(format!("HTTP {}", r.status())),
                Err(e) => Err(e.to_string()),
            };
            let _ = tx.send(res);
        });
    }
    drop(tx);
    let mut lat = Vec::with_capacity(total);
    let mut errs = Vec::new();
    while let Some(r) = rx.recv().await {
        match r {
            Ok(us) => lat.push(us),
            Err(e) => errs.push(e),
        }
    }
    let wall = (tokio::time::Instant::now() - t0).as_secs_f64();
    lat.sort_unstable();
    println!("## GET /jobs/{{id}} latency (open loop)");
    println!(
        "requests: {} at {:.0}/s for {:.1} s ({} errors{}), achieved {:.0}/s",
        total,
        o.get_rate,
        o.get_seconds,
        errs.len(),
        errs.first().map(|e| format!(", first: {e}")).unwrap_or_default(),
        lat.len() as f64 / wall
    );
    println!(
        "latency from scheduled time: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        pct(&lat, 0.5),
        pct(&lat, 0.9),
        pct(&lat, 0.99),
        pct(&lat, 1.0)
    );
    cpu.report("get");
    if errs.is_empty() {
        Ok(())
    } else {
        Err(format!("{} GET requests failed", errs.len()))
    }
}

/// A job to GET when the throughput phase was skipped.
async fn any_job(o: &Opts, http: &reqwest::Client) -> Result<String, String> {
    let r = http
        .post(format!("{}/api/v1/jobs", o.url))
        .bearer_auth(&o.api_key)
        .json(&json!({"program": {"format": "qasm2", "source": BELL}, "shots": o.shots}))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let v: Value = r.json().await.map_err(|e| e.to_string())?;
    v["id"].as_str().map(str::to_string).ok_or_else(|| format!("submit failed: {v}"))
}

#[tokio::main]
async fn main() {
    let o = parse_opts();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(60))
        .build()
        .expect("HTTP client");
    println!("load average at start: {}", loadavg());
    let mut id = None;
    if o.throughput {
        match throughput(&o, &http).await {
            Ok(last) => id = last,
            Err(e) => {
                eprintln!("loadgen: throughput: {e}");
                std::process::exit(1);
            }
        }
    }
    if o.get {
        let id = match id {
            Some(id) => id,
            None => any_job(&o, &http).await.unwrap_or_else(|e| {
                eprintln!("loadgen: {e}");
                std::process::exit(1)
            }),
        };
        if let Err(e) = get_latency(&o, &http, &id).await {
            eprintln!("loadgen: GET latency: {e}");
            std::process::exit(1);
        }
    }
}
