//! Human output of the client commands: the jobs table and results laid out
//! as `qv run` prints them, from the server's own types (`qv_server::model`,
//! `qv_server::service::jobs`).

use qv_server::model::{JobResult, JobStatus};
use qv_server::service::jobs::JobView;

use crate::output::{bar, duration, plural, table, Align};

/// The backend that ran a job, else the one requested.
pub fn backend_shown(job: &JobView) -> String {
    job.backend_used.clone().unwrap_or_else(|| job.backend.clone())
}

/// `2024-05-01T12:03:04.123Z` → `2024-05-01 12:03:04` (UTC, as the server sends it).
pub fn short_time(rfc3339: &str) -> String {
    let s = rfc3339.trim_end_matches('Z');
    let s = s.split('.').next().unwrap_or(s);
    // Drop a numeric offset of a non-UTC time.
    let s = match s.get(19..) {
        Some(rest) if rest.starts_with('+') || rest.starts_with('-') => &s[..19],
        _ => s,
    };
    s.replacen('T', " ", 1)
}

/// The jobs table: id, name, status, backend, shots, created, time.
pub fn jobs_table(jobs: &[JobView]) -> String {
    let rows: Vec<Vec<String>> = jobs
        .iter()
        .map(|j| {
            vec![
                j.id.clone(),
                j.name.clone().filter(|n| !n.is_empty()).unwrap_or_else(|| "-".into()),
                j.status.as_str().to_string(),
                backend_shown(j),
                j.shots.to_string(),
                short_time(&j.created_at),
                j.execution_time_s.map_or_else(|| "-".into(), duration),
            ]
        })
        .collect();
    let aligns = [
        Align::Left,
        Align::Left,
        Align::Left,
        Align::Left,
        Align::Right,
        Align::Left,
        Align::Right,
    ];
    table(&["id", "name", "status", "backend", "shots", "created", "time"], &aligns, &rows)
}

/// A job's one-line state, for `qv cancel` and progress messages.
pub fn job_line(job: &JobView) -> String {
    let mut s = format!("job {}: {}", job.id, job.status.as_str());
    if let Some(p) = job.queue_position.filter(|_| job.status == JobStatus::Queued) {
        s.push_str(&format!(" (queue position {p})"));
    }
    if let Some(e) = job.error.as_deref().filter(|e| !e.is_empty()) {
        s.push_str(&format!(": {e}"));
    }
    s
}

/// A result (`GET /jobs/{id}/result`) as `qv run` prints counts: a summary,
/// the backend, the counts table; then probabilities and expectation values
/// when the job asked for them.
pub fn result_text(r: &JobResult) -> String {
    let m = &r.metadata;
    let mut out = String::new();
    let summary = [
        plural(m.shots, "shot"),
        format!("seed {}", m.seed),
        plural(m.num_qubits, "qubit"),
        plural(m.num_clbits, "classical bit"),
        duration(m.time_taken_s),
    ];
    out.push_str(&summary.join(", "));
    out.push('\n');
    if m.backend_reason.is_empty() {
        out.push_str(&format!("backend {}\n", m.backend));
    } else {
        out.push_str(&format!("backend {}\n", m.backend_reason));
    }
    if r.counts.is_empty() {
        out.push_str("the circuit measures nothing, so there are no counts\n");
    } else {
        out.push('\n');
        let total = m.shots.max(1) as f64;
        let rows: Vec<Vec<String>> = r
            .counts
            .iter()
            .map(|(key, &n)| {
                let p = n as f64 / total;
                vec![key.clone(), n.to_string(), format!("{p:.4}"), bar(p)]
            })
            .collect();
        let aligns = [Align::Left, Align::Right, Align::Right, Align::Left];
        out.push_str(&table(&["outcome", "count", "probability", ""], &aligns, &rows));
    }
    if let Some(probs) = r.probabilities.as_ref().filter(|p| !p.is_empty()) {
        let rows: Vec<Vec<String>> =
            probs.iter().map(|(k, &p)| vec![k.clone(), format!("{p:.6}"), bar(p)]).collect();
        out.push_str("\nexact probabilities\n\n");
        out.push_str(&table(
            &["outcome", "probability", ""],
            &[Align::Left, Align::Right, Align::Left],
            &rows,
        ));
    }
    if let Some(evs) = r.expectation_values.as_ref().filter(|e| !e.is_empty()) {
        let rows: Vec<Vec<String>> = evs
            .iter()
            .map(|e| {
                vec![
                    e.observable.clone(),
                    format!("{:.6}", e.value),
                    e.std_dev.map_or_else(|| "-".into(), |v| format!("{v:.6}")),
                ]
            })
            .collect();
        out.push('\n');
        out.push_str(&table(
            &["observable", "value", "std_dev"],
            &[Align::Left, Align::Right, Align::Right],
            &rows,
        ));
    }
    let extra: Vec<&str> =
        [("memory", r.memory.is_some()), ("statevector", r.statevector.is_some())]
            .into_iter()
            .filter_map(|(k, present)| present.then_some(k))
            .collect();
    if !extra.is_empty() {
        out.push_str(&format!("\n({} in the result: see it with --json)\n", extra.join(" and ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn times_are_shortened() {
        assert_eq!(short_time("2024-05-01T12:03:04.123Z"), "2024-05-01 12:03:04");
        assert_eq!(short_time("2024-05-01T12:03:04Z"), "2024-05-01 12:03:04");
        assert_eq!(short_time("2024-05-01T12:03:04+02:00"), "2024-05-01 12:03:04");
    }

    #[test]
    fn jobs_table_has_one_row_per_job() {
        let common = json!({"tags": [], "priority": 5, "num_qubits": 2, "started_at": null,
                            "ended_at": null, "error": null, "backend_used": null,
                            "queue_position": null});
        let job = |extra: serde_json::Value| {
            let mut j = common.clone();
            j.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            j
        };
        let jobs: Vec<JobView> = serde_json::from_value(json!([
            job(json!({"id": "j1", "name": "bell", "status": "COMPLETED", "backend": "auto",
             "backend_used": "stabilizer", "shots": 100, "created_at": "2024-05-01T12:03:04.5Z",
             "execution_time_s": 0.0025, "tags": ["x"]})),
            job(json!({"id": "j2", "name": null, "status": "QUEUED", "backend": "auto", "shots": 1024,
             "created_at": "2024-05-01T12:03:05Z", "execution_time_s": null, "queue_position": 3}))
        ]))
        .unwrap();
        let t = jobs_table(&jobs);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0], "id  name  status     backend     shots  created                time");
        assert_eq!(lines[1], "j1  bell  COMPLETED  stabilizer    100  2024-05-01 12:03:04  2.5 ms");
        assert_eq!(lines[2], "j2  -     QUEUED     auto         1024  2024-05-01 12:03:05       -");
        assert_eq!(job_line(&jobs[1]), "job j2: QUEUED (queue position 3)");
    }

    #[test]
    fn results_print_like_qv_run() {
        let r: JobResult = serde_json::from_value(json!({
            "job_id": "j1",
            "counts": {"11": 52, "00": 48},
            "metadata": {"backend": "stabilizer", "backend_reason": "stabilizer: Clifford circuit",
                         "seed": 7, "shots": 100, "num_qubits": 2, "num_clbits": 2,
                         "time_taken_s": 0.0005}
        }))
        .unwrap();
        let text = result_text(&r);
        let expected = "100 shots, seed 7, 2 qubits, 2 classical bits, 500.0 µs\n\
                        backend stabilizer: Clifford circuit\n\n\
                        outcome  count  probability\n";
        assert!(text.starts_with(expected), "{text}");
        let rows: Vec<&str> = text.lines().skip(4).collect();
        assert!(rows[0].starts_with("00          48       0.4800  ███"), "{text}");
        assert!(rows[1].starts_with("11          52       0.5200  ███"), "{text}");
        assert_eq!(rows.len(), 2);
    }

    #[test]
    fn results_show_extra_outputs() {
        let r: JobResult = serde_json::from_value(json!({
            "counts": {},
            "probabilities": {"1": 0.5, "0": 0.5},
            "expectation_values": [{"observable": "Z0", "value": 0.0, "std_dev": 0.1}],
            "statevector": [[0.7, 0.0], [0.7, 0.0]],
            "metadata": {"backend": "statevector", "backend_reason": "", "seed": 1, "shots": 0,
                         "num_qubits": 1, "num_clbits": 0, "time_taken_s": 0.001}
        }))
        .unwrap();
        let text = result_text(&r);
        assert!(text.contains("backend statevector\n"), "{text}");
        assert!(text.contains("no counts"), "{text}");
        assert!(text.contains("\n0           0.500000  ████"), "{text}");
        assert!(text.contains("Z0          0.000000  0.100000"), "{text}");
        assert!(text.contains("(statevector in the result: see it with --json)"), "{text}");
    }
}
