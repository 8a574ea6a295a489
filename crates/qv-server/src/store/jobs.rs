//! Jobs, the durable queue, job events and usage.
