//! The command line, declared once with clap's derive API.
//!
//! Every flag carries its help text here; the command modules only read the
//! parsed values.

use clap::{Args, Parser, Subcommand, ValueEnum};

/// QuantumVibe: run, draw and normalise OpenQASM 2 circuits.
#[derive(Debug, Parser)]
#[command(name = "qv", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate a circuit and print counts, per-shot memory, exact probabilities or the final state.
    Run(RunArgs),
    /// Compute the expectation value of a Pauli-sum observable, exactly or from shots.
    Expect(ExpectArgs),
    /// Draw a circuit as a text diagram.
    Draw(DrawArgs),
    /// Print a circuit as normalised OpenQASM 2.0.
    Qasm(InputArgs),
    /// List the standard gates: name, qubits, parameters and a line of help.
    Gates(GatesArgs),
    /// Compile a circuit for a device: native gates, coupling map, optimisation (levels 0-3).
    Transpile(TranspileArgs),
    /// List the built-in device targets, or describe one target (name or JSON file).
    Targets(TargetsArgs),
    /// Check that a compiled circuit implements the original, up to global phase and layouts.
    Equiv(EquivArgs),
    /// Run the platform server: API, job queue, workers, web app.
    Serve(crate::serve::ServeArgs),
    /// Run workers only, claiming jobs from a shared database.
    Worker(crate::serve::WorkerArgs),
    /// Administration on the server's database (create the first admin).
    Admin(crate::serve::AdminArgs),
    /// Log in to a server and keep the session for later commands.
    Login(crate::client::LoginArgs),
    /// Forget the saved session.
    Logout(crate::client::LogoutArgs),
    /// Submit a circuit to a server as a job.
    Submit(crate::client::SubmitArgs),
    /// List your jobs on a server.
    Jobs(crate::client::JobsArgs),
    /// Show a job's result.
    Result(crate::client::ResultArgs),
    /// Cancel a queued or running job.
    Cancel(crate::client::CancelArgs),
}

/// The circuit to read.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// OpenQASM 2.0 file to read; `-` reads standard input.
    #[arg(value_name = "FILE")]
    pub file: String,
}

/// Options of `qv run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// OpenQASM 2.0 file to read; `-` reads standard input.
    #[arg(value_name = "FILE")]
    pub file: String,
    /// Number of shots to sample (counts and memory output).
    #[arg(short, long, default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..))]
    pub shots: u64,
    /// Seed of the random stream; the same seed reproduces the same shots. Default: random (and reported).
    #[arg(long)]
    pub seed: Option<u64>,
    /// What to print.
    #[arg(short, long, value_enum, default_value_t = Output::Counts)]
    pub output: Output,
    /// Print machine-readable JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Amplitude precision of the state-vector engine (single halves memory: 30 qubits in 8 GiB).
    #[arg(long, value_enum, default_value_t = PrecisionArg::Double)]
    pub precision: PrecisionArg,
    /// Worker threads of the state-vector engine (0 = every core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// With `--output statevector`: write the state to this NumPy `.npy` file (complex128) instead of printing it.
    #[arg(long, value_name = "PATH")]
    pub npy: Option<std::path::PathBuf>,
    /// Apply every gate as its own pass (no gate fusion), for comparisons.
    #[arg(long)]
    pub no_fusion: bool,
    /// Simulator to use; `auto` picks one from the circuit and says why.
    #[arg(long, value_enum, default_value_t = BackendArg::Auto)]
    pub backend: BackendArg,
    /// Noise model (JSON, see docs/noise.md), simulated by the density-matrix or trajectories backend.
    #[arg(long, value_name = "FILE")]
    pub noise: Option<std::path::PathBuf>,
}

/// Options of `qv expect`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("obs").required(true).args(["observable", "observable_file"])))]
pub struct ExpectArgs {
    /// OpenQASM 2.0 file to read; `-` reads standard input.
    #[arg(value_name = "FILE")]
    pub file: String,
    /// The observable as text, e.g. "0.5*Z0 Z1 + 0.3*X0" (see docs/expectation.md).
    #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
    pub observable: Option<String>,
    /// Read the observable from a file: a JSON list of {"coeff", "pauli"} terms, or the text form.
    #[arg(long, value_name = "PATH")]
    pub observable_file: Option<std::path::PathBuf>,
    /// Simulator to use; `auto` picks one from the circuit and says why.
    #[arg(long, value_enum, default_value_t = BackendArg::Auto)]
    pub backend: BackendArg,
    /// Noise model (JSON, see docs/noise.md): exact on the density matrix, or estimated with --shots.
    #[arg(long, value_name = "FILE")]
    pub noise: Option<std::path::PathBuf>,
    /// Estimate each term from this many shots (with a standard deviation) instead of exactly.
    #[arg(short, long, value_parser = clap::value_parser!(u64).range(1..))]
    pub shots: Option<u64>,
    /// Seed of the shot estimates. Default: random (and reported).
    #[arg(long, requires = "shots")]
    pub seed: Option<u64>,
    /// Print machine-readable JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Amplitude precision of the state-vector engine.
    #[arg(long, value_enum, default_value_t = PrecisionArg::Double)]
    pub precision: PrecisionArg,
    /// Worker threads of the state-vector engine (0 = every core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
}

/// `--backend` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BackendArg {
    /// Choose from the circuit: stabilizer for Clifford circuits, state vector when it fits,
    /// density matrix or trajectories with noise.
    Auto,
    /// The fast state-vector engine.
    Statevector,
    /// The stabilizer tableau simulator (Clifford circuits, thousands of qubits).
    Stabilizer,
    /// The density-matrix simulator (exact noise, up to about 12 qubits).
    #[value(name = "density_matrix")]
    DensityMatrix,
    /// State-vector quantum trajectories (noise on larger circuits).
    Trajectories,
    /// The reference state-vector simulator (simple and exact; the oracle).
    Reference,
}

impl From<BackendArg> for qv_sim::Backend {
    fn from(b: BackendArg) -> Self {
        match b {
            BackendArg::Auto => qv_sim::Backend::Auto,
            BackendArg::Statevector => qv_sim::Backend::Statevector,
            BackendArg::Stabilizer => qv_sim::Backend::Stabilizer,
            BackendArg::DensityMatrix => qv_sim::Backend::DensityMatrix,
            BackendArg::Trajectories => qv_sim::Backend::Trajectories,
            BackendArg::Reference => qv_sim::Backend::Reference,
        }
    }
}

/// `--precision` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PrecisionArg {
    /// complex128
    Double,
    /// complex64
    Single,
}

impl From<PrecisionArg> for qv_sim::Precision {
    fn from(p: PrecisionArg) -> Self {
        match p {
            PrecisionArg::Double => qv_sim::Precision::Double,
            PrecisionArg::Single => qv_sim::Precision::Single,
        }
    }
}

/// What `qv run` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Shots per outcome of the classical bits.
    Counts,
    /// Each shot's outcome, in order.
    Memory,
    /// Exact outcome probabilities: over the classical bits, or over the qubits when nothing is measured.
    Probabilities,
    /// The final state vector (terminal measurements are ignored).
    Statevector,
}

/// Options of `qv draw`.
#[derive(Debug, Args)]
pub struct DrawArgs {
    /// OpenQASM 2.0 file to read; `-` reads standard input.
    #[arg(value_name = "FILE")]
    pub file: String,
    /// Fold the diagram into blocks at most this many columns wide; 0 never folds.
    #[arg(long, value_name = "COLUMNS", default_value_t = qv_circuit::draw::DEFAULT_FOLD)]
    pub fold: usize,
}

/// Options of `qv transpile`.
#[derive(Debug, Args)]
pub struct TranspileArgs {
    /// OpenQASM 2.0 file to read; `-` reads standard input.
    #[arg(value_name = "FILE")]
    pub file: String,
    /// Target device: a built-in name (see `qv targets`) or a JSON target file.
    #[arg(short, long, value_name = "NAME|FILE.json")]
    pub target: String,
    /// Optimisation level: 0 translates and routes only, 3 tries hardest.
    #[arg(short = 'O', long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(0..=3))]
    pub level: u8,
    /// Seed of the randomised layout and routing search; the same seed gives the same output.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print JSON: the QASM, initial and final layouts, and figures (two-qubit gates, depths, swaps, time).
    #[arg(long)]
    pub json: bool,
    /// Write the compiled OpenQASM 2.0 to this file (the summary still goes to standard output).
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<std::path::PathBuf>,
}

/// Options of `qv targets`.
#[derive(Debug, Args)]
pub struct TargetsArgs {
    /// Describe this target (a built-in name or a JSON target file) instead of listing them all.
    #[arg(value_name = "NAME|FILE.json")]
    pub target: Option<String>,
    /// Print JSON: the list, or the target in the JSON target format.
    #[arg(long)]
    pub json: bool,
}

/// Options of `qv equiv`.
#[derive(Debug, Args)]
pub struct EquivArgs {
    /// The original circuit (OpenQASM 2.0; `-` reads standard input).
    #[arg(value_name = "A.qasm")]
    pub first: String,
    /// The compiled circuit to check against it.
    #[arg(value_name = "B.qasm")]
    pub second: String,
    /// Physical qubit of B holding each qubit of A at the start, e.g. `3,0,1` (default: qubit v on v).
    #[arg(long, value_name = "P0,P1,...")]
    pub initial_layout: Option<String>,
    /// Physical qubit of B holding each qubit of A at the end (default: qubit v on v).
    #[arg(long, value_name = "P0,P1,...")]
    pub final_layout: Option<String>,
    /// Print JSON: `{"equivalent", "method", "virtual_qubits", "used_qubits", "max_deviation"}`.
    #[arg(long)]
    pub json: bool,
}

/// Options of `qv gates`.
#[derive(Debug, Args)]
pub struct GatesArgs {
    /// Print machine-readable JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_argument_has_help() {
        let cmd = Cli::command();
        for sub in cmd.get_subcommands() {
            assert!(sub.get_about().is_some(), "{} has no help", sub.get_name());
            for arg in sub.get_arguments() {
                assert!(
                    arg.get_help().is_some(),
                    "{} {} has no help",
                    sub.get_name(),
                    arg.get_id()
                );
            }
        }
    }
}
