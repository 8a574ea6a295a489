//! Client commands against a `qv serve` server: login, submit, jobs, result, cancel.

use clap::Args;

use crate::error::CliError;

/// Options of `qv login`.
#[derive(Debug, Args)]
pub struct LoginArgs {}

/// Runs `qv login`.
pub fn login(args: &LoginArgs) -> Result<(), CliError> {
    let _ = args;
    Err(CliError::Input("`qv login` is not assembled yet".into()))
}

/// Options of `qv logout`.
#[derive(Debug, Args)]
pub struct LogoutArgs {}

/// Runs `qv logout`.
pub fn logout(args: &LogoutArgs) -> Result<(), CliError> {
    let _ = args;
    Err(CliError::Input("`qv logout` is not assembled yet".into()))
}

/// Options of `qv submit`.
#[derive(Debug, Args)]
pub struct SubmitArgs {}

/// Runs `qv submit`.
pub fn submit(args: &SubmitArgs) -> Result<(), CliError> {
    let _ = args;
    Err(CliError::Input("`qv submit` is not assembled yet".into()))
}

/// Options of `qv jobs`.
#[derive(Debug, Args)]
pub struct JobsArgs {}

/// Runs `qv jobs`.
pub fn jobs(args: &JobsArgs) -> Result<(), CliError> {
    let _ = args;
    Err(CliError::Input("`qv jobs` is not assembled yet".into()))
}

/// Options of `qv result`.
#[derive(Debug, Args)]
pub struct ResultArgs {}

/// Runs `qv result`.
pub fn result(args: &ResultArgs) -> Result<(), CliError> {
    let _ = args;
    Err(CliError::Input("`qv result` is not assembled yet".into()))
}

/// Options of `qv cancel`.
#[derive(Debug, Args)]
pub struct CancelArgs {}

/// Runs `qv cancel`.
pub fn cancel(args: &CancelArgs) -> Result<(), CliError> {
    let _ = args;
    Err(CliError::Input("`qv cancel` is not assembled yet".into()))
}
