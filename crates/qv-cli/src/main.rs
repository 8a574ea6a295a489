//! `qv`, the QuantumVibe command-line tool.
//!
//! A thin layer over the libraries: [`cli`] declares the command line,
//! [`input`] reads circuits (`-` is standard input), [`run`] simulates and
//! prints results, [`expect`] computes expectation values, [`show`] draws,
//! exports and lists gates, [`transpile`] compiles for a device target, [`targets`] lists
//! targets, [`equiv`] checks compiled circuits, [`output`] formats tables and JSON, and [`error`] maps failures to exit codes (0 success,
//! 2 bad input, 1 internal failure) with the message on stderr.

mod cli;
mod client;
mod equiv;
mod error;
mod expect;
mod input;
mod npy;
mod output;
mod run;
mod serve;
mod show;
mod targets;
mod transpile;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Run(args) => run::run(args),
        Command::Expect(args) => expect::expect(args),
        Command::Draw(args) => show::draw(args),
        Command::Qasm(args) => show::qasm(args),
        Command::Gates(args) => show::gates(args),
        Command::Transpile(args) => transpile::transpile(args),
        Command::Targets(args) => targets::targets(args),
        Command::Equiv(args) => equiv::equiv(args),
        Command::Serve(args) => serve::serve(args),
        Command::Worker(args) => serve::worker(args),
        Command::Admin(args) => serve::admin(args),
        Command::Login(args) => client::login(args),
        Command::Logout(args) => client::logout(args),
        Command::Submit(args) => client::submit(args),
        Command::Jobs(args) => client::jobs(args),
        Command::Result(args) => client::result(args),
        Command::Cancel(args) => client::cancel(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => e.report(),
    }
}
