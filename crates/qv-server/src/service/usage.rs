//! [`UsageService`]: what was run, per UTC day and backend, from
//! `usage_records` (written when a job completes).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Principal, Scope, ServiceError};
use crate::model::now_ms;
use crate::store::{Store, DAY_MS};

/// Longest period one report covers.
pub const MAX_USAGE_DAYS: i64 = 366;

/// Which usage to report (strings, as a query string carries them).
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsageQuery {
    /// First day, `YYYY-MM-DD` (UTC; default: 29 days before `to`).
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD` (UTC, included; default: today).
    pub to: Option<String>,
    /// Administrators: `all` for every user's usage (default: the caller's).
    pub scope: Option<String>,
}

/// Usage of one backend on one day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UsageEntry {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    pub backend: String,
    /// Completed jobs.
    pub jobs: i64,
    pub shots: i64,
    /// Time the simulators spent on these jobs.
    pub simulated_seconds: f64,
}

/// Sums over a report.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UsageTotals {
    pub jobs: i64,
    pub shots: i64,
    pub simulated_seconds: f64,
}

/// `GET /usage`: completed jobs, shots and simulated seconds per UTC day and backend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UsageReport {
    /// First day covered, `YYYY-MM-DD`.
    pub from: String,
    /// Last day covered (included), `YYYY-MM-DD`.
    pub to: String,
    /// Days with usage, oldest first, one entry per backend used that day.
    pub days: Vec<UsageEntry>,
    pub totals: UsageTotals,
}

/// The usage service; cheap to clone.
#[derive(Clone, Debug)]
pub struct UsageService {
    store: Store,
}

fn day_string(day: i64) -> String {
    let date = time::OffsetDateTime::from_unix_timestamp(day.saturating_mul(86_400))
        .map(|t| t.date())
        .unwrap_or(time::Date::MIN);
    let f = time::macros::format_description!("[year]-[month]-[day]");
    date.format(&f).unwrap_or_default()
}

fn parse_day(field: &str, value: &str) -> Result<i64, ServiceError> {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(value.trim(), &f).map_err(|_| {
        ServiceError::validation(format!("`{field}` must be a date `YYYY-MM-DD`, not `{value}`"))
    })?;
    Ok(date.midnight().assume_utc().unix_timestamp().div_euclid(86_400))
}

impl UsageService {
    pub(crate) fn new(store: Store) -> UsageService {
        UsageService { store }
    }

    /// The caller's usage (every user's for an administrator asking `scope=all`).
    pub async fn report(
        &self,
        principal: &Principal,
        q: &UsageQuery,
    ) -> Result<UsageReport, ServiceError> {
        principal.require(Scope::JobsRead)?;
        let user = match q.scope.as_deref() {
            None | Some("mine") => Some(principal.user.id.as_str()),
            Some("all") => {
                principal.require(Scope::Admin)?;
                None
            }
            Some(other) => {
                return Err(ServiceError::validation(format!(
                    "`scope` must be `mine` or `all`, not `{}`",
                    other.chars().take(32).collect::<String>()
                )))
            }
        };
        let today = now_ms().div_euclid(DAY_MS);
        let to = q.to.as_deref().map(|v| parse_day("to", v)).transpose()?.unwrap_or(today);
        let from = q.from.as_deref().map(|v| parse_day("from", v)).transpose()?.unwrap_or(to - 29);
        if from > to {
            return Err(ServiceError::validation("`from` is after `to`"));
        }
        if to - from + 1 > MAX_USAGE_DAYS {
            return Err(ServiceError::validation(format!(
                "a report covers at most {MAX_USAGE_DAYS} days"
            )));
        }
        let rows = self
            .store
            .usage_by_day(user, from.saturating_mul(DAY_MS), (to + 1).saturating_mul(DAY_MS))
            .await?;
        let mut totals = UsageTotals::default();
        let days = rows
            .into_iter()
            .map(|r| {
                totals.jobs += r.jobs;
                totals.shots += r.shots;
                totals.simulated_seconds += r.simulated_seconds;
                UsageEntry {
                    day: day_string(r.day),
                    backend: r.backend,
                    jobs: r.jobs,
                    shots: r.shots,
                    simulated_seconds: r.simulated_seconds,
                }
            })
            .collect();
        Ok(UsageReport { from: day_string(from), to: day_string(to), days, totals })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_and_bad_dates_are_named() {
        let d = parse_day("from", "2026-12-07").unwrap();
        assert_eq!(d, 20_794);
        assert_eq!(day_string(d), "2026-12-07");
        assert_eq!(day_string(0), "1970-01-01");
        let e = parse_day("to", "12/07/2026").unwrap_err();
        assert!(e.message.contains("`to`") && e.message.contains("YYYY-MM-DD"), "{e}");
    }
}
