//! `qv serve`, `qv worker`, `qv admin`: the platform server from the command line.
//!
//! Configuration comes from defaults < `qv.toml` (or `--config FILE`) <
//! `QV_*` environment variables < these flags (see docs/server.md).

use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand, ValueEnum};
use qv_server::config::{Config, Overrides, ServerRole};

use crate::error::CliError;

/// Where the configuration comes from (shared by every server command).
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Configuration file (default: `qv.toml` in the working directory, if present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Data directory: SQLite database, server key (default `./qv-data`).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database: `sqlite://PATH` or `postgres://USER@HOST/DB` (default: SQLite in the data directory).
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
}

/// Which parts `qv serve` runs.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum RoleArg {
    /// API and workers in one process.
    All,
    /// API only; `qv worker` processes on the same PostgreSQL database run the jobs.
    Api,
}

/// Options of `qv serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Port to listen on (0 picks a free one; the address is logged).
    #[arg(long)]
    pub port: Option<u16>,
    /// Address to listen on (default 127.0.0.1; 0.0.0.0 for every interface).
    #[arg(long)]
    pub bind: Option<String>,
    /// Worker threads running simulations (0 = one per core).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Which parts run in this process.
    #[arg(long, value_enum)]
    pub role: Option<RoleArg>,
}

/// Options of `qv worker`.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Worker threads running simulations (0 = one per core).
    #[arg(long)]
    pub workers: Option<usize>,
}

/// Options of `qv admin`.
#[derive(Debug, Args)]
pub struct AdminArgs {
    #[command(subcommand)]
    pub command: AdminCommand,
}

/// `qv admin` subcommands.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an account (e.g. the first admin); the password is read from standard input.
    CreateUser(CreateUserArgs),
}

/// Roles `qv admin create-user` can give.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum UserRoleArg {
    Admin,
    User,
}

/// Options of `qv admin create-user`.
#[derive(Debug, Args)]
pub struct CreateUserArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Login name (3-32 of A-Z a-z 0-9 _ . -).
    #[arg(long)]
    pub username: String,
    /// E-mail address.
    #[arg(long)]
    pub email: String,
    /// Read the password from the first line of standard input (required: the
    /// password never goes on the command line).
    #[arg(long)]
    pub password_stdin: bool,
    /// The account's role.
    #[arg(long, value_enum, default_value = "user")]
    pub role: UserRoleArg,
}

fn load(args: &ConfigArgs, mut overrides: Overrides) -> Result<Config, CliError> {
    overrides.data_dir = args.data_dir.clone();
    overrides.database_url = args.database_url.clone();
    Config::load(args.config.as_deref(), &overrides).map_err(|e| CliError::Input(e.to_string()))
}

/// Stack of the server's threads. Parsing and checking untrusted programs
/// is iterative or depth-capped; this is the margin on top, stated rather
/// than left to the platform default.
const SERVER_THREAD_STACK_BYTES: usize = 8 << 20;

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(SERVER_THREAD_STACK_BYTES)
        .build()
        .map_err(|e| CliError::Internal(format!("cannot start the async runtime: {e}")))
}

fn run_server(config: Config) -> Result<(), CliError> {
    qv_server::server::init_logging(&config).map_err(|e| CliError::Input(e.to_string()))?;
    runtime()?.block_on(qv_server::serve(config)).map_err(|e| CliError::Internal(e.to_string()))
}

/// Runs `qv serve`.
pub fn serve(args: &ServeArgs) -> Result<(), CliError> {
    let overrides = Overrides {
        port: args.port,
        bind: args.bind.clone(),
        workers: args.workers,
        role: args.role.map(|r| match r {
            RoleArg::All => ServerRole::All,
            RoleArg::Api => ServerRole::Api,
        }),
        ..Overrides::default()
    };
    let config = load(&args.config, overrides)?;
    if config.role == ServerRole::Worker {
        return Err(CliError::Input(
            "role `worker` is `qv worker`; `qv serve --role` takes all or api".into(),
        ));
    }
    run_server(config)
}

/// Runs `qv worker`.
pub fn worker(args: &WorkerArgs) -> Result<(), CliError> {
    let overrides =
        Overrides { workers: args.workers, role: Some(ServerRole::Worker), ..Overrides::default() };
    let config = load(&args.config, overrides)?;
    if config.database_url().starts_with("sqlite:") {
        // Allowed (a second process on the same file works), but rarely meant.
        eprintln!(
            "note: `qv worker` on SQLite shares {} with the server on this machine only",
            config.database_url()
        );
    }
    run_server(config)
}

/// Runs `qv admin`.
pub fn admin(args: &AdminArgs) -> Result<(), CliError> {
    match &args.command {
        AdminCommand::CreateUser(a) => create_user(a),
    }
}

fn create_user(args: &CreateUserArgs) -> Result<(), CliError> {
    if !args.password_stdin {
        return Err(CliError::Input(
            "give the password on standard input with --password-stdin \
             (e.g. `printf '%s\\n' \"$PASSWORD\" | qv admin create-user ... --password-stdin`)"
                .into(),
        ));
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| {
        CliError::Input(format!("cannot read the password from standard input: {e}"))
    })?;
    let password = line.trim_end_matches(['\n', '\r']);
    if password.is_empty() {
        return Err(CliError::Input("the password on standard input is empty".into()));
    }
    let config = load(&args.config, Overrides::default())?;
    let role = match args.role {
        UserRoleArg::Admin => qv_server::model::Role::Admin,
        UserRoleArg::User => qv_server::model::Role::User,
    };
    let url = config.database_url();
    let data_dir = config.data_dir.clone();
    let config = Arc::new(config);
    let user = runtime()?.block_on(async {
        std::fs::create_dir_all(&data_dir).map_err(|e| {
            CliError::Input(format!("cannot create the data directory {}: {e}", data_dir.display()))
        })?;
        let store = qv_server::store::Store::connect(&url, 2).await.map_err(|e| {
            CliError::Input(format!("database {}: {e}", qv_server::server::redact_url(&url)))
        })?;
        let result = async {
            let auth = qv_server::auth::AuthService::new(store.clone(), config.clone())
                .await
                .map_err(|e| CliError::Internal(e.message.clone()))?;
            auth.create_user(&args.email, &args.username, password, role).await.map_err(|e| {
                if e.kind == qv_server::service::ErrorKind::Internal {
                    CliError::Internal(e.message)
                } else {
                    CliError::Input(e.message)
                }
            })
        }
        .await;
        store.close().await;
        result
    })?;
    println!("created {} user `{}` (id {})", user.role.as_str(), user.username, user.id);
    Ok(())
}
