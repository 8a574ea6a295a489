//! Long-lived threads with a big stack, fed by a bounded queue.
//!
//! Parsing, expanding and simulating a circuit recurse (gate definitions
//! expand recursively); on the 2 MiB stacks of tokio's threads a deeply
//! nested program overflowed the stack, which aborts the whole process.
//! Validation of large programs and every simulation run here instead, on
//! threads whose stack is [`STACK_BYTES`] (address space: pages are only
//! committed when touched). A panic in a task is caught and reported to its
//! caller; the thread lives on.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot};

/// Stack of each pool thread.
pub const STACK_BYTES: usize = 64 << 20;

type Task = Box<dyn FnOnce() + Send + 'static>;

/// Why a task produced no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoolError {
    /// The task panicked (the panic message is logged).
    Panicked,
    /// The pool is gone (shutdown).
    Closed,
}

/// A fixed set of big-stack threads taking tasks from one bounded queue.
#[derive(Debug, Clone)]
pub struct BigStackPool {
    tx: mpsc::Sender<Task>,
    name: &'static str,
}

impl BigStackPool {
    /// Starts `threads` threads named `name-N`; at most `queue` tasks wait.
    pub fn new(name: &'static str, threads: usize, queue: usize) -> std::io::Result<BigStackPool> {
        let (tx, rx) = mpsc::channel::<Task>(queue.max(1));
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            std::thread::Builder::new().name(format!("{name}-{i}")).stack_size(STACK_BYTES).spawn(
                move || loop {
                    // One thread waits in `blocking_recv` while the others
                    // wait for the lock: each task goes to one idle thread.
                    let task = match rx.lock() {
                        Ok(mut rx) => rx.blocking_recv(),
                        Err(_) => None,
                    };
                    match task {
                        Some(task) => task(),
                        None => return,
                    }
                },
            )?;
        }
        Ok(BigStackPool { tx, name })
    }

    /// Runs `f` on a pool thread and returns its value; waits for room in
    /// the queue first.
    pub async fn run<F, R>(&self, f: F) -> Result<R, PoolError>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let (reply, rx) = oneshot::channel();
        let name = self.name;
        let task: Task = Box::new(move || {
            let out = catch_unwind(AssertUnwindSafe(f)).map_err(|panic| {
                let detail = panic
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| panic.downcast_ref::<&str>().copied())
                    .unwrap_or("unknown panic");
                tracing::error!(pool = name, panic = detail, "a task panicked");
                PoolError::Panicked
            });
            let _ = reply.send(out);
        });
        self.tx.send(task).await.map_err(|_| PoolError::Closed)?;
        rx.await.map_err(|_| PoolError::Closed)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth(n: u64) -> u64 {
        // 20k frames of over 512 bytes: far more than the 2 MiB of a default thread.
        let pad = std::hint::black_box([n; 64]);
        if n == 0 {
            0
        } else {
            1 + depth(n - 1) + pad[0] - n
        }
    }

    #[tokio::test]
    async fn deep_recursion_and_panics_do_not_kill_the_pool() {
        let pool = BigStackPool::new("test", 2, 4).unwrap();
        assert_eq!(pool.run(|| depth(20_000)).await, Ok(20_000));
        assert_eq!(pool.run(|| -> u8 { panic!("boom") }).await, Err(PoolError::Panicked));
        assert_eq!(pool.run(|| 7).await, Ok(7), "the thread survives a panic");
    }
}
