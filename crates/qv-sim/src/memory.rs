//! How much memory a simulation needs and how much the machine has.
//!
//! A complex128 state vector of `n` qubits takes `16 · 2^n` bytes. Available
//! memory is `MemAvailable` from `/proc/meminfo`, lowered to the room left
//! under a cgroup memory limit (v2 `memory.max`, or v1 `memory.limit_in_bytes`)
//! when one is set; elsewhere it is unknown and the check is skipped. Every
//! entry point checks its peak allocation against it before allocating.

use crate::error::SimError;

/// Bytes of one complex128 amplitude.
const AMPLITUDE_BYTES: u64 = 16;

/// Bytes of a complex128 state vector of `num_qubits` qubits (`16 · 2^n`);
/// `None` when that does not fit in a `u64`.
pub fn required_memory_bytes(num_qubits: usize) -> Option<u64> {
    let shift = u32::try_from(num_qubits).ok()?;
    1u64.checked_shl(shift)?.checked_mul(AMPLITUDE_BYTES)
}

/// Bytes of memory this process can still allocate, if the platform says.
///
/// On Linux: `MemAvailable` from `/proc/meminfo`, or the room left under the
/// process's cgroup memory limit when that is smaller. `None` elsewhere.
pub fn available_memory_bytes() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok();
    let system = meminfo.as_deref().and_then(parse_meminfo_available);
    match (system, cgroup_room()) {
        (Some(s), Some(c)) => Some(s.min(c)),
        (s, c) => s.or(c),
    }
}

/// Parses the `MemAvailable:   123456 kB` line of `/proc/meminfo`.
fn parse_meminfo_available(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let mut fields = line.split_whitespace().skip(1);
    let value: u64 = fields.next()?.parse().ok()?;
    let scale = match fields.next() {
        Some("kB") => 1024,
        None => 1,
        Some(_) => return None,
    };
    value.checked_mul(scale)
}

/// Room left under the cgroup memory limit (v2, then v1), if a limit is set.
fn cgroup_room() -> Option<u64> {
    let read = |path: &str| std::fs::read_to_string(path).ok();
    if let Some(max) = read("/sys/fs/cgroup/memory.max") {
        let current = read("/sys/fs/cgroup/memory.current");
        return cgroup_room_from(&max, current.as_deref());
    }
    let limit = read("/sys/fs/cgroup/memory/memory.limit_in_bytes")?;
    let usage = read("/sys/fs/cgroup/memory/memory.usage_in_bytes");
    cgroup_room_from(&limit, usage.as_deref())
}

/// `limit - usage` from cgroup files; `None` when unlimited ("max", or v1's
/// huge sentinel) or unreadable.
fn cgroup_room_from(limit: &str, usage: Option<&str>) -> Option<u64> {
    // cgroup v1 reports "no limit" as a page-rounded i64::MAX.
    const V1_UNLIMITED: u64 = 1 << 62;
    let limit: u64 = limit.trim().parse().ok()?;
    if limit >= V1_UNLIMITED {
        return None;
    }
    let usage: u64 = usage.and_then(|u| u.trim().parse().ok()).unwrap_or(0);
    Some(limit.saturating_sub(usage))
}

/// Refuses a simulation of `num_qubits` qubits that holds `state_copies` state
/// vectors plus `extra_bytes` at its peak, when that exceeds `available`.
/// `available == None` (unknown) skips the comparison but not the overflow check.
pub(crate) fn check(
    num_qubits: usize,
    state_copies: u64,
    extra_bytes: u64,
    available: Option<u64>,
) -> Result<(), SimError> {
    let needed = required_memory_bytes(num_qubits)
        .and_then(|s| s.checked_mul(state_copies))
        .and_then(|s| s.checked_add(extra_bytes))
        .filter(|&s| s <= isize::MAX as u64)
        .ok_or(SimError::TooManyQubits { num_qubits })?;
    match available {
        Some(available) if needed > available => {
            Err(SimError::TooLarge { needed, available, num_qubits })
        }
        _ => Ok(()),
    }
}

/// Bytes of a probability vector over `num_bits` bits (`8 · 2^k`), saturating.
pub(crate) fn probability_bytes(num_bits: usize) -> u64 {
    required_memory_bytes(num_bits).map_or(u64::MAX, |b| b / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_vector_is_sixteen_bytes_per_amplitude() {
        assert_eq!(required_memory_bytes(0), Some(16));
        assert_eq!(required_memory_bytes(10), Some(16 * 1024));
        assert_eq!(required_memory_bytes(32), Some(64 << 30));
        assert_eq!(required_memory_bytes(59), Some(1 << 63));
        assert_eq!(required_memory_bytes(60), None);
        assert_eq!(required_memory_bytes(usize::MAX), None);
    }

    #[test]
    fn meminfo_available_line_is_parsed() {
        let text = "MemTotal:       32768000 kB\nMemFree:  1000 kB\nMemAvailable:   24000000 kB\n";
        assert_eq!(parse_meminfo_available(text), Some(24_000_000 * 1024));
        assert_eq!(parse_meminfo_available("MemTotal: 5 kB\n"), None);
        assert_eq!(parse_meminfo_available("MemAvailable: lots kB\n"), None);
    }

    #[test]
    fn cgroup_limits_are_read_as_room_left() {
        assert_eq!(cgroup_room_from("max\n", Some("100\n")), None);
        assert_eq!(cgroup_room_from("1073741824\n", Some("73741824\n")), Some(1_000_000_000));
        assert_eq!(cgroup_room_from("1000\n", Some("5000\n")), Some(0));
        assert_eq!(cgroup_room_from("1000\n", None), Some(1000));
        assert_eq!(cgroup_room_from("9223372036854771712\n", Some("5\n")), None);
    }

    #[test]
    fn detection_on_linux_reports_something() {
        if cfg!(target_os = "linux") {
            assert!(available_memory_bytes().is_some(), "Linux has /proc/meminfo");
        }
    }

    #[test]
    fn check_refuses_above_the_limit_only() {
        assert_eq!(check(20, 1, 0, Some(16 << 20)), Ok(()));
        assert_eq!(
            check(20, 2, 0, Some(16 << 20)),
            Err(SimError::TooLarge { needed: 32 << 20, available: 16 << 20, num_qubits: 20 })
        );
        assert_eq!(check(40, 1, 0, None), Ok(()));
        assert_eq!(check(64, 1, 0, None), Err(SimError::TooManyQubits { num_qubits: 64 }));
        assert_eq!(check(59, 1, 0, None), Err(SimError::TooManyQubits { num_qubits: 59 }));
    }
}
