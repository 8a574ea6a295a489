//! [`BackendService`]: the simulators jobs can ask for, with their status
//! (from the heartbeats of live worker pools) and queue depth.

use std::sync::Arc;

use serde::Serialize;
use utoipa::ToSchema;

use super::{Principal, Scope, ServiceError};
use crate::config::Config;
use crate::model::now_ms;
use crate::store::Store;

/// A simulator.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct BackendView {
    pub name: String,
    /// `statevector`, `stabilizer`, `density_matrix`, `trajectories` or `auto`.
    pub kind: String,
    pub description: String,
    pub max_qubits: u64,
    /// `online` while a worker pool that runs it has a fresh heartbeat
    /// (within `lease_s`), else `offline` (jobs wait in the queue).
    pub status: String,
    /// Jobs waiting that asked for this backend.
    pub queue_depth: i64,
}

/// `GET /backends`.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct BackendList {
    pub backends: Vec<BackendView>,
}

/// The backend service; cheap to clone.
#[derive(Clone, Debug)]
pub struct BackendService {
    config: Arc<Config>,
    store: Store,
}

impl BackendService {
    pub(crate) fn new(config: Arc<Config>, store: Store) -> BackendService {
        BackendService { config, store }
    }

    /// Every backend with its limits, status and queue depth.
    pub async fn list(&self, principal: &Principal) -> Result<BackendList, ServiceError> {
        principal.require(Scope::JobsRead)?;
        let depths = self.store.queue_depth_by_backend().await?;
        let since = now_ms() - i64::try_from(self.config.lease_s.max(1) * 1000).unwrap_or(i64::MAX);
        let live = self.store.live_worker_backends(since).await?;
        let online = |name: &str| live.iter().any(|list| list.split(',').any(|b| b == name));
        let sv = self.config.max_qubits as u64;
        // A density matrix of n qubits is as large as a state vector of 2n.
        let dm = sv / 2;
        let stab = self.config.max_stabilizer_qubits as u64;
        let list = [
            ("auto", "auto", "Chooses from the circuit: stabilizer for Clifford circuits, else the state-vector engine", stab),
            ("statevector", "statevector", "Fast state-vector engine (gate fusion, SIMD, threads)", sv),
            ("stabilizer", "stabilizer", "Stabilizer tableau simulator for Clifford circuits", stab),
            ("density_matrix", "density_matrix", "Density-matrix simulator (exact mixed states)", dm),
            ("trajectories", "trajectories", "State-vector quantum trajectories", sv),
            ("reference", "statevector", "Reference state-vector simulator (exact and simple)", sv),
        ];
        let backends = list
            .into_iter()
            .map(|(name, kind, description, max_qubits)| BackendView {
                name: name.into(),
                kind: kind.into(),
                description: description.into(),
                max_qubits,
                status: if online(name) { "online" } else { "offline" }.into(),
                queue_depth: depths.iter().find(|(b, _)| b == name).map_or(0, |(_, n)| *n),
            })
            .collect();
        Ok(BackendList { backends })
    }
}
