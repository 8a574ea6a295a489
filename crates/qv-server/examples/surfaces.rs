//! Load generator comparing the API surfaces of `qv serve` (run by
//! `bench/server/surfaces.sh`): REST, GraphQL and gRPC in one run.
//!
//! For each surface in turn (`--rounds` times, alternating, so drift on the
//! shared machine hits every surface alike) it submits `--jobs` Bell
//! circuits from `--concurrency` concurrent clients through that surface and
//! waits until each is COMPLETED. Completions are observed the same way for
//! every surface, on one events WebSocket opened before the run, so only the
//! submission path differs. Reports per surface: jobs/s from the first
//! submission to the last completion, submit-call latency and
//! submit→completed latency percentiles, and throughput relative to REST.
//!
//! Usage: `surfaces --url http://127.0.0.1:PORT --api-key qv_... [--jobs 3000]
//! [--concurrency 32] [--rounds 2] [--shots 100] [--surfaces rest,graphql,grpc]`

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use qv_server::grpc::pb;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

const BELL: &str = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n";

const SUBMIT_GQL: &str = "mutation($input: SubmitJobInput!) { submitJob(input: $input) { id } }";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Surface {
    Rest,
    GraphQl,
    Grpc,
}

impl Surface {
    fn name(self) -> &'static str {
        match self {
            Surface::Rest => "REST",
            Surface::GraphQl => "GraphQL",
            Surface::Grpc => "gRPC",
        }
    }

    fn parse(s: &str) -> Option<Surface> {
        match s {
            "rest" => Some(Surface::Rest),
            "graphql" => Some(Surface::GraphQl),
            "grpc" => Some(Surface::Grpc),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
struct Opts {
    url: String,
    api_key: String,
    jobs: usize,
    concurrency: usize,
    rounds: usize,
    shots: u64,
    surfaces: Vec<Surface>,
    timeout_s: u64,
}

fn usage(msg: &str) -> ! {
    eprintln!("surfaces: {msg}");
    eprintln!(
        "usage: surfaces --url URL --api-key KEY [--jobs N] [--concurrency C] [--rounds R] \
         [--shots S] [--surfaces rest,graphql,grpc] [--timeout-s T]"
    );
    std::process::exit(2)
}

fn parse_opts() -> Opts {
    let mut o = Opts {
        url: String::new(),
        api_key: std::env::var("QV_API_KEY").unwrap_or_default(),
        jobs: 3000,
        concurrency: 32,
        rounds: 2,
        shots: 100,
        surfaces: vec![Surface::Rest, Surface::GraphQl, Surface::Grpc],
        timeout_s: 300,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_else(|| usage(&format!("{a} needs a value")));
        fn num<T: std::str::FromStr>(a: &str, v: String) -> T {
            v.parse().unwrap_or_else(|_| usage(&format!("{a}: not a number: {v}")))
        }
        match a.as_str() {
            "--url" => o.url = val().trim_end_matches('/').to_string(),
            "--api-key" => o.api_key = val(),
            "--jobs" => o.jobs = num(&a, val()),
            "--concurrency" => o.concurrency = num(&a, val()),
            "--rounds" => o.rounds = num(&a, val()),
            "--shots" => o.shots = num(&a, val()),
            "--timeout-s" => o.timeout_s = num(&a, val()),
            "--surfaces" => {
                o.surfaces = val()
                    .split(',')
                    .map(|s| Surface::parse(s).unwrap_or_else(|| usage(&format!("surface {s}?"))))
                    .collect()
            }
            other => usage(&format!("unknown option {other}")),
        }
    }
    if o.url.is_empty() || o.api_key.is_empty() {
        usage("--url and --api-key are required");
    }
    o
}

fn pct(sorted: &[u64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i.min(sorted.len() - 1)] as f64 / 1000.0
}

/// Completion times of jobs, from the events WebSocket.
type Completions = Arc<Mutex<HashMap<String, Instant>>>;

async fn open_events(o: &Opts, completions: Completions) -> Result<(), String> {
    let ws_url = format!("{}/api/v1/events", o.url.replacen("http://", "ws://", 1));
    let mut req = ws_url.into_client_request().map_err(|e| e.to_string())?;
    req.headers_mut().insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {}", o.api_key)).map_err(|e| e.to_string())?,
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(req)
        .await
        .map_err(|e| format!("cannot open the events WebSocket: {e}"))?;
    tokio::spawn(async move {
        while let Some(Ok(msg)) = ws.next().await {
            let Message::Text(text) = msg else { continue };
            let Ok(v) = serde_json::from_str::<Value>(&text) else { continue };
            if v["status"] == "COMPLETED" {
                if let Some(id) = v["job_id"].as_str() {
                    completions.lock().unwrap().insert(id.to_string(), Instant::now());
                }
            }
        }
    });
    Ok(())
}

/// One client of one surface.
enum Client {
    Http(reqwest::Client),
    Grpc(GrpcClient),
}

/// Submits one job; its id.
async fn submit(o: &Opts, surface: Surface, client: &mut Client) -> Result<String, String> {
    match (surface, client) {
        (Surface::Rest, Client::Http(http)) => {
            let body = json!({"program": {"format": "qasm2", "source": BELL}, "shots": o.shots});
            let r = http
                .post(format!("{}/api/v1/jobs", o.url))
                .bearer_auth(&o.api_key)
                .json(&body)
                .send()
                .await
                .map_err(|e| e.to_string())?;
            let status = r.status();
            let v: Value = r.json().await.map_err(|e| e.to_string())?;
            if status.as_u16() != 201 {
                return Err(format!("{status}: {v}"));
            }
            v["id"].as_str().map(str::to_string).ok_or_else(|| format!("no id: {v}"))
        }
        (Surface::GraphQl, Client::Http(http)) => {
            let body = json!({"query": SUBMIT_GQL, "variables": {"input": {
                "program": {"format": "qasm2", "source": BELL}, "shots": o.shots}}});
            let r = http
                .post(format!("{}/graphql", o.url))
                .bearer_auth(&o.api_key)
                .json(&body)
                .send()
                .await
                .map_err(|e| e.to_string())?;
            let v: Value = r.json().await.map_err(|e| e.to_string())?;
            v["data"]["submitJob"]["id"]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("GraphQL submit failed: {v}"))
        }
        (Surface::Grpc, Client::Grpc(c)) => c.submit(o).await,
        _ => Err("client of another surface".into()),
    }
}

struct Figures {
    jobs_per_s: f64,
    submit_ms: Vec<u64>,
    e2e_ms: Vec<u64>,
    errors: usize,
}

async fn run_surface(o: &Opts, surface: Surface, completions: &Completions) -> Figures {
    let next = Arc::new(AtomicUsize::new(0));
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..o.concurrency {
        let (o, next) = (o.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut client = match surface {
                Surface::Grpc => match GrpcClient::connect(&o).await {
                    Ok(c) => Client::Grpc(c),
                    Err(e) => return Err(e),
                },
                _ => Client::Http(reqwest::Client::new()),
            };
            let mut out = Vec::new();
            let mut errors = 0;
            while next.fetch_add(1, Ordering::Relaxed) < o.jobs {
                let t = Instant::now();
                match submit(&o, surface, &mut client).await {
                    Ok(id) => out.push((id, t, t.elapsed())),
                    Err(e) => {
                        if errors == 0 {
                            eprintln!("{}: {e}", surface.name());
                        }
                        errors += 1;
                    }
                }
            }
            Ok((out, errors))
        }));
    }
    let mut submitted = Vec::with_capacity(o.jobs);
    let mut errors = 0;
    for t in tasks {
        match t.await {
            Ok(Ok((s, e))) => {
                submitted.extend(s);
                errors += e;
            }
            Ok(Err(e)) => {
                eprintln!("{}: {e}", surface.name());
                errors += 1;
            }
            Err(e) => {
                eprintln!("{}: {e}", surface.name());
                errors += 1;
            }
        }
    }
    let deadline = Instant::now() + Duration::from_secs(o.timeout_s);
    let done: Vec<Instant> = loop {
        {
            let c = completions.lock().unwrap();
            if submitted.iter().all(|(id, _, _)| c.contains_key(id)) {
                break submitted.iter().map(|(id, _, _)| c[id]).collect();
            }
        }
        if Instant::now() > deadline {
            eprintln!("{}: jobs still not completed after {} s", surface.name(), o.timeout_s);
            std::process::exit(1);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let last = done.iter().max().copied().unwrap_or(t0);
    let mut submit_ms: Vec<u64> = submitted.iter().map(|(_, _, d)| d.as_micros() as u64).collect();
    let mut e2e_ms: Vec<u64> = submitted
        .iter()
        .zip(&done)
        .map(|((_, t, _), d)| d.saturating_duration_since(*t).as_micros() as u64)
        .collect();
    submit_ms.sort_unstable();
    e2e_ms.sort_unstable();
    let secs = last.duration_since(t0).as_secs_f64().max(1e-9);
    Figures { jobs_per_s: submitted.len() as f64 / secs, submit_ms, e2e_ms, errors }
}

#[tokio::main]
async fn main() {
    let o = parse_opts();
    let completions: Completions = Arc::default();
    if let Err(e) = open_events(&o, completions.clone()).await {
        eprintln!("surfaces: {e}");
        std::process::exit(1);
    }
    // Warm-up: connections, caches and the workers' threads.
    let warm = Opts { jobs: 200, ..o.clone() };
    for &s in &o.surfaces {
        run_surface(&warm, s, &completions).await;
    }
    let mut all: HashMap<Surface, Vec<Figures>> = HashMap::new();
    for round in 0..o.rounds {
        for &s in &o.surfaces {
            let f = run_surface(&o, s, &completions).await;
            eprintln!("round {}: {} {:.0} jobs/s", round + 1, s.name(), f.jobs_per_s);
            all.entry(s).or_default().push(f);
        }
    }
    println!(
        "## surfaces: {} Bell jobs ({} shots) per surface and round, concurrency {}, {} rounds",
        o.jobs, o.shots, o.concurrency, o.rounds
    );
    println!(
        "| surface | jobs/s (mean of rounds) | vs REST | submit p50 / p99 ms | submit→completed p50 / p99 ms | errors |"
    );
    println!("|---|---|---|---|---|---|");
    let mean = |fs: &[Figures]| fs.iter().map(|f| f.jobs_per_s).sum::<f64>() / fs.len() as f64;
    let rest = all.get(&Surface::Rest).map(|f| mean(f));
    for &s in &o.surfaces {
        let fs = &all[&s];
        let mut submit: Vec<u64> = fs.iter().flat_map(|f| f.submit_ms.clone()).collect();
        let mut e2e: Vec<u64> = fs.iter().flat_map(|f| f.e2e_ms.clone()).collect();
        submit.sort_unstable();
        e2e.sort_unstable();
        let m = mean(fs);
        let ratio = rest.map_or("-".to_string(), |r| format!("{:.2}×", m / r));
        println!(
            "| {} | {:.0} ({}) | {} | {:.2} / {:.2} | {:.1} / {:.1} | {} |",
            s.name(),
            m,
            fs.iter().map(|f| format!("{:.0}", f.jobs_per_s)).collect::<Vec<_>>().join(", "),
            ratio,
            pct(&submit, 0.5),
            pct(&submit, 0.99),
            pct(&e2e, 0.5),
            pct(&e2e, 0.99),
            fs.iter().map(|f| f.errors).sum::<usize>()
        );
    }
}

/// A gRPC client of `quantumvibe.v1.JobService` (one HTTP/2 connection).
struct GrpcClient {
    jobs: pb::job_service_client::JobServiceClient<tonic::transport::Channel>,
    auth: tonic::metadata::MetadataValue<tonic::metadata::Ascii>,
}

impl GrpcClient {
    async fn connect(o: &Opts) -> Result<GrpcClient, String> {
        let channel = tonic::transport::Endpoint::from_shared(o.url.clone())
            .map_err(|e| e.to_string())?
            .connect()
            .await
            .map_err(|e| format!("gRPC connect: {e}"))?;
        let auth = format!("Bearer {}", o.api_key).parse().map_err(|_| "bad key".to_string())?;
        Ok(GrpcClient { jobs: pb::job_service_client::JobServiceClient::new(channel), auth })
    }

    async fn submit(&mut self, o: &Opts) -> Result<String, String> {
        let mut req = tonic::Request::new(pb::SubmitJobRequest {
            program: Some(pb::Program { format: "qasm2".into(), source: BELL.into() }),
            shots: Some(o.shots),
            ..Default::default()
        });
        req.metadata_mut().insert("authorization", self.auth.clone());
        let r = self
            .jobs
            .submit_job(req)
            .await
            .map_err(|s| format!("{:?}: {}", s.code(), s.message()))?;
        Ok(r.into_inner().id)
    }
}
