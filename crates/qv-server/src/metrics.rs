//! Prometheus metrics: HTTP requests and latency by matched route, jobs by
//! state, queue depth, simulation seconds.
//!
//! Names (text exposition at `/metrics`):
//! - `http_requests_total{method,route,status}` and
//!   `http_request_duration_seconds{method,route}`: `route` is the matched
//!   route template (`/api/v1/jobs/{id}`) or `unmatched`, never a raw path,
//!   so label cardinality stays bounded whatever clients send;
//! - `qv_jobs{state}`: jobs per state, read from the database at scrape;
//! - `qv_queue_depth`: queued jobs (the `QUEUED` count of the same read);
//! - `qv_simulation_seconds{backend,status}`: wall time of finished simulations;
//! - `qv_jobs_submitted_total`: jobs accepted by this process.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::model::JobStatus;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SimLabels {
    backend: String,
    status: String,
}

fn latency_histogram() -> Histogram {
    // 0.5 ms .. ~16 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

fn simulation_histogram() -> Histogram {
    // 1 ms .. ~2.3 h.
    Histogram::new(exponential_buckets(0.001, 4.0, 12))
}

/// The server's metrics registry.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    jobs: Family<StateLabels, Gauge>,
    queue_depth: Gauge,
    simulation: Family<SimLabels, Histogram, fn() -> Histogram>,
    submitted: Counter,
    connections_refused: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// A registry with every metric registered.
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        let jobs = Family::<StateLabels, Gauge>::default();
        let queue_depth = Gauge::default();
        let simulation = Family::<SimLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            simulation_histogram,
        );
        let submitted = Counter::default();
        registry.register(
            "http_requests",
            "HTTP requests by method, matched route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by method and matched route",
            latency.clone(),
        );
        registry.register("qv_jobs", "Jobs in the database by state", jobs.clone());
        registry.register("qv_queue_depth", "Jobs waiting in the queue", queue_depth.clone());
        registry.register(
            "qv_simulation_seconds",
            "Wall time of finished simulations by backend and final status",
            simulation.clone(),
        );
        registry.register("qv_jobs_submitted", "Jobs accepted by this process", submitted.clone());
        let connections_refused = Counter::default();
        registry.register(
            "qv_http_connections_refused",
            "Connections closed at accept because a connection cap was reached",
            connections_refused.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            jobs,
            queue_depth,
            simulation,
            submitted,
            connections_refused,
        }
    }

    /// Records one HTTP request (route is the matched route template, e.g.
    /// `/api/v1/jobs/{id}`, or `unmatched`).
    pub fn http_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_string(),
                route: route.to_string(),
                status: status.to_string(),
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels { method: method.to_string(), route: route.to_string() })
            .observe(seconds);
    }

    /// Records a finished simulation.
    pub fn simulation(&self, backend: &str, status: JobStatus, seconds: f64) {
        self.simulation
            .get_or_create(&SimLabels {
                backend: backend.to_string(),
                status: status.as_str().to_string(),
            })
            .observe(seconds);
    }

    /// Records a connection closed at accept (over a connection cap).
    pub fn connection_refused(&self) {
        self.connections_refused.inc();
    }

    /// Records a submitted job.
    pub fn job_submitted(&self) {
        self.submitted.inc();
    }

    /// The text exposition, with the jobs-by-state gauge and queue depth read
    /// at scrape time.
    pub fn render(&self, jobs_by_state: &[(JobStatus, i64)]) -> String {
        // Every state is exported (0 when absent) so dashboards see a series.
        for state in JobStatus::ALL {
            let n = jobs_by_state.iter().filter(|(s, _)| *s == state).map(|(_, n)| *n).sum();
            self.jobs.get_or_create(&StateLabels { state: state.as_str().to_string() }).set(n);
            if state == JobStatus::Queued {
                self.queue_depth.set(n);
            }
        }
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "encoding metrics failed");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_has_every_metric() {
        let m = Metrics::new();
        m.http_request("GET", "/api/v1/jobs/{id}", 200, 0.003);
        m.simulation("statevector", JobStatus::Completed, 0.2);
        m.job_submitted();
        let text = m.render(&[(JobStatus::Queued, 7), (JobStatus::Completed, 3)]);
        assert!(text.contains(
            r#"http_requests_total{method="GET",route="/api/v1/jobs/{id}",status="200"} 1"#
        ));
        assert!(text.contains("http_request_duration_seconds_bucket{"));
        assert!(text.contains(r#"qv_jobs{state="QUEUED"} 7"#));
        assert!(text.contains(r#"qv_jobs{state="RUNNING"} 0"#));
        assert!(text.contains("qv_queue_depth 7"));
        assert!(text.contains(
            r#"qv_simulation_seconds_count{backend="statevector",status="COMPLETED"} 1"#
        ));
        assert!(text.contains("qv_jobs_submitted_total 1"));
        assert!(text.ends_with("# EOF\n"));
    }
}
