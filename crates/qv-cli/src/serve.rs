//! `qv serve`, `qv worker`, `qv admin`: the platform server from the command line.

use clap::Args;

use crate::error::CliError;

/// Options of `qv serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {}

/// Options of `qv worker`.
#[derive(Debug, Args)]
pub struct WorkerArgs {}

/// Options of `qv admin`.
#[derive(Debug, Args)]
pub struct AdminArgs {}

/// Runs `qv serve`.
pub fn serve(args: &ServeArgs) -> Result<(), CliError> {
    let _ = args;
    Err(CliError::Input("`qv serve` is not assembled yet".into()))
}

/// Runs `qv worker`.
pub fn worker(args: &WorkerArgs) -> Result<(), CliError> {
    let _ = args;
    Err(CliError::Input("`qv worker` is not assembled yet".into()))
}

/// Runs `qv admin`.
pub fn admin(args: &AdminArgs) -> Result<(), CliError> {
    let _ = args;
    Err(CliError::Input("`qv admin` is not assembled yet".into()))
}
