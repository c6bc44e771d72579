//! What every benchmark reports besides its own figures: this process's CPU time (the
//! simulator shares the machine, so wall time alone says little), its peak RSS, and the
//! wall-clock instants that let the caller match a phase with mx-sim's request log.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// User plus system CPU seconds of this process, every thread included, to the nanosecond:
/// the sum of each thread's `/proc/self/task/*/schedstat` run time. (`/proc/self/stat` counts
/// in 10 ms ticks, too coarse for a short phase.) Threads that already exited are missed; the
/// benchmarks' runtimes keep theirs.
pub fn cpu_seconds() -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    let nanos: u64 = tasks
        .filter_map(Result::ok)
        .filter_map(|task| std::fs::read_to_string(task.path().join("schedstat")).ok())
        .filter_map(|line| line.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    nanos as f64 / 1e9
}

/// A `/proc/self/status` value in KiB (`VmHWM:`, `VmRSS:`).
pub fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Milliseconds since the Unix epoch, the clock of mx-sim's request log (`at_ms`).
pub fn epoch_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// One timed phase: wall and CPU seconds, and its window on the request log's clock.
#[derive(Debug, Clone, Copy)]
pub struct Phase {
    /// Wall-clock seconds.
    pub wall: f64,
    /// CPU seconds of this process.
    pub cpu: f64,
    /// Epoch milliseconds when it started.
    pub start_ms: u64,
    /// Epoch milliseconds when it ended.
    pub end_ms: u64,
}

impl Phase {
    /// The phase as JSON fields prefixed with `name`.
    pub fn json(&self, name: &str, out: &mut serde_json::Map<String, serde_json::Value>) {
        out.insert(format!("{name}_wall_s"), self.wall.into());
        out.insert(format!("{name}_cpu_s"), self.cpu.into());
        out.insert(format!("{name}_start_ms"), self.start_ms.into());
        out.insert(format!("{name}_end_ms"), self.end_ms.into());
    }
}

/// A started phase.
#[derive(Debug)]
pub struct Timer {
    started: Instant,
    cpu: f64,
    start_ms: u64,
}

impl Timer {
    /// Starts timing now. Waits a few milliseconds first, so that requests of an earlier
    /// phase cannot share the log's millisecond with this one's.
    pub fn start() -> Timer {
        std::thread::sleep(Duration::from_millis(5));
        Timer {
            started: Instant::now(),
            cpu: cpu_seconds(),
            start_ms: epoch_ms(),
        }
    }

    /// Ends the phase, then waits a few milliseconds, for the same reason as [`Timer::start`].
    pub fn stop(self) -> Phase {
        let phase = Phase {
            wall: self.started.elapsed().as_secs_f64(),
            cpu: cpu_seconds() - self.cpu,
            start_ms: self.start_ms,
            end_ms: epoch_ms(),
        };
        std::thread::sleep(Duration::from_millis(5));
        phase
    }
}
