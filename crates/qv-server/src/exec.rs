//! A job's circuit on a simulator: validation at submit and execution on a worker.
