//! Long-lived threads with a big stack, fed by a bounded queue.
//!
//! Parsing, expanding and simulating a circuit recurse (gate definitions
//! expand recursively); on the 2 MiB stacks of tokio's threads a deeply
//! nested program overflowed the stack, which aborts the whole process.
//! Validation of large programs ([`VALIDATION_STACK_BYTES`]) and every
//! simulation ([`WORKER_STACK_BYTES`]) run here instead (a stack is address
//! space: its pages are only committed when touched). A panic in a task is
//! caught and reported to its caller; the thread lives on.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot};

/// Stack of the validation threads: `/circuits/parse` expands programs
/// without a nesting limit (a 1 MiB body can nest ~70,000 levels).
pub const VALIDATION_STACK_BYTES: usize = 256 << 20;

/// Stack of the simulation threads: stored programs passed validation, so
/// their gate definitions nest at most [`crate::exec::MAX_GATE_NESTING`]
/// levels; this leaves a wide margin.
pub const WORKER_STACK_BYTES: usize = 32 << 20;

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
    /// Starts `threads` threads named `name-N` with `stack` bytes of stack;
    /// at most `queue` tasks wait.
    pub fn new(
        name: &'static str,
        threads: usize,
        queue: usize,
        stack: usize,
    ) -> std::io::Result<BigStackPool> {
        let (tx, rx) = mpsc::channel::<Task>(queue.max(1));
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            std::thread::Builder::new().name(format!("{name}-{i}")).stack_size(stack).spawn(
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
        // 10k frames of over 512 bytes: more than the 2 MiB of a default thread.
        let pad = std::hint::black_box([n; 64]);
        if n == 0 {
            0
        } else {
            1 + depth(n - 1) + pad[0] - n
        }
    }

    #[tokio::test]
    async fn deep_recursion_and_panics_do_not_kill_the_pool() {
        let pool = BigStackPool::new("test", 2, 4, WORKER_STACK_BYTES).unwrap();
        assert_eq!(pool.run(|| depth(10_000)).await, Ok(10_000));
        assert_eq!(pool.run(|| -> u8 { panic!("boom") }).await, Err(PoolError::Panicked));
        assert_eq!(pool.run(|| 7).await, Ok(7), "the thread survives a panic");
    }
}
