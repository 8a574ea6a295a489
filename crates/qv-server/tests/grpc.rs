//! The gRPC API (`quantumvibe.v1`) on a real server's REST port, through a
//! tonic client generated from the same protos: SQLite, and PostgreSQL
//! when `QV_TEST_DATABASE_URL` is set.

#[macro_use]
mod common;

use std::time::Duration;

use common::{long_circuit, Db, Session, TestServer};
use futures_util::StreamExt;
use pb::backend_service_client::BackendServiceClient;
use pb::job_service_client::JobServiceClient;
use pb::JobStatus;
use qv_server::grpc::pb;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};

const BELL: &str = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n";

async fn channel(srv: &TestServer) -> Channel {
    tonic::transport::Endpoint::from_shared(srv.base.clone())
        .expect("endpoint")
        .connect()
        .await
        .expect("gRPC connects to the REST port")
}

/// `msg` with `authorization: Bearer <token>`.
fn authed<T>(msg: T, token: &str) -> Request<T> {
    let mut r = Request::new(msg);
    r.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    r
}

fn program(source: &str) -> Option<pb::Program> {
    Some(pb::Program { format: "qasm2".into(), source: source.into() })
}

fn bell(shots: u64) -> pb::SubmitJobRequest {
    pb::SubmitJobRequest { program: program(BELL), shots: Some(shots), ..Default::default() }
}

fn error_code(s: &Status) -> &str {
    s.metadata().get("qv-error-code").and_then(|v| v.to_str().ok()).unwrap_or("")
}

struct Client {
    jobs: JobServiceClient<Channel>,
    token: String,
}

impl Client {
    async fn new(srv: &TestServer, s: &Session) -> Client {
        Client { jobs: JobServiceClient::new(channel(srv).await), token: s.access_token.clone() }
    }

    async fn submit(&mut self, req: pb::SubmitJobRequest) -> String {
        let r = self.jobs.submit_job(authed(req, &self.token)).await.expect("submit").into_inner();
        assert_eq!(r.status(), JobStatus::Queued, "{r:?}");
        assert!(r.created && r.queue_position.is_some_and(|p| p >= 1), "{r:?}");
        r.id
    }

    async fn get(&mut self, id: &str) -> Result<pb::Job, Status> {
        let req = authed(pb::GetJobRequest { id: id.into() }, &self.token);
        self.jobs.get_job(req).await.map(|r| r.into_inner())
    }

    /// Polls until the job is in one of `want`.
    async fn wait_for(&mut self, id: &str, want: &[JobStatus]) -> pb::Job {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let job = self.get(id).await.expect("get job");
            if want.contains(&job.status()) {
                return job;
            }
            assert!(std::time::Instant::now() < deadline, "job {id} stuck: {job:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Every status `WatchJob` delivers until the stream ends with OK.
    async fn watch(&mut self, id: &str) -> Vec<JobStatus> {
        let req = authed(pb::WatchJobRequest { id: id.into() }, &self.token);
        let mut stream = self.jobs.watch_job(req).await.expect("watch").into_inner();
        let mut seen = Vec::new();
        let read = async {
            while let Some(ev) = stream.next().await {
                let ev = ev.expect("the stream ends with OK");
                assert_eq!(ev.job_id, id);
                assert!(!ev.at.is_empty() && ev.lagged == 0, "{ev:?}");
                seen.push(ev.status());
            }
        };
        tokio::time::timeout(Duration::from_secs(60), read).await.expect("the stream ends");
        seen
    }

    async fn list(&mut self, req: pb::ListJobsRequest) -> Result<pb::ListJobsResponse, Status> {
        self.jobs.list_jobs(authed(req, &self.token)).await.map(|r| r.into_inner())
    }
}

/// Lifecycle order of the states a watch may show.
fn rank(s: JobStatus) -> u8 {
    match s {
        JobStatus::Queued => 1,
        JobStatus::Running => 2,
        JobStatus::Cancelling => 3,
        _ => 4,
    }
}

fn assert_in_order(seen: &[JobStatus], last: JobStatus) {
    assert_eq!(seen.last(), Some(&last), "{seen:?}");
    assert!(seen.windows(2).all(|w| rank(w[0]) < rank(w[1])), "statuses out of order: {seen:?}");
}

async fn flow_bell_watch_and_result(db: Db) {
    let srv = TestServer::start_with(db, |_| {}).await;
    let alice = srv.register("alice").await;
    let mut c = Client::new(&srv, &alice).await;
    let id = c
        .submit(pb::SubmitJobRequest {
            shots: Some(500),
            seed: Some(7),
            memory: Some(true),
            name: Some("bell".into()),
            tags: vec!["demo".into()],
            outputs: Some(pb::OutputOptions { probabilities: true, statevector: true }),
            observables: vec!["Z0 Z1".into(), "X0".into()],
            ..bell(500)
        })
        .await;
    let seen = c.watch(&id).await;
    assert_in_order(&seen, JobStatus::Completed);

    let job = c.get(&id).await.unwrap();
    assert_eq!(
        (job.status(), job.name.as_deref(), job.tags.as_slice()),
        (JobStatus::Completed, Some("bell"), &["demo".to_string()][..])
    );
    assert_eq!(job.program.as_ref().map(|p| p.source.as_str()), Some(BELL));
    assert!(
        job.ended_at.is_some() && job.execution_time_s.is_some() && job.queue_position.is_none(),
        "{job:?}"
    );

    let req = authed(pb::GetJobResultRequest { id: id.clone() }, &alice.access_token);
    let r = c.jobs.get_job_result(req).await.expect("result").into_inner();
    assert_eq!(r.job_id, id);
    assert_eq!(r.counts.values().sum::<u64>(), 500);
    assert!(r.counts.keys().all(|k| k == "00" || k == "11"), "{:?}", r.counts);
    assert_eq!(r.memory.len(), 500);
    assert!(r.memory.iter().all(|m| m == "00" || m == "11"));
    assert!(
        (r.probabilities["00"] - 0.5).abs() < 1e-9 && (r.probabilities["11"] - 0.5).abs() < 1e-9
    );
    let h = std::f64::consts::FRAC_1_SQRT_2;
    assert_eq!(r.statevector.len(), 4);
    assert!((r.statevector[0].re - h).abs() < 1e-9 && (r.statevector[3].re - h).abs() < 1e-9);
    assert_eq!(r.expectation_values[0].observable, "Z0 Z1");
    assert!((r.expectation_values[0].value - 1.0).abs() < 1e-9);
    let m = r.metadata.expect("metadata");
    assert_eq!((m.shots, m.seed, m.num_qubits, m.num_clbits), (500, 7, 2, 2));

    // Backends over the same channel.
    let mut backends = BackendServiceClient::new(channel(&srv).await);
    let list = backends
        .list_backends(authed(pb::ListBackendsRequest {}, &alice.access_token))
        .await
        .expect("backends")
        .into_inner();
    assert!(list.backends.iter().any(|b| b.name == "statevector" && b.max_qubits > 0), "{list:?}");

    // gRPC calls are in the HTTP metrics under their service's route template.
    let metrics = srv.http.get(srv.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains(r#"route="/quantumvibe.v1.JobService/{*rest}""#), "{metrics}");
    srv.stop().await;
}

async fn flow_list_filters_and_pages(db: Db) {
    let srv = TestServer::start_with(db, |_| {}).await;
    let alice = srv.register("alice").await;
    let mut c = Client::new(&srv, &alice).await;
    let mut tagged = Vec::new();
    for i in 0..5 {
        let tag = if i < 3 { "a" } else { "b" };
        let id = c.submit(pb::SubmitJobRequest { tags: vec![tag.into()], ..bell(10) }).await;
        if tag == "a" {
            tagged.push(id);
        }
    }
    for id in &tagged {
        c.wait_for(id, &[JobStatus::Completed]).await;
    }
    let mut ids = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let page = c
            .list(pb::ListJobsRequest {
                tag: Some("a".into()),
                page_size: 2,
                page_token: token.clone(),
                ..Default::default()
            })
            .await
            .expect("list");
        pages += 1;
        assert!(page.jobs.len() <= 2);
        for j in &page.jobs {
            assert_eq!(j.tags, ["a"]);
            assert!(j.program.is_none(), "listings leave programs out");
        }
        ids.extend(page.jobs.into_iter().map(|j| j.id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(pages, 2);
    tagged.reverse();
    assert_eq!(ids, tagged, "newest first, each once");
    let done = c
        .list(pb::ListJobsRequest {
            status: JobStatus::Completed.into(),
            tag: Some("a".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(done.jobs.len(), 3);
    assert!(done.next_page_token.is_empty());
    let none = c
        .list(pb::ListJobsRequest { status: JobStatus::Failed.into(), ..Default::default() })
        .await
        .unwrap();
    assert!(none.jobs.is_empty());
    for bad in [
        pb::ListJobsRequest { page_size: 500, ..Default::default() },
        pb::ListJobsRequest { page_token: "not a cursor".into(), ..Default::default() },
        pb::ListJobsRequest { created_after: Some("yesterday".into()), ..Default::default() },
    ] {
        let e = c.list(bad).await.unwrap_err();
        assert_eq!(
            (e.code(), error_code(&e)),
            (Code::InvalidArgument, "validation_error"),
            "{e:?}"
        );
    }
    srv.stop().await;
}

async fn flow_cancel_a_long_job(db: Db) {
    let srv = TestServer::start_with(db, |_| {}).await;
    let alice = srv.register("alice").await;
    let mut c = Client::new(&srv, &alice).await;
    let id = c
        .submit(pb::SubmitJobRequest {
            program: program(&long_circuit()),
            shots: Some(1),
            backend: Some("statevector".into()),
            ..Default::default()
        })
        .await;
    c.wait_for(&id, &[JobStatus::Running]).await;
    let req = authed(pb::CancelJobRequest { id: id.clone() }, &alice.access_token);
    let job = c.jobs.cancel_job(req).await.expect("cancel").into_inner();
    assert!(matches!(job.status(), JobStatus::Cancelling | JobStatus::Cancelled), "{job:?}");
    let seen = c.watch(&id).await;
    assert_in_order(&seen, JobStatus::Cancelled);
    let req = authed(pb::GetJobResultRequest { id: id.clone() }, &alice.access_token);
    let e = c.jobs.get_job_result(req).await.unwrap_err();
    assert_eq!((e.code(), error_code(&e)), (Code::FailedPrecondition, "not_ready"), "{e:?}");
    let req = authed(pb::CancelJobRequest { id }, &alice.access_token);
    let e = c.jobs.cancel_job(req).await.unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition, "{e:?}");
    srv.stop().await;
}

async fn flow_isolation_auth_and_errors(db: Db) {
    let srv = TestServer::start_with(db, |_| {}).await;
    let alice = srv.register("alice").await;
    let bob = srv.register("bob").await;
    let mut a = Client::new(&srv, &alice).await;
    let mut b = Client::new(&srv, &bob).await;
    let bobs = b.submit(bell(10)).await;

    // Another user's job, and one that does not exist, are NOT_FOUND on every method.
    let random = uuid::Uuid::new_v4().to_string();
    for id in [bobs.as_str(), random.as_str(), "not-a-uuid"] {
        let e = a.get(id).await.unwrap_err();
        assert_eq!((e.code(), error_code(&e)), (Code::NotFound, "not_found"), "{e:?}");
        let t = &alice.access_token;
        let e = a.jobs.cancel_job(authed(pb::CancelJobRequest { id: id.into() }, t)).await;
        assert_eq!(e.unwrap_err().code(), Code::NotFound);
        let e = a.jobs.get_job_result(authed(pb::GetJobResultRequest { id: id.into() }, t)).await;
        assert_eq!(e.unwrap_err().code(), Code::NotFound);
        let e = a.jobs.watch_job(authed(pb::WatchJobRequest { id: id.into() }, t)).await;
        assert_eq!(e.err().map(|e| e.code()), Some(Code::NotFound));
    }
    assert!(a.list(pb::ListJobsRequest::default()).await.unwrap().jobs.is_empty());

    // No token, a bad token, another scheme: UNAUTHENTICATED.
    let e = a.jobs.get_job(Request::new(pb::GetJobRequest { id: bobs.clone() })).await.unwrap_err();
    assert_eq!((e.code(), error_code(&e)), (Code::Unauthenticated, "unauthorized"), "{e:?}");
    let e = a.jobs.submit_job(authed(bell(10), "not-a-token")).await.unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated, "{e:?}");
    let mut basic = Request::new(bell(10));
    basic.metadata_mut().insert("authorization", "Basic YWxpY2U6eA==".parse().unwrap());
    assert_eq!(a.jobs.submit_job(basic).await.unwrap_err().code(), Code::Unauthenticated);

    // A bad program: INVALID_ARGUMENT `parse_error` naming line and column.
    let bad = pb::SubmitJobRequest {
        program: program("OPENQASM 2.0;\nqreg q[1];\nfoo q[0];\n"),
        ..Default::default()
    };
    let e = a.jobs.submit_job(authed(bad, &alice.access_token)).await.unwrap_err();
    assert_eq!((e.code(), error_code(&e)), (Code::InvalidArgument, "parse_error"), "{e:?}");
    assert!(e.message().starts_with("line 3, column 1:"), "{e:?}");
    let e = a.jobs.submit_job(authed(pb::SubmitJobRequest::default(), &alice.access_token)).await;
    let e = e.unwrap_err();
    assert_eq!((e.code(), error_code(&e)), (Code::InvalidArgument, "validation_error"), "{e:?}");
    // Over a limit: OUT_OF_RANGE.
    let e = a.jobs.submit_job(authed(bell(u64::MAX), &alice.access_token)).await.unwrap_err();
    assert_eq!(e.code(), Code::OutOfRange, "{e:?}");
    srv.stop().await;
}

on_both! {
    bell_watch_and_result => flow_bell_watch_and_result,
    list_filters_and_pages => flow_list_filters_and_pages,
    cancel_a_long_job => flow_cancel_a_long_job,
    isolation_auth_and_errors => flow_isolation_auth_and_errors,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_serves_until_shutdown_and_reflection_lists_the_services() {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::health_client::HealthClient;
    use tonic_health::pb::HealthCheckRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    use tonic_reflection::pb::v1::ServerReflectionRequest;

    let mut srv = TestServer::start().await;
    let mut health = HealthClient::new(channel(&srv).await);
    for service in ["", "quantumvibe.v1.JobService", "quantumvibe.v1.BackendService"] {
        let r = health
            .check(HealthCheckRequest { service: service.into() })
            .await
            .expect("health needs no credential")
            .into_inner();
        assert_eq!(r.status(), ServingStatus::Serving, "{service:?}");
    }
    let e = health.check(HealthCheckRequest { service: "nope.Service".into() }).await;
    assert_eq!(e.unwrap_err().code(), Code::NotFound);

    let mut reflection = ServerReflectionClient::new(channel(&srv).await);
    let req = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut answers = reflection
        .server_reflection_info(futures_util::stream::iter([req]))
        .await
        .expect("reflection needs no credential")
        .into_inner();
    let answer = answers.next().await.expect("an answer").expect("reflection answers");
    let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
        panic!("not a service list: {answer:?}");
    };
    let names: Vec<&str> = list.service.iter().map(|s| s.name.as_str()).collect();
    for want in
        ["quantumvibe.v1.JobService", "quantumvibe.v1.BackendService", "grpc.health.v1.Health"]
    {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }

    // A health watcher sees NOT_SERVING when the server starts shutting
    // down, and its stream ends so the connection can drain.
    let mut watch = health
        .watch(HealthCheckRequest { service: "quantumvibe.v1.JobService".into() })
        .await
        .expect("watch")
        .into_inner();
    let first = watch.next().await.expect("first status").expect("ok");
    assert_eq!(first.status(), ServingStatus::Serving);
    let server = srv.server.take().expect("running");
    let stopped = tokio::spawn(server.shutdown());
    let next = tokio::time::timeout(Duration::from_secs(10), watch.next())
        .await
        .expect("a status change")
        .expect("not the end yet")
        .expect("ok");
    assert_eq!(next.status(), ServingStatus::NotServing);
    tokio::time::timeout(Duration::from_secs(10), stopped)
        .await
        .expect("shutdown is not held by the health watcher")
        .unwrap();
}

/// HTTP/2 on the REST port keeps the per-connection bounds: at most 100
/// streams and 16 KiB of headers, and an idle HTTP/2 connection is closed
/// after `header_read_timeout_s` like an idle HTTP/1.1 one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_http2_connections_are_closed() {
    let srv = TestServer::start_with(Db::Sqlite, |c| c.header_read_timeout_s = 1).await;
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel(&srv).await);
    let check = || tonic_health::pb::HealthCheckRequest { service: String::new() };
    health.check(check()).await.expect("first call");
    // A preface and nothing else: closed by the server.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut raw = tokio::net::TcpStream::connect(srv.server.as_ref().unwrap().addr).await.unwrap();
    raw.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").await.unwrap();
    raw.write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0]).await.unwrap(); // empty SETTINGS
                                                                // The server's first frame: SETTINGS bounding streams and headers per connection.
    let mut head = [0u8; 9];
    raw.read_exact(&mut head).await.unwrap();
    assert_eq!(head[3], 4, "a SETTINGS frame first: {head:?}");
    let mut payload = vec![0u8; usize::from(head[1]) << 8 | usize::from(head[2])];
    raw.read_exact(&mut payload).await.unwrap();
    let settings: std::collections::HashMap<u16, u32> = payload
        .chunks(6)
        .map(|c| (u16::from_be_bytes([c[0], c[1]]), u32::from_be_bytes([c[2], c[3], c[4], c[5]])))
        .collect();
    assert_eq!(settings.get(&3), Some(&100), "MAX_CONCURRENT_STREAMS: {settings:?}");
    assert_eq!(settings.get(&6), Some(&16384), "MAX_HEADER_LIST_SIZE: {settings:?}");
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buf = [0u8; 1024];
        loop {
            match raw.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "an idle HTTP/2 connection stays open");
    // The channel reconnects after the server's GOAWAY.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    health.check(check()).await.expect("a call after the idle close");
    srv.stop().await;
}
